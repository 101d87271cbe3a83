package sync

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	gosync "sync"
	"testing"
	"time"

	"scrdesk/internal/sandbox"
	"scrdesk/internal/sandbox/testca"
	"scrdesk/internal/staff"
)

// fakeClock is a clock that only moves when something sleeps on it.
type fakeClock struct {
	mu     gosync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sleeps = append(f.sleeps, d)
	if d > 0 {
		f.t = f.t.Add(d)
	}
	return nil
}

func (f *fakeClock) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

// lockedBuffer is a bytes.Buffer safe for the concurrent writes of a slog handler.
type lockedBuffer struct {
	mu gosync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type env struct {
	sb     *sandbox.Server
	srv    *httptest.Server
	c      *Client
	clock  *fakeClock
	ca     *testca.CA
	signer *testca.Signer
	user   staff.DemoUser
	logs   *lockedBuffer
}

// newEnv starts the sandbox over real HTTP on loopback and a client with a fake clock. mod may
// adjust the sandbox options and the client config.
func newEnv(t testing.TB, mod func(*sandbox.Options, *Config)) *env {
	t.Helper()
	ca, err := testca.New()
	if err != nil {
		t.Fatal(err)
	}
	user := staff.DemoUsers()[0] // the pharmacist
	signer, err := ca.Issue(user.UserID, user.Name, time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts := sandbox.Options{TrustAnchors: ca.Pool(), SCRPerSecond: -1, Log: log}
	clock := newFakeClock()
	cfg := Config{Log: log, Now: clock.Now, Sleep: clock.Sleep, Timeout: 5 * time.Second, ConnectTimeout: time.Second}
	if mod != nil {
		mod(&opts, &cfg)
	}
	sb := sandbox.New(opts)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{sb: sb, srv: srv, c: c, clock: clock, ca: ca, signer: signer, user: user, logs: logs}
}

// session signs the pharmacist in and picks their first role.
func (e *env) session(t testing.TB) *Session {
	t.Helper()
	s, err := e.c.SignIn(context.Background(), e.user.UserID, e.signer)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	t.Cleanup(s.Close)
	return s.WithRole(e.user.Roles[0].URID)
}

// requestsFor returns the sandbox's log for one resource.
func (e *env) requestsFor(resource string) []sandbox.Request {
	var out []sandbox.Request
	for _, r := range e.sb.Requests() {
		if r.Resource == resource {
			out = append(out, r)
		}
	}
	return out
}
