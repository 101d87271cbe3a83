package governance

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"scrdesk/screens/screentest"
)

var states = []Choice{{"", "Any state"}, {"open", "Open (new or in review)"}, {"new", "New"}}
var rules = []Choice{{"", "Any rule"}, {"emergency-access", "Emergency access"}}

func sampleViews() map[string]View {
	home := HomeView{Integrity: "Verified: the audit log is intact, 4,812 of 4,812 entries, from 21 December 2025 to 20 March 2026, checked at 09:14.",
		IntegrityOK: true, Open: "31 cases open, 12 in the sample", Coverage: 0.4,
		CoverageTxt: "Reviewed 8 of 20 sampled cases (40%). The SOP: all emergency access and rule hits, half of self-claims, weekly.",
		LastReview:  "Last review: 18 March 2026 at 14:05 by Grace Okafor", Seed: "Sample seed 7741 (recorded in the log)",
		ReportMonth: "2026-02"}
	saved := home
	saved.ReportSaved = "Saved /home/grace/.local/share/scrdesk/reports/governance-report-2026-02.pdf (February 2026: 31 cases). Report hash 5be1…09c2"
	central := home
	central.Central = "central audit log offline since 09:14, 212 entries waiting"
	rulesOff := home
	rulesOff.RulesOff = "Rules switched off in settings (they raise no cases): Out of hours, Found by details, not number."
	rulesOff.RulesChanged = "Rule settings changed from SGP.md's defaults: Repeat re-opening: openings 5 (default 3); Self-claimed relationship: review share 10% (default 50%)."
	replaced := home
	replaced.IntegrityOK, replaced.Open, replaced.CoverageTxt, replaced.LastReview, replaced.Seed = false, "", "", "", ""
	replaced.Integrity = "The audit log was removed or replaced (last known: entry 3, at 09:12 on 2 December 2026). The log file is missing."
	replaced.NewLog = "Starting a new audit log is the one way forward. Its first entry records what was found, the previous log's last known entry, your name and role, and the reason you type here."
	broken := home
	broken.IntegrityOK = false
	broken.Integrity = "Entry 1,204 has been changed since it was written. Keep the file as it is, tell the superintendent pharmacist and call IT support."
	broken.Overdue = "4 sampled cases are overdue for review (the SOP's period is weekly)."
	broken.Backfill, broken.Progress = "Checking the log against the rules: 2,000 of 4,812 entries", 0.42
	rows := []CaseRow{{Seq: 41, Risk: "9", When: "17 Mar 2026 11:05", Who: "Priya Shah", What: "Emergency access, Missing or boilerplate reason", State: "New"},
		{Seq: 39, Risk: "5", When: "16 Mar 2026 10:12", Who: "Tom Evans", What: "Emergency access", State: "In review"}}
	kase := CaseView{Seq: 41, Title: "Emergency access by Priya Shah on 17 March 2026 at 11:05", State: "New",
		Facts: []Line{{"Patient", "999 000 5049"}, {"Role", "Pharmacist"}, {"Workstation", "COUNTER-1"}, {"Reason given", "urgent"}},
		Evidence: []Line{{"Emergency access", "Opened without the patient's permission, reason given: \"urgent\""},
			{"Missing or boilerplate reason", "The reason has 6 characters, fewer than 15"}},
		UserNear: []string{"17 Mar 10:40 viewed the record of 999 000 5122 with the patient's permission"},
		Patient:  []string{"2 Mar 09:31 Tom Evans viewed the record with the patient's permission"}, CanStart: true}
	own := kase
	own.Own, own.CanStart = true, false
	closed := kase
	closed.State, closed.CanStart = "Closed: appropriate", false
	closed.Steps = []string{"18 Mar 14:02 Grace Okafor started the review", "18 Mar 14:05 Grace Okafor closed it as appropriate: \"patient collapsed; confirmed\""}
	inReview := kase
	inReview.State, inReview.CanStart, inReview.CanClose = "In review", false, true
	audit := AuditView{Actions: []Choice{{"", "Any action"}}, Outcomes: []Choice{{"", "Any outcome"}}, Count: "Newest first", More: true,
		Rows: []string{"20 Mar 2026 09:14  Grace Okafor checked the audit log", "19 Mar 2026 17:40  Priya Shah viewed the record of 999 000 0107 with the patient's permission"}}
	pharmacy := audit
	pharmacy.Scopes = []Choice{{"", "This workstation"}, {"pharmacy", "The whole pharmacy (every workstation)"}}
	pharmacy.Filter.Scope = "pharmacy"
	pharmacy.Rows = []string{"20 Mar 2026 09:16  COUNTER-2  Tom Evans viewed the record of 999 000 0107 with the patient's permission"}
	sar := SARView{NHS: "999 000 5049", Reference: "SAR-2026-7", Received: "2026-03-20", Identity: "Passport seen", Names: true,
		Summary: "12 accesses from 21 December 2025 to 20 March 2026. Report hash 2019…aa3",
		Preview: []string{"2 Mar 2026 09:31  The Summary Care Record  Tom Evans, Pharmacy technician  Patient's permission"},
		Saved:   "Saved SAR-2026-7.pdf and SAR-2026-7.csv in /home/grace/Documents"}
	return map[string]View{
		"home.xml":           {Page: PageHome, Home: home},
		"home-broken.xml":    {Page: PageHome, Home: broken},
		"home-new-log.xml":   {Page: PageHome, Home: replaced, Problem: true, Message: "Nothing of the audit log can be shown or recorded: it was removed or replaced."},
		"home-central.xml":   {Page: PageHome, Home: central},
		"home-report.xml":    {Page: PageHome, Home: saved},
		"home-rules-off.xml": {Page: PageHome, Home: rulesOff},
		"cases.xml":          {Page: PageCases, Cases: CasesView{States: states, Rules: rules, Rows: rows, Count: "2 cases match", Filter: Filter{State: "open"}}},
		"cases-empty.xml":    {Page: PageCases, Cases: CasesView{States: states, Rules: rules, Count: "No case matches these filters", Filter: Filter{User: "555000000011"}}},
		"case-new.xml":       {Page: PageCase, Case: kase},
		"case-in-review.xml": {Page: PageCase, Case: inReview},
		"case-own.xml":       {Page: PageCase, Case: own, Message: "This case is about your own access: another SCR Governance Person must review it.", Problem: true},
		"case-closed.xml":    {Page: PageCase, Case: closed},
		"audit.xml":          {Page: PageAudit, Audit: audit},
		"audit-pharmacy.xml": {Page: PageAudit, Audit: pharmacy},
		"sar-empty.xml":      {Page: PageSAR},
		"sar-preview.xml":    {Page: PageSAR, SAR: sar},
	}
}

