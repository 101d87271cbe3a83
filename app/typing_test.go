package app

import (
	"context"
	"slices"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

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

// gatedCard is a virtual card whose first data read (GET DATA) waits until open is closed, so a
// test can act while the window says "Reading your smartcard…"; reading is told when it waits.
func gatedCard(t *testing.T, ca *virtualcard.CA, u staff.DemoUser, pin string) (card *virtualcard.Card, reading, open chan struct{}) {
	t.Helper()
	reading, open = make(chan struct{}), make(chan struct{})
	var once sync.Once
	card, err := virtualcard.New(virtualcard.Options{UserID: u.UserID, Name: u.Name, PIN: pin, CA: ca, OnCommand: func(ins byte) {
		if ins == 0xCB {
			once.Do(func() { close(reading); <-open })
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	return card, reading, open
}

// TestPasscodeTypedWhileTheCardIsRead: a pharmacist types the passcode and Enter as the card
// goes in, before the passcode screen is there (the real window lost those keys). The lock
// screen takes the digits while the card is read, shows them as dots, and the passcode screen
// submits them when it shows: signed in, no try spent, no key pressed again. Typed for a read
// that does not end at the passcode screen (the card taken out mid-read), they are dropped: the
// next card's passcode screen starts empty and nothing is submitted.
func TestPasscodeTypedWhileTheCardIsRead(t *testing.T) {
	ca, err := virtualcard.NewCA("Test RA")
	if err != nil {
		t.Fatal(err)
	}
	u := staff.DemoUsers()[0]
	typeAhead := func(h *harness, keys string) {
		h.pump()
		if h.sh.current != present.ScreenLock {
			t.Fatalf("screen %v while the card is read, want the lock screen", h.sh.current)
		}
		cv := h.w.Canvas()
		if f := cv.Focused(); f != nil {
			t.Fatalf("%T has the focus on the lock screen: the keys would not reach the window", f)
		}
		test.TypeOnCanvas(cv, keys)
		cv.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyBackspace}) // a slip, corrected
		test.TypeOnCanvas(cv, keys[len(keys)-1:])
		cv.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
	}

	t.Run("submitted when the screen shows", func(t *testing.T) {
		card, reading, open := gatedCard(t, ca, u, "24681357")
		dr := cardreader.NewDemoReader()
		dr.Attach(demoReader)
		h := newHarness(t, dr, ca.Pool(), harnessOpts{})
		dr.Insert(demoReader, card)
		<-reading
		h.waitState(session.ReadingCard)
		typeAhead(h, "x24681357") // a letter is not a digit: ignored
		if got := h.sh.lock.TypedAheadText(); got != "Passcode: ●●●●●●●●" {
			t.Fatalf("the lock screen says %q while the card is read, want 8 dots", got)
		}
		close(open)
		h.waitState(session.Ready)
		if card.TriesLeft() != 3 {
			t.Errorf("the card has %d tries left: the typed-ahead passcode reached it wrong", card.TriesLeft())
		}
		if !slices.Contains(h.actions(), audit.ActionLogin) {
			t.Errorf("no login row: %v", h.actions())
		}
	})

	t.Run("dropped when the card leaves mid-read", func(t *testing.T) {
		card, reading, open := gatedCard(t, ca, u, "24681357")
		dr := cardreader.NewDemoReader()
		dr.Attach(demoReader)
		h := newHarness(t, dr, ca.Pool(), harnessOpts{})
		dr.Insert(demoReader, card)
		<-reading
		h.waitState(session.ReadingCard)
		typeAhead(h, "24681357")
		dr.Remove(demoReader)
		h.until("the card out", func(c *Controller) bool { return !c.m.Snapshot().CardPresent })
		h.pump()
		close(open) // the late read answers now, and is dropped
		second, err := virtualcard.New(virtualcard.Options{UserID: u.UserID, Name: u.Name, PIN: "24681357", CA: ca})
		if err != nil {
			t.Fatal(err)
		}
		dr.Insert(demoReader, second)
		h.waitState(session.Passcode)
		h.pump()
		if got := h.sh.pass.Focusable().(*screens.PasscodeEntry).Text; got != "" {
			t.Fatalf("the next card's passcode entry holds %d digits typed for the card taken out", len(got))
		}
		h.inspect(func(c *Controller) {
			if c.m.State() != session.Passcode {
				t.Errorf("state %v: something was submitted to the next card", c.m.State())
			}
		})
		if second.TriesLeft() != 3 {
			t.Errorf("the next card has %d tries left", second.TriesLeft())
		}
	})
}

// TestHalfTypedPasscodeGoesWithTheScreen: digits typed on the passcode screen and left there
// (the card taken out) are gone when the same card comes back: the entry starts empty.
func TestHalfTypedPasscodeGoesWithTheScreen(t *testing.T) {
	ca, err := virtualcard.NewCA("Test RA")
	if err != nil {
		t.Fatal(err)
	}
	_, card := demoCard(t, ca, "pharmacist")
	dr := cardreader.NewDemoReader()
	dr.Attach(demoReader)
	h := newHarness(t, dr, ca.Pool(), harnessOpts{})
	dr.Insert(demoReader, card)
	h.waitState(session.Passcode)
	h.pump()
	e := h.sh.pass.Focusable().(*screens.PasscodeEntry)
	test.Type(e, "1234")
	dr.Remove(demoReader)
	h.until("the card out", func(c *Controller) bool { return !c.m.Snapshot().CardPresent })
	h.pump()
	dr.Insert(demoReader, card)
	h.waitState(session.Passcode)
	h.pump()
	if e.Text != "" {
		t.Fatalf("the passcode entry holds %d digits typed before the card went out", len(e.Text))
	}
}
