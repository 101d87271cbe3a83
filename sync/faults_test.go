package sync

import (
	"context"
	"testing"
	"time"

	"scrdesk/internal/fhir"
	"scrdesk/internal/sandbox"
	"scrdesk/internal/staff"
)

// TestFaults drives every sandbox fault over real HTTP and checks the typed error, how many
// attempts were made (retries only for reads, only on 429/503) and that a retry reuses its
// X-Request-ID.
func TestFaults(t *testing.T) {
	cases := []struct {
		name      string
		resource  string // sandbox resource the fault hits and the call made
		fault     sandbox.Fault
		kind      fhir.ErrorKind // "" = the call succeeds
		attempts  int
		extra     int           // further attempts allowed: net/http resends a GET once when a kept-alive connection drops
		minWait   time.Duration // smallest retry wait expected
		configure func(*Config)
	}{
		{name: "503 HTML once, read retried", resource: "Patient", fault: sandbox.Fault{Kind: sandbox.FaultHTML5xx, Times: 1}, attempts: 2},
		{name: "503 HTML always", resource: "Patient", fault: sandbox.Fault{Kind: sandbox.FaultHTML5xx}, kind: fhir.Unavailable, attempts: 4},
		{name: "502 HTML not retried", resource: "Bundle", fault: sandbox.Fault{Kind: sandbox.FaultHTML5xx, Status: 502}, kind: fhir.Unavailable, attempts: 1},
		{name: "500 HTML not retried", resource: "DocumentReference", fault: sandbox.Fault{Kind: sandbox.FaultHTML5xx, Status: 500}, kind: fhir.Unavailable, attempts: 1},
		{name: "429 honours Retry-After", resource: "DocumentReference", fault: sandbox.Fault{Kind: sandbox.FaultRateLimit, Times: 2, RetryAfter: "2"}, attempts: 3, minWait: 2 * time.Second},
		{name: "429 always", resource: "Patient", fault: sandbox.Fault{Kind: sandbox.FaultRateLimit}, kind: fhir.RateLimited, attempts: 4},
		{name: "429 asks too long", resource: "Patient", fault: sandbox.Fault{Kind: sandbox.FaultRateLimit, RetryAfter: "3600"}, kind: fhir.RateLimited, attempts: 1},
		{name: "429 on a write not retried", resource: "AuditEvent", fault: sandbox.Fault{Kind: sandbox.FaultRateLimit, Times: 1}, kind: fhir.RateLimited, attempts: 1},
		{name: "503 on a write not retried", resource: "AuditEvent", fault: sandbox.Fault{Kind: sandbox.FaultHTML5xx, Times: 1}, kind: fhir.Unavailable, attempts: 1},
		{name: "malformed JSON", resource: "Patient", fault: sandbox.Fault{Kind: sandbox.FaultMalformed}, kind: fhir.Malformed, attempts: 1},
		{name: "truncated JSON", resource: "Bundle", fault: sandbox.Fault{Kind: sandbox.FaultTruncated}, kind: fhir.Malformed, attempts: 1},
		{name: "body far too big", resource: "Bundle", fault: sandbox.Fault{Kind: sandbox.FaultTooBig, Size: 4 << 20}, kind: fhir.TooLarge, attempts: 1,
			configure: func(c *Config) { c.MaxBody = 1 << 20 }},
		{name: "dropped connection", resource: "DocumentReference", fault: sandbox.Fault{Kind: sandbox.FaultDrop}, kind: fhir.Unavailable, attempts: 1, extra: 1},
		{name: "latency beyond the timeout", resource: "Patient", fault: sandbox.Fault{Kind: sandbox.FaultLatency, Latency: 3 * time.Second}, kind: fhir.Timeout, attempts: 1,
			configure: func(c *Config) { c.Timeout = 150 * time.Millisecond }},
		{name: "latency within the timeout", resource: "Patient", fault: sandbox.Fault{Kind: sandbox.FaultLatency, Latency: 50 * time.Millisecond}, attempts: 1},
		{name: "userinfo 503 retried", resource: "userinfo", fault: sandbox.Fault{Kind: sandbox.FaultHTML5xx, Times: 1}, attempts: 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, func(_ *sandbox.Options, cfg *Config) {
				if c.configure != nil {
					c.configure(cfg)
				}
			})
			s := e.session(t)
			ctx := context.Background()
			doc := &fhir.SCRDocument{ID: "5CD1E2A0-0000-4000-8000-000000000002"} // NHSAsk's record
			e.sb.SetFault(c.resource, c.fault)
			var err error
			switch c.resource {
			case "Patient":
				_, _, err = s.Patient(ctx, sandbox.NHSAsk)
			case "DocumentReference":
				_, _, err = s.SCRDocument(ctx, sandbox.NHSAsk)
			case "Bundle":
				_, _, err = s.SCRRecord(ctx, doc, sandbox.NHSAsk)
			case "AuditEvent":
				_, err = s.SendAlert(ctx, Alert{Type: 2, Subtype: 1, NHSNumber: sandbox.NHSAsk, ODS: staff.DemoODS,
					UserID: e.user.UserID, Message: "Emergency access", When: time.Now()}, "")
			case "userinfo":
				_, err = s.UserInfo(ctx)
			}
			if c.kind == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
			} else {
				wantKind(t, err, c.kind)
				if se := err.(*fhir.SpineError); se.IncidentID == "" {
					t.Error("no incident id")
				}
			}
			reqs := e.requestsFor(c.resource)
			if len(reqs) < c.attempts || len(reqs) > c.attempts+c.extra {
				t.Fatalf("%d attempts, want %d", len(reqs), c.attempts)
			}
			for _, r := range reqs[1:] {
				if r.RequestID != reqs[0].RequestID {
					t.Fatalf("retry sent X-Request-ID %q, first was %q", r.RequestID, reqs[0].RequestID)
				}
			}
			var waited time.Duration
			for _, d := range e.clock.Sleeps() {
				waited += d
			}
			if waited < c.minWait*time.Duration(c.attempts-1) {
				t.Errorf("waited %v in total, want at least %v per retry", waited, c.minWait)
			}
		})
	}
}

