package app

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"scrdesk/cardreader"
	"scrdesk/cardreader/virtualcard"
	"scrdesk/internal/audit"
	"scrdesk/internal/governance"
	"scrdesk/internal/session"
	"scrdesk/internal/staff"
	"scrdesk/internal/store"
	gscreens "scrdesk/screens/governance"
)

// sgpHarness signs the demo SGP (Grace Okafor: an SGP role and a pharmacist role) in under her
// SGP role, over a 90-day demo log.
func sgpHarness(t *testing.T) (*harness, *cardreader.DemoReader) {
	t.Helper()
	ca, err := virtualcard.NewCA("Test RA")
	if err != nil {
		t.Fatal(err)
	}
	u := staff.DemoUsers()[2]
	card, err := virtualcard.New(virtualcard.Options{UserID: u.UserID, Name: u.Name, PIN: u.PIN, CA: ca})
	if err != nil {
		t.Fatal(err)
	}
	dr := cardreader.NewDemoReader()
	dr.Attach(demoReader)
	h := newHarness(t, dr, ca.Pool(), harnessOpts{seed: func(db *store.DB) {
		if err := db.AppendBatch(context.Background(), DemoGovernanceLog(time.Now().Add(-time.Hour))); err != nil {
			t.Fatal(err)
		}
	}})
	dr.Insert(demoReader, card)
	h.typePasscode(u.PIN)
	h.waitState(session.ChoosingRole)
	h.inspect(func(c *Controller) { c.chosen(u.Roles[0].URID) })
	h.waitState(session.Ready)
	h.until("the governance workspace", func(c *Controller) bool { return c.gv != nil })
	// The rules run over the seeded log in the background (startRules): until they have, the
	// case queue is legitimately empty. Tests about cases start once the backfill is done.
	h.rulesBackfilled()
	return h, dr
}

func lastRows(h *harness, n int) []audit.Entry {
	es := h.entries()
	if len(es) < n {
		return es
	}
	return es[len(es)-n:]
}

