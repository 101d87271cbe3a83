package screens

import (
	"maps"
	"reflect"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"scrdesk/internal/present"
	"scrdesk/internal/settings"
)

// settingsStates are the settings screen's states: valid, each invalid field (the problems as
// present.SettingsOf finds them, the settings file's own checks), and the two checks passed
// and failed.
func settingsStates() []struct {
	name string
	v    present.SettingsView
} {
	base := settings.Defaults()
	base.PharmacyName, base.ODSCode, base.WorkstationName = "High Street Pharmacy", "FA123", "COUNTER-1"
	base.Environment, base.TrustAnchorsFile = settings.EnvIntegration, "/etc/scrdesk/smartcard-cas.pem"
	good := present.FormOf(base)
	readers := []string{"ACS ACR39U 00 00", "Virtual PCD 00 00"}
	anchors := []string{"CN=NHS Level 1C RA, O=NHS: expires 12-Jan-2031", "CN=NHS Level 1D RA, O=NHS: expires 03-Mar-2029"}
	view := func(edit func(f *present.SettingsForm)) present.SettingsView {
		f := good
		f.Rules = nil // a copy: each state edits its own rows
		for _, r := range good.Rules {
			r.Values = maps.Clone(r.Values)
			f.Rules = append(f.Rules, r)
		}
		if edit != nil {
			edit(&f)
		}
		_, problems := present.SettingsOf(base, f)
		return present.SettingsView{Form: f, Problems: problems, Readers: readers, Anchors: anchors}
	}
	saved := view(nil)
	saved.Saved = "Saved and applied (ods code)."
	connOK := view(nil)
	connOK.Connection = present.CheckView{Done: true, OK: true, Lines: []string{"https://int.api.service.nhs.uk answered (HTTP 404) in 85 ms."}}
	connBad := view(nil)
	connBad.Connection = present.CheckView{Done: true, Lines: []string{"the name int.api.service.nhs.uk was not found (DNS): check the base URL and this computer's network settings."}}
	running := view(nil)
	running.Connection.Running, running.Card.Running = true, true
	cardOK := view(nil)
	cardOK.Card = present.CheckView{Done: true, OK: true, Lines: []string{"Reader Virtual PCD 00 00: Priya Shah (555000000011);", "certificate chains to a trust anchor, valid to 01-Jan-2030; 3 passcode tries left."}}
	cardPasscodeOK := view(nil)
	cardPasscodeOK.Card = present.CheckView{Done: true, OK: true, Lines: []string{"Reader Virtual PCD 00 00: Priya Shah (555000000011);", "certificate chains to a trust anchor, valid to 01-Jan-2030; 3 passcode tries left.",
		"Passcode: ok;", "Challenge: ok (the card signed a fresh challenge with the certificate's key)."}}
	cardPasscodeWrong := view(nil)
	cardPasscodeWrong.Card = present.CheckView{Done: true, Lines: []string{"Reader Virtual PCD 00 00: Priya Shah (555000000011);", "certificate chains to a trust anchor, valid to 01-Jan-2030; 3 passcode tries left.",
		"Passcode: WRONG, 2 tries left."}}
	cardBlocked := view(nil)
	cardBlocked.Card = present.CheckView{Done: true, Lines: []string{"Reader Virtual PCD 00 00: Priya Shah (555000000011);", "certificate chains to a trust anchor, valid to 01-Jan-2030;",
		"Passcode: BLOCKED.", "Your smartcard is locked after 3 wrong passcodes: your Registration Authority can unlock it."}}
	cardBad := view(nil)
	cardBad.Card = present.CheckView{Done: true, Lines: []string{"No smartcard reader is attached to this computer."}}
	// The governance rules: two switched off, thresholds and shares changed; and bad values.
	rules := func(f *present.SettingsForm) {
		for i := range f.Rules {
			r := &f.Rules[i]
			switch r.Key {
			case "out_of_hours", "found_by_details":
				r.On = false
			case "self_claimed_relationship":
				r.Values["review_percent"] = "25"
			case "repeat_reopening":
				r.Values["count"], r.Values["within"] = "4", "48h"
			}
		}
		f.ReviewPeriod = "14d"
	}
	badRules := func(f *present.SettingsForm) {
		for i := range f.Rules {
			r := &f.Rules[i]
			switch r.Key {
			case "same_surname":
				r.Values["review_percent"] = "0"
			case "volume_spike":
				r.Values["days"], r.Values["sigma"] = "90", "lots"
			case "failed_sign_ins":
				r.Values["within"] = "10 minutes"
			}
		}
		f.ReviewPeriod = "2 weeks"
	}
	demo := view(func(f *present.SettingsForm) { f.Environment, f.TrustAnchorsFile = "demo", "" })
	demo.Demo, demo.Anchors, demo.Readers = true, []string{"The demo uses the demo smartcards' own authority."}, []string{"Demo card reader"}
	return []struct {
		name string
		v    present.SettingsView
	}{
		{"valid", view(nil)},
		{"saved", saved},
		{"invalid_ods", view(func(f *present.SettingsForm) { f.ODSCode = "F-1" })},
		{"invalid_pharmacy", view(func(f *present.SettingsForm) { f.PharmacyName = "bad\x01name" })},
		{"invalid_base_url", view(func(f *present.SettingsForm) { f.Environment, f.BaseURL = "custom", "http://example.org" })},
		{"invalid_anchors", view(func(f *present.SettingsForm) { f.TrustAnchorsFile = "anchors.pem" })},
		{"invalid_client_cert", view(func(f *present.SettingsForm) { f.ClientCertFile = "client.pem" })},
		{"invalid_idle", view(func(f *present.SettingsForm) { f.IdleLockMinutes = "90" })},
		{"invalid_idle_text", view(func(f *present.SettingsForm) { f.IdleLockMinutes = "five" })},
		{"invalid_text_scale", view(func(f *present.SettingsForm) { f.TextScale = "3" })},
		{"invalid_opening_hours", view(func(f *present.SettingsForm) { f.OpeningHours = "weekdays 9-5" })},
		{"reader_not_attached", view(func(f *present.SettingsForm) { f.PreferredReader = "Omnikey 3121" })},
		{"rules_changed", view(rules)},
		{"invalid_rules", view(badRules)},
		{"checks_running", running},
		{"connection_passed", connOK},
		{"connection_failed", connBad},
		{"card_passed", cardOK},
		{"card_failed", cardBad},
		{"card_passcode_ok", cardPasscodeOK},
		{"card_passcode_wrong", cardPasscodeWrong},
		{"card_blocked", cardBlocked},
		{"demo", demo},
	}
}

