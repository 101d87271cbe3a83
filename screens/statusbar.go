package screens

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"scrdesk/internal/present"
	"scrdesk/screens/kit"
)

// LockShortcut is Ctrl+L (Cmd+L on macOS): lock the workstation. The controller registers it on
// the window's canvas (Canvas().AddShortcut) and sends session.LockByHand.
var LockShortcut = &desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault}

// SwitchShortcut is Ctrl+G: switch between the counter and the governance workspace, for a
// user with both kinds of role (the status bar's switch button).
var SwitchShortcut = &desktop.CustomShortcut{KeyName: fyne.KeyG, Modifier: fyne.KeyModifierShortcutDefault}

// SignOutShortcut is Ctrl+Shift+L: sign out (or end a locked session from the lock screen).
var SignOutShortcut = &desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}

// ShortcutText is how a button names its shortcut: "Ctrl+L", "Ctrl+Shift+L".
func ShortcutText(s *desktop.CustomShortcut) string {
	t := ""
	if s.Modifier&(fyne.KeyModifierControl|fyne.KeyModifierSuper) != 0 {
		t += "Ctrl+"
	}
	if s.Modifier&fyne.KeyModifierAlt != 0 {
		t += "Alt+"
	}
	if s.Modifier&fyne.KeyModifierShift != 0 {
		t += "Shift+"
	}
	return t + string(s.KeyName)
}

// StatusBarCallbacks are what the status bar can ask for. Nil callbacks are ignored.
type StatusBarCallbacks struct {
	Lock    func() // the Lock button
	SignOut func() // the Sign out button
	Switch  func() // the switch to the user's other kind of role
}

// StatusBar is the bar shown while signed in: user, role, organisation, reader, connection
// state, a Lock and a Sign out button, and the DEMO badge in demo mode. It is one line, and
// every text in it ellipsizes (full text on hover) rather than widening the window; a notice
// (e.g. why this role cannot open records) takes a second line, with a warning icon. When a
// central audit database is set up, its replication state takes a line of its own below.
type StatusBar struct {
	cb StatusBarCallbacks

	demo       *fyne.Container
	env        *fyne.Container // the national environment's mark (LIVE, INTEGRATION, CUSTOM)
	envText    *canvas.Text
	envBg      *canvas.Rectangle
	user       *kit.Label
	role       *kit.Label
	org        *kit.Label
	reader     *kit.Label
	connection *kit.Label
	central    *kit.Label
	notice     *widget.Label
	noticeRow  *fyne.Container
	lock       *kit.Button
	signOut    *kit.Button
	switchTo   *kit.Button
	root       *fyne.Container
}

// NewStatusBar builds the status bar. Call on the UI goroutine.
func NewStatusBar(cb StatusBarCallbacks) *StatusBar {
	s := &StatusBar{cb: cb}
	badge := canvas.NewText("DEMO", DemoInk)
	badge.TextStyle.Bold = true
	badge.TextSize = theme.TextSize()
	s.demo = container.NewStack(canvas.NewRectangle(DemoYellow), container.NewPadded(badge))
	s.envText = canvas.NewText("", White)
	s.envText.TextStyle.Bold = true
	s.envText.TextSize = theme.TextSize()
	s.envBg = canvas.NewRectangle(NHSDarkBlue)
	s.env = container.NewStack(s.envBg, container.NewPadded(s.envText))
	s.user = kit.NewLabel("")
	s.user.TextStyle.Bold = true
	s.role = kit.NewLabel("")
	s.org = kit.NewLabel("")
	s.reader = kit.NewLabel("")
	s.connection = kit.NewLabel("")
	s.central = kit.NewLabel("")
	s.notice = widget.NewLabel("")
	s.notice.Importance = widget.WarningImportance
	s.notice.Wrapping = fyne.TextWrapWord
	s.noticeRow = container.NewBorder(nil, nil, widget.NewIcon(theme.WarningIcon()), nil, s.notice)
	s.lock = kit.NewButton("Lock ("+ShortcutText(LockShortcut)+")", theme.VisibilityOffIcon(), func() { call(s.cb.Lock) })
	s.lock.Importance = widget.HighImportance
	s.signOut = kit.NewButton("Sign out ("+ShortcutText(SignOutShortcut)+")", theme.LogoutIcon(), func() { call(s.cb.SignOut) })
	s.switchTo = kit.NewButton("", theme.ViewRestoreIcon(), func() { call(s.cb.Switch) })
	s.switchTo.Hide()
	badges := container.NewHBox(s.demo, s.env)
	buttons := container.NewHBox(s.switchTo, s.signOut, s.lock)
	top := container.New(&barLayout{}, badges, s.user, s.role, s.org, s.reader, s.connection, buttons)
	s.root = container.NewVBox(top, s.noticeRow, s.central, widget.NewSeparator())
	s.Render(present.StatusView{})
	return s
}

