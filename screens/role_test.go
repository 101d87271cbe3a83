package screens

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"scrdesk/internal/present"
	"scrdesk/internal/session"
	"scrdesk/internal/staff"
)

var (
	tomRoles = []staff.Role{
		{URID: "555000002202", OrgCode: "FX456", OrgName: "Riverside Pharmacy, York", RoleCode: "S8000:G8000:R8004",
			RoleName: "Pharmacy Technician (Health Professional Access Role)", Activities: []string{"B0570"}},
		{URID: "555000002201", OrgCode: "FA123", OrgName: "Demo Pharmacy, Leeds", RoleCode: "S8000:G8000:R8004",
			RoleName: "Pharmacy Technician (Health Professional Access Role)", Activities: []string{"B0570"}},
		{URID: "555000002203", OrgCode: "FA123", RoleCode: "S8000:G8000:R8008", Activities: []string{"B0825"}},
	}
	tom = session.User{ID: "555000000022", Name: "Tom Evans"}
)

var roleStates = []struct {
	name string
	v    session.View
	demo bool
}{
	{"loading", session.View{State: session.LoadingRoles, User: tom}, false},
	{"choosing", session.View{State: session.ChoosingRole, User: tom, Roles: tomRoles}, false},
	{"refused", session.View{State: session.NoRole, User: tom, Message: session.MsgNoRole}, false},
	{"demo_choosing", session.View{State: session.ChoosingRole, User: tom, Roles: tomRoles[:2]}, true},
	{"confirm_other_org", session.View{State: session.ChoosingRole, User: tom, Roles: tomRoles, Confirming: true, Confirm: tomRoles[0]}, true},
}

func TestRoleGoldens(t *testing.T) {
	for _, c := range roleStates {
		t.Run(c.name, func(t *testing.T) {
			test.NewTempApp(t)
			r := NewRole(RoleCallbacks{})
			r.Render(present.RoleViewOf(c.v, present.Site{Pharmacy: "Demo Pharmacy, Leeds", ODS: "FA123", Demo: c.demo}))
			assertGolden(t, "role/"+c.name+".xml", r.Object(), screenSize)
		})
	}
}

// TestRoleGoldenNotice: the audit log's notice (degraded protection) is said on the role
// choice too, above the roles.
func TestRoleGoldenNotice(t *testing.T) {
	test.NewTempApp(t)
	r := NewRole(RoleCallbacks{})
	v := present.RoleViewOf(session.View{State: session.ChoosingRole, User: tom, Roles: tomRoles}, present.Site{Pharmacy: "Demo Pharmacy, Leeds", ODS: "FA123"})
	v.Notice = "Audit protection is degraded since 14:02: the keyring is not accepting the audit log's checkpoint. Ask IT support."
	r.Render(v)
	assertGolden(t, "role/degraded_notice.xml", r.Object(), screenSize)
	if !r.noticeR.Visible() || r.notice.Text != v.Notice {
		t.Fatalf("notice shown %v: %q", r.noticeR.Visible(), r.notice.Text)
	}
	r.Render(present.RoleView{User: "Tom Evans", Roles: v.Roles})
	if r.noticeR.Visible() {
		t.Fatal("the notice stayed after it was withdrawn")
	}
}

// TestRoleGoldenFocusedSecond: focused list, highlight moved down once.
func TestRoleGoldenFocusedSecond(t *testing.T) {
	test.NewTempApp(t)
	r := NewRole(RoleCallbacks{})
	r.Render(present.RoleViewOf(roleStates[1].v, site))
	w := test.NewTempWindow(t, r.Object())
	w.Canvas().Focus(r.Focusable())
	r.list.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	assertGolden(t, "role/choosing_focused_second.xml", r.Object(), screenSize)
}

func TestRoleKeyboard(t *testing.T) {
	for _, c := range []struct {
		name    string
		keys    []fyne.KeyName
		chosen  []string
		cancels int
	}{
		{"Enter takes the first (last used) role", []fyne.KeyName{fyne.KeyReturn}, []string{"555000002202"}, 0},
		{"Down then Enter takes the second", []fyne.KeyName{fyne.KeyDown, fyne.KeyReturn}, []string{"555000002201"}, 0},
		{"Down stops at the last", []fyne.KeyName{fyne.KeyDown, fyne.KeyDown, fyne.KeyDown, fyne.KeyDown, fyne.KeyEnter}, []string{"555000002203"}, 0},
		{"Up stops at the first", []fyne.KeyName{fyne.KeyUp, fyne.KeyDown, fyne.KeyUp, fyne.KeyUp, fyne.KeyReturn}, []string{"555000002202"}, 0},
		{"End and Home", []fyne.KeyName{fyne.KeyEnd, fyne.KeyReturn, fyne.KeyHome, fyne.KeyReturn}, []string{"555000002203", "555000002202"}, 0},
		{"Escape cancels", []fyne.KeyName{fyne.KeyDown, fyne.KeyEscape}, nil, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			test.NewTempApp(t)
			var chosen []string
			cancels := 0
			r := NewRole(RoleCallbacks{Choose: func(u string) { chosen = append(chosen, u) }, Cancel: func() { cancels++ }})
			r.Render(present.RoleViewOf(roleStates[1].v, site))
			w := test.NewTempWindow(t, r.Object())
			w.Canvas().Focus(r.Focusable())
			for _, k := range c.keys {
				w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: k})
			}
			if len(chosen) != len(c.chosen) {
				t.Fatalf("chosen %q, want %q", chosen, c.chosen)
			}
			for i := range chosen {
				if chosen[i] != c.chosen[i] {
					t.Errorf("chosen %q, want %q", chosen, c.chosen)
				}
			}
			if cancels != c.cancels {
				t.Errorf("cancels %d, want %d", cancels, c.cancels)
			}
		})
	}
}

