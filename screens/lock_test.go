package screens

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"scrdesk/internal/present"
	"scrdesk/internal/session"
)

var (
	site     = present.Site{Pharmacy: "Demo Pharmacy, Leeds", ODS: "FA123"}
	demoSite = present.Site{Pharmacy: "Demo Pharmacy, Leeds", ODS: "FA123", Demo: true}
	priya    = session.User{ID: "555000000011", Name: "Priya Shah"}
)

// lockStates are the lock screen's states, as the session machine's views produce them.
var lockStates = []struct {
	name string
	v    session.View
	site present.Site
}{
	{"no_reader", session.View{State: session.NoReader, ServiceUp: true}, site},
	{"service_stopped", session.View{State: session.NoReader, Message: session.MsgServiceLost}, site},
	{"waiting", session.View{State: session.WaitingForCard, ServiceUp: true, Readers: 1}, site},
	{"reading", session.View{State: session.ReadingCard, ServiceUp: true, Readers: 1, CardPresent: true, Reader: "Virtual PCD 00 00"}, site},
	{"card_not_valid", session.View{State: session.WaitingForCard, ServiceUp: true, Readers: 1, CardPresent: true,
		Message: session.CertNotValid.Message()}, site},
	{"signed_out", session.View{State: session.WaitingForCard, ServiceUp: true, Readers: 1, Message: session.MsgSignedOut + " The smartcard was removed."}, site},
	{"locked_card_removed", session.View{State: session.Locked, ServiceUp: true, Readers: 1, Locked: true, LockedUser: priya,
		LockReason: session.ReasonCardRemoved}, site},
	{"locked_idle_card_in", session.View{State: session.Locked, ServiceUp: true, Readers: 1, CardPresent: true, Locked: true,
		LockedUser: priya, LockReason: session.ReasonIdle}, site},
	{"locked_service_lost", session.View{State: session.Locked, Locked: true, LockedUser: priya,
		LockReason: session.ReasonServiceLost, Message: session.MsgServiceLost}, site},
	{"locked_reading", session.View{State: session.ReadingCard, ServiceUp: true, Readers: 1, CardPresent: true, Locked: true,
		LockedUser: priya, LockReason: session.ReasonCardRemoved, Resuming: true}, site},
	{"demo_waiting", session.View{State: session.WaitingForCard, ServiceUp: true, Readers: 1}, demoSite},
	{"card_expired", session.View{State: session.WaitingForCard, ServiceUp: true, Readers: 1, CardPresent: true,
		Message: session.CertExpired.Message(), CardUnusable: true}, site},
	{"card_untrusted", session.View{State: session.WaitingForCard, ServiceUp: true, Readers: 1, CardPresent: true,
		Message: session.CertUntrusted.Message(), CardUnusable: true}, site},
	{"locked_by_hand", session.View{State: session.Locked, ServiceUp: true, Readers: 1, CardPresent: true, Locked: true,
		LockedUser: priya, LockReason: session.ReasonByHand}, site},
	{"sign_in_cancelled", session.View{State: session.WaitingForCard, ServiceUp: true, Readers: 1, CardPresent: true, Message: session.MsgSignInCancel}, site},
}