// TestGoldens: every state of every workspace screen.
func TestGoldens(t *testing.T) {
	test.NewTempApp(t)
	for name, v := range sampleViews() {
		t.Run(name, func(t *testing.T) {
			w := New(Callbacks{})
			w.Render(v)
			win := test.NewTempWindow(t, w.Object())
			win.Resize(fyne.NewSize(1000, 640))
			screentest.Golden(t, win, name)
		})
	}
}

// TestKeyboardAndCallbacks: arrows move, Enter opens the selected case, Escape goes back, a
// filter change reports the filter, the step buttons report the note.
func TestKeyboardAndCallbacks(t *testing.T) {
	test.NewTempApp(t)
	var opened int64
	var went []Page
	var filt Filter
	var step []string
	w := New(Callbacks{Open: func(s int64) { opened = s }, Go: func(p Page) { went = append(went, p) },
		Filter: func(p Page, f Filter) { filt = f },
		Step:   func(seq int64, kind, note, extra string) { step = []string{kind, note, extra} }})
	v := sampleViews()["cases.xml"]
	w.Render(v)
	w.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	w.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if opened != 39 {
		t.Errorf("Down, Enter opened %d, want 39", opened)
	}
	w.TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
	w.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEnter})
	if opened != 41 {
		t.Errorf("Up, Enter opened %d, want 41", opened)
	}
	w.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if len(went) != 1 || went[0] != PageHome {
		t.Errorf("Escape on the queue went to %v", went)
	}
	w.cRule.SetSelected("Emergency access")
	if filt.Rule != "emergency-access" || filt.State != "open" {
		t.Errorf("filter reported %+v", filt)
	}
	w.Render(sampleViews()["case-in-review.xml"])
	test.Type(w.CaseNote(), "checked the rota")
	test.Tap(w.Button("Close: appropriate"))
	if len(step) != 3 || step[0] != "close" || step[1] != "checked the rota" {
		t.Errorf("step %v", step)
	}
	w.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if went[len(went)-1] != PageCases {
		t.Errorf("Escape on a case went to %v", went)
	}
	// Own access: every action is off.
	w.Render(sampleViews()["case-own.xml"])
	if !w.Button("Add note").Disabled() || !w.Button("Close: appropriate").Disabled() {
		t.Error("actions enabled on the SGP's own case")
	}
	// Render must not report its own widget changes as the user's.
	filt = Filter{}
	w.Render(sampleViews()["cases.xml"])
	if filt != (Filter{}) {
		t.Errorf("Render reported a filter change: %+v", filt)
	}
	w.Clear()
	if len(w.view.Cases.Rows) != 0 || w.CaseNote().Text != "" {
		t.Error("Clear left something")
	}
}

