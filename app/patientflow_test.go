package app

import (
	"testing"
	"time"

	"scrdesk/cardreader"
	"scrdesk/cardreader/virtualcard"
	"scrdesk/internal/audit"
	"scrdesk/internal/present"
	"scrdesk/internal/sandbox"
	"scrdesk/internal/session"
	"scrdesk/internal/staff"
)

// The counter's patient flow is internal/patientflow's machine (patient.go). These tests drive
// it through the controller over the built-in sandbox, with answers that arrive after they stop
// being wanted.

// TestLateRecordAfterLockChangesNothing: the record's answer arrives after the card left and
// the screen locked. Nothing of it is kept or shown, no scr-read row says it was seen, and the
// unlocked screen is the empty search.
func TestLateRecordAfterLockChangesNothing(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	const slow = 1500 * time.Millisecond
	h.searchNHS(sandbox.NHSAsk)
	h.until("the permission question", func(c *Controller) bool { return atStage(c, present.ConsentAsk) })
	h.sb.SetFault("Bundle", sandbox.Fault{Kind: sandbox.FaultLatency, Latency: slow, Times: 1})
	bundles := countResource(h.sb.Requests(), "Bundle")
	h.sh.consent.TypedRune('1')
	h.until("the record's request at the sandbox", func(*Controller) bool { return countResource(h.sb.Requests(), "Bundle") > bundles })
	h.until("opening", func(c *Controller) bool { return atStage(c, present.ConsentOpening) })
	dr.Remove(demoReader)
	h.waitState(session.Locked)
	h.noPatientData()
	time.Sleep(slow + 500*time.Millisecond) // the answer arrives now, and must change nothing
	h.noPatientData()
	for _, e := range h.entries() {
		if e.Action == audit.ActionSCRRead {
			t.Fatalf("a record that arrived after the lock was audited as read: %+v", e)
		}
	}
	dr.Insert(demoReader, card)
	h.typePasscode(staff.DemoUsers()[0].PIN)
	h.waitState(session.Ready)
	h.inspect(func(c *Controller) {})
	if h.frame.hasPatient || h.frame.record != nil || len(h.frame.search.Matches) != 0 {
		t.Fatalf("after unlock the screen shows a patient: %+v", h.frame.banner)
	}
}

// TestLateConsentAfterCloseChangesNothing: the consent state of a patient closed while it was
// being read arrives while another patient is open; the question shown is the new patient's and
// the old answer writes no row.
func TestLateConsentAfterCloseChangesNothing(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	h.sb.SetFault("DocumentReference", sandbox.Fault{Kind: sandbox.FaultLatency, Latency: 1200 * time.Millisecond, Times: 1})
	h.searchNHS(sandbox.NHSSpanning)
	h.until("the first patient", func(c *Controller) bool { return openNHS(c) == sandbox.NHSSpanning })
	h.inspect(func(c *Controller) { c.closePatient() })
	h.searchNHS(sandbox.NHSAsk)
	h.until("the second patient's question", func(c *Controller) bool { return atStage(c, present.ConsentAsk) })
	time.Sleep(1500 * time.Millisecond)
	h.inspect(func(c *Controller) {
		if got := openNHS(c); got != sandbox.NHSAsk {
			t.Fatalf("the patient on screen is %s, want %s", got, sandbox.NHSAsk)
		}
	})
	for _, e := range h.entries() {
		if e.Action == audit.ActionConsentRead && e.NHSNumber == sandbox.NHSSpanning {
			t.Fatalf("the closed patient's late consent state was audited: %+v", e)
		}
	}
}

