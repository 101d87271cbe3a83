package sync

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	gosync "sync"
	"testing"

	"scrdesk/internal/fhir"
	"scrdesk/internal/sandbox"
	"scrdesk/internal/sandbox/testca"
	"scrdesk/internal/staff"
	"time"
)

// TestRedirectsAreNeverFollowed: a redirect from the server, to another host or to the same
// one, is an error naming the hosts; nothing is sent to where it points, so the bearer token
// never goes there.
func TestRedirectsAreNeverFollowed(t *testing.T) {
	ca, err := testca.New()
	if err != nil {
		t.Fatal(err)
	}
	user := staff.DemoUsers()[0]
	signer, err := ca.Issue(user.UserID, user.Name, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var mu gosync.Mutex
	var elsewhereSaw []string // Authorization headers that reached the redirect's target
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		elsewhereSaw = append(elsewhereSaw, r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(200)
	}))
	defer elsewhere.Close()
	sb := sandbox.New(sandbox.Options{TrustAnchors: ca.Pool(), SCRPerSecond: -1})
	var front *httptest.Server
	var sameHostHits int
	front = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/moved":
			mu.Lock()
			sameHostHits++
			mu.Unlock()
			w.WriteHeader(200)
		case strings.Contains(r.URL.Path, "/Patient/") && strings.HasSuffix(r.URL.Path, sandbox.NHSAsk):
			http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusTemporaryRedirect)
		case strings.Contains(r.URL.Path, "/Patient/"):
			http.Redirect(w, r, "/moved", http.StatusFound)
		default:
			sb.ServeHTTP(w, r)
		}
	}))
	defer front.Close()
	c, err := New(Config{BaseURL: front.URL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.SignIn(context.Background(), user.UserID, signer)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s = s.WithRole(user.Roles[0].URID)

	frontHost, elseHost := mustHost(t, front.URL), mustHost(t, elsewhere.URL)
	_, _, err = s.Patient(context.Background(), sandbox.NHSAsk)
	wantKind(t, err, fhir.Redirected)
	msg := fhir.UserMessage(err)
	if !strings.Contains(msg, elseHost) || !strings.Contains(msg, frontHost) || !strings.Contains(msg, "never follows") {
		t.Errorf("message %q does not name the hosts (%s, %s)", msg, frontHost, elseHost)
	}
	// The same host, another path: refused too.
	_, _, err = s.Patient(context.Background(), sandbox.NHSYes)
	wantKind(t, err, fhir.Redirected)
	mu.Lock()
	defer mu.Unlock()
	if len(elsewhereSaw) != 0 || sameHostHits != 0 {
		t.Errorf("the redirect was followed: %d requests elsewhere (Authorization %q), %d on the same host", len(elsewhereSaw), elsewhereSaw, sameHostHits)
	}
}

func mustHost(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}