func TestRoleSpaceAndTap(t *testing.T) {
	test.NewTempApp(t)
	var chosen []string
	r := NewRole(RoleCallbacks{Choose: func(u string) { chosen = append(chosen, u) }})
	r.Render(present.RoleViewOf(roleStates[1].v, site))
	w := test.NewTempWindow(t, r.Object())
	w.Canvas().Focus(r.Focusable())
	test.Type(r.list, " ")
	test.Tap(r.list.box.Objects[2].(*roleRow))
	if len(chosen) != 2 || chosen[0] != "555000002202" || chosen[1] != "555000002203" {
		t.Errorf("chosen %q", chosen)
	}
	if r.list.Selected() != 2 {
		t.Errorf("selected %d after tapping the third", r.list.Selected())
	}
}

func TestRoleRefusalSignOut(t *testing.T) {
	test.NewTempApp(t)
	cancels := 0
	r := NewRole(RoleCallbacks{Cancel: func() { cancels++ }})
	r.Render(present.RoleViewOf(roleStates[2].v, site))
	test.NewTempWindow(t, r.Object())
	if !r.list.Hidden || r.signOut.Hidden || r.list.Selected() != -1 {
		t.Fatalf("refusal shows the list (%v) or hides sign out (%v)", !r.list.Hidden, r.signOut.Hidden)
	}
	test.Tap(r.signOut)
	if cancels != 1 {
		t.Errorf("cancels %d", cancels)
	}
}

// TestRoleConfirmOtherOrg: a role at another organisation is named with the workstation's, and
// Enter (or the button) confirms it while Escape goes back.
func TestRoleConfirmOtherOrg(t *testing.T) {
	test.NewTempApp(t)
	var confirmed string
	cancels := 0
	r := NewRole(RoleCallbacks{Confirm: func(u string) { confirmed = u }, Cancel: func() { cancels++ }})
	v := present.RoleViewOf(session.View{State: session.ChoosingRole, User: tom, Roles: tomRoles, Confirming: true, Confirm: tomRoles[0]}, site)
	want := "This role is for Riverside Pharmacy, York (FX456); this workstation is Demo Pharmacy, Leeds (FA123)."
	if v.Confirm == nil || !strings.HasPrefix(v.Confirm.Text, want) {
		t.Fatalf("confirm %+v, want text starting %q", v.Confirm, want)
	}
	r.Render(v)
	test.NewTempWindow(t, r.Object())
	if r.Focusable() != fyne.Focusable(r.useRole) {
		t.Error("the Use this role button does not take the focus")
	}
	r.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	r.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if confirmed != tomRoles[0].URID || cancels != 1 {
		t.Errorf("confirmed %q, cancels %d", confirmed, cancels)
	}
}

// TestRoleKeysBeforeTheListHasTheFocus: the window's keys reach the role screen when nothing
// has the focus (the shell passes them on); while roles are listed, End and Enter there move
// and choose in the list, as they do when it is focused.
func TestRoleKeysBeforeTheListHasTheFocus(t *testing.T) {
	test.NewTempApp(t)
	var chosen []string
	r := NewRole(RoleCallbacks{Choose: func(u string) { chosen = append(chosen, u) }})
	r.Render(present.RoleViewOf(roleStates[1].v, site))
	w := test.NewTempWindow(t, r.Object())
	w.Canvas().Unfocus()
	r.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEnd})
	r.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(chosen) != 1 || chosen[0] != "555000002203" {
		t.Errorf("End then Enter with nothing focused chose %q, want the last role 555000002203", chosen)
	}
}

// TestRoleHighlightSurvivesARender: the screen rendered again with the same roles (any change
// the controller renders while it shows) keeps the role moved to, so End then Enter chooses the
// last role however a render falls between them; new roles start at the first again.
func TestRoleHighlightSurvivesARender(t *testing.T) {
	test.NewTempApp(t)
	var chosen []string
	r := NewRole(RoleCallbacks{Choose: func(u string) { chosen = append(chosen, u) }})
	v := present.RoleViewOf(roleStates[1].v, site)
	r.Render(v)
	test.NewTempWindow(t, r.Object())
	r.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEnd})
	r.Render(v)
	r.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(chosen) != 1 || chosen[0] != "555000002203" {
		t.Errorf("End, a render, Enter chose %q, want the last role 555000002203", chosen)
	}
	r.Render(present.RoleViewOf(roleStates[0].v, site))
	r.Render(v)
	if got := r.list.Selected(); got != 0 {
		t.Errorf("other roles then these again: highlight %d, want the first", got)
	}
}