// TestGovernanceWorkspaceActions: the SGP role opens the workspace (audited); Home verifies the
// log; a case is opened, noted, reviewed and closed, each step one audit row with the note; a
// refused step writes nothing; the SGP cannot act on her own access; the SAR is saved and
// audited; card out drops everything, and the verification answer arriving after the lock
// changes nothing.
func TestGovernanceWorkspaceActions(t *testing.T) {
	h, dr := sgpHarness(t)
	if !h.frame.status.Demo && h.frame.gov == nil {
		t.Fatal("no governance view in the frame")
	}
	if n := count(h.actions(), audit.ActionAuditQueried); n == 0 {
		t.Error("opening the workspace was not audited")
	}
	h.until("the integrity line", func(c *Controller) bool { return c.gv != nil && c.gv.integrityOK })
	act(h, func(c *Controller) { c.govGo(gscreens.PageHome) })
	if !strings.HasPrefix(h.frame.gov.Home.Integrity, "Verified") || h.frame.gov.Home.Open == "" {
		t.Errorf("home: %+v", h.frame.gov.Home)
	}
	if h.frame.status.Switch == "" {
		t.Error("no switch to the counter role")
	}

	// The queue: open cases, highest risk first.
	act(h, func(c *Controller) { c.govGo(gscreens.PageCases) })
	rows := h.frame.gov.Cases.Rows
	if len(rows) == 0 {
		t.Fatal("no open cases in the demo log")
	}
	var target int64
	me := staff.DemoUsers()[2].Name
	for _, r := range rows {
		if !strings.HasPrefix(r.Who, me) {
			target = r.Seq
			break
		}
	}
	act(h, func(c *Controller) { c.govOpen(target) })
	if h.frame.gov.Page != gscreens.PageCase || h.frame.gov.Case.Own || len(h.frame.gov.Case.Evidence) == 0 {
		t.Fatalf("case view: %+v", h.frame.gov.Case)
	}

	step := func(kind, note, extra string) []audit.Entry {
		before := len(h.entries())
		act(h, func(c *Controller) { c.govStep(target, kind, note, extra) })
		return h.entries()[before:]
	}
	// A note.
	got := step("note", "Asked the pharmacist; checking the rota", "")
	if len(got) != 1 || got[0].Action != audit.ActionCaseNote || got[0].Reason != "Asked the pharmacist; checking the rota" ||
		got[0].Detail["case"] == "" || got[0].UserID != staff.DemoUsers()[2].UserID || got[0].RoleCode != staff.DemoUsers()[2].Roles[0].RoleCode {
		t.Errorf("note rows: %+v", got)
	}
	// Closing before the review started is refused, on screen, with no row.
	if got := step("close", "fine", ""); len(got) != 0 || !h.frame.gov.Problem {
		t.Errorf("close from new wrote %d rows; message %q", len(got), h.frame.gov.Message)
	}
	if got := step("start", "", ""); len(got) != 1 || got[0].Action != audit.ActionCaseReview {
		t.Errorf("start rows: %+v", got)
	}
	if got := step("breach", "no clinical need", ""); len(got) != 0 || !strings.Contains(h.frame.gov.Message, "action was taken") {
		t.Errorf("inappropriate without the action: %d rows, %q", len(got), h.frame.gov.Message)
	}
	got = step("close", "Patient collapsed; the rota confirms the pharmacist was on duty", "")
	if len(got) != 1 || got[0].Action != audit.ActionCaseAppropriate || got[0].Detail["state"] != string(governance.StateClosedAppropriate) {
		t.Errorf("close rows: %+v", got)
	}
	if h.frame.gov.Case.State != governance.StateClosedAppropriate.Label() || len(h.frame.gov.Case.Steps) != 3 {
		t.Errorf("case after closing: %+v", h.frame.gov.Case)
	}

	// Her own access: shown, but every step refused and nothing written.
	own, _, err := h.db.Cases(context.Background(), store.CaseFilter{UserID: staff.DemoUsers()[2].UserID}, store.CaseCursor{}, 1)
	if err != nil || len(own) == 0 {
		t.Fatalf("no case about the SGP's own access: %v", err)
	}
	target = own[0].Seq
	act(h, func(c *Controller) { c.govOpen(target) })
	if !h.frame.gov.Case.Own || !h.frame.gov.Problem {
		t.Errorf("own case not marked: %+v", h.frame.gov.Case)
	}
	for _, k := range []string{"note", "start", "close"} {
		if got := step(k, "it was me and it was fine", ""); len(got) != 0 {
			t.Errorf("%s on her own case wrote %v", k, got)
		}
	}

	// The audit browser: plain words, its search audited.
	before := count(h.actions(), audit.ActionAuditQueried)
	act(h, func(c *Controller) { // act: the frame is read after the render it queued has run
		c.govFilter(gscreens.PageAudit, gscreens.Filter{Action: string(audit.ActionEmergency)})
	})
	if len(h.frame.gov.Audit.Rows) == 0 || !strings.Contains(h.frame.gov.Audit.Rows[0], "in an emergency") {
		t.Errorf("audit rows: %v", h.frame.gov.Audit.Rows)
	}
	if count(h.actions(), audit.ActionAuditQueried) != before+1 {
		t.Error("the audit search was not audited")
	}

	// Subject Access Request: saved as PDF and CSV, audited with its hash.
	nhs := governance.DemoNHSNumber(9)
	dir := t.TempDir()
	h.inspect(func(c *Controller) { c.svc.ReportDir = dir })
	act(h, func(c *Controller) {
		c.govSAR(gscreens.SARView{NHS: nhs, Reference: "SAR-9", Identity: "Passport"}, false)
	})
	if len(h.frame.gov.SAR.Preview) == 0 || h.frame.gov.SAR.Summary == "" {
		t.Errorf("SAR preview: %+v %q", h.frame.gov.SAR, h.frame.gov.Message)
	}
	h.inspect(func(c *Controller) {
		c.govSAR(gscreens.SARView{NHS: nhs, Reference: "SAR-9", Identity: "Passport"}, true)
	})
	last := lastRows(h, 1)[0]
	if last.Action != audit.ActionSAR || last.NHSNumber != nhs || len(last.Detail["hash"]) != 64 {
		t.Errorf("SAR row: %+v (message %q)", last, h.frame.gov.Message)
	}
	var pdf string
	h.inspect(func(c *Controller) { pdf = c.lastSAR })
	if st, err := os.Stat(pdf); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("SAR file %q: %v", pdf, err)
	}
	if _, err := exec.LookPath("pdftotext"); err == nil {
		out, _ := exec.Command("pdftotext", pdf, "-").Output()
		if !strings.Contains(string(out), "SAR-9") || !strings.Contains(string(out), last.Detail["hash"][:20]) {
			t.Error("the saved PDF lacks its reference or hash")
		}
	}

	// Card out: everything goes; a verification answer arriving after the lock changes nothing.
	act(h, func(c *Controller) { c.govGo(gscreens.PageHome) }) // starts nothing new; verify below
	act(h, func(c *Controller) { c.enterGov() })               // a verification in flight
	dr.Remove(demoReader)
	h.waitState(session.Locked)
	time.Sleep(300 * time.Millisecond)
	h.inspect(func(c *Controller) {
		if c.gv != nil {
			t.Error("the governance workspace survived the lock")
		}
	})
	if h.frame.gov != nil {
		t.Error("the locked frame carries the governance view")
	}
	if h.sh.signed.Objects[0] == h.sh.gov.Object() {
		t.Error("the governance screen is still in the window after the lock")
	}
}

