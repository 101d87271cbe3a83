package present

import (
	"strings"
	"testing"

	"scrdesk/internal/session"
	"scrdesk/internal/staff"
)

// priya is a card holder for the sign-in views.
var (
	priya = session.User{ID: "555000000011", Name: "Priya Shah"}
	site  = Site{Pharmacy: "Demo Pharmacy, Leeds", ODS: "FA123"}
	tom   = session.User{ID: "555000000022", Name: "Tom Evans"}

	tomRoles = []staff.Role{
		{URID: "555000002202", OrgCode: "FX456", OrgName: "Riverside Pharmacy, York", RoleCode: "S8000:G8000:R8004",
			RoleName: "Pharmacy Technician (Health Professional Access Role)", Activities: []string{"B0570"}},
		{URID: "555000002201", OrgCode: "FA123", OrgName: "Demo Pharmacy, Leeds", RoleCode: "S8000:G8000:R8004",
			RoleName: "Pharmacy Technician (Health Professional Access Role)", Activities: []string{"B0570"}},
		{URID: "555000002203", OrgCode: "FA123", RoleCode: "S8000:G8000:R8008", Activities: []string{"B0825"}},
	}
)

func TestScreenForEveryState(t *testing.T) {
	want := map[session.State]Screen{
		session.NoReader: ScreenLock, session.WaitingForCard: ScreenLock, session.ReadingCard: ScreenLock,
		session.Passcode: ScreenPasscode, session.Verifying: ScreenPasscode, session.CardBlocked: ScreenPasscode,
		session.LoadingRoles: ScreenRole, session.ChoosingRole: ScreenRole, session.NoRole: ScreenRole,
		session.Ready: ScreenWorkspace, session.Locked: ScreenLock,
	}
	for _, s := range session.States {
		w, ok := want[s]
		if !ok {
			t.Errorf("state %v has no screen in this test", s)
			continue
		}
		if got := ScreenFor(s); got != w {
			t.Errorf("ScreenFor(%v) = %v, want %v", s, got, w)
		}
	}
}

