package app

import (
	"context"
	"testing"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/sandbox"
	"scrdesk/internal/session"
	"scrdesk/internal/staff"
	"scrdesk/sync"
)

// TestAlertGoesOnlyUnderTheUserWhoQueuedIt: an alert the pharmacist queued (real SQLite file)
// is not sent over the technician's session, stays queued through it, and goes with the
// pharmacist's next session, under the pharmacist's role.
func TestAlertGoesOnlyUnderTheUserWhoQueuedIt(t *testing.T) {
	h, dr, pharmCard, techCard, tech := twoUserHarness(t)
	pharm := staff.DemoUsers()[0]
	a := sync.Alert{Type: sync.AlertSelfClaimedLR, Subtype: 1, NHSNumber: sandbox.NHSAsk, ODS: staff.DemoODS,
		UserID: pharm.UserID, URID: pharm.Roles[0].URID, RoleCode: pharm.Roles[0].RoleCode,
		Message: "Legitimate relationship self-claimed at the pharmacy counter.", When: time.Now().UTC()}
	payload, err := newQueuedAlert(a)
	if err != nil {
		t.Fatal(err)
	}
	var ev audit.Event
	h.inspect(func(c *Controller) {
		ev = audit.Event{Action: audit.ActionAlertQueued, Outcome: audit.OutcomeSuccess, Workstation: c.svc.Settings.WorkstationName,
			ODSCode: c.svc.Settings.ODSCode, UserID: pharm.UserID, UserName: pharm.Name, URID: pharm.Roles[0].URID,
			RoleCode: pharm.Roles[0].RoleCode, NHSNumber: sandbox.NHSAsk, Detail: map[string]string{"type": "2", "subtype": "1"}}
	})
	if _, _, err := h.db.Enqueue(context.Background(), payload, ev); err != nil {
		t.Fatal(err)
	}
	sent := func() int {
		n := 0
		for _, r := range h.sb.Requests() {
			if r.Resource == "AuditEvent" {
				n++
			}
		}
		return n
	}

	// The technician's session: the outbox runs (kicked twice) and sends nothing.
	dr.Insert(demoReader, techCard)
	h.typePasscode(tech.PIN)
	h.waitState(session.ChoosingRole)
	leeds := roleAt(tech, "FA123")
	h.c.Post(func() { h.c.chosen(leeds.URID) })
	h.waitState(session.Ready)
	h.until("the outbox read in the technician's session", func(c *Controller) bool { return len(c.alerts) > 0 })
	h.inspect(func(c *Controller) { c.kickOutbox() })
	time.Sleep(time.Second)
	h.inspect(func(c *Controller) { c.kickOutbox() })
	time.Sleep(time.Second)
	if n := sent(); n != 0 {
		t.Fatalf("%d alert requests sent over the technician's link", n)
	}
	if n := count(h.actions(), audit.ActionAlertSent) + count(h.actions(), audit.ActionAlertFailed); n != 0 {
		t.Fatalf("the pharmacist's alert was finished in the technician's session: %v", h.actions())
	}
	h.c.Post(func() { h.c.handle(session.SignOut{}) })
	h.waitState(session.WaitingForCard)
	dr.Remove(demoReader)

	// The pharmacist's next session sends it, under the pharmacist's role.
	signIn(t, h, dr, pharmCard)
	h.until("the alert delivered", func(*Controller) bool { return len(h.sb.Alerts()) == 1 })
	h.until("alert-sent audited", func(*Controller) bool { return count(h.actions(), audit.ActionAlertSent) == 1 })
	for _, r := range h.sb.Requests() {
		if r.Resource == "AuditEvent" && r.URID != pharm.Roles[0].URID {
			t.Errorf("the alert went with URID %q, want the pharmacist's %q", r.URID, pharm.Roles[0].URID)
		}
	}
}