func TestSettingsGoldens(t *testing.T) {
	test.NewTempApp(t)
	for _, c := range settingsStates() {
		t.Run(c.name, func(t *testing.T) {
			s := NewSettings(nil, SettingsCallbacks{})
			s.Render(c.v)
			assertGolden(t, "settings/"+c.name+".xml", s.Object(), fyne.NewSize(1000, 900))
			// What the fields hold is what was rendered: Save sends exactly that.
			if got := s.Form(); !reflect.DeepEqual(got, c.v.Form) {
				t.Errorf("Form() = %+v\nwant %+v", got, c.v.Form)
			}
		})
	}
}

// TestSettingsButtonsSendTheFields: Save, Test connection and Check a card each send the fields
// as typed; a typed trust anchors path asks for its description, a render does not.
func TestSettingsButtonsSendTheFields(t *testing.T) {
	test.NewTempApp(t)
	var saved, tested, checked, described []present.SettingsForm
	var pins []string
	s := NewSettings(nil, SettingsCallbacks{
		Save:           func(f present.SettingsForm) { saved = append(saved, f) },
		TestConnection: func(f present.SettingsForm) { tested = append(tested, f) },
		CheckCard: func(f present.SettingsForm, pin string) {
			checked = append(checked, f)
			pins = append(pins, pin)
		},
		AnchorsChosen: func(f present.SettingsForm) { described = append(described, f) },
	})
	w := test.NewTempWindow(t, s.Object())
	w.Resize(fyne.NewSize(1000, 900))
	s.Render(present.SettingsView{Form: present.FormOf(settings.Defaults())})
	if len(described) != 0 {
		t.Fatalf("a render asked to describe the anchors")
	}
	test.Type(s.ods, "FQ1")
	test.Type(s.anchors, "/etc/a.pem")
	test.Tap(s.save)
	test.Tap(s.test)
	test.Tap(s.check)
	if len(saved) != 1 || saved[0].ODSCode != "FQ1" || saved[0].TrustAnchorsFile != "/etc/a.pem" || len(tested) != 1 || len(checked) != 1 {
		t.Errorf("saved %+v tested %d checked %d", saved, len(tested), len(checked))
	}
	if len(checked) == 1 && (checked[0].ODSCode != "FQ1" || pins[0] != "") {
		t.Errorf("check without a passcode sent %+v with a passcode", checked[0])
	}
	if len(described) == 0 || described[len(described)-1].TrustAnchorsFile != "/etc/a.pem" {
		t.Errorf("anchors described %d times", len(described))
	}
}

