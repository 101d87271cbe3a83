package screens

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"scrdesk/internal/present"
	"scrdesk/internal/session"
)

var passcodeStates = []struct {
	name string
	v    session.View
	demo bool
}{
	{"asking", session.View{State: session.Passcode, User: priya, TriesLeft: 3}, false},
	{"asking_unlock", session.View{State: session.Passcode, User: priya, TriesLeft: 3, Locked: true, LockedUser: priya, Resuming: true}, false},
	{"wrong_one_left", session.View{State: session.Passcode, User: priya, TriesLeft: 1,
		Message: "Wrong passcode. 1 try left before the card locks."}, false},
	{"card_swapped", session.View{State: session.Passcode, User: priya, TriesLeft: 3, Message: session.MsgCardSwapped}, false},
	{"verifying", session.View{State: session.Verifying, User: priya, TriesLeft: 3}, false},
	{"blocked", session.View{State: session.CardBlocked, User: priya, TriesLeft: 0, Message: session.MsgBlocked}, false},
	{"demo_asking", session.View{State: session.Passcode, User: priya, TriesLeft: 3}, true},
}

func TestPasscodeGoldens(t *testing.T) {
	for _, c := range passcodeStates {
		t.Run(c.name, func(t *testing.T) {
			test.NewTempApp(t)
			p := NewPasscode(PasscodeCallbacks{})
			p.Render(present.PasscodeViewOf(c.v, c.demo))
			assertGolden(t, "passcode/"+c.name+".xml", p.Object(), screenSize)
		})
	}
}

// TestPasscodeGoldenTyped: what was typed shows masked.
func TestPasscodeGoldenTyped(t *testing.T) {
	test.NewTempApp(t)
	p := NewPasscode(PasscodeCallbacks{})
	p.Render(present.PasscodeViewOf(passcodeStates[0].v, false))
	w := test.NewTempWindow(t, p.Object())
	w.Canvas().Focus(p.Focusable())
	test.Type(p.entry, "1234")
	assertGolden(t, "passcode/typed.xml", p.Object(), screenSize)
}

func TestPasscodeKeyboard(t *testing.T) {
	enter := &fyne.KeyEvent{Name: fyne.KeyReturn}
	escape := &fyne.KeyEvent{Name: fyne.KeyEscape}
	for _, c := range []struct {
		name      string
		view      session.View
		typed     string
		key       *fyne.KeyEvent
		submitted []string
		cancels   int
		hint      bool
	}{
		{"six digits and Enter submit", passcodeStates[0].v, "123456", enter, []string{"123456"}, 0, false},
		{"eight digits and Enter submit", passcodeStates[0].v, "12345678", enter, []string{"12345678"}, 0, false},
		{"a ninth digit is not taken", passcodeStates[0].v, "123456789", enter, []string{"12345678"}, 0, false},
		{"letters and spaces are not taken", passcodeStates[0].v, "12 ab-34x56", enter, []string{"123456"}, 0, false},
		{"five digits ask for more", passcodeStates[0].v, "12345", enter, nil, 0, true},
		{"empty Enter asks for the passcode", passcodeStates[0].v, "", enter, nil, 0, true},
		{"Escape cancels", passcodeStates[0].v, "123", escape, nil, 1, false},
		{"busy ignores Enter", passcodeStates[4].v, "123456", enter, nil, 0, false},
		{"busy ignores Escape", passcodeStates[4].v, "", escape, nil, 0, false},
		{"blocked: Escape closes", passcodeStates[5].v, "", escape, nil, 1, false},
		{"blocked: Enter does nothing", passcodeStates[5].v, "123456", enter, nil, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			test.NewTempApp(t)
			var got []string
			cancels := 0
			p := NewPasscode(PasscodeCallbacks{Submit: func(s string, _ uint64) { got = append(got, s) }, Cancel: func() { cancels++ }})
			p.Render(present.PasscodeViewOf(c.view, false))
			w := test.NewTempWindow(t, p.Object())
			w.Canvas().Focus(p.Focusable())
			test.Type(p.entry, c.typed)
			p.entry.TypedKey(c.key)
			if len(got) != len(c.submitted) || (len(got) > 0 && got[0] != c.submitted[0]) {
				t.Errorf("submitted %q, want %q", got, c.submitted)
			}
			if cancels != c.cancels {
				t.Errorf("cancels %d, want %d", cancels, c.cancels)
			}
			if (p.hint.Text == MsgPasscodeShape) != c.hint || p.hint.Hidden == c.hint {
				t.Errorf("hint %q (hidden %v), want shown=%v", p.hint.Text, p.hint.Hidden, c.hint)
			}
			if c.key == enter && p.entry.Text != "" && c.view.State != session.CardBlocked {
				t.Errorf("entry kept %q after Enter", p.entry.Text)
			}
		})
	}
}

