package sync

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// Reach checks that the environment answers: one GET of the identity service's base over
// the client's own transport (its proxy, TLS roots and client certificate). Any HTTP answer
// counts (the path needs no sign-in, so 401 or 404 are answers too); what fails is said in
// plain English: the name not found, no route or refused, a proxy, a certificate, a timeout.
// It returns the HTTP status and how long the answer took.
func (c *Client) Reach(ctx context.Context) (int, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.IdentityURL+"/", nil)
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("X-Correlation-ID", c.cfg.CorrelationID)
	start := c.cfg.Now()
	resp, err := c.hc.Do(req)
	took := c.cfg.Now().Sub(start)
	if err != nil {
		return 0, took, reachError(c.cfg.BaseURL, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return resp.StatusCode, took, nil
}

func reachError(base string, err error) error {
	host := base
	if u, perr := url.Parse(base); perr == nil {
		host = u.Host
	}
	var dns *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certErr *tls.CertificateVerificationError
	var opErr *net.OpError
	switch {
	case errors.As(err, &dns):
		return fmt.Errorf("the name %s was not found (DNS): check the base URL and this computer's network settings: %w", dns.Name, err)
	case errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &certErr):
		return fmt.Errorf("%s answered with a certificate this computer does not trust (a proxy that inspects traffic, or the wrong address): %w", host, err)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s did not answer in time: check the network, a firewall or the proxy (HTTPS_PROXY): %w", host, err)
	case errors.As(err, &opErr) && opErr.Op == "proxyconnect":
		return fmt.Errorf("the web proxy could not be reached: check HTTPS_PROXY: %w", err)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return fmt.Errorf("%s refused the connection or cannot be reached: check the base URL and the firewall: %w", host, err)
	}
	return fmt.Errorf("%s could not be reached: %w", host, err)
}
