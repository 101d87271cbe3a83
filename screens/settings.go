package screens

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"scrdesk/internal/present"
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
// idle lock, text size and opening hours; each field's problem beside it, checked exactly as a
// settings file is; Save, and the "Test connection" and "Check a card" checks with their
// results. Beside "Check a card" an optional passcode field (a password entry): with a
// passcode the check also verifies it and has the card prove its key, as `scrdesk card check`
// does; the field is cleared at every check and by ClearPasscode, and never rendered from a
// view. Pure Render(view): the controller decides, the screen shows.
type Settings struct {
	cb  SettingsCallbacks
	win fyne.Window

	demo                                   *fyne.Container
	pharmacy, ods, workstation, baseURL    *widget.Entry
	anchors, clientCert, idle, scale, open *widget.Entry
	passcode                               *widget.Entry // never in a view: cleared at each check
	passcodeHint                           *widget.Label
	env, removal, reader                   *widget.Select
	problems                               map[string]*widget.Label
	anchorInfo, saved, connection, card    *widget.Label
	save, test, check, choose, close       *widget.Button
	root                                   *fyne.Container
	rendering                              bool
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
	entry := func(placeholder string) *widget.Entry {
		e := widget.NewEntry()
		e.SetPlaceHolder(placeholder)
		return e
	}
	s.pharmacy, s.ods, s.workstation = entry("High Street Pharmacy"), entry("FA123"), entry("COUNTER-1")
	s.baseURL = entry("https://… (custom environment only)")
	s.anchors, s.clientCert = entry("/etc/scrdesk/smartcard-cas.pem"), entry("(none)")
	s.anchors.OnChanged = func(string) { s.changed(s.cb.AnchorsChosen) }
	s.idle, s.scale, s.open = entry("5"), entry("1"), entry("Mon-Fri 09:00-18:00, Sat 09:00-13:00")
	s.env = widget.NewSelect(environments, nil)
	s.removal = widget.NewSelect(removals, nil)
	s.reader = widget.NewSelect([]string{anyReader}, nil)
	s.choose = widget.NewButtonWithIcon("Choose…", theme.FolderOpenIcon(), s.chooseAnchors)
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
	form := container.New(&formLayout{}, cells...)
	title := widget.NewLabelWithStyle("Settings", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameHeadingText
	buttons := container.NewHBox(s.save, s.test, s.close)
	cardRow := container.NewBorder(nil, nil, nil, s.check, s.passcode)
	results := container.NewVBox(s.saved, s.connection, s.card)
	s.root = container.NewBorder(container.NewVBox(s.demo, title), container.NewVBox(results, cardRow, s.passcodeHint, buttons), nil, nil,
		container.NewVScroll(form))
	s.Render(present.SettingsView{})
	return s
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
		OpeningHours: s.open.Text}
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

func setEntry(e *widget.Entry, text string) {
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