// TestLockMessages: each locked reason is said once, in one sentence; news is not shown as a
// problem; a card that cannot work gets no button.
func TestLockMessages(t *testing.T) {
	for _, r := range []session.LockReason{session.ReasonCardRemoved, session.ReasonIdle, session.ReasonByHand,
		session.ReasonServiceLost, session.ReasonReaderRemoved} {
		got := present.LockedText("Priya Shah", r)
		if strings.Count(got, "ocked") != 1 || !strings.HasPrefix(got, "Priya Shah's session is locked") {
			t.Errorf("%v: %q", r, got)
		}
	}
	if got := present.LockedText("James", session.ReasonByHand); got != "James' session is locked." {
		t.Errorf("possessive: %q", got)
	}
	out := present.LockViewOf(session.View{State: session.WaitingForCard, ServiceUp: true, Readers: 1, Message: session.MsgSignedOut}, site)
	if out.Message != "" || out.Notice != session.MsgSignedOut {
		t.Errorf("signed out shown as a problem: %+v", out)
	}
	exp := present.LockViewOf(session.View{State: session.WaitingForCard, ServiceUp: true, Readers: 1, CardPresent: true,
		Message: session.CertExpired.Message(), CardUnusable: true}, site)
	if exp.Start != "" || exp.Message == "" || exp.Prompt != "Take the smartcard out" {
		t.Errorf("expired card: %+v", exp)
	}
	if session.CertExpired.Message() == session.CertUntrusted.Message() || !strings.Contains(session.CertExpired.Message(), "expired") ||
		!strings.Contains(session.CertUntrusted.Message(), "trusts") {
		t.Error("expired and untrusted certificates are not told apart")
	}
	retry := present.LockViewOf(session.View{State: session.WaitingForCard, ServiceUp: true, Readers: 1, CardPresent: true,
		Message: session.ReadFailed.Message()}, site)
	if retry.Start == "" {
		t.Error("a card that could not be read is not offered a retry")
	}
}

func TestLockGoldens(t *testing.T) {
	for _, c := range lockStates {
		t.Run(c.name, func(t *testing.T) {
			test.NewTempApp(t)
			l := NewLock(LockCallbacks{})
			l.Render(present.LockViewOf(c.v, c.site))
			assertGolden(t, "lock/"+c.name+".xml", l.Object(), screenSize)
		})
	}
}

func TestLockKeys(t *testing.T) {
	for _, c := range []struct {
		name  string
		v     session.View
		key   fyne.KeyName
		start int
	}{
		{"enter with a card in signs in", session.View{State: session.WaitingForCard, ServiceUp: true, Readers: 1, CardPresent: true}, fyne.KeyReturn, 1},
		{"keypad enter too", session.View{State: session.Locked, ServiceUp: true, Readers: 1, CardPresent: true, Locked: true}, fyne.KeyEnter, 1},
		{"enter without a card does nothing", session.View{State: session.WaitingForCard, ServiceUp: true, Readers: 1}, fyne.KeyReturn, 0},
		{"enter while reading does nothing", session.View{State: session.ReadingCard, ServiceUp: true, Readers: 1, CardPresent: true}, fyne.KeyReturn, 0},
		{"other keys do nothing", session.View{State: session.WaitingForCard, ServiceUp: true, Readers: 1, CardPresent: true}, fyne.KeyA, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			test.NewTempApp(t)
			starts := 0
			l := NewLock(LockCallbacks{Start: func() { starts++ }})
			l.Render(present.LockViewOf(c.v, site))
			l.TypedKey(&fyne.KeyEvent{Name: c.key})
			if starts != c.start {
				t.Errorf("Start called %d times, want %d", starts, c.start)
			}
		})
	}
}

func TestLockButtons(t *testing.T) {
	test.NewTempApp(t)
	var starts, signOuts int
	l := NewLock(LockCallbacks{Start: func() { starts++ }, SignOut: func() { signOuts++ }})
	l.Render(present.LockViewOf(session.View{State: session.Locked, ServiceUp: true, Readers: 1, CardPresent: true, Locked: true, LockedUser: priya}, site))
	test.NewTempWindow(t, l.Object())
	if l.start.Text != "Unlock (Enter)" || l.start.Hidden || l.signOut.Hidden {
		t.Fatalf("buttons: start %q hidden %v, sign out hidden %v", l.start.Text, l.start.Hidden, l.signOut.Hidden)
	}
	test.Tap(l.start)
	test.Tap(l.signOut)
	if starts != 1 || signOuts != 1 {
		t.Errorf("starts %d, sign-outs %d", starts, signOuts)
	}
}
