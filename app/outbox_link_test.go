package app

import (
	"context"
	"testing"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/present"
	"scrdesk/internal/sandbox"
	"scrdesk/internal/session"
	"scrdesk/internal/settings"
	"scrdesk/internal/store"
	"scrdesk/sync"
)

// TestAlertRefusedForTheLinkStaysQueued: an alert refused because of the link (here the token
// expired: 401) is neither failed nor lost: it stays queued, shown as retrying, with no
// alert-failed row.
func TestAlertRefusedForTheLinkStaysQueued(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	h.sb.ExpireTokens()
	queueSelfClaimAlert(t, h)
	h.until("the alert tried and refused", func(*Controller) bool {
		for _, r := range h.sb.Requests() {
			if r.Resource == "AuditEvent" && r.Status == 401 {
				return true
			}
		}
		return false
	})
	h.until("the alerts list refreshed", func(c *Controller) bool {
		return len(c.alerts) == 1 && c.alerts[0].view.State == present.AlertRetrying
	})
	if n := count(h.actions(), audit.ActionAlertFailed); n != 0 {
		t.Errorf("%d alert-failed rows for a refusal the link caused", n)
	}
	queued, err := h.db.List(context.Background(), store.AlertQueued, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(queued) != 1 {
		t.Errorf("%d alerts queued, want the refused one still queued", len(queued))
	}
}

// queueSelfClaimAlert queues a self-claimed relationship alert for sandbox.NHSAsk, as the
// controller does when the signed-in user claims one.
func queueSelfClaimAlert(t *testing.T, h *harness) {
	t.Helper()
	var qerr error
	h.inspect(func(c *Controller) {
		qerr = c.queueAlert(sync.AlertSelfClaimedLR, 1, sandbox.NHSAsk, "Legitimate relationship self-claimed at the pharmacy counter.")
	})
	if qerr != nil {
		t.Fatal(qerr)
	}
}

// TestLockClearsTheClipboard: text copied while a patient was on screen is gone at lock.
func TestLockClearsTheClipboard(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	h.searchNHS(sandbox.NHSAsk)
	h.until("the patient", func(c *Controller) bool { return patientOpen(c) })
	h.pump()
	h.w.Clipboard().SetContent("9990000018 ALICE ASKER")
	dr.Remove(demoReader)
	h.until("locked", func(c *Controller) bool { return c.m.State() == session.Locked })
	h.pump()
	if got := h.w.Clipboard().Content(); got != "" {
		t.Errorf("the clipboard still holds %q after the lock", got)
	}
}

// TestTypingCountsAsActivity: keys typed into a focused field (which the window never sees)
// keep the idle lock away.
func TestTypingCountsAsActivity(t *testing.T) {
	h, dr, card := demoHarnessWith(t, harnessOpts{settings: func(s *settings.Settings) { s.IdleLockMinutes = 1 }})
	signIn(t, h, dr, card)
	h.pump()
	h.clock.Advance(50 * time.Second)
	h.sh.search.NHSField().TypedRune('9')
	h.inspect(func(*Controller) {}) // the activity report is handled
	h.clock.Advance(20 * time.Second)
	h.inspect(func(c *Controller) { c.handle(session.Tick{}) })
	var st session.State
	h.inspect(func(c *Controller) { st = c.m.State() })
	if st != session.Ready {
		t.Fatalf("locked %v after typing 20 s ago (idle lock 1 min)", st)
	}
	h.clock.Advance(45 * time.Second)
	h.inspect(func(c *Controller) { c.handle(session.Tick{}) })
	h.waitState(session.Locked)
}
