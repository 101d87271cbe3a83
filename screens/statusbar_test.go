package screens

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"scrdesk/internal/present"
	"scrdesk/internal/session"
	"scrdesk/internal/settings"
	"scrdesk/internal/staff"
	"scrdesk/screens/kit"
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

// TestStatusBarEnvironmentGoldens: outside the demo the bar marks the national environment in
// use beside the user (HAZ-16), so a workstation pointed at the wrong place is seen at the counter.
func TestStatusBarEnvironmentGoldens(t *testing.T) {
	for _, c := range []struct {
		name string
		env  settings.Environment
		base string
		want string
	}{
		{"env_live", settings.EnvProduction, "", "LIVE"},
		{"env_integration", settings.EnvIntegration, "", "INTEGRATION"},
		{"env_custom", settings.EnvCustom, "https://spine-proxy.example.nhs.uk:8443/api", "CUSTOM ADDRESS"},
	} {
		t.Run(c.name, func(t *testing.T) {
			test.NewTempApp(t)
			st := settings.Defaults()
			st.Environment, st.BaseURL = c.env, c.base
			v := present.StatusViewOf(statusStates[0].v, "Spine: connected", false)
			v.Env, v.EnvKind = present.EnvironmentMark(st)
			if v.Env != c.want {
				t.Fatalf("mark %q, want %q", v.Env, c.want)
			}
			s := NewStatusBar(StatusBarCallbacks{})
			s.Render(v)
			if !s.env.Visible() || s.envText.Text != c.want {
				t.Fatalf("the mark is not shown: visible %v, %q", s.env.Visible(), s.envText.Text)
			}
			assertGolden(t, "statusbar/"+c.name+".xml", s.Object(), statusSize)
			// On one line the name and the role are whole; the others share what is left (the
			// role was cut when the shorter texts were given their widths first).
			if s.user.Truncated() || s.role.Truncated() {
				t.Errorf("with the %s mark: name %q cut %v, role %q cut %v", c.want, s.user.Text, s.user.Truncated(), s.role.Text, s.role.Truncated())
			}
			// At the narrowest window the bar still fits (the mark takes its own width).
			if min := s.Object().MinSize().Width; min > 1024 {
				t.Errorf("the bar needs %.0f px with the %s mark", min, c.want)
			}
		})
	}
	// The demo has its own DEMO mark, and no environment mark.
	if env, _ := present.EnvironmentMark(settings.Defaults()); env != "" {
		t.Errorf("demo settings give the mark %q", env)
	}
}

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

// TestStatusBarNeverWidensTheWindow: however long the name, role, organisation or notice, the
// bar asks for no more width than a small window, and each text keeps its full wording for
// hover and assistive technology.
func TestStatusBarNeverWidensTheWindow(t *testing.T) {
	test.NewTempApp(t)
	long := strings.Repeat("Bartholomew-Fitzwilliam ", 8)
	v := present.StatusView{User: long, Role: long, Org: long + "(FA123)", Reader: "Reader: " + long, Connection: long,
		Notice: "This role cannot open Summary Care Records. " + long, Demo: true}
	b := NewStatusBar(StatusBarCallbacks{})
	b.Render(v)
	w := test.NewTempWindow(t, b.Object())
	w.Resize(fyne.NewSize(1024, 200))
	if got := b.Object().MinSize().Width; got > 700 {
		t.Errorf("status bar asks for %.0f px with long texts", got)
	}
	if b.user.AccessibilityLabel() != long || !b.user.Truncated() {
		t.Errorf("user label: accessible name %q, truncated %v", b.user.AccessibilityLabel(), b.user.Truncated())
	}
}

// TestStatusBarCentralLine: with a central audit database set up, its replication state takes
// a line of its own; without one, the bar is as before (the goldens above).
func TestStatusBarCentralLine(t *testing.T) {
	test.NewTempApp(t)
	s := NewStatusBar(StatusBarCallbacks{})
	v := present.StatusViewOf(statusStates[0].v, "Spine: connected", false)
	v.Central = "central audit log offline since 09:14, 212 entries waiting"
	s.Render(v)
	assertGolden(t, "statusbar/central.xml", s.Object(), fyne.NewSize(1400, 90))
	if !s.central.Visible() || s.central.Text != v.Central {
		t.Fatalf("central line %q visible %v", s.central.Text, s.central.Visible())
	}
	v.Central = ""
	s.Render(v)
	if s.central.Visible() {
		t.Fatal("the central line stays when no central database is set up")
	}
}

// TestStatusBarNarrowKeepsShortTexts: at the width the bar gets at 1280x800 beside the demo
// panel, with the switch button an SGP with a counter role has, the user's name is shown whole
// and the other texts share the rest (the name was cut to "Grace …" while every text had a
// fixed share); wide enough, every text is whole; the switch shows its key and calls back.
func TestStatusBarNarrowKeepsShortTexts(t *testing.T) {
	test.NewTempApp(t)
	switched := 0
	b := NewStatusBar(StatusBarCallbacks{Switch: func() { switched++ }})
	grace := staff.DemoUsers()[2]
	v := present.StatusViewOf(session.View{State: session.Ready, ServiceUp: true, Readers: 1, CardPresent: true,
		Reader: "SCR Desk demo reader", User: session.User{ID: grace.UserID, Name: grace.Name}, Role: grace.Roles[0], CanSGP: true},
		"Spine: connected", true)
	v.Switch = "Counter"
	b.Render(v)
	w := test.NewTempWindow(t, b.Object())
	w.Resize(fyne.NewSize(940, 60))
	if b.user.Truncated() {
		t.Errorf("the user's name %q is cut short at 940 px", b.user.Text)
	}
	if b.role.Truncated() {
		t.Errorf("the role %q is cut short at 940 px: which role is in use cannot be told", b.role.Text)
	}
	abs := fyne.CurrentApp().Driver().AbsolutePositionForObject
	if abs(b.org).Y <= abs(b.role).Y || abs(b.lock).Y < abs(b.org).Y {
		t.Errorf("at 940 px the texts should take two lines (name and role, then the rest with the buttons): role at %v, organisation at %v, Lock at %v",
			abs(b.role), abs(b.org), abs(b.lock))
	}
	if h := b.Object().MinSize().Height; h < 2*b.role.MinSize().Height {
		t.Errorf("the bar's height %v does not hold its two lines", h)
	}
	if !b.switchTo.Visible() || b.switchTo.Text != "Counter (Ctrl+G)" {
		t.Errorf("switch button %q, visible %v", b.switchTo.Text, b.switchTo.Visible())
	}
	test.Tap(b.switchTo)
	if switched != 1 {
		t.Errorf("switch tapped: %d calls", switched)
	}
	v.Switch = ""
	b.Render(v)
	if b.switchTo.Visible() {
		t.Error("the switch stays for a user with one kind of role")
	}
	// Wide enough for all: every text whole.
	w.Resize(fyne.NewSize(1800, 60))
	for _, l := range []*kit.Label{b.user, b.role, b.org, b.reader, b.connection} {
		if l.Truncated() {
			t.Errorf("%q cut short at 1800 px", l.Text)
		}
	}
}
