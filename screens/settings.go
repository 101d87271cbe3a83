package screens

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"scrdesk/internal/present"
	"scrdesk/screens/kit"
)

// SettingsCallbacks are what the settings screen can ask for; each gets the fields as typed.
// Nil callbacks are ignored.
type SettingsCallbacks struct {
	Save           func(present.SettingsForm)
	TestConnection func(present.SettingsForm)
	// CheckCard gets the fields and the passcode typed beside the button ("" when none was
	// typed). The passcode is for that one check: the screen clears its field as it calls, and
	// the controller must keep it nowhere (no view, no log).
	CheckCard func(f present.SettingsForm, passcode string)
	// AnchorsChosen: the trust anchors file changed (typed or chosen): describe its certificates.
	AnchorsChosen func(present.SettingsForm)
	Close         func()
}

// Settings is the settings screen, for the SCR Governance Person (and in the demo): the
// pharmacy, the workstation, the environment, the trust anchors (with a file chooser, their
// subjects and expiry shown), the client certificate, the preferred reader, card removal, the
// idle lock, text size and opening hours, and the governance rules (one row per rule of
// SGP.md's table that may be switched off: On, the SOP's review share and its thresholds, in
// Tab order, and the review period); each field's problem beside it, checked exactly as a
// settings file is; Save, and the "Test connection" and "Check a card" checks with their
// results. Beside "Check a card" an optional passcode field (a password entry): with a
// passcode the check also verifies it and has the card prove its key, as `scrdesk card check`
// does; the field is cleared at every check and by ClearPasscode, and never rendered from a
// view. Pure Render(view): the controller decides, the screen shows.
type Settings struct {
	cb  SettingsCallbacks
	win fyne.Window

	demo                                   *fyne.Container
	pharmacy, ods, workstation, baseURL    *kit.Entry
	anchors, clientCert, idle, scale, open *kit.Entry
	passcode                               *widget.Entry // never in a view: cleared at each check
	passcodeHint                           *widget.Label
	env, removal, reader                   *kit.Select
	problems                               map[string]*widget.Label
	anchorInfo, saved, connection, card    *widget.Label
	save, test, check, close               *widget.Button
	choose                                 *kit.Button
	scroll                                 *container.Scroll // the form: it follows the focus (kit.FollowFocus)
	root                                   *fyne.Container
	rendering                              bool

	// The governance rules: one row per rule (present.RuleRows' order) and the review period.
	rules  []*ruleRow
	period *kit.Entry
}

// ruleRow is one governance rule's widgets: its switch, review share and thresholds, in the
// order Tab reaches them, and the line that says what is wrong with them.
type ruleRow struct {
	key     string
	on      *kit.Check
	values  map[string]*kit.Entry // by settings.RuleParam key, "review_percent" first
	order   []string
	problem *widget.Label
}

var (
	environments = []string{"demo", "integration", "production", "custom"}
	removals     = []string{"lock", "sign-out"}
)

// anyReader is how the preferred reader's list names "no preference".
const anyReader = "(any reader: the first with a card)"

