package sync

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"golang.org/x/net/http/httpproxy"

	"github.com/google/uuid"

	"scrdesk/internal/fhir"
)

// Service base paths, as published by NHS England.
const (
	PDSPath      = "/personal-demographics/FHIR/R4"
	SCRPath      = "/summary-care-record/FHIR/R4"
	RAPath       = "/reasonable-adjustment-flag/FHIR/STU3" // Reasonable Adjustment Flag API
	IdentityPath = "/oauth2"
)

// Config configures a Client. Zero values take the defaults named.
type Config struct {
	// BaseURL is the API platform's origin, e.g. https://int.api.service.nhs.uk, or the built-in
	// sandbox's http://127.0.0.1:PORT.
	BaseURL string
	// IdentityURL is the identity service's base (token and userinfo live under it). Empty means
	// BaseURL + "/oauth2".
	IdentityURL string
	// Timeout bounds each attempt as a whole (default 20s); ConnectTimeout bounds dialling and
	// the TLS handshake (default 5s).
	Timeout, ConnectTimeout time.Duration
	// MaxBody caps an answer's size (default 8 MiB).
	MaxBody int64
	// ClientCert is an optional TLS client certificate.
	ClientCert *tls.Certificate
	// RootCAs replaces the system's roots (nil: the system's roots). For a private test
	// environment; production leaves it nil.
	RootCAs *x509.CertPool
	// Log receives debug lines per attempt and warnings per failure (default: discard).
	Log *slog.Logger
	// HTTPClient replaces the client built from the settings above (tests, in-process demo).
	HTTPClient *http.Client
	// CorrelationID is sent as X-Correlation-ID (default: a fresh UUID per Client).
	CorrelationID string
	// MaxRetries is how many times a read is retried on 429/503 (default 3, negative: none).
	MaxRetries int
	// MaxRetryWait is the longest Retry-After the client will wait (default 30s); a longer one
	// fails at once as RateLimited or Unavailable.
	MaxRetryWait time.Duration
	// SCRPerSecond is the SCR request limit (default 5).
	SCRPerSecond int
	// Now and Sleep are the clock, for tests. Sleep must return ctx.Err() when ctx ends first.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client talks to one environment's national services. Create it with New.
type Client struct {
	cfg     Config
	hc      *http.Client
	log     *slog.Logger
	limiter *limiter
}

// New checks cfg and builds a Client.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("sync: no base URL")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("sync: base URL must be http(s)://host[:port]")
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.IdentityURL == "" {
		cfg.IdentityURL = cfg.BaseURL + IdentityPath
	}
	cfg.IdentityURL = strings.TrimRight(cfg.IdentityURL, "/")
	if cfg.Timeout <= 0 {
		cfg.Timeout = 20 * time.Second
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 8 << 20
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.CorrelationID == "" {
		cfg.CorrelationID = uuid.NewString()
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 3
	}
	if cfg.MaxRetryWait <= 0 {
		cfg.MaxRetryWait = 30 * time.Second
	}
	if cfg.SCRPerSecond <= 0 {
		cfg.SCRPerSecond = 5
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepCtx
	}
	c := &Client{cfg: cfg, log: cfg.Log, hc: cfg.HTTPClient}
	if c.hc == nil {
		c.hc = &http.Client{Transport: newTransport(cfg)}
	} else {
		hc := *c.hc // the caller's client, never following redirects either
		c.hc = &hc
	}
	c.hc.CheckRedirect = refuseRedirect
	c.limiter = &limiter{n: cfg.SCRPerSecond, per: time.Second, now: cfg.Now, sleep: cfg.Sleep}
	return c, nil
}

// redirectError is a redirect refused: the token must never go to another address, and a
// national service does not redirect API calls.
type redirectError struct{ from, to string }

func (e *redirectError) Error() string { return "redirect refused: " + e.from + " -> " + e.to }

func refuseRedirect(req *http.Request, via []*http.Request) error {
	from := ""
	if len(via) > 0 {
		from = via[len(via)-1].URL.Host
	}
	return &redirectError{from: from, to: req.URL.Host}
}

func newTransport(cfg Config) *http.Transport {
	d := &net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: cfg.RootCAs} // nil: the system's roots
	if cfg.ClientCert != nil {
		tc.Certificates = []tls.Certificate{*cfg.ClientCert}
	}
	// HTTPS_PROXY / HTTP_PROXY / NO_PROXY, read when the client is made (net/http's own
	// ProxyFromEnvironment reads them once per process).
	proxy := httpproxy.FromEnvironment().ProxyFunc()
	return &http.Transport{
		Proxy:                 func(r *http.Request) (*url.URL, error) { return proxy(r.URL) },
		DialContext:           d.DialContext,
		TLSClientConfig:       tc,
		TLSHandshakeTimeout:   cfg.ConnectTimeout,
		ResponseHeaderTimeout: cfg.Timeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Trace lists every X-Request-ID sent for one operation (a retry reuses its request's id), so
// the audit row can record them.
type Trace struct {
	RequestIDs []string
}

func (t *Trace) add(id string) {
	for _, have := range t.RequestIDs {
		if have == id {
			return
		}
	}
	t.RequestIDs = append(t.RequestIDs, id)
}

// call is one logical request.
type call struct {
	method   string
	url      string // full URL, query included: never logged
	resource string // log-safe name: "Patient", "DocumentReference", ...
	body     []byte
	ctype    string
	read     bool // retryable on 429/503
	scr      bool // counts against the SCR rate limit
	urid     string
	bearer   string
	// token, when set, gives the session's live token before every attempt: a session closed
	// (locked, signed out) while a request was in flight sends no retry with its token.
	token     func() (string, error)
	requestID string // reuse (e.g. an outbox resend); empty: a fresh UUID
	fhir      bool   // send FHIR headers (X-Request-ID etc.)
}

func newIncident() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "INC-" + strings.ToUpper(hex.EncodeToString(b[:]))
}

// do performs c, retrying reads on 429/503. It returns the body of a 2xx answer.
func (cl *Client) do(ctx context.Context, c call, tr *Trace) ([]byte, http.Header, error) {
	rid := c.requestID
	if rid == "" {
		rid = uuid.NewString()
	}
	if c.fhir {
		tr.add(rid)
	}
	for attempt := 0; ; attempt++ {
		if c.scr {
			if err := cl.limiter.wait(ctx); err != nil {
				return nil, nil, cl.fail(ctx, c, rid, attempt, 0, nil, err)
			}
		}
		if c.token != nil {
			tok, err := c.token()
			if err != nil {
				cl.log.Info("spine call dropped: the session closed", "resource", c.resource, "request_id", rid,
					"attempt", attempt+1)
				return nil, nil, err
			}
			c.bearer = tok
		}
		status, hdr, body, err := cl.once(ctx, c, rid)
		cl.log.Debug("spine call", "resource", c.resource, "method", c.method, "attempt", attempt+1,
			"status", status, "request_id", rid, "bytes", len(body))
		if err != nil {
			return nil, nil, cl.fail(ctx, c, rid, attempt, status, nil, err)
		}
		if status >= 200 && status < 300 {
			return body, hdr, nil
		}
		if c.read && (status == 429 || status == 503) && attempt < cl.cfg.MaxRetries {
			wait, ok := cl.retryWait(hdr.Get("Retry-After"), attempt)
			if ok {
				cl.log.Info("spine call retried", "resource", c.resource, "status", status, "request_id", rid,
					"attempt", attempt+1, "wait_ms", wait.Milliseconds())
				if err := cl.cfg.Sleep(ctx, wait); err != nil {
					return nil, nil, cl.fail(ctx, c, rid, attempt, status, nil, err)
				}
				continue
			}
		}
		return nil, nil, cl.fail(ctx, c, rid, attempt, status, body, nil)
	}
}

// once sends one attempt.
func (cl *Client) once(ctx context.Context, c call, rid string) (int, http.Header, []byte, error) {
	actx, cancel := context.WithTimeout(ctx, cl.cfg.Timeout)
	defer cancel()
	var rd io.Reader
	if c.body != nil {
		rd = bytes.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(actx, c.method, c.url, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if c.fhir {
		req.Header.Set("Accept", "application/fhir+json")
		req.Header.Set("X-Request-ID", rid)
		req.Header.Set("X-Correlation-ID", cl.cfg.CorrelationID)
	} else {
		req.Header.Set("Accept", "application/json")
	}
	if c.ctype != "" {
		req.Header.Set("Content-Type", c.ctype)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.urid != "" {
		req.Header.Set("NHSD-Session-URID", c.urid)
	}
	resp, err := cl.hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, cl.cfg.MaxBody+1))
	if err != nil {
		return resp.StatusCode, resp.Header, nil, err
	}
	if int64(len(body)) > cl.cfg.MaxBody {
		return resp.StatusCode, resp.Header, nil, errTooLarge
	}
	return resp.StatusCode, resp.Header, body, nil
}

var errTooLarge = errors.New("answer exceeds the size cap")

// retryWait returns how long to wait before retry attempt+1: Retry-After (seconds or an
// HTTP date) plus up to 20% jitter, or exponential backoff with full jitter when absent. It
// reports false when the server asks for longer than MaxRetryWait.
func (cl *Client) retryWait(ra string, attempt int) (time.Duration, bool) {
	var base time.Duration
	if ra != "" {
		if secs, err := strconv.Atoi(strings.TrimSpace(ra)); err == nil && secs >= 0 {
			base = time.Duration(secs) * time.Second
		} else if t, err := http.ParseTime(ra); err == nil {
			base = t.Sub(cl.cfg.Now())
			if base < 0 {
				base = 0
			}
		}
		if base > cl.cfg.MaxRetryWait {
			return 0, false
		}
		return base + jitter(base/5+time.Millisecond), true
	}
	base = 250 * time.Millisecond << attempt
	if base > cl.cfg.MaxRetryWait {
		base = cl.cfg.MaxRetryWait
	}
	return base/2 + jitter(base/2), true
}

func jitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	n, err := rand.Int(rand.Reader, big.NewInt(int64(max)))
	if err != nil {
		return 0
	}
	return time.Duration(n.Int64())
}

// fail turns a transport error or a failure status into a *fhir.SpineError with an incident id,
// and logs the detail without patient data.
func (cl *Client) fail(ctx context.Context, c call, rid string, attempt, status int, body []byte, err error) error {
	var se *fhir.SpineError
	switch {
	case err != nil && ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled):
		return fmt.Errorf("%s request cancelled: %w", strings.ToLower(c.resource), ctx.Err())
	case errors.Is(err, errTooLarge):
		se = &fhir.SpineError{Kind: fhir.TooLarge, HTTPStatus: status}
	case err != nil && errors.As(err, new(*redirectError)):
		var re *redirectError
		errors.As(err, &re)
		se = &fhir.SpineError{Kind: fhir.Redirected, Code: re.from + " to " + re.to, HTTPStatus: status}
	case err != nil && untrusted(err):
		se = &fhir.SpineError{Kind: fhir.Untrusted, HTTPStatus: status}
	case err != nil && isTimeout(err):
		se = &fhir.SpineError{Kind: fhir.Timeout, HTTPStatus: status}
	case err != nil:
		se = &fhir.SpineError{Kind: fhir.Unavailable, HTTPStatus: status, Err: errors.New(safeNetErr(err))}
	default:
		se = fhir.OutcomeError(status, body)
		if se == nil {
			se = &fhir.SpineError{Kind: fhir.Malformed, HTTPStatus: status}
		}
	}
	se.IncidentID = newIncident()
	cl.log.Warn("spine call failed", "incident", se.IncidentID, "resource", c.resource, "method", c.method,
		"kind", string(se.Kind), "code", se.Code, "status", status, "attempts", attempt+1, "request_id", rid,
		"detail", safeDetail(err))
	return se
}

// untrusted reports whether err is a TLS certificate the workstation does not trust (unknown
// authority, wrong name, expired).
func untrusted(err error) bool {
	var ve *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &ve) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci)
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// safeNetErr describes a transport failure without the URL (whose query holds NHS numbers).
func safeNetErr(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by the server"
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return "network: " + oe.Op + " failed"
	}
	return "transport failure"
}

