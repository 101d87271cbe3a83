package screens

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"scrdesk/internal/present"
	"scrdesk/internal/session"
	"scrdesk/screens/kit"
)

// PasscodeCallbacks are what the passcode screen can ask for. Nil callbacks are ignored.
type PasscodeCallbacks struct {
	// Submit receives a well-formed passcode (6 to 8 digits) and the card read the screen was
	// drawn for (PasscodeView.For). The screen clears its entry right after the call: the digits
	// live on only where the controller takes them (to the card).
	Submit func(passcode string, forRead uint64)
	Cancel func() // Escape, or the Cancel button
}

// Passcode is the passcode screen: a masked entry that takes digits only, 6 to 8 of them; Enter
// submits, Escape cancels; the tries left; the blocked-card message; a busy state while the card
// checks.
type Passcode struct {
	cb       PasscodeCallbacks
	view     present.PasscodeView
	rendered bool

	demo    *fyne.Container
	title   *widget.Label
	user    *widget.Label
	entry   *PasscodeEntry
	form    *fyne.Container
	tries   *widget.Label
	hint    *widget.Label
	message *widget.Label
	busy    *widget.Label
	submit  *kit.Button
	cancel  *kit.Button
	root    *fyne.Container
}

// MsgPasscodeShape is the hint shown when Enter is pressed on a passcode of the wrong length.
const MsgPasscodeShape = "Your passcode is 6 to 8 digits."

// NewPasscode builds the passcode screen. Call on the UI goroutine.
func NewPasscode(cb PasscodeCallbacks) *Passcode {
	p := &Passcode{cb: cb}
	p.demo = newDemoBanner()
	p.title = centered(theme.SizeNameHeadingText, true)
	p.user = centered(theme.SizeNameSubHeadingText, false)
	p.entry = NewPasscodeEntry()
	p.entry.OnSubmitted = func(string) { p.doSubmit() }
	p.entry.OnEscape = p.doCancel
	p.tries = centered("", false)
	p.hint = centered("", false)
	p.hint.Importance = widget.WarningImportance
	p.message = centered("", false)
	p.message.Importance = widget.DangerImportance
	p.busy = centered("", false)
	p.submit = kit.NewButton("Sign in (Enter)", theme.ConfirmIcon(), p.doSubmit)
	p.submit.Importance = widget.HighImportance
	p.cancel = kit.NewButton("Cancel (Esc)", theme.CancelIcon(), p.doCancel)
	p.form = container.NewCenter(container.NewGridWrap(fyne.NewSize(280, p.entry.MinSize().Height), p.entry))
	body := container.NewVBox(p.title, p.user, p.form, p.tries, p.hint, p.message, p.busy,
		container.NewCenter(container.NewHBox(p.cancel, p.submit)))
	p.root = container.NewBorder(p.demo, nil, nil, nil, kit.Column(TextColumn, body))
	p.Render(present.PasscodeView{Title: "Enter your smartcard passcode", Submit: "Sign in"})
	return p
}

// Render shows v. A view equal to the one shown changes nothing: the digits being typed and the
// focus stay, however often the window re-renders (status updates, the outbox). A new card, a
// check starting or ending, clears the entry and the local hint. Call on the UI goroutine.
func (p *Passcode) Render(v present.PasscodeView) {
	if p.rendered && v == p.view {
		return
	}
	old := p.view
	p.view, p.rendered = v, true
	if v.Title != old.Title || v.User != old.User || v.Busy != old.Busy || v.Blocked != old.Blocked || v.For != old.For {
		p.entry.SetText("")
		setText(p.hint, "")
	}
	showIf(p.demo, v.Demo)
	setText(p.title, v.Title)
	setText(p.user, v.User)
	setText(p.tries, v.Tries)
	setText(p.message, v.Message)
	busy := ""
	if v.Busy {
		busy = "Checking your passcode with the smartcard…"
	}
	setText(p.busy, busy)
	showIf(p.form, !v.Blocked)
	showIf(p.submit, !v.Blocked)
	if v.Submit != "" {
		p.submit.SetText(v.Submit + " (Enter)")
	}
	if v.Busy {
		p.entry.Disable()
		p.submit.Disable()
		p.cancel.Disable()
	} else {
		p.entry.Enable()
		p.submit.Enable()
		p.cancel.Enable()
	}
	if v.Blocked {
		p.cancel.SetText("Close (Esc)")
	} else {
		p.cancel.SetText("Cancel (Esc)")
	}
	p.root.Refresh()
	if !v.Busy && !v.Blocked {
		focusIfShown(p.entry) // after a wrong passcode the user types again at once
	}
}