func TestOrgLine(t *testing.T) {
	for _, c := range []struct{ name, org, ods, want string }{
		{"both", "Demo Pharmacy", "FA123", "Demo Pharmacy (FA123)"},
		{"name only", "Demo Pharmacy", "", "Demo Pharmacy"},
		{"code only", "", "FA123", "FA123"},
		{"neither", " ", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := OrgLine(c.org, c.ods); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestTriesText(t *testing.T) {
	for n, want := range map[int]string{-1: "", 0: "No tries left", 1: "1 try left", 2: "2 tries left", 3: "3 tries left"} {
		if got := TriesText(n); got != want {
			t.Errorf("TriesText(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestReadersText(t *testing.T) {
	for _, c := range []struct {
		name    string
		up      bool
		readers int
		card    bool
		want    string
	}{
		{"service stopped", false, 1, false, "Smartcard service stopped"},
		{"no reader", true, 0, false, "No card reader found"},
		{"one reader", true, 1, false, "Card reader ready"},
		{"card in", true, 1, true, "card inserted"},
		{"two readers", true, 2, false, "2 card readers ready"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ReadersText(c.up, c.readers, c.card); !strings.Contains(got, c.want) {
				t.Errorf("got %q, want it to contain %q", got, c.want)
			}
		})
	}
}

func TestLockViewOf(t *testing.T) {
	for _, c := range []struct {
		name       string
		v          session.View
		prompt     string
		start      string
		locked     bool
		busy       bool
		canSignOut bool
	}{
		{"no reader", session.View{State: session.NoReader, ServiceUp: true}, "Plug in a card reader", "", false, false, false},
		{"no service", session.View{State: session.NoReader}, "Waiting for the smartcard service", "", false, false, false},
		{"waiting", session.View{State: session.WaitingForCard, ServiceUp: true, Readers: 1}, "Insert your smartcard", "", false, false, false},
		{"card in after a sign-out", session.View{State: session.WaitingForCard, ServiceUp: true, Readers: 1, CardPresent: true}, "Press Enter to sign in, or remove your smartcard", "Sign in", false, false, false},
		{"reading", session.View{State: session.ReadingCard, ServiceUp: true, Readers: 1, CardPresent: true}, "Reading your smartcard…", "", false, true, false},
		{"locked, card out", session.View{State: session.Locked, ServiceUp: true, Readers: 1, Locked: true, LockedUser: priya, LockReason: session.ReasonCardRemoved}, "Insert your smartcard", "", true, false, true},
		{"locked, card in", session.View{State: session.Locked, ServiceUp: true, Readers: 1, CardPresent: true, Locked: true, LockedUser: priya, LockReason: session.ReasonByHand}, "Press Enter to unlock", "Unlock", true, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			lv := LockViewOf(c.v, site)
			if lv.Prompt != c.prompt || lv.Start != c.start || (lv.Locked != "") != c.locked || lv.Busy != c.busy || lv.CanSignOut != c.canSignOut {
				t.Errorf("got %+v", lv)
			}
			if lv.Product != Product || lv.Pharmacy != "Demo Pharmacy, Leeds (FA123)" {
				t.Errorf("header %q %q", lv.Product, lv.Pharmacy)
			}
			if c.locked && !strings.Contains(lv.Locked, "Priya Shah's session") {
				t.Errorf("locked line %q", lv.Locked)
			}
		})
	}
}

func TestPasscodeViewOf(t *testing.T) {
	pv := PasscodeViewOf(session.View{State: session.Verifying, User: priya, TriesLeft: 2, Resuming: true, Locked: true}, true)
	if !pv.Busy || pv.Blocked || pv.Tries != "2 tries left" || !strings.HasPrefix(pv.Title, "Unlock") || !pv.Demo {
		t.Errorf("verifying view %+v", pv)
	}
	pv = PasscodeViewOf(session.View{State: session.CardBlocked, User: priya, TriesLeft: 0, Message: session.MsgBlocked}, false)
	if !pv.Blocked || pv.Busy || pv.Tries != "" || pv.Message != session.MsgBlocked {
		t.Errorf("blocked view %+v", pv)
	}
}

func TestRoleViewOf(t *testing.T) {
	rv := RoleViewOf(session.View{State: session.ChoosingRole, User: tom, Roles: tomRoles}, site)
	if len(rv.Roles) != 3 || rv.Roles[0].Org != "Riverside Pharmacy, York (FX456)" || rv.Roles[2].Role != "S8000:G8000:R8008" || rv.Refusal != "" {
		t.Errorf("choosing view %+v", rv)
	}
	rv = RoleViewOf(session.View{State: session.NoRole, User: tom, Message: session.MsgNoRole}, site)
	if rv.Refusal != session.MsgNoRole || len(rv.Roles) != 0 {
		t.Errorf("refusal view %+v", rv)
	}
	if rv := RoleViewOf(session.View{State: session.LoadingRoles}, site); !rv.Loading {
		t.Errorf("loading view %+v", rv)
	}
}

func TestStatusViewOf(t *testing.T) {
	noSCR := session.View{State: session.Ready, ServiceUp: true, Readers: 1, CardPresent: true, Reader: "Virtual PCD 00 00",
		User: session.User{ID: "555000000044", Name: "Sam Lee"}, Role: staff.DemoUsers()[3].Roles[0]}
	pharmacist := session.View{State: session.Ready, ServiceUp: true, Readers: 1, CardPresent: true, Reader: "Virtual PCD 00 00",
		User: priya, Role: staff.DemoUsers()[0].Roles[0], CanViewSCR: true}
	sv := StatusViewOf(noSCR, "Spine: connected", false)
	if sv.Notice == "" || sv.User != "Sam Lee" || sv.Org != "Demo Pharmacy, Leeds (FA123)" || sv.Reader != "Reader: Virtual PCD 00 00" {
		t.Errorf("no-SCR status %+v", sv)
	}
	if sv := StatusViewOf(pharmacist, "", false); sv.Notice != "" {
		t.Errorf("pharmacist has a notice: %+v", sv)
	}
}

func TestDemoPanelViewOf(t *testing.T) {
	pv := DemoPanelViewOf(staff.DemoUsers(), "blocked", staff.DefaultSCRActivities)
	notes := map[string]string{}
	for _, c := range pv.Cards {
		notes[c.Key] = c.Note
		if c.Passcode == "" {
			t.Errorf("%s: no passcode printed", c.Key)
		}
		if c.Inserted != (c.Key == "blocked") {
			t.Errorf("%s: inserted %v", c.Key, c.Inserted)
		}
	}
	for key, want := range map[string]string{"pharmacist": "", "assistant": "no SCR role", "blocked": "blocked", "expired": "certificate expired", "sgp": ""} {
		if notes[key] != want {
			t.Errorf("%s: note %q, want %q", key, notes[key], want)
		}
	}
	if len(pv.Cards) != len(staff.DemoUsers()) {
		t.Errorf("%d cards", len(pv.Cards))
	}
}
