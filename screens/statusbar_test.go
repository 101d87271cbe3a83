package screens

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"scrdesk/internal/present"
	"scrdesk/internal/session"
	"scrdesk/internal/staff"
)

var statusStates = []struct {
	name string
	v    session.View
	conn string
	demo bool
}{
	{"pharmacist", session.View{State: session.Ready, ServiceUp: true, Readers: 1, CardPresent: true, Reader: "Virtual PCD 00 00",
		User: priya, Role: staff.DemoUsers()[0].Roles[0], CanViewSCR: true}, "Spine: connected", false},
	{"no_scr_role", session.View{State: session.Ready, ServiceUp: true, Readers: 1, CardPresent: true, Reader: "Virtual PCD 00 00",
		User: session.User{ID: "555000000044", Name: "Sam Lee"}, Role: staff.DemoUsers()[3].Roles[0]}, "Spine: connected", false},
	{"demo_offline", session.View{State: session.Ready, ServiceUp: true, Readers: 1, CardPresent: true, Reader: "SCR Desk demo reader",
		User: priya, Role: staff.DemoUsers()[0].Roles[0], CanViewSCR: true}, "Offline: 2 alerts waiting to send", true},
}

var statusSize = fyne.NewSize(1400, 60)

func TestStatusBarGoldens(t *testing.T) {
	for _, c := range statusStates {
		t.Run(c.name, func(t *testing.T) {
			test.NewTempApp(t)
			s := NewStatusBar(StatusBarCallbacks{})
			s.Render(present.StatusViewOf(c.v, c.conn, c.demo))
			assertGolden(t, "statusbar/"+c.name+".xml", s.Object(), statusSize)
		})
	}
}

func TestStatusBarButtons(t *testing.T) {
	test.NewTempApp(t)
	var locks, outs int
	s := NewStatusBar(StatusBarCallbacks{Lock: func() { locks++ }, SignOut: func() { outs++ }})
	s.Render(present.StatusViewOf(statusStates[0].v, "", false))
	test.NewTempWindow(t, s.Object())
	test.Tap(s.lock)
	test.Tap(s.signOut)
	if locks != 1 || outs != 1 {
		t.Errorf("locks %d, sign-outs %d", locks, outs)
	}
	if LockShortcut.ShortcutName() == "" || LockShortcut.KeyName != fyne.KeyL {
		t.Errorf("lock shortcut %v", LockShortcut)
	}
}
