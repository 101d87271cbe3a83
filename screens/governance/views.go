// Package governance holds the SCR Governance Person's screens: Home (the integrity line, open
// and overdue cases, coverage, the monthly report), the case queue, a case with its context and actions, the audit
// browser in plain words, and the Subject Access Request form. Each is a pure Render(view) of
// plain strings the controller computes; callbacks only report intent. Call everything on the
// UI goroutine.
package governance

// Page is which governance screen is shown.
type Page int

// The pages.
const (
	PageHome Page = iota
	PageCases
	PageCase
	PageAudit
	PageSAR
)

// View is everything the governance workspace shows. The zero value is an empty Home.
type View struct {
	Page Page
	// Message is a plain-English line (what happened, what to do), Problem marks it as a refusal.
	Message string
	Problem bool

	Home  HomeView
	Cases CasesView
	Case  CaseView
	Audit AuditView
	SAR   SARView
}

// HomeView is the workspace's first screen.
type HomeView struct {
	Integrity   string // "Verified: all 1,204,311 entries, ..." or what is wrong and what to do
	IntegrityOK bool
	// Central is the pharmacy-wide audit log's replication state ("central audit log:
	// replicated to entry 1,204, 3 s ago" / "... offline since 09:14, 212 entries waiting"),
	// or "" when no central database is set up.
	Central     string
	Open        string // "12 cases open"
	Overdue     string // "" or "3 cases are overdue for review (weekly)"
	Coverage    float64
	CoverageTxt string // "Reviewed 40 of 52 sampled cases (77%); the SOP asks for all"
	// RulesOff names the detection rules switched off in settings ("Rules switched off in
	// settings (they raise no cases): Out of hours."), or "" when every rule is on.
	RulesOff string
	// RulesChanged names the thresholds and review shares changed from SGP.md's defaults
	// ("Rule settings changed from SGP.md's defaults: Repeat re-opening: openings 5 (default
	// 3)."), or "" when none is.
	RulesChanged string
	LastReview   string // "Last review: 3 March 2026 at 14:05 by Grace Okafor" or "No review yet"
	Backfill     string // "" or "Checking the log against the rules: 1,200,000 of 10,000,000"
	Progress     float64
	Seed         string // "Sample seed 1234 (recorded 2 March 2026)"
	// ReportMonth is the monthly report's month as YYYY-MM (the controller's default: the last
	// full month); ReportSaved says where the last report was saved ("" before one is).
	ReportMonth string
	ReportSaved string
	// NewLog, when set, offers to start a new audit log (the log was found removed or
	// replaced): what will happen, in words ("Starting a new log keeps the file found …").
	NewLog string
}

// Filter is the queue's and the browser's filter, as typed.
type Filter struct {
	State, Rule, Action, Outcome     string // "" = any
	User, NHS, From, To, Workstation string
	// Scope is the audit browser's reach: "" this workstation, "pharmacy" every workstation
	// with this ODS code (the central audit log).
	Scope string
}

// Choice is one option of a filter's drop-down: the stored value and its words.
type Choice struct{ Value, Label string }

// CaseRow is one line of the queue.
type CaseRow struct {
	Seq                          int64
	Risk, When, Who, What, State string
}

// CasesView is the case queue.
type CasesView struct {
	Filter        Filter
	States, Rules []Choice
	Rows          []CaseRow
	Count         string // "24 cases match"
	More          bool   // another page follows
	Selected      int
}

// Line is a label and its text.
type Line struct{ Label, Text string }

// CaseView is one case.
type CaseView struct {
	Seq                int64
	Title              string // "Emergency access by Tom Evans, 12 March 2026 10:12"
	State              string
	Facts              []Line   // when, who, role, patient, workstation, reason
	Evidence           []Line   // rule -> what it saw
	UserNear           []string // the user's other accesses around it
	Patient            []string // the patient's other accesses
	Steps              []string // the review so far, oldest first
	Own                bool     // the case is about the signed-in SGP's own access: no actions
	CanStart, CanClose bool
}

// AuditView is the audit browser.
type AuditView struct {
	Filter            Filter
	Actions, Outcomes []Choice
	// Scopes offers "this workstation" / "the whole pharmacy" when a central audit log can be
	// read; empty hides the switch.
	Scopes []Choice
	Rows   []string // plain words, newest first
	More   bool
	Count  string
}

// SARView is the Subject Access Request form and its preview.
type SARView struct {
	NHS, From, To, Reference, Received, Identity string
	Names                                        bool
	Preview                                      []string // the first lines of the report
	Summary                                      string   // "38 accesses from ... to ...; hash ..."
	Saved                                        string   // "Saved /home/.../SAR-7.pdf and .csv"
}