// TestHomeSettings: Home's Settings button and S on Home ask for the settings; S elsewhere
// does not.
func TestHomeSettings(t *testing.T) {
	test.NewTempApp(t)
	n := 0
	w := New(Callbacks{Settings: func() { n++ }})
	w.Render(sampleViews()["home.xml"])
	if b := w.SettingsButton(); b == nil || b.Text != "Settings (S)" {
		t.Fatalf("settings button %v", b)
	}
	test.Tap(w.SettingsButton())
	if n != 1 {
		t.Errorf("tapping Settings asked %d times", n)
	}
	if !w.TypedKey(&fyne.KeyEvent{Name: fyne.KeyS}) || n != 2 {
		t.Errorf("S on Home asked %d times", n)
	}
	w.Render(sampleViews()["cases.xml"])
	w.TypedKey(&fyne.KeyEvent{Name: fyne.KeyS})
	if n != 2 {
		t.Error("S on the queue asked for the settings")
	}
	New(Callbacks{}).TypedKey(&fyne.KeyEvent{Name: fyne.KeyS}) // a nil callback is ignored
}

// TestHomeMonthlyReport: Home offers the controller's month; the Monthly report button, Enter
// in the month field and M on Home ask for the report of the month typed; M elsewhere does not.
func TestHomeMonthlyReport(t *testing.T) {
	test.NewTempApp(t)
	var asked []string
	w := New(Callbacks{MonthlyReport: func(m string) { asked = append(asked, m) }})
	w.Render(sampleViews()["home.xml"])
	if w.MonthField().Text != "2026-02" || w.MonthlyButton().Text != "Monthly report (M)" {
		t.Fatalf("month %q, button %q", w.MonthField().Text, w.MonthlyButton().Text)
	}
	test.Tap(w.MonthlyButton())
	w.MonthField().SetText("")
	test.Type(w.MonthField(), "2026-01")
	w.MonthField().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	// a render with the same offered month keeps what was typed
	w.Render(sampleViews()["home-report.xml"])
	if !w.TypedKey(&fyne.KeyEvent{Name: fyne.KeyM}) {
		t.Error("M on Home was not used")
	}
	if got := strings.Join(asked, " "); got != "2026-02 2026-01 2026-01" {
		t.Errorf("asked for %q", got)
	}
	w.Render(sampleViews()["cases.xml"])
	w.TypedKey(&fyne.KeyEvent{Name: fyne.KeyM})
	if len(asked) != 3 {
		t.Error("M on the queue asked for the report")
	}
	w.Clear()
	if w.MonthField().Text != "" {
		t.Error("Clear left the month")
	}
	New(Callbacks{}).TypedKey(&fyne.KeyEvent{Name: fyne.KeyM}) // a nil callback is ignored
}

// TestHomeNewLog: while a new audit log is offered, its button and Enter in the reason field
// ask for it with the reason typed (trimmed); N puts the cursor in the empty reason field, and
// with a reason typed asks for the log; nothing is offered (and N is not used) otherwise.
func TestHomeNewLog(t *testing.T) {
	test.NewTempApp(t)
	var asked []string
	w := New(Callbacks{NewLog: func(r string) { asked = append(asked, r) }})
	win := test.NewTempWindow(t, w.Object())
	w.Render(sampleViews()["home.xml"])
	if w.NewLogOffered() || w.TypedRune('n') {
		t.Fatal("a new log is offered on a whole log")
	}
	w.Render(sampleViews()["home-new-log.xml"])
	if !w.NewLogOffered() || w.NewLogButton().Text != "Start a new audit log (N)" {
		t.Fatalf("button %q visible %v", w.NewLogButton().Text, w.NewLogOffered())
	}
	if !w.TypedRune('n') || win.Canvas().Focused() != w.NewLogReason() || len(asked) != 0 || w.NewLogReason().Text != "" {
		t.Fatalf("N with no reason: focus %v, asked %v", win.Canvas().Focused(), asked)
	}
	test.Type(w.NewLogReason(), "  PC rebuilt ")
	w.NewLogReason().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	test.Tap(w.NewLogButton())
	win.Canvas().Unfocus()
	w.TypedRune('N')
	if got := strings.Join(asked, "|"); got != "PC rebuilt|PC rebuilt|PC rebuilt" {
		t.Errorf("asked %q", got)
	}
	// A render without the offer hides it and forgets the reason.
	w.Render(sampleViews()["home.xml"])
	if w.NewLogOffered() || w.NewLogReason().Text != "" {
		t.Error("the offer stayed after the log was whole")
	}
	New(Callbacks{}).TypedRune('n') // a nil callback is ignored
}

