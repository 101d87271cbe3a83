package sync

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"scrdesk/internal/sandbox/testca"
	"testing"
)

// writeClientPEM writes a throwaway client certificate and key made at test time.
func writeClientPEM(t *testing.T, password string) string {
	t.Helper()
	p, err := testca.WriteClientPEM(t.TempDir(), password)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadClientCertificate(t *testing.T) {
	plain := writeClientPEM(t, "")
	enc := writeClientPEM(t, "s3cret-from-keyring")
	cases := []struct {
		name, path, password string
		err                  error
	}{
		{"plain key", plain, "", nil},
		{"encrypted key, right password", enc, "s3cret-from-keyring", nil},
		{"encrypted key, no password", enc, "", ErrClientKeyPassword},
		{"encrypted key, wrong password", enc, "guess", ErrClientKeyPassword},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := LoadClientCertificate(c.path, c.password)
			if !errors.Is(err, c.err) {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
			if c.err == nil && (got == nil || len(got.Certificate) != 1) {
				t.Fatalf("certificate %+v", got)
			}
		})
	}
	if _, err := LoadClientCertificate(filepath.Join(t.TempDir(), "missing.pem"), ""); err == nil {
		t.Error("a missing file loaded")
	}
}

// TestClientCertificateIsPresented: the loaded certificate reaches a server that requires one.
func TestClientCertificateIsPresented(t *testing.T) {
	cert, err := LoadClientCertificate(writeClientPEM(t, "pw"), "pw")
	if err != nil {
		t.Fatal(err)
	}
	var seen string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			seen = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.StartTLS()
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	c, err := New(Config{BaseURL: srv.URL, RootCAs: roots, ClientCert: cert})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.hc.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if seen != "COUNTER-1" {
		t.Errorf("server saw client certificate %q", seen)
	}
}

// TestProxyFromEnvironment: HTTPS_PROXY is honoured for the national services (not for
// loopback, which the standard library never proxies).
func TestProxyFromEnvironment(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://proxy.pharmacy.example:3128")
	t.Setenv("NO_PROXY", "")
	tr := newTransport(Config{})
	req, _ := http.NewRequest(http.MethodGet, "https://api.service.nhs.uk/personal-demographics/FHIR/R4/Patient/9000000009", nil)
	u, err := tr.Proxy(req)
	if err != nil || u == nil || u.Host != "proxy.pharmacy.example:3128" {
		t.Errorf("proxy for the Spine = %v, %v", u, err)
	}
}
