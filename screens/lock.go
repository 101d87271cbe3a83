package screens

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"scrdesk/internal/present"
	"scrdesk/screens/kit"
)

// LockCallbacks are what the lock screen can ask for. Nil callbacks are ignored.
type LockCallbacks struct {
	Start   func() // sign in (or unlock) with the card already in the reader
	SignOut func() // end the locked session
}

// Lock is the lock screen: product and pharmacy, "Insert your smartcard", the readers' state,
// whose session is locked and why, a message line, DEMO marking. It holds no patient data, ever.
type Lock struct {
	cb   LockCallbacks
	view present.LockView

	// ahead is the passcode typed while the card is being read (Busy), digits only, at most 8;
	// aheadEnter says Enter followed it. The passcode screen takes them when it shows
	// (TakeTypeAhead); any other lock frame than the read drops them.
	ahead      []byte
	aheadEnter bool

	demo     *fyne.Container
	product  *widget.Label
	pharmacy *widget.Label
	prompt   *widget.Label
	locked   *widget.Label
	message  *widget.Label
	problem  *fyne.Container // the message with its icon: never told by colour alone
	notice   *widget.Label
	readers  *widget.Label
	typed    *widget.Label // the passcode typed ahead while the card is read, as dots
	start    *kit.Button
	signOut  *kit.Button
	root     *fyne.Container
}

// NewLock builds the lock screen. Call on the UI goroutine.
func NewLock(cb LockCallbacks) *Lock {
	l := &Lock{cb: cb}
	l.demo = newDemoBanner()
	l.product = centered(theme.SizeNameHeadingText, true)
	l.pharmacy = centered(theme.SizeNameSubHeadingText, false)
	l.prompt = centered(theme.SizeNameSubHeadingText, true)
	l.locked = centered("", false)
	l.message = centered("", false)
	l.message.Importance = widget.DangerImportance
	l.problem = container.NewBorder(nil, nil, widget.NewIcon(theme.ErrorIcon()), nil, l.message)
	l.notice = centered("", false)
	l.readers = centered("", false)
	l.typed = centered("", false)
	l.start = kit.NewButton("Sign in (Enter)", theme.LoginIcon(), func() { call(l.cb.Start) })
	l.start.Importance = widget.HighImportance
	l.signOut = kit.NewButton("End this session ("+ShortcutText(SignOutShortcut)+")", theme.LogoutIcon(), func() { call(l.cb.SignOut) })
	body := container.NewVBox(l.product, l.pharmacy, widget.NewSeparator(), l.prompt, l.typed, l.locked, l.problem, l.notice,
		container.NewCenter(container.NewHBox(l.start, l.signOut)), l.readers)
	l.root = container.NewBorder(l.demo, nil, nil, nil, kit.Column(TextColumn, body))
	l.Render(present.LockView{Product: present.Product, Prompt: "Insert your smartcard"})
	return l
}

// Render shows v. Call on the UI goroutine.
func (l *Lock) Render(v present.LockView) {
	l.view = v
	if !v.Busy {
		l.dropAhead() // the card left or could not be read: what was typed was for it
	}
	l.showAhead()
	showIf(l.demo, v.Demo)
	setText(l.product, v.Product)
	setText(l.pharmacy, v.Pharmacy)
	setText(l.prompt, v.Prompt)
	setText(l.locked, v.Locked)
	setText(l.message, v.Message)
	showIf(l.problem, v.Message != "")
	setText(l.notice, v.Notice)
	setText(l.readers, v.Readers)
	if v.Start != "" {
		l.start.SetText(v.Start + " (Enter)")
	}
	showIf(l.start, v.Start != "")
	showIf(l.signOut, v.CanSignOut)
	l.root.Refresh()
}

// TypedKey handles the window's keys while the lock screen shows (the controller forwards
// them): Enter starts the sign-in when a card is in. While the card is read, Backspace and
// Escape edit the passcode typed ahead and Enter marks it to be submitted.
func (l *Lock) TypedKey(ev *fyne.KeyEvent) {
	enter := ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter
	if l.view.Busy {
		switch {
		case enter:
			l.aheadEnter = len(l.ahead) > 0
		case ev.Name == fyne.KeyBackspace && len(l.ahead) > 0:
			l.ahead[len(l.ahead)-1] = 0
			l.ahead, l.aheadEnter = l.ahead[:len(l.ahead)-1], false
		case ev.Name == fyne.KeyEscape:
			l.dropAhead()
		}
		l.showAhead()
		return
	}
	if enter && l.view.Start != "" {
		call(l.cb.Start)
	}
}

// TypedRune takes a passcode digit typed while the card is being read (a pharmacist types it as
// the card goes in; the passcode screen is not there yet). Other runes, and runes at any other
// time, are ignored.
func (l *Lock) TypedRune(r rune) {
	if !l.view.Busy || r < '0' || r > '9' || len(l.ahead) >= 8 {
		return
	}
	l.ahead = append(l.ahead, byte(r))
	l.aheadEnter = false
	l.showAhead()
}

// TakeTypeAhead returns the passcode typed while the card was read and whether Enter followed
// it, and forgets them.
func (l *Lock) TakeTypeAhead() (passcode string, enter bool) {
	passcode, enter = string(l.ahead), l.aheadEnter
	l.dropAhead()
	l.showAhead()
	return passcode, enter
}

// TypedAheadText is what the lock screen says about the passcode typed ahead ("" for nothing).
func (l *Lock) TypedAheadText() string {
	if !l.typed.Visible() {
		return ""
	}
	return l.typed.Text
}

func (l *Lock) dropAhead() {
	clear(l.ahead)
	l.ahead, l.aheadEnter = l.ahead[:0], false
}

// showAhead says, while the card is read, that the passcode can be typed, then how many digits
// were (dots only: a counter has onlookers).
func (l *Lock) showAhead() {
	switch {
	case !l.view.Busy:
		setText(l.typed, "")
	case len(l.ahead) == 0:
		setText(l.typed, "You can type your passcode now.")
	default:
		setText(l.typed, "Passcode: "+strings.Repeat("●", len(l.ahead)))
	}
}

// Object is the screen's canvas object.
func (l *Lock) Object() fyne.CanvasObject { return l.root }

// TextColumn is the widest a screen's column of text and controls grows: lines wrap inside it,
// so no message widens the window.
const TextColumn = 720

// centered returns a centred, word-wrapping, initially hidden label.
func centered(size fyne.ThemeSizeName, bold bool) *widget.Label {
	lb := widget.NewLabel("")
	lb.Alignment = fyne.TextAlignCenter
	lb.Wrapping = fyne.TextWrapWord
	lb.SizeName = size
	lb.TextStyle.Bold = bold
	return lb
}

// setText sets a label and hides it when empty, so empty lines take no room.
func setText(lb *widget.Label, s string) {
	lb.Text = s
	showIf(lb, s != "")
	lb.Refresh()
}

func showIf(o fyne.CanvasObject, show bool) {
	if show {
		o.Show()
	} else {
		o.Hide()
	}
}

// focusIfShown focuses f when it is already on a window's canvas (a re-render); on first show
// the controller focuses the screen's Focusable after SetContent.
func focusIfShown(f interface {
	fyne.Focusable
	fyne.CanvasObject
}) {
	a := fyne.CurrentApp()
	if a == nil {
		return
	}
	if c := a.Driver().CanvasForObject(f); c != nil {
		c.Focus(f)
	}
}

func call(f func()) {
	if f != nil {
		f()
	}
}
