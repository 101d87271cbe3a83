package app

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"scrdesk/cardreader"
	"scrdesk/cardreader/virtualcard"
	"scrdesk/internal/audit"
	"scrdesk/internal/present"
	"scrdesk/internal/sandbox"
	"scrdesk/internal/session"
	"scrdesk/internal/staff"
)

// These end-to-end tests run the real controller from a signed-in session (a virtual PIV card in
// the in-process demo reader: the same PIV code as a real card) over real HTTP to the built-in
// sandbox, with a real SQLite audit log. The PC/SC path is covered by session_pcsc_test.go.

const demoReader = "Test reader"

func demoHarness(t testing.TB) (*harness, *cardreader.DemoReader, *virtualcard.Card) {
	return demoHarnessWith(t, harnessOpts{})
}

func demoHarnessWith(t testing.TB, o harnessOpts) (*harness, *cardreader.DemoReader, *virtualcard.Card) {
	t.Helper()
	ca, err := virtualcard.NewCA("Test RA")
	if err != nil {
		t.Fatal(err)
	}
	u := staff.DemoUsers()[0] // the pharmacist: one role that may open records
	card, err := virtualcard.New(virtualcard.Options{UserID: u.UserID, Name: u.Name, PIN: u.PIN, CA: ca})
	if err != nil {
		t.Fatal(err)
	}
	dr := cardreader.NewDemoReader()
	dr.Attach(demoReader)
	h := newHarness(t, dr, ca.Pool(), o)
	return h, dr, card
}

func signIn(t *testing.T, h *harness, dr *cardreader.DemoReader, card *virtualcard.Card) {
	t.Helper()
	dr.Insert(demoReader, card)
	h.typePasscode(staff.DemoUsers()[0].PIN)
	h.waitState(session.Ready)
}

func TestPermissionToRecordAuditOrderAndAlert(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	h.searchNHS(sandbox.NHSAsk)
	h.until("the permission question", func(c *Controller) bool {
		return atStage(c, present.ConsentAsk)
	})
	if !h.frame.hasPatient || h.frame.banner.NHS == "" {
		t.Fatalf("banner not shown: %+v", h.frame.banner)
	}
	// Nothing of the record before permission.
	if h.frame.record != nil {
		t.Fatal("record shown before permission")
	}
	h.sh.consent.TypedRune('1') // "Yes, the patient has given permission"
	h.until("the record", func(c *Controller) bool { return recordShown(c) })
	if h.frame.record == nil || len(h.frame.record.Sections) == 0 {
		t.Fatalf("record not on screen: %+v", h.frame.record)
	}
	if h.sh.record.Rows() == 0 {
		t.Error("the record screen shows no rows")
	}
	assertSubsequence(t, h.actions(),
		audit.ActionLogin, audit.ActionPatientSearch, audit.ActionPatientRead, audit.ActionConsentRead,
		audit.ActionSelfClaimLR, audit.ActionPermission, audit.ActionAlertQueued, audit.ActionSCRRead)
	for _, e := range h.entries() {
		switch e.Action {
		case audit.ActionPatientRead, audit.ActionSCRRead, audit.ActionConsentRead:
			if e.NHSNumber != sandbox.NHSAsk || len(e.RequestIDs) == 0 || e.UserID == "" || e.URID == "" || e.ODSCode != "FA123" {
				t.Errorf("%s row lacks who/where/what: %+v", e.Action, e)
			}
		}
	}
	// The self-claimed LR alert is delivered in the background, once.
	h.until("the alert delivered", func(c *Controller) bool { return len(h.sb.Alerts()) == 1 })
	h.until("alert-sent audited", func(c *Controller) bool { return count(h.actions(), audit.ActionAlertSent) == 1 })

	// Lock means gone.
	dr.Remove(demoReader)
	h.waitState(session.Locked)
	h.noPatientData()
	assertSubsequence(t, h.actions(), audit.ActionSCRRead, audit.ActionLockCardRemoved)
}

func TestDeclinedOpensNothing(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	h.searchNHS(sandbox.NHSAsk)
	h.until("the permission question", func(c *Controller) bool { return atStage(c, present.ConsentAsk) })
	h.sh.consent.TypedRune('3')
	h.until("declined", func(c *Controller) bool { return atStage(c, present.ConsentDeclined) })
	if count(h.actions(), audit.ActionSCRRead) != 0 || count(h.actions(), audit.ActionPermissionNo) != 1 {
		t.Errorf("actions %v", h.actions())
	}
	for _, r := range h.sb.Requests() {
		if r.Resource == "Bundle" {
			t.Errorf("the record was fetched after the patient declined: %+v", r)
		}
	}
	// Escape closes the patient.
	h.w.Canvas().(interface{ OnTypedKey() func(*fyne.KeyEvent) }).OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	h.until("patient closed", func(c *Controller) bool { return !patientOpen(c) })
}

func TestOptedOutShowsNoRecord(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	h.searchNHS(sandbox.NHSNo)
	h.until("opted out", func(c *Controller) bool { return atStage(c, present.ConsentOptedOut) })
	if count(h.actions(), audit.ActionConsentRead) != 1 {
		t.Errorf("consent state not audited: %v", h.actions())
	}
}