// Render shows v. Call on the UI goroutine.
func (s *StatusBar) Render(v present.StatusView) {
	showIf(s.demo, v.Demo)
	s.envText.Text = v.Env
	s.envText.TextSize = theme.TextSize()
	s.envBg.FillColor = envColour(v.EnvKind)
	showIf(s.env, v.Env != "")
	s.envText.Refresh()
	s.envBg.Refresh()
	for _, x := range []struct {
		l *kit.Label
		t string
	}{{s.user, v.User}, {s.role, v.Role}, {s.org, v.Org}, {s.reader, v.Reader}, {s.connection, v.Connection}} {
		x.l.Text = x.t
		x.l.Refresh()
	}
	if v.Switch != "" {
		s.switchTo.SetText(v.Switch + " (" + ShortcutText(SwitchShortcut) + ")")
	}
	showIf(s.switchTo, v.Switch != "")
	setText(s.notice, v.Notice)
	showIf(s.noticeRow, v.Notice != "")
	s.central.Text = v.Central
	showIf(s.central, v.Central != "")
	s.central.Refresh()
	s.root.Refresh()
}

// envColour is the environment mark's background: white text on each keeps 4.5:1
// (TestThemeContrast).
func envColour(k present.EnvKind) color.Color {
	switch k {
	case present.EnvLive:
		return SuccessGreen
	case present.EnvCustom:
		return ErrorRed
	}
	return NHSDarkBlue // a test environment
}

// Object is the bar's canvas object.
func (s *StatusBar) Object() fyne.CanvasObject { return s.root }

// Buttons are the bar's Lock and Sign out buttons, for tests.
func (s *StatusBar) Buttons() (lock, signOut *kit.Button) { return s.lock, s.signOut }

// barLayout is the bar's top: the badges, the five texts (user, role, organisation, reader,
// connection) and the buttons. When everything fits, or the user's name and role still fit whole
// with a short share for each other text, it is one line: badges, texts, the buttons at the right.
// Otherwise two: the badges, the name and the role on the first (the whole width: a keyboard walk
// at 1280 px read "SCR …" and "Phar…" and could not tell which role was in use), the other texts
// and the buttons on the second. Texts that do not fit their share ellipsize (full text on hover).
type barLayout struct {
	rows int // the lines the last layout used (MinSize's height follows it)
}

// minShare is the least width a text after the role keeps on a shared line.
const minShare = 90

func (l *barLayout) parts(objs []fyne.CanvasObject) (badges fyne.CanvasObject, texts []fyne.CanvasObject, buttons fyne.CanvasObject) {
	return objs[0], objs[1:6], objs[6]
}