// TestSettingsCheckSendsPasscodeOnceAndClears: a passcode typed beside "Check a card" goes
// with that check only (tapped or Enter), the field is empty after it, a render never fills
// it, and ClearPasscode empties it.
func TestSettingsCheckSendsPasscodeOnceAndClears(t *testing.T) {
	test.NewTempApp(t)
	var pins []string
	s := NewSettings(nil, SettingsCallbacks{CheckCard: func(_ present.SettingsForm, pin string) { pins = append(pins, pin) }})
	w := test.NewTempWindow(t, s.Object())
	w.Resize(fyne.NewSize(1000, 900))
	s.Render(present.SettingsView{Form: present.FormOf(settings.Defaults())})
	if !s.passcode.Password {
		t.Error("the passcode field is not a password entry")
	}
	test.Type(s.passcode, "123456")
	test.Tap(s.check)
	if s.passcode.Text != "" {
		t.Error("the passcode field kept the passcode after the check")
	}
	test.Tap(s.check) // a second check: no passcode
	test.Type(s.passcode, "654321")
	s.passcode.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(pins) != 3 || pins[0] != "123456" || pins[1] != "" || pins[2] != "654321" || s.passcode.Text != "" {
		t.Errorf("passcodes sent %q, field %q", pins, s.passcode.Text)
	}
	s.Render(present.SettingsView{Card: present.CheckView{Running: true}})
	if !s.passcode.Disabled() || !s.check.Disabled() {
		t.Error("passcode field or button enabled while a check runs")
	}
	s.Render(present.SettingsView{Card: present.CheckView{Done: true}})
	test.Type(s.passcode, "111111")
	s.ClearPasscode()
	if s.passcode.Text != "" {
		t.Error("ClearPasscode left the passcode")
	}
}