// TestSwitchBetweenGovernanceAndCounter: the SGP who is also a pharmacist switches from the
// status bar; the switch is audited and drops the workspace.
func TestSwitchBetweenGovernanceAndCounter(t *testing.T) {
	h, _ := sgpHarness(t)
	act(h, func(c *Controller) { c.switchRole() })
	h.until("the counter", func(c *Controller) bool { return c.gv == nil && !c.govMode() && c.m.State() == session.Ready })
	v := h.frame
	if v.gov != nil || v.status.Switch != "Governance" {
		t.Errorf("after switching: gov %v, switch %q", v.gov != nil, v.status.Switch)
	}
	es := lastRows(h, 3)
	found := false
	for _, e := range es {
		if e.Action == audit.ActionRoleSelected && e.URID == staff.DemoUsers()[2].Roles[1].URID {
			found = true
		}
	}
	if !found {
		t.Errorf("switch not audited: %+v", es)
	}
	act(h, func(c *Controller) { c.switchRole() })
	h.until("the workspace again", func(c *Controller) bool { return c.gv != nil })
}

// act runs f on the controller and then draws what it rendered (the frame the test reads).
func act(h *harness, f func(c *Controller)) {
	h.inspect(f)
	h.pump()
}

// TestSwitchRoleCarriesTheRoleToTheLink: after switching from the status bar the link carries
// the new role's URID, and a lock by hand then unlock resumes with a link under that role.
func TestSwitchRoleCarriesTheRoleToTheLink(t *testing.T) {
	h, _ := sgpHarness(t)
	u := staff.DemoUsers()[2]
	linkURID := func() (urid, role string, ok bool) {
		h.inspect(func(c *Controller) {
			if c.link != nil {
				urid, ok = c.link.URID(), true
			}
			role = c.role.URID
		})
		return
	}
	act(h, func(c *Controller) { c.switchRole() })
	h.until("the counter", func(c *Controller) bool { return c.gv == nil && !c.govMode() && c.m.State() == session.Ready })
	if urid, role, ok := linkURID(); !ok || urid != u.Roles[1].URID || role != u.Roles[1].URID {
		t.Fatalf("after the switch: link %v URID %q, controller role %q; want %q", ok, urid, role, u.Roles[1].URID)
	}
	act(h, func(c *Controller) { c.switchRole() })
	h.until("the workspace again", func(c *Controller) bool { return c.gv != nil })
	if urid, role, ok := linkURID(); !ok || urid != u.Roles[0].URID || role != u.Roles[0].URID {
		t.Fatalf("after switching back: link %v URID %q, controller role %q; want %q", ok, urid, role, u.Roles[0].URID)
	}
	act(h, func(c *Controller) { c.switchRole() })
	h.until("the counter", func(c *Controller) bool { return c.gv == nil && c.m.State() == session.Ready })

	h.inspect(func(c *Controller) { c.handle(session.LockByHand{}) })
	h.waitState(session.Locked)
	h.inspect(func(c *Controller) { c.handle(session.StartSignIn{}) })
	h.waitState(session.Passcode)
	h.typePasscode(u.PIN)
	h.waitState(session.Ready)
	h.until("a link after unlock", func(c *Controller) bool { return c.link != nil })
	if urid, role, ok := linkURID(); !ok || urid != u.Roles[1].URID || role != u.Roles[1].URID {
		t.Fatalf("after lock and unlock: link %v URID %q, controller role %q; want %q", ok, urid, role, u.Roles[1].URID)
	}
}

