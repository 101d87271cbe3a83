package screens

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"scrdesk/internal/present"
)

// LockShortcut is Ctrl+L (Cmd+L on macOS): lock the workstation. The controller registers it on
// the window's canvas (Canvas().AddShortcut) and sends session.LockByHand.
var LockShortcut = &desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault}

// StatusBarCallbacks are what the status bar can ask for. Nil callbacks are ignored.
type StatusBarCallbacks struct {
	Lock    func() // the Lock button
	SignOut func() // the Sign out button
}

// StatusBar is the bar shown while signed in: user, role, organisation, reader, connection
// state, a Lock and a Sign out button, and the DEMO badge in demo mode.
type StatusBar struct {
	cb StatusBarCallbacks

	demo       *fyne.Container
	user       *widget.Label
	role       *widget.Label
	org        *widget.Label
	reader     *widget.Label
	connection *widget.Label
	notice     *widget.Label
	lock       *widget.Button
	signOut    *widget.Button
	root       *fyne.Container
}

// NewStatusBar builds the status bar. Call on the UI goroutine.
func NewStatusBar(cb StatusBarCallbacks) *StatusBar {
	s := &StatusBar{cb: cb}
	badge := canvas.NewText("DEMO", DemoInk)
	badge.TextStyle.Bold = true
	badge.TextSize = theme.TextSize()
	s.demo = container.NewStack(canvas.NewRectangle(DemoYellow), container.NewPadded(badge))
	s.user = widget.NewLabel("")
	s.user.TextStyle.Bold = true
	s.role = widget.NewLabel("")
	s.org = widget.NewLabel("")
	s.reader = widget.NewLabel("")
	s.connection = widget.NewLabel("")
	s.notice = widget.NewLabel("")
	s.notice.Importance = widget.WarningImportance
	s.lock = widget.NewButtonWithIcon("Lock", theme.VisibilityOffIcon(), func() { call(s.cb.Lock) })
	s.lock.Importance = widget.HighImportance
	s.signOut = widget.NewButtonWithIcon("Sign out", theme.LogoutIcon(), func() { call(s.cb.SignOut) })
	// Role and organisation give way (with an ellipsis) before anything else on a narrow window.
	s.role.Truncation = fyne.TextTruncateEllipsis
	s.org.Truncation = fyne.TextTruncateEllipsis
	left := container.NewHBox(s.demo, s.user, s.notice)
	right := container.NewHBox(s.reader, s.connection, s.signOut, s.lock)
	middle := container.NewGridWithColumns(2, s.role, s.org)
	s.root = container.NewVBox(container.NewBorder(nil, nil, left, right, middle), widget.NewSeparator())
	s.Render(present.StatusView{})
	return s
}

// Render shows v. Call on the UI goroutine.
func (s *StatusBar) Render(v present.StatusView) {
	showIf(s.demo, v.Demo)
	setText(s.user, v.User)
	setText(s.role, v.Role)
	setText(s.org, v.Org)
	setText(s.reader, v.Reader)
	setText(s.connection, v.Connection)
	setText(s.notice, v.Notice)
	s.root.Refresh()
}

// Object is the bar's canvas object.
func (s *StatusBar) Object() fyne.CanvasObject { return s.root }
