package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"scrdesk/cardreader"
	"scrdesk/cardreader/virtualcard"
	"scrdesk/internal/audit"
	"scrdesk/internal/present"
	"scrdesk/internal/sandbox"
	"scrdesk/internal/session"
	"scrdesk/internal/staff"
)

// twoUserHarness is the demo harness with the pharmacist's card and the demo technician's (two
// roles: Leeds, this workstation's FA123, and York, FX456), both from the harness's CA.
func twoUserHarness(t *testing.T) (h *harness, dr *cardreader.DemoReader, pharm, tech *virtualcard.Card, techUser staff.DemoUser) {
	t.Helper()
	ca, err := virtualcard.NewCA("Test RA")
	if err != nil {
		t.Fatal(err)
	}
	card := func(u staff.DemoUser) *virtualcard.Card {
		c, err := virtualcard.New(virtualcard.Options{UserID: u.UserID, Name: u.Name, PIN: u.PIN, CA: ca})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	techUser = staff.DemoUsers()[1]
	if len(techUser.Roles) < 2 {
		t.Fatalf("the demo technician has %d roles", len(techUser.Roles))
	}
	dr = cardreader.NewDemoReader()
	dr.Attach(demoReader)
	h = newHarness(t, dr, ca.Pool(), harnessOpts{})
	return h, dr, card(staff.DemoUsers()[0]), card(techUser), techUser
}

func roleAt(u staff.DemoUser, ods string) staff.Role {
	for _, r := range u.Roles {
		if r.OrgCode == ods {
			return r
		}
	}
	return staff.Role{}
}

// TestNextUserSeesOnlyTheirAlerts: the pharmacist's privacy alert is listed for the pharmacist;
// after sign-out the technician at the same counter sees none of it.
func TestNextUserSeesOnlyTheirAlerts(t *testing.T) {
	h, dr, card, tc, u := twoUserHarness(t)
	signIn(t, h, dr, card)
	h.searchNHS(sandbox.NHSAsk)
	h.until("the permission question", func(c *Controller) bool { return atStage(c, present.ConsentAsk) })
	h.sh.consent.TypedRune('1')
	h.until("the alert listed for its user", func(c *Controller) bool { return len(alertsFor(c.alerts, c.m.Snapshot().User.ID)) > 0 })
	h.pump()
	if len(h.frame.alerts) == 0 {
		t.Fatal("the pharmacist's own alert is not listed")
	}
	h.c.Post(func() { h.c.handle(session.SignOut{}) })
	h.waitState(session.WaitingForCard)
	dr.Remove(demoReader)

	dr.Insert(demoReader, tc)
	h.typePasscode(u.PIN)
	h.waitState(session.ChoosingRole)
	leeds := roleAt(u, "FA123")
	h.c.Post(func() { h.c.chosen(leeds.URID) })
	h.waitState(session.Ready)
	// The outbox list is read again for the new session: it still holds the pharmacist's alert.
	h.until("the alert list read again", func(c *Controller) bool { return len(c.alerts) > 0 })
	h.pump()
	if len(h.frame.alerts) != 0 {
		t.Errorf("the technician sees the pharmacist's alerts: %+v", h.frame.alerts)
	}
}

// TestRoleAtAnotherOrganisationIsConfirmedAndAudited: choosing the York role at the Leeds
// workstation asks first, in words naming both; confirming signs in under it and the audit
// row says it was confirmed.
func TestRoleAtAnotherOrganisationIsConfirmedAndAudited(t *testing.T) {
	h, dr, _, tc, u := twoUserHarness(t)
	dr.Insert(demoReader, tc)
	h.typePasscode(u.PIN)
	h.waitState(session.ChoosingRole)
	york := roleAt(u, "FX456")
	h.c.Post(func() { h.c.chosen(york.URID) })
	h.until("the question", func(c *Controller) bool { return c.m.Snapshot().Confirming })
	h.pump()
	if h.frame.role.Confirm == nil || !strings.Contains(h.frame.role.Confirm.Text, "(FX456); this workstation is Test Pharmacy (FA123)") {
		t.Fatalf("question: %+v", h.frame.role.Confirm)
	}
	for _, a := range h.actions() {
		if a == audit.ActionRoleSelected {
			t.Fatal("the role was recorded as chosen before it was confirmed")
		}
	}
	h.sh.role.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // Enter: "Use this role"
	h.waitState(session.Ready)
	var found bool
	for _, e := range h.entries() {
		if e.Action == audit.ActionRoleSelected && e.URID == york.URID && strings.Contains(e.Reason, "FX456") && strings.Contains(e.Reason, "FA123") {
			found = true
		}
	}
	if !found {
		t.Errorf("no audit row for the confirmed York role: %v", h.actions())
	}
	var role staff.Role
	h.inspect(func(c *Controller) { role = c.role })
	if role.URID != york.URID {
		t.Errorf("signed in under %+v", role)
	}
}