// TestSwitchRoleGoesBackAndClaimsAfresh drives the status bar's switch (Controller.switchRole,
// Ctrl+G), not the machine's event: from the SGP role it goes to the counter role at this
// pharmacy, passing over one at another organisation that was never confirmed; back and forth,
// it returns to the role this session was in; each switch starts the relationships afresh, so
// the same patient opened again after a switch is self-claimed (and alerted) again. A user
// whose only counter role is at another organisation is offered no switch.
func TestSwitchRoleGoesBackAndClaimsAfresh(t *testing.T) {
	h, _ := sgpHarness(t)
	u := staff.DemoUsers()[2]
	york := u.Roles[1]
	york.URID, york.OrgCode, york.OrgName = "555000009999", "FX456", "Riverside Pharmacy, York"
	h.inspect(func(c *Controller) { c.allRoles = append([]staff.Role{york}, c.allRoles...) })
	counter := func(what string) {
		t.Helper()
		act(h, func(c *Controller) { c.switchRole() })
		h.until(what, func(c *Controller) bool { return c.gv == nil && c.m.State() == session.Ready })
		if got := h.frame.status.Role; got == "" {
			t.Fatalf("%s: no role in the status bar", what)
		}
		var got staff.Role
		h.inspect(func(c *Controller) { got = c.role })
		if got.URID != u.Roles[1].URID {
			t.Fatalf("%s: switched to %s (%s), want this pharmacy's %s", what, got.URID, got.OrgCode, u.Roles[1].URID)
		}
	}
	open := h.openWithPermission
	seeded := count(h.actions(), audit.ActionSelfClaimLR) // the demo log's own
	claims := func() int { return count(h.actions(), audit.ActionSelfClaimLR) - seeded }
	counter("the counter")
	open()
	if n := claims(); n != 1 {
		t.Fatalf("%d self-claims after the first opening, want 1", n)
	}
	act(h, func(c *Controller) { c.switchRole() })
	h.until("the workspace", func(c *Controller) bool { return c.gv != nil })
	counter("the counter again")
	open()
	if n := claims(); n != 2 {
		t.Fatalf("%d self-claims after a switch away and back, want 2 (the relationship claimed afresh)", n)
	}

	act(h, func(c *Controller) { c.switchRole() })
	h.until("the workspace", func(c *Controller) bool { return c.gv != nil })
	h.inspect(func(c *Controller) { c.allRoles = []staff.Role{u.Roles[0], york}; c.sessionRoles = nil })
	act(h, func(c *Controller) { c.render() })
	if h.frame.status.Switch != "" {
		t.Errorf("switch %q offered to a role at another organisation never confirmed", h.frame.status.Switch)
	}
	act(h, func(c *Controller) { c.switchRole() })
	var now staff.Role
	inGov := false
	h.inspect(func(c *Controller) { now, inGov = c.role, c.gv != nil })
	if now.URID != u.Roles[0].URID || !inGov {
		t.Errorf("Ctrl+G moved the session to %s (%s)", now.URID, now.OrgCode)
	}
}

