package sandbox

import (
	"testing"
	"time"
)

// FuzzAssertion feeds the token endpoint's verifier arbitrary assertions: it must never panic
// and never accept one (no trust anchor signs fuzz input).
func FuzzAssertion(f *testing.F) {
	f.Add("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0.AAAA")
	f.Add("a.b.c")
	f.Add("")
	s := New(Options{Now: func() time.Time { return time.Unix(1700000000, 0) }})
	f.Fuzz(func(t *testing.T, a string) {
		if uid, err := s.verifyAssertion(a); err == nil {
			t.Fatalf("accepted an assertion for %q", uid)
		}
	})
}

// FuzzParseFault parses arbitrary X-Sandbox-Fault headers without panicking.
func FuzzParseFault(f *testing.F) {
	for _, s := range []string{"latency;3s", "html5xx;502", "ratelimit;2", "toobig;1024", "drop", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		_, _ = ParseFault(v)
	})
}
