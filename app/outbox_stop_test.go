package app

import (
	"context"
	"testing"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/sandbox"
	"scrdesk/internal/store"
)

// TestStopWaitsForTheAlertBeingSent: SCR Desk stopping while a privacy alert is on its way to
// the Spine waits for the outbox to write what happened (the attempt counted, the alert still
// queued for the next start) before the application-stop row, which stays the log's last, and
// before the store is closed. Before, the outbox wrote with the cancelled context, and the
// write was refused and lost. (That Run waits for it is not told apart here: the stop's own
// sign-out rows take longer than the outbox's one write.)
func TestStopWaitsForTheAlertBeingSent(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	h.sb.SetFault("AuditEvent", sandbox.Fault{Kind: sandbox.FaultLatency, Latency: 5 * time.Second, Times: 1})
	queueSelfClaimAlert(t, h)
	h.until("the alert on its way (the Spine holding it)", func(*Controller) bool {
		for _, r := range h.sb.Requests() {
			if r.Resource == "AuditEvent" && r.Status == 0 {
				return true
			}
		}
		return false
	})
	h.stop()
	deadline := time.After(30 * time.Second)
	for stopped := false; !stopped; {
		select {
		case <-h.ran:
			stopped = true
		case f := <-h.q:
			f()
		case <-deadline:
			t.Fatal("the controller did not stop")
		}
	}
	// Read at once: whatever the outbox writes must be in before Run returns.
	queued, err := h.db.List(context.Background(), store.AlertQueued, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(queued) != 1 || queued[0].Attempts != 1 {
		attempts := -1
		if len(queued) > 0 {
			attempts = queued[0].Attempts
		}
		t.Fatalf("%d alerts queued after the stop (the first's attempts: %d); want the one cut short, its attempt counted", len(queued), attempts)
	}
	acts := h.actions()
	if len(acts) == 0 || acts[len(acts)-1] != audit.ActionAppStop {
		t.Errorf("the log's last row is not application-stop: %v", acts)
	}
	if n := count(acts, audit.ActionAlertFailed); n != 0 {
		t.Errorf("%d alert-failed rows for an alert cut short by the stop", n)
	}
}