// TestGovernanceMonthlyReport: Home offers the last full month; the Monthly report action saves
// the PDF owner-only in the reports folder, writes one governance-report row (month, hash, file
// name) before it says where the file is (made on a worker: the controller goes on), and the
// saved PDF carries that hash; Home says it once (the saved line); a month not yet
// begun or not a month is refused in words and records nothing.
func TestGovernanceMonthlyReport(t *testing.T) {
	h, _ := sgpHarness(t)
	dir := t.TempDir()
	h.inspect(func(c *Controller) { c.svc.ReportDir = dir })
	act(h, func(c *Controller) { c.govGo(gscreens.PageHome) })
	lastMonth := time.Now().AddDate(0, 0, -time.Now().Day()).Format("2006-01") // roughly: the month before this one
	if got := h.frame.gov.Home.ReportMonth; got == "" || got != lastMonth && time.Now().Day() > 1 {
		t.Errorf("offered month %q, want %q", got, lastMonth)
	}
	before := len(h.entries())
	act(h, func(c *Controller) { c.govMonthly("") })
	h.until("the report saved", func(c *Controller) bool { return c.gv != nil && !c.gv.reporting })
	es := h.entries()
	if len(es) != before+1 {
		t.Fatalf("%d rows written, want 1 (message %q)", len(es)-before, h.frame.gov.Message)
	}
	row := es[len(es)-1]
	if row.Action != audit.ActionGovReport || row.Detail["month"] != h.frame.gov.Home.ReportMonth || len(row.Detail["hash"]) != 64 ||
		!strings.HasPrefix(row.Detail["file"], "governance-report-"+row.Detail["month"]) || row.UserName != staff.DemoUsers()[2].Name {
		t.Errorf("report row %+v", row)
	}
	var path string
	h.inspect(func(c *Controller) { path = c.lastReport })
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 || !strings.HasPrefix(path, dir) || !strings.HasSuffix(path, row.Detail["file"]) {
		t.Errorf("report file %q: %v", path, err)
	}
	// Said once, on Home under the button, with the path and hash (it was said twice).
	if h.frame.gov.Message != "" || !strings.Contains(h.frame.gov.Home.ReportSaved, path) ||
		!strings.Contains(h.frame.gov.Home.ReportSaved, row.Detail["hash"]) || h.frame.gov.Problem {
		t.Errorf("message %q, saved %q", h.frame.gov.Message, h.frame.gov.Home.ReportSaved)
	}
	if _, err := exec.LookPath("pdftotext"); err == nil {
		out, _ := exec.Command("pdftotext", path, "-").Output()
		flat := strings.Join(strings.Fields(string(out)), " ")
		if !strings.Contains(flat, "SCR governance report") || !strings.Contains(flat, row.Detail["hash"][:20]) || !strings.Contains(flat, "Grace Okafor") {
			t.Error("the saved PDF lacks its title, hash or producer")
		}
	}
	// The 90-day demo log has cases in the last full month.
	if !strings.Contains(h.frame.gov.Home.ReportSaved, "case") {
		t.Errorf("saved line %q", h.frame.gov.Home.ReportSaved)
	}

	for _, bad := range []string{"2999-01", "November"} {
		before = len(h.entries())
		act(h, func(c *Controller) { c.govMonthly(bad) })
		if len(h.entries()) != before || !h.frame.gov.Problem || !strings.HasPrefix(h.frame.gov.Message, "The monthly report was not made") {
			t.Errorf("%q: message %q, %d rows", bad, h.frame.gov.Message, len(h.entries())-before)
		}
	}
}

// TestGovPageChangeLetsTheFocusGo: a field focused on one governance page does not keep the
// focus when another page shows (it stayed in the hidden Subject Access Request form, and M on
// Home was typed into it: no report); the Subject Access Request page puts the cursor in its
// NHS number field.
func TestGovPageChangeLetsTheFocusGo(t *testing.T) {
	h, _ := sgpHarness(t)
	h.inspect(func(c *Controller) { c.svc.ReportDir = t.TempDir() })
	act(h, func(c *Controller) { c.govGo(gscreens.PageSAR) })
	if f := h.w.Canvas().Focused(); f != h.sh.gov.SARFields()[0] {
		t.Fatalf("the SAR page's focus is %T, want its NHS number field", f)
	}
	act(h, func(c *Controller) { c.govGo(gscreens.PageHome) })
	if f := h.w.Canvas().Focused(); f != nil {
		t.Fatalf("%T keeps the focus on Home", f)
	}
	h.w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyM})
	h.until("the monthly report", func(c *Controller) bool { return c.gv != nil && c.lastReport != "" })
}