// NewSettings builds the settings screen in win (its file chooser opens over win). Call on the
// UI goroutine.
func NewSettings(win fyne.Window, cb SettingsCallbacks) *Settings {
	s := &Settings{cb: cb, win: win, problems: map[string]*widget.Label{}}
	s.demo = newDemoBanner()
	entry := func(placeholder string) *kit.Entry {
		e := kit.NewEntry()
		e.SetPlaceHolder(placeholder)
		return e
	}
	s.pharmacy, s.ods, s.workstation = entry("High Street Pharmacy"), entry("FA123"), entry("COUNTER-1")
	s.baseURL = entry("https://… (custom environment only)")
	s.anchors, s.clientCert = entry("/etc/scrdesk/smartcard-cas.pem"), entry("(none)")
	s.anchors.OnChanged = func(string) { s.changed(s.cb.AnchorsChosen) }
	s.idle, s.scale, s.open = entry("5"), entry("1"), entry("Mon-Fri 09:00-18:00, Sat 09:00-13:00")
	s.env = kit.NewSelect(environments, nil)
	s.removal = kit.NewSelect(removals, nil)
	s.reader = kit.NewSelect([]string{anyReader}, nil)
	s.choose = kit.NewButton("Choose…", theme.FolderOpenIcon(), s.chooseAnchors)
	s.anchorInfo = widget.NewLabel("")
	s.anchorInfo.Wrapping = fyne.TextWrapWord
	s.saved, s.connection, s.card = widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel("")
	for _, l := range []*widget.Label{s.saved, s.connection, s.card} {
		l.Wrapping = fyne.TextWrapWord
	}
	s.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), func() { s.call(s.cb.Save) })
	s.save.Importance = widget.HighImportance
	s.test = widget.NewButtonWithIcon("Test connection", theme.ComputerIcon(), func() { s.call(s.cb.TestConnection) })
	s.check = widget.NewButtonWithIcon("Check a card", theme.AccountIcon(), s.checkCard)
	s.passcode = widget.NewPasswordEntry()
	s.passcode.SetPlaceHolder("Card passcode (optional)")
	s.passcode.OnSubmitted = func(string) { s.checkCard() }
	s.passcodeHint = widget.NewLabel("With a passcode the check also verifies it and has the card sign a fresh challenge. A wrong passcode costs one of the card's tries.")
	// One line, not wrapped: a wrapped label is laid out far taller than its text.
	s.passcodeHint.Importance = widget.LowImportance
	s.close = widget.NewButtonWithIcon("Close", theme.CancelIcon(), func() { call(s.cb.Close) })

	row := func(label, field string, w fyne.CanvasObject) []fyne.CanvasObject {
		p := widget.NewLabel("")
		p.Importance = widget.DangerImportance
		p.Wrapping = fyne.TextWrapWord
		p.Hide()
		s.problems[field] = p
		return []fyne.CanvasObject{widget.NewLabelWithStyle(label, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}), container.NewVBox(w, p)}
	}
	var cells []fyne.CanvasObject
	add := func(objs []fyne.CanvasObject) { cells = append(cells, objs...) }
	add(row("Pharmacy name", "pharmacy_name", s.pharmacy))
	add(row("ODS code", "ods_code", s.ods))
	add(row("Workstation name", "workstation_name", s.workstation))
	add(row("Environment", "environment", s.env))
	add(row("Base URL", "base_url", s.baseURL))
	add(row("Trust anchors", "trust_anchors_file", container.NewVBox(container.NewBorder(nil, nil, nil, s.choose, s.anchors), s.anchorInfo)))
	add(row("Client certificate", "client_cert_file", s.clientCert))
	add(row("Preferred reader", "preferred_reader", s.reader))
	add(row("Card removal", "card_removal", s.removal))
	add(row("Idle lock (minutes)", "idle_lock_minutes", s.idle))
	add(row("Text size", "text_scale", s.scale))
	add(row("Opening hours", "opening_hours", s.open))
	add(s.rulesSection())
	form := container.New(&formLayout{}, cells...)
	title := widget.NewLabelWithStyle("Settings", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameHeadingText
	buttons := container.NewHBox(s.save, s.test, s.close)
	cardRow := container.NewBorder(nil, nil, nil, s.check, s.passcode)
	results := container.NewVBox(s.saved, s.connection, s.card)
	// The form is taller than the window: Tab and Shift+Tab move the scroll with the focus, so
	// the field being typed in is always in view.
	s.scroll = container.NewVScroll(form)
	kit.FollowFocus(s.scroll)
	s.root = container.NewBorder(container.NewVBox(s.demo, title), container.NewVBox(results, cardRow, s.passcodeHint, buttons), nil, nil,
		s.scroll)
	s.Render(present.SettingsView{})
	return s
}