func TestEmergencyAccessAlertSurvivesOutageExactlyOnce(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	h.sb.SetFault("AuditEvent", sandbox.Fault{Kind: sandbox.FaultHTML5xx, Status: 503})
	h.searchNHS(sandbox.NHSAsk)
	h.until("the permission question", func(c *Controller) bool { return atStage(c, present.ConsentAsk) })
	h.inspect(func(c *Controller) {
		c.emergencyStage(true)
		c.emergency("Patient unconscious; confirming allergies before treatment")
	})
	h.until("the record", func(c *Controller) bool { return recordShown(c) })
	var reason string
	for _, e := range h.entries() {
		if e.Action == audit.ActionEmergency {
			reason = e.Reason
		}
	}
	if !strings.Contains(reason, "unconscious") {
		t.Errorf("emergency reason not recorded: %q", reason)
	}
	// The Spine is down: the alert waits in the outbox, retried later.
	h.until("a failed attempt", func(c *Controller) bool {
		list, _ := c.svc.Store.List(t.Context(), "queued", 5)
		return len(list) == 1 && list[0].Attempts >= 1
	})
	if n := len(h.sb.Alerts()); n != 0 {
		t.Fatalf("%d alerts reached the sandbox during the outage", n)
	}
	h.sb.SetFault("AuditEvent", sandbox.Fault{})
	// Past the backoff of the few attempts made (10 s doubling, +20 %), but short of the 5-minute
	// idle lock: a lock drops the link, and the alert would rightly wait for the next sign-in
	// (an hour here once locked the session first, on a loaded machine).
	h.clock.Advance(3 * time.Minute)
	h.inspect(func(c *Controller) { c.kickOutbox() })
	h.until("the alert delivered", func(c *Controller) bool { return len(h.sb.Alerts()) == 1 })
	h.inspect(func(c *Controller) { c.kickOutbox() })
	h.until("alert-sent audited", func(c *Controller) bool { return count(h.actions(), audit.ActionAlertSent) == 1 })
	if n := len(h.sb.Alerts()); n != 1 {
		t.Errorf("alert delivered %d times, want exactly once", n)
	}
}

func TestHostileRecordRendersAsText(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	h.searchNHS(sandbox.NHSHostileXHTML)
	h.until("the permission question", func(c *Controller) bool { return atStage(c, present.ConsentAsk) })
	h.inspect(func(c *Controller) { c.permission() })
	h.until("the record", func(c *Controller) bool { return recordShown(c) })
	for _, s := range h.frame.record.Sections {
		for _, tb := range s.Tables {
			for _, row := range tb.Rows {
				for _, cell := range row {
					low := strings.ToLower(cell)
					if strings.Contains(low, "<script") || strings.Contains(low, "javascript:") || strings.Contains(low, "onerror=") {
						t.Errorf("markup reached the screen: %q", cell)
					}
				}
			}
		}
	}
	for _, r := range h.sb.Requests() {
		switch r.Resource {
		case "Patient", "DocumentReference", "Bundle", "AuditEvent", "Flag", "token", "userinfo": // Flag: the reasonable adjustments, read for every patient
		default:
			t.Errorf("the record made SCR Desk fetch %+v", r)
		}
	}
}

func TestNoSCRRoleCannotSearch(t *testing.T) {
	ca, _ := virtualcard.NewCA("Test RA")
	var u staff.DemoUser
	for _, d := range staff.DemoUsers() {
		if d.Key == "assistant" {
			u = d
		}
	}
	card, err := virtualcard.New(virtualcard.Options{UserID: u.UserID, Name: u.Name, PIN: u.PIN, CA: ca})
	if err != nil {
		t.Fatal(err)
	}
	dr := cardreader.NewDemoReader()
	dr.Attach(demoReader)
	h := newHarness(t, dr, ca.Pool(), harnessOpts{})
	dr.Insert(demoReader, card)
	h.typePasscode(u.PIN)
	h.waitState(session.Ready)
	h.searchNHS(sandbox.NHSAsk)
	h.until("the refusal", func(c *Controller) bool { return searchView(c).State == present.SearchError })
	for _, r := range h.sb.Requests() {
		if r.Resource == "Patient" {
			t.Errorf("a role without SCR rights reached PDS: %+v", r)
		}
	}
}

func count(acts []audit.Action, a audit.Action) int {
	n := 0
	for _, x := range acts {
		if x == a {
			n++
		}
	}
	return n
}