func TestSignedOutWhenTokenExpires(t *testing.T) {
	e := newEnv(t, nil)
	s := e.session(t)
	e.sb.ExpireTokens()
	_, _, err := s.Patient(context.Background(), sandbox.NHSAsk)
	wantKind(t, err, fhir.SignedOut)
	_, err = s.UserInfo(context.Background())
	wantKind(t, err, fhir.SignedOut)
	if s.box.tok != nil {
		t.Fatal("a 401 did not wipe the token")
	}
}

func TestServiceDown(t *testing.T) {
	e := newEnv(t, nil)
	s := e.session(t)
	e.srv.Close()
	_, _, err := s.Patient(context.Background(), sandbox.NHSAsk)
	wantKind(t, err, fhir.Unavailable)
}

// TestSCRRateLimit runs a burst of SCR calls with the client and the sandbox on one fake clock:
// the client must hold itself to 5 a second, so the sandbox (which enforces 5 a second) never
// answers 429.
func TestSCRRateLimit(t *testing.T) {
	clock := newFakeClock()
	e := newEnv(t, func(o *sandbox.Options, c *Config) {
		o.SCRPerSecond = 5
		o.Now = clock.Now
		c.Now, c.Sleep = clock.Now, clock.Sleep
		c.MaxRetries = -1
	})
	s := e.session(t)
	start := clock.Now()
	const n = 16
	for i := 0; i < n; i++ {
		if _, _, err := s.SCRDocument(context.Background(), sandbox.NHSAsk); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	for _, r := range e.requestsFor("DocumentReference") {
		if r.Status == 429 {
			t.Fatal("the sandbox rate-limited the client")
		}
	}
	if got := clock.Now().Sub(start); got < 3*time.Second {
		t.Fatalf("16 SCR calls took %v on the fake clock, want at least 3s at 5 a second", got)
	}
}

func TestLimiterWindow(t *testing.T) {
	clock := newFakeClock()
	l := &limiter{n: 5, per: time.Second, now: clock.Now, sleep: clock.Sleep}
	var sent []time.Time
	for i := 0; i < 23; i++ {
		if err := l.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, clock.Now())
	}
	for i := 5; i < len(sent); i++ {
		if sent[i].Sub(sent[i-5]) < time.Second {
			t.Fatalf("6 requests within %v", sent[i].Sub(sent[i-5]))
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.wait(ctx); err == nil {
		t.Fatal("wait ignored a cancelled context")
	}
}

func TestRetryWait(t *testing.T) {
	e := newEnv(t, nil)
	c := e.c
	for _, tc := range []struct {
		ra       string
		min, max time.Duration
		ok       bool
	}{
		{"2", 2 * time.Second, 2*time.Second + 401*time.Millisecond, true},
		{"0", 0, 2 * time.Millisecond, true},
		{"", 125 * time.Millisecond, 250 * time.Millisecond, true},
		{"3600", 0, 0, false},
		{time.Now().Add(-time.Hour).UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT"), 0, 2 * time.Millisecond, true},
	} {
		d, ok := c.retryWait(tc.ra, 0)
		if ok != tc.ok || (ok && (d < tc.min || d > tc.max)) {
			t.Errorf("Retry-After %q: %v %v", tc.ra, d, ok)
		}
	}
}