// rulesSection builds the "Governance rules" rows: a heading, one row per rule (its SGP.md
// name; On, the review share, then what it flags or its thresholds) and the review period.
func (s *Settings) rulesSection() []fyne.CanvasObject {
	small := func(w fyne.CanvasObject) fyne.CanvasObject {
		return container.NewGridWrap(fyne.NewSize(64, w.MinSize().Height), w)
	}
	words := func(t string) fyne.CanvasObject { return widget.NewLabel(t) }
	note := func(t string) *kit.Label {
		l := kit.NewLabel(t)
		l.Importance = widget.LowImportance
		return l
	}
	heading := widget.NewLabelWithStyle("Governance rules", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	cells := []fyne.CanvasObject{heading, container.NewVBox(
		note("Always on: emergency access (every one reviewed), security setting changed, clock changed."),
		note("New rule settings apply to accesses recorded from now on; cases already raised stay as they are."))}
	for _, rr := range present.RuleRows() {
		r := &ruleRow{key: rr.Key, values: map[string]*kit.Entry{}}
		r.on = kit.NewCheck("On", nil)
		entry := func(key string) fyne.CanvasObject {
			e := kit.NewEntry()
			r.values[key] = e
			r.order = append(r.order, key)
			return small(e)
		}
		first := container.NewHBox(r.on, words("review"), entry("review_percent"), words("% of its cases"))
		lines := []fyne.CanvasObject{first}
		if rr.Note != "" {
			lines = append(lines, note("Flags an access when "+rr.Note+"."))
		}
		var line *fyne.Container
		for i, p := range rr.Params {
			if i == 0 || !p.Join {
				line = container.NewHBox()
				lines = append(lines, line)
			}
			if p.Before != "" {
				line.Add(words(p.Before))
			}
			line.Add(entry(p.Key))
			if p.After != "" {
				line.Add(words(p.After))
			}
		}
		r.problem = widget.NewLabel("")
		r.problem.Importance = widget.DangerImportance
		r.problem.Wrapping = fyne.TextWrapWord
		r.problem.Hide()
		lines = append(lines, r.problem)
		s.rules = append(s.rules, r)
		cells = append(cells, widget.NewLabelWithStyle(rr.Name, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}),
			container.NewVBox(lines...))
	}
	s.period = kit.NewEntry()
	p := widget.NewLabel("")
	p.Importance = widget.DangerImportance
	p.Wrapping = fyne.TextWrapWord
	p.Hide()
	s.problems["rules.review_period"] = p
	cells = append(cells, widget.NewLabelWithStyle("Review period", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}),
		container.NewVBox(container.NewHBox(words("the SOP's reviews are due every"), small(s.period), words("(like 7d or 14d)")), p))
	return cells
}

// Render shows v. Call on the UI goroutine.
func (s *Settings) Render(v present.SettingsView) {
	s.rendering = true
	defer func() { s.rendering = false }()
	showIf(s.demo, v.Demo)
	f := v.Form
	setEntry(s.pharmacy, f.PharmacyName)
	setEntry(s.ods, f.ODSCode)
	setEntry(s.workstation, f.WorkstationName)
	setEntry(s.baseURL, f.BaseURL)
	setEntry(s.anchors, f.TrustAnchorsFile)
	setEntry(s.clientCert, f.ClientCertFile)
	setEntry(s.idle, f.IdleLockMinutes)
	setEntry(s.scale, f.TextScale)
	setEntry(s.open, f.OpeningHours)
	s.env.SetSelected(f.Environment)
	s.removal.SetSelected(f.CardRemoval)
	readers := append([]string{anyReader}, v.Readers...)
	if f.PreferredReader != "" && !contains(readers, f.PreferredReader) {
		readers = append(readers, f.PreferredReader+" (not attached)")
	}
	s.reader.SetOptions(readers)
	switch {
	case f.PreferredReader == "":
		s.reader.SetSelected(anyReader)
	case contains(v.Readers, f.PreferredReader):
		s.reader.SetSelected(f.PreferredReader)
	default:
		s.reader.SetSelected(f.PreferredReader + " (not attached)")
	}
	for field, l := range s.problems {
		setText(l, v.Problems[field])
	}
	s.renderRules(f, v.Problems)
	s.anchorInfo.SetText(strings.Join(v.Anchors, "\n"))
	showIf(s.anchorInfo, len(v.Anchors) > 0)
	setText(s.saved, v.Saved)
	s.saved.Importance = widget.SuccessImportance
	if v.SavedBad {
		s.saved.Importance = widget.DangerImportance
	}
	renderCheck(s.connection, "Connection", v.Connection)
	renderCheck(s.card, "Card", v.Card)
	enable(s.test, !v.Connection.Running)
	enable(s.check, !v.Card.Running)
	if v.Card.Running {
		s.passcode.Disable()
	} else {
		s.passcode.Enable()
	}
	s.root.Refresh()
}

func renderCheck(l *widget.Label, what string, c present.CheckView) {
	switch {
	case c.Running:
		setText(l, what+": checking…")
		l.Importance = widget.MediumImportance
	case !c.Done:
		setText(l, "")
	case c.OK:
		setText(l, what+": passed. "+strings.Join(c.Lines, " "))
		l.Importance = widget.SuccessImportance
	default:
		setText(l, what+": FAILED. "+strings.Join(c.Lines, " "))
		l.Importance = widget.DangerImportance
	}
}