func TestPasscodeEntryRefusesPaste(t *testing.T) {
	a := test.NewTempApp(t)
	e := NewPasscodeEntry()
	test.NewTempWindow(t, e)
	a.Clipboard().SetContent("123456")
	e.TypedShortcut(&fyne.ShortcutPaste{Clipboard: a.Clipboard()})
	if e.Text != "" {
		t.Errorf("paste accepted: %q", e.Text)
	}
	if !e.Password {
		t.Error("entry not masked")
	}
}

func TestPasscodeSubmitButton(t *testing.T) {
	test.NewTempApp(t)
	var got string
	p := NewPasscode(PasscodeCallbacks{Submit: func(s string, _ uint64) { got = s }})
	p.Render(present.PasscodeViewOf(passcodeStates[0].v, false))
	test.NewTempWindow(t, p.Object())
	test.Type(p.entry, "234567")
	test.Tap(p.submit)
	if got != "234567" || p.entry.Text != "" {
		t.Errorf("submitted %q, entry %q", got, p.entry.Text)
	}
}

// FuzzPasscodeEntry types arbitrary text: the entry only ever holds 0 to 8 ASCII digits.
func FuzzPasscodeEntry(f *testing.F) {
	for _, s := range []string{"123456", "123456789", "12 ab-34x56", "١٢٣٤٥٦", "\x00\n\t9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		test.NewTempApp(t)
		e := NewPasscodeEntry()
		test.Type(e, s)
		if len(e.Text) > 8 {
			t.Fatalf("entry holds %d characters", len(e.Text))
		}
		for _, r := range e.Text {
			if r < '0' || r > '9' {
				t.Fatalf("entry holds %q", e.Text)
			}
		}
	})
}

// TestPasscodeRefocusAfterWrong: after a wrong passcode the entry has the focus again, so the
// user can type at once.
func TestPasscodeRefocusAfterWrong(t *testing.T) {
	test.NewTempApp(t)
	p := NewPasscode(PasscodeCallbacks{})
	p.Render(present.PasscodeViewOf(passcodeStates[0].v, false))
	w := test.NewTempWindow(t, p.Object())
	w.Canvas().Focus(p.Focusable())
	p.Render(present.PasscodeViewOf(passcodeStates[4].v, false)) // verifying: entry disabled
	p.Render(present.PasscodeViewOf(passcodeStates[2].v, false)) // wrong, 1 try left
	if w.Canvas().Focused() != p.entry {
		t.Fatalf("focus on %v, want the entry", w.Canvas().Focused())
	}
	test.Type(p.entry, "1")
	if p.entry.Text != "1" {
		t.Errorf("typed %q", p.entry.Text)
	}
}

// TestPasscodeTypeAhead: a passcode typed ahead with Enter is submitted at once on a plain
// passcode screen; on one with a message (a locked session ended by another card) it waits in
// the entry for Enter; on a blocked card it is dropped.
func TestPasscodeTypeAhead(t *testing.T) {
	test.NewTempApp(t)
	var got []string
	p := NewPasscode(PasscodeCallbacks{Submit: func(s string, _ uint64) { got = append(got, s) }})
	test.NewTempWindow(t, p.Object())
	p.Render(present.PasscodeView{Title: "Enter your smartcard passcode", Submit: "Sign in", User: "Priya Shah", For: 1})
	p.TypeAhead("123456", true)
	if len(got) != 1 || got[0] != "123456" || p.entry.Text != "" {
		t.Fatalf("plain screen: submitted %v, entry %d digits", got, len(p.entry.Text))
	}
	p.Render(present.PasscodeView{Title: "Enter your smartcard passcode", Submit: "Sign in", User: "Sam Lee", For: 2,
		Message: "A locked session was ended by another card."})
	p.TypeAhead("654321", true)
	if len(got) != 1 || p.entry.Text != "654321" {
		t.Fatalf("screen with a message: submitted %v, entry %q", got, p.entry.Text)
	}
	p.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(got) != 2 || got[1] != "654321" {
		t.Fatalf("Enter on the screen with a message: submitted %v", got)
	}
	p.Render(present.PasscodeView{Title: "Smartcard locked", User: "Sam Lee", Blocked: true, For: 3})
	p.TypeAhead("111111", true)
	if len(got) != 2 || p.entry.Text != "" {
		t.Fatalf("blocked card: submitted %v, entry %q", got, p.entry.Text)
	}
}
