package app

import (
	"context"
	"testing"

	"fyne.io/fyne/v2"

	"scrdesk/cardreader"
	"scrdesk/cardreader/virtualcard"
	"scrdesk/internal/audit"
	"scrdesk/internal/present"
	"scrdesk/internal/sandbox"
	"scrdesk/internal/session"
	"scrdesk/internal/staff"
	"scrdesk/screens"
)

// forceRenders makes the window re-render as the outbox and the status bar do while a person
// types: the outbox woken (it refreshes the alerts list and renders), and a plain render.
func (h *harness) forceRenders() {
	h.inspect(func(c *Controller) { c.kickOutbox(); c.render() })
	h.inspect(func(c *Controller) { c.refreshAlerts(context.Background()) })
	h.pump()
}

// TestTypingSurvivesRenders: an 8-digit passcode typed with re-renders between every digit
// reaches the card whole (the sign-in succeeds, no try is spent), and an emergency reason typed
// the same way keeps its screen, its text and its focus.
func TestTypingSurvivesRenders(t *testing.T) {
	ca, err := virtualcard.NewCA("Test RA")
	if err != nil {
		t.Fatal(err)
	}
	u := staff.DemoUsers()[0]
	const pin8 = "24681357"
	card, err := virtualcard.New(virtualcard.Options{UserID: u.UserID, Name: u.Name, PIN: pin8, CA: ca})
	if err != nil {
		t.Fatal(err)
	}
	dr := cardreader.NewDemoReader()
	dr.Attach(demoReader)
	h := newHarness(t, dr, ca.Pool(), harnessOpts{})
	dr.Insert(demoReader, card)
	h.waitState(session.Passcode)
	h.pump()
	e := h.sh.pass.Focusable()
	for _, r := range pin8 {
		h.w.Canvas().Focused().TypedRune(r)
		h.forceRenders()
		if h.w.Canvas().Focused() != e {
			t.Fatalf("the passcode entry lost the focus after a render")
		}
	}
	if got := len(e.(*screens.PasscodeEntry).Text); got != 8 {
		t.Fatalf("the entry holds %d digits after the renders, want 8", got)
	}
	h.w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.waitState(session.Ready)
	if card.TriesLeft() != 3 {
		t.Errorf("the card has %d tries left: the passcode reached it cut", card.TriesLeft())
	}

	h.searchNHS(sandbox.NHSAsk)
	h.until("the permission question", func(c *Controller) bool { return atStage(c, present.ConsentAsk) })
	h.sh.consent.TypedRune('2')
	h.until("the reason stage", func(c *Controller) bool { return atStage(c, present.ConsentEmergency) })
	h.pump()
	reason := h.sh.consent.ReasonField()
	if h.w.Canvas().Focused() != reason {
		t.Fatalf("the reason field is not focused on the reason stage")
	}
	const text = "Unconscious, anaphylaxis"
	for _, r := range text {
		h.w.Canvas().Focused().TypedRune(r)
		h.forceRenders()
		if h.sh.consent.Stage() != present.ConsentEmergency || h.w.Canvas().Focused() != reason {
			t.Fatalf("a render sent the reason screen away (stage %v)", h.sh.consent.Stage())
		}
	}
	if got := h.sh.consent.ReasonText(); got != text {
		t.Fatalf("reason %q after the renders, want %q", got, text)
	}
	h.inspect(func(c *Controller) { c.emergency(text) }) // what "Open the record" sends
	h.until("the record", func(c *Controller) bool { return recordShown(c) })
	for _, e := range h.entries() {
		if e.Action == audit.ActionEmergency && e.Reason != text {
			t.Errorf("emergency row reason %q, want %q", e.Reason, text)
		}
	}
	if count(h.actions(), audit.ActionEmergency) != 1 {
		t.Errorf("actions %v", h.actions())
	}
}