func safeDetail(err error) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, errTooLarge) {
		return err.Error()
	}
	return safeNetErr(err)
}

// decodeErr stamps a decoder's error with an incident id and logs it.
func (cl *Client) decodeErr(c call, err error) error {
	var se *fhir.SpineError
	if errors.As(err, &se) {
		if se.IncidentID == "" {
			se.IncidentID = newIncident()
		}
		cl.log.Warn("spine answer refused", "incident", se.IncidentID, "resource", c.resource,
			"kind", string(se.Kind), "code", se.Code)
		return se
	}
	return err
}

// limiter holds SCR calls to n per period: a call waits until fewer than n were sent in the
// last period.
type limiter struct {
	mu    gosync.Mutex
	n     int
	per   time.Duration
	sent  []time.Time
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

func (l *limiter) wait(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		l.mu.Lock()
		now := l.now()
		keep := l.sent[:0]
		for _, t := range l.sent {
			if now.Sub(t) < l.per {
				keep = append(keep, t)
			}
		}
		l.sent = keep
		if len(l.sent) < l.n {
			l.sent = append(l.sent, now)
			l.mu.Unlock()
			return nil
		}
		d := l.per - now.Sub(l.sent[0])
		l.mu.Unlock()
		if err := l.sleep(ctx, d); err != nil {
			return err
		}
	}
}