// TestEmergencyReasonByKeyboard: "2" moves to the reason and focuses it, so the reason can be
// typed at once; Escape goes back to the question with the answer keys working again.
func TestEmergencyReasonByKeyboard(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	h.searchNHS(sandbox.NHSAsk)
	h.until("the permission question", func(c *Controller) bool { return atStage(c, present.ConsentAsk) })
	h.sh.consent.TypedRune('2')
	h.until("the reason stage", func(c *Controller) bool { return atStage(c, present.ConsentEmergency) })
	if h.sh.consent.Stage() != present.ConsentEmergency {
		t.Fatalf("stage %v after 2", h.sh.consent.Stage())
	}
	f := h.w.Canvas().Focused()
	if f != h.sh.consent.ReasonField() {
		t.Fatalf("the reason field has not the focus (%T)", f)
	}
	for _, r := range "Unconscious" {
		f.TypedRune(r)
	}
	f.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	h.until("the question again", func(c *Controller) bool { return atStage(c, present.ConsentAsk) })
	if h.sh.consent.Stage() != present.ConsentAsk || h.w.Canvas().Focused() != nil {
		t.Errorf("Escape: stage %v, focus %T", h.sh.consent.Stage(), h.w.Canvas().Focused())
	}
	if n := count(h.actions(), audit.ActionEmergency); n != 0 {
		t.Errorf("emergency access recorded without a reason being submitted (%d rows)", n)
	}
}

// TestPatientFlagsRecordedForTheRules: the facts the governance rules need about the patient
// are flags in the access's own rows (deceased, restricted, found by details), and a patient
// opened by NHS number after a search by details is not marked as found by details.
func TestPatientFlagsRecordedForTheRules(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	flagsOf := func(nhs string, a audit.Action) []audit.Flag {
		var last []audit.Flag
		for _, e := range h.entries() {
			if e.Action == a && e.NHSNumber == nhs {
				last = e.Flags()
			}
		}
		return last
	}
	open := func(nhs string) {
		h.inspect(func(c *Controller) { c.closePatient(); c.searchNHS(nhs) })
		h.until("the patient "+nhs, func(c *Controller) bool { return openNHS(c) == nhs })
	}
	open(sandbox.NHSDeceased)
	if got := flagsOf(sandbox.NHSDeceased, audit.ActionPatientRead); !slices.Equal(got, []audit.Flag{audit.FlagDeceased}) {
		t.Errorf("deceased patient's row has flags %v", got)
	}
	open(sandbox.NHSRestricted)
	if got := flagsOf(sandbox.NHSRestricted, audit.ActionPatientRead); !slices.Equal(got, []audit.Flag{audit.FlagRestricted}) {
		t.Errorf("restricted patient's row has flags %v", got)
	}
	open(sandbox.NHSAsk)
	if got := flagsOf(sandbox.NHSAsk, audit.ActionPatientRead); len(got) != 0 {
		t.Errorf("ordinary patient's row has flags %v", got)
	}
	// Found by details: a demographic search, then the match picked.
	h.inspect(func(c *Controller) {
		c.closePatient()
		c.searchDemographics(present.Query{Family: "Smith", BirthDate: ""})
	})
	h.until("matches", func(c *Controller) bool { return len(c.flow.View().Matches) > 0 })
	var picked string
	h.inspect(func(c *Controller) { picked = c.flow.View().Matches[0].NHSNumber; c.pick(0) })
	h.until("the picked patient", func(c *Controller) bool { return openNHS(c) == picked })
	if got := flagsOf(picked, audit.ActionPatientRead); !slices.Contains(got, audit.FlagFoundByDetails) {
		t.Errorf("patient picked from a search by details: flags %v", got)
	}
	// The same patient by number afterwards: not found by details.
	open(sandbox.NHSAsk)
	open(picked)
	if got := flagsOf(picked, audit.ActionPatientRead); slices.Contains(got, audit.FlagFoundByDetails) {
		t.Errorf("patient opened by NHS number still marked found by details: %v", got)
	}
}

// TestEscapeAfterAClickOnTheAlertStrip: while an alert waits (the Spine refuses it), the strip
// lists it one by one; a click on that list gives it the keyboard focus, and Escape must still
// close the patient (a plain list kept it: the real-window suite's click at the foot of the
// record hit the strip on a loaded machine, and Escape did nothing).
func TestEscapeAfterAClickOnTheAlertStrip(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	h.sb.SetFault("AuditEvent", sandbox.Fault{Kind: sandbox.FaultHTML5xx, Status: 503})
	h.searchNHS(sandbox.NHSAsk)
	h.until("the permission question", func(c *Controller) bool { return atStage(c, present.ConsentAsk) })
	h.sh.consent.TypedRune('1') // permission: the self-claimed relationship alert is queued
	h.until("the record", func(c *Controller) bool { return recordShown(c) })
	h.until("a failed attempt", func(c *Controller) bool {
		list, _ := c.svc.Store.List(t.Context(), "queued", 5)
		return len(list) == 1 && list[0].Attempts >= 1
	})
	h.pump()
	if !h.sh.alerts.Listing() {
		t.Fatal("the waiting alert is not listed in the strip")
	}
	strip := h.sh.alerts.Object()
	at := fyne.CurrentApp().Driver().AbsolutePositionForObject(strip)
	sz := strip.Size()
	test.TapCanvas(h.w.Canvas(), at.Add(fyne.NewPos(sz.Width/4, sz.Height-4))) // the list's row
	if h.w.Canvas().Focused() == nil {
		t.Fatal("the click on the alert list gave nothing the focus: the test does not reach the list")
	}
	h.w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	h.until("the patient closed by Escape", func(c *Controller) bool { return !patientOpen(c) })
}