// renderRules shows the rules' rows of f and each rule's problems (fields "rules.<key>.*").
func (s *Settings) renderRules(f present.SettingsForm, problems map[string]string) {
	setEntry(s.period, f.ReviewPeriod)
	byKey := map[string]present.RuleForm{}
	for _, rf := range f.Rules {
		byKey[rf.Key] = rf
	}
	for _, r := range s.rules {
		rf := byKey[r.key]
		r.on.SetChecked(rf.On)
		for _, k := range r.order {
			setEntry(r.values[k], rf.Values[k])
		}
		var msgs []string
		for _, k := range append([]string{"off"}, r.order...) {
			if m := problems["rules."+r.key+"."+k]; m != "" {
				msgs = append(msgs, m)
			}
		}
		setText(r.problem, strings.Join(msgs, " "))
	}
}

// Form is what the fields hold now.
func (s *Settings) Form() present.SettingsForm {
	reader := s.reader.Selected
	if reader == anyReader {
		reader = ""
	}
	reader = strings.TrimSuffix(reader, " (not attached)")
	return present.SettingsForm{PharmacyName: s.pharmacy.Text, ODSCode: s.ods.Text, WorkstationName: s.workstation.Text,
		Environment: s.env.Selected, BaseURL: s.baseURL.Text, TrustAnchorsFile: s.anchors.Text, ClientCertFile: s.clientCert.Text,
		PreferredReader: reader, CardRemoval: s.removal.Selected, IdleLockMinutes: s.idle.Text, TextScale: s.scale.Text,
		OpeningHours: s.open.Text, Rules: s.rulesForm(), ReviewPeriod: s.period.Text}
}

func (s *Settings) rulesForm() []present.RuleForm {
	out := make([]present.RuleForm, 0, len(s.rules))
	for _, r := range s.rules {
		rf := present.RuleForm{Key: r.key, On: r.on.Checked, Values: map[string]string{}}
		for _, k := range r.order {
			rf.Values[k] = r.values[k].Text
		}
		out = append(out, rf)
	}
	return out
}

// ClearPasscode empties the passcode field (the controller calls it as the screen closes, at
// lock and sign-out). Call on the UI goroutine.
func (s *Settings) ClearPasscode() { s.passcode.SetText("") }

// checkCard sends the fields and the passcode typed, clearing the field first: the passcode
// serves one check only.
func (s *Settings) checkCard() {
	pin := s.passcode.Text
	s.passcode.SetText("")
	if s.cb.CheckCard != nil {
		s.cb.CheckCard(s.Form(), pin)
	}
}

// Focusable is the first field.
func (s *Settings) Focusable() fyne.Focusable { return s.pharmacy }

// Object is the screen's canvas object.
func (s *Settings) Object() fyne.CanvasObject { return s.root }

func (s *Settings) call(f func(present.SettingsForm)) {
	if f != nil {
		f(s.Form())
	}
}

func (s *Settings) changed(f func(present.SettingsForm)) {
	if !s.rendering {
		s.call(f)
	}
}

func (s *Settings) chooseAnchors() {
	if s.win == nil {
		return
	}
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		path := r.URI().Path()
		_ = r.Close()
		s.anchors.SetText(path) // OnChanged tells the controller
	}, s.win)
	d.Show()
}

func setEntry(e *kit.Entry, text string) {
	if e.Text != text {
		e.SetText(text)
	}
}

func enable(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// formLayout lays out label/field pairs in two columns: labels as wide as the widest, fields
// the rest.
type formLayout struct{}

func (formLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	lw, fw, h := float32(0), float32(0), float32(0)
	pad := theme.Padding()
	for i := 0; i+1 < len(objs); i += 2 {
		l, f := objs[i].MinSize(), objs[i+1].MinSize()
		lw, fw = max(lw, l.Width), max(fw, f.Width)
		h += max(l.Height, f.Height) + pad
	}
	return fyne.NewSize(lw+fw+pad, h)
}

func (formLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	lw := float32(0)
	pad := theme.Padding()
	for i := 0; i+1 < len(objs); i += 2 {
		lw = max(lw, objs[i].MinSize().Width)
	}
	y := float32(0)
	for i := 0; i+1 < len(objs); i += 2 {
		l, f := objs[i], objs[i+1]
		h := max(l.MinSize().Height, f.MinSize().Height)
		l.Move(fyne.NewPos(0, y))
		l.Resize(fyne.NewSize(lw, l.MinSize().Height))
		f.Move(fyne.NewPos(lw+pad, y))
		f.Resize(fyne.NewSize(size.Width-lw-pad, h))
		y += h + pad
	}
}
