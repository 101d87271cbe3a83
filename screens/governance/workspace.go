package governance

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"scrdesk/screens/kit"
)

// Callbacks are what the workspace can ask for. Nil callbacks are ignored.
type Callbacks struct {
	Go         func(p Page)                              // show another page
	Filter     func(p Page, f Filter)                    // a filter changed (the queue or the browser)
	More       func(p Page)                              // the next page of rows
	Open       func(seq int64)                           // open a case
	Step       func(seq int64, kind, note, extra string) // note, start, close, breach, escalate
	SARPreview func(v SARView)
	SARSave    func(v SARView)
	Settings   func() // open the settings screen (Home's Settings button, or S on Home)
	// MonthlyReport saves the monthly governance report for month (YYYY-MM as typed; ""
	// the default): Home's "Monthly report" button, or M on Home.
	MonthlyReport func(month string)
	// NewLog starts a new audit log after the log was found removed or replaced, for the
	// reason typed: Home's "Start a new audit log" button, Enter in its reason field, or N on
	// Home. Offered only while HomeView.NewLog is set.
	NewLog func(reason string)
}

// Workspace is the governance workspace: a bar of pages and the current page.
type Workspace struct {
	cb   Callbacks
	view View

	message *widget.Label
	pages   *fyne.Container
	root    *fyne.Container

	// Home
	integrity, central, open, overdue, coverageTxt, lastReview, backfill, seed *widget.Label
	rulesOff, rulesChanged                                                     *widget.Label
	coverage, progress                                                         *widget.ProgressBar
	home                                                                       *fyne.Container
	settings                                                                   *kit.Button
	month                                                                      *widget.Entry
	monthly                                                                    *kit.Button
	reportSaved                                                                *widget.Label
	newLogText                                                                 *widget.Label
	newLogReason                                                               *widget.Entry
	newLogBtn                                                                  *kit.Button
	newLogBox                                                                  *fyne.Container
	homeLog                                                                    *fyne.Container          // Home below the integrity line
	shownMonth                                                                 string                   // the ReportMonth last rendered
	shownText                                                                  map[*widget.Entry]string // the value each form entry was last given by a view (setEntry)

	// Cases
	cState, cRule                *widget.Select
	cUser, cNHS, cFrom, cTo, cWS *widget.Entry
	cList                        *kit.ReadList
	cCount                       *widget.Label
	cMore                        *kit.Button
	cases                        *fyne.Container

	// Case
	kTitle, kState, kFacts, kEvidence, kUser, kPatient, kSteps *widget.Label
	kNote                                                      *kit.TextArea
	kExtra                                                     *widget.Entry
	kStart, kClose, kBreach, kEscalate, kAddNote, kBack        *kit.Button
	kase                                                       *fyne.Container

	// Audit
	aAction, aOutcome       *widget.Select
	aScope                  *widget.Select
	aUser, aNHS, aFrom, aTo *widget.Entry
	aList                   *widget.List
	aCount                  *widget.Label
	aMore                   *kit.Button
	audit                   *fyne.Container

	// SAR
	sNHS, sFrom, sTo, sRef, sReceived, sIdentity *widget.Entry
	sNames                                       *widget.Check
	sSummary, sPreview, sSaved                   *widget.Label
	sar                                          *fyne.Container

	rendering bool // Render is setting widgets: their change callbacks must not report
}

func call(f func()) {
	if f != nil {
		f()
	}
}

func entry(placeholder string) *widget.Entry {
	e := widget.NewEntry()
	e.SetPlaceHolder(placeholder)
	return e
}

// NavItem is one of the workspace's pages in its navigation row, with the key that goes there
// from anywhere in the workspace (the window registers them in its main menu, so a focused
// entry does not swallow them).
type NavItem struct {
	Page     Page
	Label    string
	Shortcut *desktop.CustomShortcut
}