// TypeAhead puts a passcode typed before the screen showed (while the card was read) into the
// entry, and submits it when Enter followed it, unless the screen has something to say first
// (a locked session ended by another card, a previous try wrong): then the digits wait for
// Enter, so a passcode is not spent on a card whose screen nobody read. Ignored while the
// card checks or is blocked.
func (p *Passcode) TypeAhead(passcode string, enter bool) {
	if passcode == "" || p.view.Busy || p.view.Blocked {
		return
	}
	p.entry.SetText(passcode)
	p.entry.CursorColumn = len(passcode)
	if enter && p.view.Message == "" {
		p.doSubmit()
	}
}

// Focusable is the widget to focus when the screen shows (the entry).
func (p *Passcode) Focusable() fyne.Focusable { return p.entry }

// Object is the screen's canvas object.
func (p *Passcode) Object() fyne.CanvasObject { return p.root }

func (p *Passcode) doSubmit() {
	if p.view.Busy || p.view.Blocked {
		return
	}
	code := p.entry.Text
	p.entry.SetText("")
	if !session.ValidPasscode(code) {
		setText(p.hint, MsgPasscodeShape)
		return
	}
	setText(p.hint, "")
	if p.cb.Submit != nil {
		p.cb.Submit(code, p.view.For)
	}
}

// Clear empties the entry and the local hint: the screen is no longer shown (a card out, a
// lock), and digits half-typed there must not wait for the next time it shows.
func (p *Passcode) Clear() {
	if p.entry.Text != "" {
		p.entry.SetText("")
	}
	if p.hint.Text != "" {
		setText(p.hint, "")
	}
}

// Cancel is Escape when the entry does not have the focus (e.g. on a blocked card).
func (p *Passcode) Cancel() { p.doCancel() }

func (p *Passcode) doCancel() {
	if p.view.Busy {
		return
	}
	p.entry.SetText("")
	call(p.cb.Cancel)
}

// PasscodeEntry is a masked entry that accepts digits only, at most 8, refuses paste, has no
// "show" toggle, and reports Escape.
type PasscodeEntry struct {
	widget.Entry
	OnEscape func()
}

// NewPasscodeEntry returns an empty passcode entry.
func NewPasscodeEntry() *PasscodeEntry {
	e := &PasscodeEntry{}
	e.Password = true
	e.ActionItem = layout.NewSpacer() // no password revealer: a counter has onlookers
	e.PlaceHolder = "6 to 8 digits"
	e.ExtendBaseWidget(e)
	return e
}

// TypedRune accepts ASCII digits while fewer than 8 are typed.
func (e *PasscodeEntry) TypedRune(r rune) {
	if r < '0' || r > '9' || len(e.Text) >= 8 {
		return
	}
	e.Entry.TypedRune(r)
}

// TypedKey reports Escape, and otherwise behaves as an entry.
func (e *PasscodeEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape {
		if e.OnEscape != nil {
			e.OnEscape()
		}
		return
	}
	e.Entry.TypedKey(k)
}

// TypedShortcut ignores paste, cut and copy (a passcode is typed, never carried); other
// shortcuts behave as in an entry.
func (e *PasscodeEntry) TypedShortcut(s fyne.Shortcut) {
	switch s.(type) {
	case *fyne.ShortcutPaste, *fyne.ShortcutCut, *fyne.ShortcutCopy:
		return
	}
	e.Entry.TypedShortcut(s)
}