func (l *barLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	badges, texts, buttons := l.parts(objs)
	pad := theme.Padding()
	bw, btn := visibleWidth(badges), buttons.MinSize()
	h := l.lineHeight(objs)
	var shown, first, rest []int
	for i, o := range texts {
		if o.Visible() {
			shown = append(shown, i)
			if i <= 1 {
				first = append(first, i)
			} else {
				rest = append(rest, i)
			}
		}
	}
	middle := size.Width - bw - btn.Width - 2*pad
	var need, whole float32
	for _, i := range shown {
		need += naturalWidth(texts[i]) + pad
		if i <= 1 {
			whole += naturalWidth(texts[i]) + pad
		}
	}
	place := func(o fyne.CanvasObject, x, y, w float32) {
		m := o.MinSize()
		o.Move(fyne.NewPos(x, y+(h-m.Height)/2))
		o.Resize(fyne.NewSize(w, m.Height))
	}
	fits := whole+float32(len(rest))*(minShare+pad) <= middle+pad
	if need <= middle+pad || len(first) == 0 || len(rest) == 0 || fits {
		l.rows = 1
		place(badges, 0, 0, bw)
		row(texts, shown, bw+pad, middle, 0, h, fits && need > middle+pad)
		place(buttons, size.Width-btn.Width, 0, btn.Width)
		return
	}
	l.rows = 2
	place(badges, 0, 0, bw)
	row(texts, first, bw+pad, size.Width-bw-pad, 0, h, false)
	row(texts, rest, 0, size.Width-btn.Width-pad, h, h, false)
	place(buttons, size.Width-btn.Width, h, btn.Width)
}

func (l *barLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	badges, _, buttons := l.parts(objs)
	h := l.lineHeight(objs)
	return fyne.NewSize(visibleWidth(badges)+buttons.MinSize().Width+2*theme.Padding(), h*float32(max(l.rows, 1)))
}

// lineHeight is one line's height: the tallest of the texts, the buttons and the badges.
func (l *barLayout) lineHeight(objs []fyne.CanvasObject) float32 {
	badges, texts, buttons := l.parts(objs)
	return max(rowHeight(texts), buttons.MinSize().Height, badges.MinSize().Height)
}

// visibleWidth is o's minimum width, 0 when it shows nothing.
func visibleWidth(o fyne.CanvasObject) float32 {
	if !o.Visible() {
		return 0
	}
	return o.MinSize().Width
}

// row lays the texts shown side by side from x, in width w, at y: each gets its whole text's
// width when all fit; with nameAndRoleWhole the name and the role (indices 0 and 1) first. When they do not, the user's name (index 0) keeps its whole width up to
// half the line, then the others that fit in an equal share of the rest get their width and the
// others share what is left equally (and ellipsize): the name was cut to "Grace …" while every
// text had a fixed share.
func row(objs []fyne.CanvasObject, shown []int, x, w, y, h float32, nameAndRoleWhole bool) {
	pad := theme.Padding()
	budget := w - pad*float32(len(shown)-1)
	width := make([]float32, len(objs))
	open := shown
	if nameAndRoleWhole {
		// The caller found room for both whole with a short share for each other text: they
		// take their whole widths first (the role was cut when the others were served first).
		for len(open) > 0 && open[0] <= 1 {
			width[open[0]] = naturalWidth(objs[open[0]])
			budget -= width[open[0]]
			open = open[1:]
		}
	}
	if len(open) > 1 && open[0] == 0 {
		width[0] = min(naturalWidth(objs[0]), budget/2)
		budget -= width[0]
		open = open[1:]
	}
	for len(open) > 0 {
		share := budget / float32(len(open))
		var rest []int
		for _, i := range open {
			if need := naturalWidth(objs[i]); need <= share {
				width[i] = need
				budget -= need
			} else {
				rest = append(rest, i)
			}
		}
		if len(rest) == len(open) { // none fits a share: they split what is left
			for _, i := range rest {
				width[i] = max(share, 0)
			}
			break
		}
		open = rest
	}
	for _, i := range shown {
		objs[i].Move(fyne.NewPos(x, y))
		objs[i].Resize(fyne.NewSize(width[i], h))
		x += width[i] + pad
	}
}

func rowHeight(objs []fyne.CanvasObject) float32 {
	var h float32
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return h
}

// naturalWidth is the width o needs to show all its text: a kit.Label's text, else its MinSize.
// A label gets a few pixels more than its measured text: the window's renderer measures at the
// screen's pixel scale, and an exact fit was drawn "Grace Okaf…" there.
func naturalWidth(o fyne.CanvasObject) float32 {
	if l, ok := o.(*kit.Label); ok {
		if w := l.TextWidth(); w > 0 {
			return float32(math.Ceil(float64(w))) + 4
		}
		return 0
	}
	return o.MinSize().Width
}