// TestSettingsRulesByKeyboard: Tab goes from the opening hours through every rule's switch,
// review share and thresholds in their order, then the review period; Space switches a rule
// off; what is typed there is what Save sends.
func TestSettingsRulesByKeyboard(t *testing.T) {
	test.NewTempApp(t)
	var saved []present.SettingsForm
	s := NewSettings(nil, SettingsCallbacks{Save: func(f present.SettingsForm) { saved = append(saved, f) }})
	w := test.NewTempWindow(t, s.Object())
	w.Resize(fyne.NewSize(1000, 900))
	s.Render(present.SettingsView{Form: present.FormOf(settings.Defaults())})
	if len(s.rules) != len(settings.RuleSpecs()) {
		t.Fatalf("%d rule rows, want one per rule that may be switched off (%d)", len(s.rules), len(settings.RuleSpecs()))
	}
	var want []fyne.Focusable
	for _, r := range s.rules {
		want = append(want, r.on)
		for _, k := range r.order {
			want = append(want, r.values[k])
		}
	}
	want = append(want, s.period)
	c := w.Canvas()
	c.Focus(s.open)
	for i, f := range want {
		c.FocusNext()
		if c.Focused() != f {
			t.Fatalf("Tab %d after the opening hours reached %T, want %T", i+1, c.Focused(), f)
		}
	}
	var repeat *ruleRow
	for _, r := range s.rules {
		if r.key == "repeat_reopening" {
			repeat = r
		}
	}
	c.Focus(repeat.on)
	repeat.on.TypedRune(' ')
	c.Focus(repeat.values["count"])
	repeat.values["count"].SetText("")
	test.Type(repeat.values["count"], "5")
	test.Tap(s.save)
	if len(saved) != 1 {
		t.Fatal("Save sent nothing")
	}
	for _, rf := range saved[0].Rules {
		if rf.Key == "repeat_reopening" && (rf.On || rf.Values["count"] != "5" || rf.Values["within"] != "72h") {
			t.Errorf("Save sent %+v", rf)
		}
		if rf.Key != "repeat_reopening" && !rf.On {
			t.Errorf("%s is off", rf.Key)
		}
	}
	st, problems := present.SettingsOf(settings.Defaults(), saved[0])
	if len(problems) != 0 || !st.Rules.Repeat.Off || st.Rules.Repeat.Count != 5 || st.Rules.Repeat.Within != "" {
		t.Errorf("read as %+v, problems %v", st.Rules.Repeat, problems)
	}
}

// TestSettingsTabKeepsTheFocusInView: in a window of the app's size (900x720) the form is
// taller than its view. Tab from the first field through every control to Close and round to
// the first field again, then Shift+Tab all the way back: each control of the form is wholly in
// view as it gets the focus (the scroll follows, both ways), and the review period, the form's
// last control, is out of view until the focus reaches it.
func TestSettingsTabKeepsTheFocusInView(t *testing.T) {
	test.NewTempApp(t)
	s := NewSettings(nil, SettingsCallbacks{})
	w := test.NewTempWindow(t, s.Object())
	w.Resize(fyne.NewSize(900, 720))
	s.Render(settingsStates()[0].v)
	d := fyne.CurrentApp().Driver()
	inView := func(o fyne.CanvasObject) bool {
		top := d.AbsolutePositionForObject(o).Y - d.AbsolutePositionForObject(s.scroll).Y
		return top >= 0 && top+o.Size().Height <= s.scroll.Size().Height+0.5
	}
	inForm := func(o fyne.CanvasObject) bool {
		for _, out := range []fyne.CanvasObject{s.passcode, s.check, s.save, s.test, s.close} {
			if o == out {
				return false
			}
		}
		return true
	}
	if inView(s.period) {
		t.Fatal("the review period is in view before any Tab: this window tests nothing")
	}
	c := w.Canvas()
	c.Focus(s.Focusable())
	for dir, next := range map[string]func(){"Tab": c.FocusNext, "Shift+Tab": c.FocusPrevious} {
		seen := map[fyne.Focusable]bool{}
		sawPeriod := false
		for i := 0; i < 200; i++ {
			next()
			f := c.Focused()
			if f == nil {
				t.Fatalf("%s %d: nothing has the focus", dir, i+1)
			}
			o := f.(fyne.CanvasObject)
			if inForm(o) && !inView(o) {
				t.Errorf("%s %d: the focused %T is not wholly in view (scroll at %v)", dir, i+1, f, s.scroll.Offset.Y)
			}
			sawPeriod = sawPeriod || f == fyne.Focusable(s.period)
			if f == s.Focusable() {
				break
			}
			if seen[f] {
				t.Fatalf("%s %d: %T again before the first field", dir, i+1, f)
			}
			seen[f] = true
		}
		if !sawPeriod || len(seen) < 40 {
			t.Errorf("%s: %d controls reached, the review period %v", dir, len(seen), sawPeriod)
		}
		if s.scroll.Offset.Y != 0 {
			t.Errorf("%s: back at the first field the form is scrolled to %v", dir, s.scroll.Offset.Y)
		}
	}
}
