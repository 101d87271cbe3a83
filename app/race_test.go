package app

import (
	"strings"
	"testing"
	"time"

	"scrdesk/cardreader"
	"scrdesk/cardreader/virtualcard"
	"scrdesk/internal/audit"
	"scrdesk/internal/present"
	"scrdesk/internal/sandbox"
	"scrdesk/internal/session"
	"scrdesk/internal/staff"
)

// demoCard makes the virtual card of the demo user with key, under ca.
func demoCard(t testing.TB, ca *virtualcard.CA, key string) (staff.DemoUser, *virtualcard.Card) {
	t.Helper()
	for _, u := range staff.DemoUsers() {
		if u.Key == key {
			c, err := virtualcard.New(virtualcard.Options{UserID: u.UserID, Name: u.Name, PIN: u.PIN, CA: ca})
			if err != nil {
				t.Fatal(err)
			}
			return u, c
		}
	}
	t.Fatalf("no demo user %q", key)
	return staff.DemoUser{}, nil
}

// TestLateSignInOfPreviousUserIsDiscarded is the sign-in race over the built-in sandbox: the
// token endpoint is slow for A; A's card leaves while A's sign-in waits; B signs in. When A's
// answer arrives (a valid token for A), it must not replace B's link: every request after B's
// sign-in carries B's token and B's role (the sandbox's own request record says whose token
// each request carried), and A's late answer is audited as discarded.
func TestLateSignInOfPreviousUserIsDiscarded(t *testing.T) {
	ca, err := virtualcard.NewCA("Test RA")
	if err != nil {
		t.Fatal(err)
	}
	userA, cardA := demoCard(t, ca, "technician")
	userB, cardB := demoCard(t, ca, "pharmacist")
	dr := cardreader.NewDemoReader()
	dr.Attach(demoReader)
	h := newHarness(t, dr, ca.Pool(), harnessOpts{})
	const slow = 12 * time.Second // far longer than B's sign-in takes, even under -race
	h.sb.SetFault("token", sandbox.Fault{Kind: sandbox.FaultLatency, Latency: slow, Times: 1})

	dr.Insert(demoReader, cardA)
	h.typePasscode(userA.PIN)
	h.until("A's token request at the sandbox", func(*Controller) bool { return countResource(h.sb.Requests(), "token") == 1 })
	started := time.Now()
	dr.Remove(demoReader)
	h.waitState(session.WaitingForCard)

	dr.Insert(demoReader, cardB)
	h.typePasscode(userB.PIN)
	h.waitState(session.Ready)
	if time.Since(started) >= slow {
		t.Fatalf("B's sign-in took longer than A's delay (%v): the race was not run", time.Since(started))
	}
	h.until("A's late answer discarded", func(*Controller) bool { return count(h.actions(), audit.ActionAnswerDiscarded) == 1 })

	// B works: a record opened, its alert delivered.
	h.searchNHS(sandbox.NHSAsk)
	h.until("the permission question", func(c *Controller) bool { return atStage(c, present.ConsentAsk) })
	h.sh.consent.TypedRune('1')
	h.until("the record", func(c *Controller) bool { return recordShown(c) })
	h.until("the alert delivered", func(*Controller) bool { return len(h.sb.Alerts()) == 1 })

	var linkUser, linkURID string
	h.inspect(func(c *Controller) { linkUser, linkURID = c.link.UserID(), c.link.URID() })
	bURID := userB.Roles[0].URID
	if linkUser != userB.UserID || linkURID != bURID {
		t.Errorf("the link is %s/%s, want B's %s/%s", linkUser, linkURID, userB.UserID, bURID)
	}
	reqs := h.sb.Requests()
	var tokens, after int
	for _, r := range reqs {
		if r.Resource == "token" {
			tokens++
			continue
		}
		if tokens < 2 {
			continue // before B's sign-in
		}
		after++
		if r.User != userB.UserID {
			t.Errorf("%s %s went out under %q's token, want B's (%s)", r.Method, r.Resource, r.User, userB.UserID)
		}
		if r.Resource != "userinfo" && r.URID != bURID {
			t.Errorf("%s %s went out with role %q, want B's %s", r.Method, r.Resource, r.URID, bURID)
		}
	}
	if tokens != 2 || after < 5 {
		t.Fatalf("sandbox saw %d token requests and %d after B's: %+v", tokens, after, reqs)
	}
	for _, e := range h.entries() {
		switch {
		case e.Action == audit.ActionAnswerDiscarded:
			if e.UserID != userA.UserID || !strings.Contains(e.Reason, "sign-in") {
				t.Errorf("discarded row %+v, want A's sign-in", e)
			}
		case e.NHSNumber != "" && e.UserID != userB.UserID:
			t.Errorf("%s row under %q, want B", e.Action, e.UserID)
		}
	}
}

func countResource(rs []sandbox.Request, res string) int {
	n := 0
	for _, r := range rs {
		if r.Resource == res {
			n++
		}
	}
	return n
}
