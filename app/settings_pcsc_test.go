//go:build pcsc

package app

import (
	"strings"
	"testing"

	"scrdesk/internal/present"
	"scrdesk/internal/session"
)

// TestPCSCSettingsCardCheckWhileSignedIn: the settings screen's "Check a card" with the
// passcode, on the signed-in user's own card in a real pcscd reader, verifies it and proves the
// key on a PC/SC connection of its own, leaves the card needing its passcode (a second
// connection does not see it verified), and leaves the session signed in; a wrong passcode is
// reported with the tries left and costs one try.
func TestPCSCSettingsCardCheckWhileSignedIn(t *testing.T) {
	r := newPCSCRig(t, harnessOpts{})
	r.insert("pharmacist")
	r.typePasscode(pin("pharmacist"))
	r.waitState(session.Ready)
	var reader string
	r.inspect(func(c *Controller) {
		reader = c.m.Snapshot().Reader
		c.svc.Demo = true // the demo's leniency: a pharmacist may open the settings here
		c.openSettings()
	})
	settingsShown(t, r.harness)
	var form present.SettingsForm
	r.inspect(func(c *Controller) { form = c.set.view.Form })
	check := func(what, passcode string) present.CheckView {
		t.Helper()
		r.inspect(func(c *Controller) { c.checkCard(form, passcode) })
		r.until(what, func(c *Controller) bool { return c.set != nil && c.set.view.Card.Done })
		var v present.CheckView
		r.inspect(func(c *Controller) { v = c.set.view.Card })
		return v
	}
	notVerified := func(when string) {
		t.Helper()
		secondConnectionNotVerified(t, reader, when).Close()
	}

	v := check("the check with the passcode", pin("pharmacist"))
	if text := strings.Join(v.Lines, " "); !v.OK || !strings.Contains(text, "Passcode: ok;") || !strings.Contains(text, "Challenge: ok") {
		t.Errorf("right passcode: %+v", v)
	}
	notVerified("after the check")
	r.waitState(session.Ready)

	v = check("the check with a wrong passcode", "975310")
	if text := strings.Join(v.Lines, " "); v.OK || !strings.Contains(text, "Passcode: WRONG, 2 tries left.") {
		t.Errorf("wrong passcode: %+v", v)
	}
	if got := r.cards["pharmacist"].TriesLeft(); got != 2 {
		t.Errorf("the card has %d tries left after one wrong passcode, want 2", got)
	}
	r.inspect(func(c *Controller) {
		if s := c.m.State(); s != session.Ready {
			t.Errorf("the session is %v after the checks, want signed in", s)
		}
	})
}