func (n NavItem) icon() fyne.Resource {
	switch n.Page {
	case PageHome:
		return theme.HomeIcon()
	case PageCases:
		return theme.ListIcon()
	case PageAudit:
		return theme.SearchIcon()
	}
	return theme.DocumentIcon()
}

// Nav is the navigation row: Ctrl+1 Home, Ctrl+2 Cases, Ctrl+3 Audit log, Ctrl+4 Subject Access
// Request.
var Nav = []NavItem{
	{PageHome, "Home", &desktop.CustomShortcut{KeyName: fyne.Key1, Modifier: fyne.KeyModifierShortcutDefault}},
	{PageCases, "Cases", &desktop.CustomShortcut{KeyName: fyne.Key2, Modifier: fyne.KeyModifierShortcutDefault}},
	{PageAudit, "Audit log", &desktop.CustomShortcut{KeyName: fyne.Key3, Modifier: fyne.KeyModifierShortcutDefault}},
	{PageSAR, "Subject Access Request", &desktop.CustomShortcut{KeyName: fyne.Key4, Modifier: fyne.KeyModifierShortcutDefault}},
}

func wrapLabel(bold bool) *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	l.TextStyle.Bold = bold
	return l
}

// New builds the workspace. Call on the UI goroutine.
func New(cb Callbacks) *Workspace {
	w := &Workspace{cb: cb}
	gotoPage := func(p Page) func() {
		return func() {
			call(func() {
				if w.cb.Go != nil {
					w.cb.Go(p)
				}
			})
		}
	}
	nav := container.NewHBox()
	for _, n := range Nav {
		nav.Add(kit.NewButton(n.Label+" (Ctrl+"+string(n.Shortcut.KeyName)+")", n.icon(), gotoPage(n.Page)))
	}
	w.message = wrapLabel(true)

	// Home
	w.integrity = wrapLabel(true)
	w.central = wrapLabel(false)
	w.open, w.overdue, w.coverageTxt, w.lastReview, w.backfill, w.seed =
		wrapLabel(false), wrapLabel(true), wrapLabel(false), wrapLabel(false), wrapLabel(false), wrapLabel(false)
	w.overdue.Importance = widget.DangerImportance
	w.rulesOff = wrapLabel(true)
	w.rulesOff.Importance = widget.WarningImportance
	w.rulesChanged = wrapLabel(false)
	w.rulesChanged.Importance = widget.WarningImportance
	w.coverage, w.progress = widget.NewProgressBar(), widget.NewProgressBar()
	w.settings = kit.NewButton("Settings (S)", theme.SettingsIcon(), func() { call(w.cb.Settings) })
	w.month = entry("Month YYYY-MM")
	w.month.OnSubmitted = func(string) { w.monthlyReport() }
	w.monthly = kit.NewButton("Monthly report (M)", theme.DocumentSaveIcon(), w.monthlyReport)
	w.reportSaved = wrapLabel(false)
	w.newLogText = wrapLabel(false)
	w.newLogReason = entry("Why: for example, the PC was rebuilt (IT ticket 4512)")
	w.newLogReason.OnSubmitted = func(string) { w.newLog() }
	w.newLogBtn = kit.NewButton("Start a new audit log (N)", theme.ContentAddIcon(), w.newLog)
	w.newLogBox = container.NewVBox(w.newLogText,
		container.NewBorder(nil, nil, widget.NewLabel("Reason"), w.newLogBtn, w.newLogReason))
	w.newLogBox.Hide()
	// While a new log is offered, nothing of the log can be read: the review and report
	// sections are hidden (homeLog).
	w.homeLog = container.NewVBox(w.central, widget.NewSeparator(), w.overdue, w.open,
		widget.NewLabelWithStyle("Review coverage against the SOP", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		w.coverage, w.coverageTxt, w.rulesOff, w.rulesChanged, w.lastReview, w.seed, w.backfill, w.progress,
		widget.NewLabelWithStyle("Monthly governance report (PDF for the superintendent)", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewHBox(widget.NewLabel("Month"), container.NewGridWrap(fyne.NewSize(140, w.month.MinSize().Height), w.month), w.monthly),
		w.reportSaved)
	w.home = container.NewVBox(container.NewHBox(w.settings),
		widget.NewLabelWithStyle("Is the log whole?", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		w.integrity, w.newLogBox, w.homeLog)

	// Cases
	w.cState = widget.NewSelect(nil, func(string) { w.filterChanged(PageCases) })
	w.cRule = widget.NewSelect(nil, func(string) { w.filterChanged(PageCases) })
	w.cUser, w.cNHS, w.cFrom, w.cTo, w.cWS = entry("User id"), entry("NHS number"), entry("From YYYY-MM-DD"), entry("To YYYY-MM-DD"), entry("Workstation")
	for _, e := range []*widget.Entry{w.cUser, w.cNHS, w.cFrom, w.cTo, w.cWS} {
		e.OnSubmitted = func(string) { w.filterChanged(PageCases) }
	}
	// The queue's keys are the workspace's (TypedKey: arrows move the selected row, Enter opens
	// it): the list passes every key on (a plain list took Enter and opened its own focused
	// row, not the one the footer named). A tap opens the tapped row. The selected row is
	// marked, not told by the footer alone.
	w.cList = kit.NewReadList(func() int { return len(w.view.Cases.Rows) },
		func() fyne.CanvasObject { return widget.NewLabel("risk • when • who • what • state") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(w.view.Cases.Rows) {
				r := w.view.Cases.Rows[i]
				l := o.(*widget.Label)
				text := strings.Join([]string{r.Risk, r.When, r.Who, r.What, r.State}, "   ")
				sel := i == w.view.Cases.Selected
				if sel {
					text = "▶ " + text
				}
				l.TextStyle.Bold = sel
				l.SetText(text)
			}
		})
	w.cList.OnSelected = func(i widget.ListItemID) {
		w.cList.Unselect(i)
		if w.rendering || i >= len(w.view.Cases.Rows) {
			return
		}
		seq := w.view.Cases.Rows[i].Seq
		if w.cb.Open != nil {
			w.cb.Open(seq)
		}
	}
	w.cCount = widget.NewLabel("")
	w.cMore = kit.NewButton("More", nil, func() {
		if w.cb.More != nil {
			w.cb.More(PageCases)
		}
	})
	filters := container.NewGridWithColumns(4, w.cState, w.cRule, w.cUser, w.cNHS, w.cFrom, w.cTo, w.cWS,
		kit.NewButton("Apply", theme.SearchIcon(), func() { w.filterChanged(PageCases) }))
	w.cases = container.NewBorder(filters, container.NewHBox(w.cCount, w.cMore), nil, nil, w.cList)

	// Case
	w.kTitle = wrapLabel(true)
	w.kState, w.kFacts, w.kEvidence, w.kUser, w.kPatient, w.kSteps = wrapLabel(true), wrapLabel(false), wrapLabel(false), wrapLabel(false), wrapLabel(false), wrapLabel(false)
	w.kNote = kit.NewTextArea() // Tab moves on to the buttons
	w.kNote.SetPlaceHolder("Note: what you checked and what you found")
	w.kNote.SetMinRowsVisible(2)
	w.kExtra = entry("Action taken (inappropriate) or escalated to whom")
	step := func(kind string) func() {
		return func() {
			if w.cb.Step != nil {
				w.cb.Step(w.view.Case.Seq, kind, w.kNote.Text, w.kExtra.Text)
			}
		}
	}
	w.kAddNote = kit.NewButton("Add note", nil, step("note"))
	w.kStart = kit.NewButton("Start review", nil, step("start"))
	w.kClose = kit.NewButton("Close: appropriate", nil, step("close"))
	w.kBreach = kit.NewButton("Close: inappropriate", nil, step("breach"))
	w.kEscalate = kit.NewButton("Escalate", nil, step("escalate"))
	w.kBack = kit.NewButton("Back to cases (Esc)", theme.NavigateBackIcon(), gotoPage(PageCases))
	section := func(s string) *widget.Label {
		return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	w.kase = container.NewBorder(container.NewVBox(container.NewHBox(w.kBack, w.kState), w.kTitle),
		container.NewVBox(w.kNote, w.kExtra, container.NewHBox(w.kAddNote, w.kStart, w.kClose, w.kBreach, w.kEscalate)),
		nil, nil,
		container.NewVScroll(container.NewVBox(w.kFacts, section("What the rules saw"), w.kEvidence,
			section("This user's other accesses around it"), w.kUser,
			section("This patient's other accesses"), w.kPatient, section("The review so far"), w.kSteps)))

	// Audit
	w.aAction = widget.NewSelect(nil, func(string) { w.filterChanged(PageAudit) })
	w.aOutcome = widget.NewSelect(nil, func(string) { w.filterChanged(PageAudit) })
	w.aScope = widget.NewSelect(nil, func(string) { w.filterChanged(PageAudit) })
	w.aUser, w.aNHS, w.aFrom, w.aTo = entry("User id"), entry("NHS number"), entry("From YYYY-MM-DD"), entry("To YYYY-MM-DD")
	for _, e := range []*widget.Entry{w.aUser, w.aNHS, w.aFrom, w.aTo} {
		e.OnSubmitted = func(string) { w.filterChanged(PageAudit) }
	}
	w.aList = widget.NewList(func() int { return len(w.view.Audit.Rows) },
		func() fyne.CanvasObject { return widget.NewLabel("entry") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(w.view.Audit.Rows) {
				o.(*widget.Label).SetText(w.view.Audit.Rows[i])
			}
		})
	w.aCount = widget.NewLabel("")
	w.aMore = kit.NewButton("More", nil, func() {
		if w.cb.More != nil {
			w.cb.More(PageAudit)
		}
	})
	w.audit = container.NewBorder(container.NewVBox(w.aScope, container.NewGridWithColumns(3, w.aAction, w.aOutcome, w.aUser, w.aNHS, w.aFrom, w.aTo)),
		container.NewHBox(w.aCount, w.aMore), nil, nil, w.aList)

	// SAR
	w.sNHS, w.sFrom, w.sTo = entry("NHS number"), entry("From YYYY-MM-DD (optional)"), entry("To YYYY-MM-DD (optional)")
	w.sRef, w.sReceived, w.sIdentity = entry("Reference"), entry("Received YYYY-MM-DD"), entry("How the requester's identity was checked")
	w.sNames = widget.NewCheck("Give the names of the people who looked (the pharmacy has decided they must be given)", nil)
	w.sSummary, w.sPreview, w.sSaved = wrapLabel(true), wrapLabel(false), wrapLabel(false)
	form := widget.NewForm(widget.NewFormItem("NHS number", w.sNHS), widget.NewFormItem("From", w.sFrom),
		widget.NewFormItem("To", w.sTo), widget.NewFormItem("Reference", w.sRef),
		widget.NewFormItem("Received", w.sReceived), widget.NewFormItem("Identity checked", w.sIdentity))
	w.sar = container.NewBorder(container.NewVBox(form, w.sNames, container.NewHBox(
		kit.NewButton("Preview", theme.VisibilityIcon(), func() {
			if w.cb.SARPreview != nil {
				w.cb.SARPreview(w.sarForm())
			}
		}),
		kit.NewButton("Save PDF and CSV", theme.DocumentSaveIcon(), func() {
			if w.cb.SARSave != nil {
				w.cb.SARSave(w.sarForm())
			}
		}),
	), w.sSummary, w.sSaved), nil, nil, nil, container.NewVScroll(w.sPreview))

	w.pages = container.NewStack(w.home)
	w.root = container.NewBorder(container.NewVBox(nav, w.message), nil, nil, nil, w.pages)
	w.Render(View{})
	return w
}

// monthlyReport asks for the monthly report of the month typed.
func (w *Workspace) monthlyReport() {
	if w.cb.MonthlyReport != nil {
		w.cb.MonthlyReport(strings.TrimSpace(w.month.Text))
	}
}

// newLog asks for a new audit log, with the reason typed, when Home offers one.
func (w *Workspace) newLog() {
	if w.view.Page != PageHome || w.view.Home.NewLog == "" || w.cb.NewLog == nil {
		return
	}
	w.cb.NewLog(strings.TrimSpace(w.newLogReason.Text))
}

func (w *Workspace) sarForm() SARView {
	return SARView{NHS: w.sNHS.Text, From: w.sFrom.Text, To: w.sTo.Text, Reference: w.sRef.Text,
		Received: w.sReceived.Text, Identity: w.sIdentity.Text, Names: w.sNames.Checked}
}

func valueOf(cs []Choice, label string) string {
	for _, c := range cs {
		if c.Label == label {
			return c.Value
		}
	}
	return ""
}

func labelOf(cs []Choice, value string) string {
	for _, c := range cs {
		if c.Value == value {
			return c.Label
		}
	}
	if len(cs) > 0 {
		return cs[0].Label
	}
	return ""
}

func labels(cs []Choice) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Label
	}
	return out
}

func (w *Workspace) filterChanged(p Page) {
	if w.rendering || w.cb.Filter == nil {
		return
	}
	switch p {
	case PageCases:
		w.cb.Filter(p, Filter{State: valueOf(w.view.Cases.States, w.cState.Selected), Rule: valueOf(w.view.Cases.Rules, w.cRule.Selected),
			User: w.cUser.Text, NHS: w.cNHS.Text, From: w.cFrom.Text, To: w.cTo.Text, Workstation: w.cWS.Text})
	case PageAudit:
		w.cb.Filter(p, Filter{Scope: valueOf(w.view.Audit.Scopes, w.aScope.Selected),
			Action: valueOf(w.view.Audit.Actions, w.aAction.Selected), Outcome: valueOf(w.view.Audit.Outcomes, w.aOutcome.Selected),
			User: w.aUser.Text, NHS: w.aNHS.Text, From: w.aFrom.Text, To: w.aTo.Text})
	}
}

// Render shows v. Call on the UI goroutine. The queue's selected row is the workspace's own
// (the arrows move it between renders): a render of the same rows keeps it, so a re-render
// (a status update) never moves Enter to another case than the one marked.
func (w *Workspace) Render(v View) {
	w.rendering = true
	defer func() { w.rendering = false }()
	if sameRows(v.Cases.Rows, w.view.Cases.Rows) {
		v.Cases.Selected = w.view.Cases.Selected
	}
	w.view = v
	w.message.SetText(v.Message)
	w.message.Importance = widget.MediumImportance
	if v.Problem {
		w.message.Importance = widget.DangerImportance
	}
	if v.Message == "" {
		w.message.Hide()
	} else {
		w.message.Show()
	}
	var page fyne.CanvasObject
	switch v.Page {
	case PageCases:
		w.renderCases(v.Cases)
		page = w.cases
	case PageCase:
		w.renderCase(v.Case)
		page = w.kase
	case PageAudit:
		w.renderAudit(v.Audit)
		page = w.audit
	case PageSAR:
		w.renderSAR(v.SAR)
		page = w.sar
	default:
		w.renderHome(v.Home)
		page = w.home
	}
	if len(w.pages.Objects) != 1 || w.pages.Objects[0] != page {
		w.pages.Objects = []fyne.CanvasObject{page}
		w.pages.Refresh()
	}
}

func showText(l *widget.Label, s string) {
	l.SetText(s)
	if s == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

func (w *Workspace) renderHome(h HomeView) {
	w.integrity.SetText(h.Integrity)
	w.integrity.Importance = widget.SuccessImportance
	if !h.IntegrityOK {
		w.integrity.Importance = widget.DangerImportance
	}
	w.integrity.Refresh()
	showText(w.central, h.Central)
	showText(w.overdue, h.Overdue)
	w.open.SetText(h.Open)
	w.coverage.SetValue(h.Coverage)
	w.coverageTxt.SetText(h.CoverageTxt)
	showText(w.rulesOff, h.RulesOff)
	showText(w.rulesChanged, h.RulesChanged)
	w.lastReview.SetText(h.LastReview)
	showText(w.seed, h.Seed)
	showText(w.backfill, h.Backfill)
	if h.Backfill == "" {
		w.progress.Hide()
	} else {
		w.progress.SetValue(h.Progress)
		w.progress.Show()
	}
	// The month field keeps what the person typed until the controller offers another month.
	if h.ReportMonth != w.shownMonth {
		w.shownMonth = h.ReportMonth
		w.month.SetText(h.ReportMonth)
	}
	showText(w.reportSaved, h.ReportSaved)
	if h.NewLog == "" {
		w.newLogBox.Hide()
		w.newLogReason.SetText("")
		w.homeLog.Show()
	} else {
		w.newLogText.SetText(h.NewLog)
		w.newLogBox.Show()
		w.homeLog.Hide()
	}
}

func setSelect(s *widget.Select, cs []Choice, value string) {
	s.Options = labels(cs)
	s.SetSelected(labelOf(cs, value))
}

// setEntry shows the view's value s in e when it differs from the value the view last gave e:
// a re-render that brings the same value (a status update) keeps what the person is typing
// (it wiped the first digits of a Subject Access Request's NHS number).
func (w *Workspace) setEntry(e *widget.Entry, s string) {
	if last, ok := w.shownText[e]; ok && last == s {
		return
	}
	if w.shownText == nil {
		w.shownText = map[*widget.Entry]string{}
	}
	w.shownText[e] = s
	if e.Text != s {
		e.SetText(s)
	}
}

func (w *Workspace) renderCases(c CasesView) {
	setSelect(w.cState, c.States, c.Filter.State)
	setSelect(w.cRule, c.Rules, c.Filter.Rule)
	w.setEntry(w.cUser, c.Filter.User)
	w.setEntry(w.cNHS, c.Filter.NHS)
	w.setEntry(w.cFrom, c.Filter.From)
	w.setEntry(w.cTo, c.Filter.To)
	w.setEntry(w.cWS, c.Filter.Workstation)
	w.cList.UnselectAll()
	w.cList.Refresh()
	w.cCount.SetText(countLine(c))
	if c.More {
		w.cMore.Show()
	} else {
		w.cMore.Hide()
	}
}

func lines(ls []Line) string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(l.Label + ": " + l.Text + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func bullets(ss []string, none string) string {
	if len(ss) == 0 {
		return none
	}
	return "• " + strings.Join(ss, "\n• ")
}

func (w *Workspace) renderCase(c CaseView) {
	w.kTitle.SetText(c.Title)
	w.kState.SetText(c.State)
	w.kFacts.SetText(lines(c.Facts))
	w.kEvidence.SetText(lines(c.Evidence))
	w.kUser.SetText(bullets(c.UserNear, "None in the day around it."))
	w.kPatient.SetText(bullets(c.Patient, "None."))
	w.kSteps.SetText(bullets(c.Steps, "Not reviewed yet."))
	for _, b := range []*kit.Button{w.kAddNote, w.kStart, w.kClose, w.kBreach, w.kEscalate} {
		b.Enable()
	}
	if c.Own {
		for _, b := range []*kit.Button{w.kAddNote, w.kStart, w.kClose, w.kBreach, w.kEscalate} {
			b.Disable()
		}
		w.kNote.Disable()
		w.kExtra.Disable()
	} else {
		w.kNote.Enable()
		w.kExtra.Enable()
		if !c.CanStart {
			w.kStart.Disable()
		}
		if !c.CanClose {
			w.kClose.Disable()
			w.kBreach.Disable()
			w.kEscalate.Disable()
		}
	}
}

// ClearNote empties the note and extra fields (after a step was recorded).
func (w *Workspace) ClearNote() {
	w.kNote.SetText("")
	w.kExtra.SetText("")
}

func (w *Workspace) renderAudit(a AuditView) {
	setSelect(w.aScope, a.Scopes, a.Filter.Scope)
	if len(a.Scopes) > 0 {
		w.aScope.Show()
	} else {
		w.aScope.Hide()
	}
	setSelect(w.aAction, a.Actions, a.Filter.Action)
	setSelect(w.aOutcome, a.Outcomes, a.Filter.Outcome)
	w.setEntry(w.aUser, a.Filter.User)
	w.setEntry(w.aNHS, a.Filter.NHS)
	w.setEntry(w.aFrom, a.Filter.From)
	w.setEntry(w.aTo, a.Filter.To)
	w.aList.Refresh()
	w.aCount.SetText(a.Count)
	if a.More {
		w.aMore.Show()
	} else {
		w.aMore.Hide()
	}
}

func (w *Workspace) renderSAR(s SARView) {
	w.setEntry(w.sNHS, s.NHS)
	w.setEntry(w.sFrom, s.From)
	w.setEntry(w.sTo, s.To)
	w.setEntry(w.sRef, s.Reference)
	w.setEntry(w.sReceived, s.Received)
	w.setEntry(w.sIdentity, s.Identity)
	w.sNames.SetChecked(s.Names)
	showText(w.sSummary, s.Summary)
	showText(w.sSaved, s.Saved)
	w.sPreview.SetText(strings.Join(s.Preview, "\n"))
}

// Clear forgets everything shown (the lock drops it all).
func (w *Workspace) Clear() {
	for e := range w.shownText {
		e.SetText("") // typed or shown: gone
	}
	w.shownText = nil
	w.Render(View{})
	w.view.Cases, w.view.Audit = CasesView{}, AuditView{}
	w.cList.Refresh()
	w.aList.Refresh()
	w.Render(View{Page: PageSAR})
	w.Render(View{Page: PageCase})
	w.ClearNote()
	w.month.SetText("")
	w.shownMonth = ""
	w.Render(View{})
}

// TypedKey handles the keyboard: on Home, S opens the settings and M saves the monthly report
// (of the month in the field) (N, for a new audit log, is a rune: TypedRune); on the queue, Up/Down move,
// Enter opens; Escape goes back (case -> queue -> home). It reports whether it used the key.
func (w *Workspace) TypedKey(ev *fyne.KeyEvent) bool {
	switch w.view.Page {
	case PageHome:
		switch ev.Name {
		case fyne.KeyS:
			call(w.cb.Settings)
			return true
		case fyne.KeyM:
			w.monthlyReport()
			return true

		}
	case PageCases:
		n := len(w.view.Cases.Rows)
		switch ev.Name {
		case fyne.KeyDown:
			if w.view.Cases.Selected < n-1 {
				w.view.Cases.Selected++
			}
			w.highlight()
			return true
		case fyne.KeyUp:
			if w.view.Cases.Selected > 0 {
				w.view.Cases.Selected--
			}
			w.highlight()
			return true
		case fyne.KeyReturn, fyne.KeyEnter:
			if i := w.view.Cases.Selected; i >= 0 && i < n && w.cb.Open != nil {
				w.cb.Open(w.view.Cases.Rows[i].Seq)
			}
			return true
		case fyne.KeyEscape:
			call(func() {
				if w.cb.Go != nil {
					w.cb.Go(PageHome)
				}
			})
			return true
		}
	case PageCase:
		if ev.Name == fyne.KeyEscape {
			call(func() {
				if w.cb.Go != nil {
					w.cb.Go(PageCases)
				}
			})
			return true
		}
	case PageAudit, PageSAR:
		if ev.Name == fyne.KeyEscape {
			call(func() {
				if w.cb.Go != nil {
					w.cb.Go(PageHome)
				}
			})
			return true
		}
	}
	return false
}

// TypedRune handles the characters nothing focused took: on Home, while a new audit log is
// offered, N puts the cursor in its reason field (or, with a reason typed, starts it). It is a
// rune, not a key (TypedKey), because the window sends the key first and then its character to
// whatever has the focus by then: handled as a key, the N would land in the field it focused.
// It reports whether it used the rune.
func (w *Workspace) TypedRune(r rune) bool {
	if w.view.Page != PageHome || w.view.Home.NewLog == "" || (r != 'n' && r != 'N') {
		return false
	}
	if strings.TrimSpace(w.newLogReason.Text) == "" {
		// The reason comes first: N puts the cursor in its field, Enter then starts.
		if c := fyne.CurrentApp().Driver().CanvasForObject(w.newLogReason); c != nil {
			c.Focus(w.newLogReason)
		}
		return true
	}
	w.newLog()
	return true
}

// highlight marks the keyboard's row and scrolls the queue to it, without opening it.
func (w *Workspace) highlight() {
	w.cList.Refresh()
	w.cList.ScrollTo(w.view.Cases.Selected)
	w.cCount.SetText(countLine(w.view.Cases))
}

// countLine is the queue's footer: the count, and which row Enter opens.
func countLine(c CasesView) string {
	if c.Selected < 0 || c.Selected >= len(c.Rows) {
		return c.Count
	}
	return c.Count + "  (row " + itoa(c.Selected+1) + " selected: Enter opens it)"
}

// sameRows reports whether a and b list the same cases in the same order (and any at all).
func sameRows(a, b []CaseRow) bool {
	if len(a) == 0 || len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Seq != b[i].Seq {
			return false
		}
	}
	return true
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// Object is the workspace's root.
func (w *Workspace) Object() fyne.CanvasObject { return w.root }

// CaseNote is the note field of the case page (for the keyboard and tests).
func (w *Workspace) CaseNote() *kit.TextArea { return w.kNote }

// CaseExtra is the "action taken / escalated to" field.
func (w *Workspace) CaseExtra() *widget.Entry { return w.kExtra }

// Button returns a case-page button by its label, for tests: "Add note", "Start review", ...
func (w *Workspace) Button(label string) *kit.Button {
	for _, b := range []*kit.Button{w.kAddNote, w.kStart, w.kClose, w.kBreach, w.kEscalate} {
		if b.Text == label {
			return b
		}
	}
	return nil
}

// MonthField and MonthlyButton are Home's monthly report controls (for the keyboard and tests).
func (w *Workspace) MonthField() *widget.Entry { return w.month }

// MonthlyButton is Home's "Monthly report" button.
func (w *Workspace) MonthlyButton() *kit.Button { return w.monthly }

// NewLogReason and NewLogButton are Home's "start a new audit log" controls (for the keyboard
// and tests); they are shown only while HomeView.NewLog is set.
func (w *Workspace) NewLogReason() *widget.Entry { return w.newLogReason }

// NewLogOffered reports whether Home shows the "start a new audit log" controls.
func (w *Workspace) NewLogOffered() bool { return w.newLogBox.Visible() }

// NewLogButton is Home's "Start a new audit log" button.
func (w *Workspace) NewLogButton() *kit.Button { return w.newLogBtn }

// SettingsButton is Home's Settings button (for the keyboard and tests).
func (w *Workspace) SettingsButton() *kit.Button { return w.settings }

// SARFields are the form's entries: NHS, from, to, reference, received, identity.
func (w *Workspace) SARFields() []*widget.Entry {
	return []*widget.Entry{w.sNHS, w.sFrom, w.sTo, w.sRef, w.sReceived, w.sIdentity}
}
