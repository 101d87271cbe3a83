package sync

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"scrdesk/internal/fhir"
	"scrdesk/internal/sandbox"
	"scrdesk/internal/sandbox/testca"
	"scrdesk/internal/staff"
)

// TestTLS runs the sandbox behind TLS: an untrusted server's certificate is said to be not trusted
// (not "not available"); with the server's
// root and a client certificate required, the client presents its certificate.
func TestTLS(t *testing.T) {
	ca, err := testca.New()
	if err != nil {
		t.Fatal(err)
	}
	user := staff.DemoUsers()[0]
	signer, _ := ca.Issue(user.UserID, user.Name, ca.Cert.NotAfter)
	sb := sandbox.New(sandbox.Options{TrustAnchors: ca.Pool()})
	var sawClientCert bool
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawClientCert = r.TLS != nil && len(r.TLS.PeerCertificates) > 0
		sb.ServeHTTP(w, r)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.StartTLS()
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	clientCert := tls.Certificate{Certificate: [][]byte{signer.Cert.Raw}, PrivateKey: signer.Key}

	t.Run("untrusted server", func(t *testing.T) {
		c, _ := New(Config{BaseURL: srv.URL, ClientCert: &clientCert})
		_, err := c.SignIn(context.Background(), user.UserID, signer)
		wantKind(t, err, fhir.Untrusted)
		if got, want := fhir.UserMessage(err), "The national service's certificate is not trusted by this workstation: call IT support."; !strings.HasPrefix(got, want) {
			t.Errorf("message %q, want %q", got, want)
		}
	})
	t.Run("trusted server, client certificate", func(t *testing.T) {
		c, _ := New(Config{BaseURL: srv.URL, RootCAs: roots, ClientCert: &clientCert})
		s, err := c.SignIn(context.Background(), user.UserID, signer)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, _, err := s.WithRole(user.Roles[0].URID).Patient(context.Background(), sandbox.NHSAsk); err != nil {
			t.Fatal(err)
		}
		if !sawClientCert {
			t.Fatal("no client certificate presented")
		}
	})
}

func TestBaseURLFor(t *testing.T) {
	for _, c := range []struct {
		env    Environment
		custom string
		want   string
		err    bool
	}{
		{EnvDemo, "", "", false},
		{EnvIntegration, "", "https://int.api.service.nhs.uk", false},
		{EnvProduction, "", "https://api.service.nhs.uk", false},
		{EnvCustom, "https://spine.example.nhs.uk:8443", "https://spine.example.nhs.uk:8443", false},
		{EnvCustom, "ftp://x", "", true},
		{EnvCustom, "", "", true},
		{"staging", "", "", true},
	} {
		got, err := BaseURLFor(c.env, c.custom)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("%s %q: %q %v", c.env, c.custom, got, err)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, u := range []string{"", "not a url", "ftp://host", "https://"} {
		if _, err := New(Config{BaseURL: u}); err == nil {
			t.Errorf("New accepted base URL %q", u)
		}
	}
}
