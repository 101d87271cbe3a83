package sync

import (
	"context"
	"testing"
	"time"

	"scrdesk/internal/fhir"
	"scrdesk/internal/sandbox"
)

// TestNoRetryAfterLock: a read answered 503 is retried only while its session is open. When
// the session closes (a lock) during the wait before the retry, no further attempt is sent,
// so no retry carries the token, and the call ends as signed out (built-in sandbox, real HTTP).
func TestNoRetryAfterLock(t *testing.T) {
	for _, resource := range []string{"Patient", "userinfo"} {
		t.Run(resource, func(t *testing.T) {
			var s *Session
			e := newEnv(t, func(_ *sandbox.Options, cfg *Config) {
				cfg.Sleep = func(ctx context.Context, d time.Duration) error {
					s.Close() // the user locks while the request waits for its retry
					return nil
				}
			})
			s = e.session(t)
			e.sb.SetFault(resource, sandbox.Fault{Kind: sandbox.FaultHTML5xx, Times: 1})
			var err error
			if resource == "Patient" {
				_, _, err = s.Patient(context.Background(), sandbox.NHSAsk)
			} else {
				_, err = s.UserInfo(context.Background())
			}
			wantKind(t, err, fhir.SignedOut)
			if n := len(e.requestsFor(resource)); n != 1 {
				t.Fatalf("%d attempts reached the server, want only the first (no retry after the lock)", n)
			}
		})
	}
}