// TestOneSelfClaimAlertPerPatientPerSession: the patient's permission given again in the same
// session (the record closed and opened again) queues no second self-claim alert; another
// patient gets their own; a new sign-in starts afresh.
func TestOneSelfClaimAlertPerPatientPerSession(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	open := func(nhs string) {
		t.Helper()
		h.inspect(func(c *Controller) { c.closePatient() })
		h.searchNHS(nhs)
		h.until("the question for "+nhs, func(c *Controller) bool { return atStage(c, present.ConsentAsk) })
		h.inspect(func(c *Controller) { c.permission() })
		h.until("the record of "+nhs, func(c *Controller) bool { return recordShown(c) && openNHS(c) == nhs })
	}
	queued := func(nhs string) int {
		n := 0
		for _, e := range h.entries() {
			if e.Action == audit.ActionAlertQueued && e.NHSNumber == nhs {
				n++
			}
		}
		return n
	}
	open(sandbox.NHSAsk)
	open(sandbox.NHSAsk)
	if n := queued(sandbox.NHSAsk); n != 1 {
		t.Fatalf("%d self-claim alerts for one patient in one session, want 1", n)
	}
	if n := count(h.actions(), audit.ActionPermission); n != 2 {
		t.Fatalf("%d permission rows, want 2 (each permission is recorded)", n)
	}
	if n := count(h.actions(), audit.ActionSelfClaimLR); n != 1 {
		t.Fatalf("%d self-claim rows, want 1 (claimed once a session, and every claim alerts)", n)
	}
	open(sandbox.NHSSpanning)
	if n := queued(sandbox.NHSSpanning); n != 1 {
		t.Fatalf("%d alerts for the second patient, want 1", n)
	}
	// A new session: sign out, sign in again.
	h.inspect(func(c *Controller) { c.handle(session.SignOut{}) })
	dr.Remove(demoReader)
	h.waitState(session.WaitingForCard)
	signIn(t, h, dr, card)
	open(sandbox.NHSAsk)
	if n := queued(sandbox.NHSAsk); n != 2 {
		t.Fatalf("%d alerts for the patient after a new sign-in, want 2", n)
	}
}

// TestPickedPatientRowsSayFoundByDetails: a patient opened from a demographic search's matches
// has the flag on both the patient-read and the scr-read rows (the machine carries it from the
// pick to the record).
func TestPickedPatientRowsSayFoundByDetails(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	h.inspect(func(c *Controller) { c.searchDemographics(present.Query{Family: "Asker"}) })
	h.until("matches", func(c *Controller) bool { return len(c.flow.View().Matches) > 0 })
	h.inspect(func(c *Controller) {
		for i, p := range c.flow.View().Matches {
			if p.NHSNumber == sandbox.NHSAsk {
				c.pick(i)
				return
			}
		}
		t.Fatalf("%s is not among the matches", sandbox.NHSAsk)
	})
	h.until("the picked patient's question", func(c *Controller) bool { return atStage(c, present.ConsentAsk) && openNHS(c) == sandbox.NHSAsk })
	h.inspect(func(c *Controller) { c.permission() })
	h.until("the record", func(c *Controller) bool { return recordShown(c) })
	seen := 0
	for _, e := range h.entries() {
		if (e.Action == audit.ActionPatientRead || e.Action == audit.ActionSCRRead) && e.NHSNumber == sandbox.NHSAsk {
			seen++
			if !e.HasFlag(audit.FlagFoundByDetails) {
				t.Errorf("%s row of the picked patient lacks found-by-details: %v", e.Action, e.Detail)
			}
		}
	}
	if seen != 2 {
		t.Fatalf("%d patient-read and scr-read rows for the picked patient, want 2", seen)
	}
}

// TestAnotherRoleClaimsAfresh: a switch to another role in the same sign-in (status bar) makes
// the next permission self-claim, and alert, again under the new role's profile.
func TestAnotherRoleClaimsAfresh(t *testing.T) {
	ca, err := virtualcard.NewCA("Test RA")
	if err != nil {
		t.Fatal(err)
	}
	u, card := demoCard(t, ca, "technician")
	if len(u.Roles) < 2 {
		t.Skip("the demo technician has one role")
	}
	dr := cardreader.NewDemoReader()
	dr.Attach(demoReader)
	h := newHarness(t, dr, ca.Pool(), harnessOpts{})
	dr.Insert(demoReader, card)
	h.typePasscode(u.PIN)
	h.waitState(session.ChoosingRole)
	h.inspect(func(c *Controller) { c.chosen(u.Roles[0].URID) })
	h.waitState(session.Ready)
	open := h.openWithPermission
	open()
	h.inspect(func(c *Controller) { c.handle(session.SwitchRole{Role: u.Roles[1]}) })
	h.until("the other role", func(c *Controller) bool { return c.m.Snapshot().Role.URID == u.Roles[1].URID })
	open()
	var claims []string
	for _, e := range h.entries() {
		if e.Action == audit.ActionSelfClaimLR {
			claims = append(claims, e.URID)
		}
	}
	if len(claims) != 2 || claims[0] != u.Roles[0].URID || claims[1] != u.Roles[1].URID {
		t.Fatalf("self-claims under %v, want one under each role (%s, %s)", claims, u.Roles[0].URID, u.Roles[1].URID)
	}
	if n := count(h.actions(), audit.ActionAlertQueued); n != 2 {
		t.Fatalf("%d alerts queued, want one for each role's claim", n)
	}
}