// TestQueueSelectionSurvivesRenders: the row the arrows selected is the row Enter opens, even
// after the window re-renders the same queue (a status update) and when the list itself has
// the keyboard focus (a click in it): a plain list took Enter and opened its own first row
// while the footer said "row 2 selected". The selected row is marked; a new queue starts at
// its first row.
func TestQueueSelectionSurvivesRenders(t *testing.T) {
	test.NewTempApp(t)
	var opened []int64
	w := New(Callbacks{Open: func(s int64) { opened = append(opened, s) }})
	win := test.NewTempWindow(t, w.Object())
	win.Resize(fyne.NewSize(1000, 640))
	cv := win.Canvas()
	cv.SetOnTypedKey(func(ev *fyne.KeyEvent) { w.TypedKey(ev) }) // as the shell does
	v := sampleViews()["cases.xml"]
	w.Render(v)
	w.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	w.Render(v) // a re-render of the same queue
	if got := w.cCount.Text; !strings.Contains(got, "row 2 selected") {
		t.Fatalf("footer after a re-render %q, want row 2 selected", got)
	}
	cv.Focus(w.cList)
	w.cList.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(opened) != 1 || opened[0] != 39 {
		t.Fatalf("Enter with the list focused opened %v, want [39] (row 2)", opened)
	}
	marked := 0
	for _, o := range test.LaidOutObjects(w.cList) {
		if l, ok := o.(*widget.Label); ok && strings.HasPrefix(l.Text, "▶ ") {
			marked++
			if !strings.Contains(l.Text, "Tom Evans") {
				t.Errorf("marked row %q, want Tom Evans's", l.Text)
			}
		}
	}
	if marked != 1 {
		t.Errorf("%d rows marked, want 1", marked)
	}
	other := v
	other.Cases.Rows = []CaseRow{{Seq: 7, Risk: "3", Who: "Sam Lee"}, {Seq: 6, Risk: "3", Who: "Sam Lee"}}
	w.Render(other)
	w.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(opened) != 2 || opened[1] != 7 {
		t.Errorf("a new queue opened %v, want its first row (7)", opened)
	}
}

// TestFormTypingSurvivesRenders: what is typed in the Subject Access Request form and the
// queue's filters stays through a re-render that brings the same view (a status update wiped
// the first digits of the NHS number in the real window); a view with another value shows it;
// Clear (the lock) wipes the typing too.
func TestFormTypingSurvivesRenders(t *testing.T) {
	test.NewTempApp(t)
	w := New(Callbacks{})
	test.NewTempWindow(t, w.Object())
	sar := View{Page: PageSAR}
	w.Render(sar)
	nhs := w.SARFields()[0]
	test.Type(nhs, "99")
	w.Render(sar)
	test.Type(nhs, "90050635")
	if nhs.Text != "9990050635" {
		t.Fatalf("the NHS number after a re-render while typing: %q", nhs.Text)
	}
	filled := sar
	filled.SAR.NHS = "999 005 0635"
	w.Render(filled)
	if nhs.Text != "999 005 0635" {
		t.Errorf("a view with a value shows %q", nhs.Text)
	}
	cases := sampleViews()["cases.xml"]
	w.Render(cases)
	test.Type(w.cUser, "5550000")
	w.Render(cases)
	if w.cUser.Text != "5550000" {
		t.Errorf("the user filter after a re-render while typing: %q", w.cUser.Text)
	}
	w.Clear()
	if nhs.Text != "" || w.cUser.Text != "" {
		t.Errorf("Clear left %q and %q", nhs.Text, w.cUser.Text)
	}
}
