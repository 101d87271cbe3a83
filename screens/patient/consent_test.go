package patient

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"scrdesk/internal/fhir"
	"scrdesk/internal/present"
)

func TestConsentGoldens(t *testing.T) {
	cases := []struct {
		name   string
		view   present.ConsentView
		reason string
	}{
		{"consent_checking.xml", present.ConsentView{Stage: present.ConsentChecking, Patient: "SMITH, Jane (Mrs)"}, ""},
		{"consent_opted_out.xml", present.ConsentView{Stage: present.ConsentOptedOut, Patient: "SMITH, Jane (Mrs)"}, ""},
		{"consent_no_record.xml", present.ConsentView{Stage: present.ConsentNoRecord, Patient: "SMITH, Jane (Mrs)"}, ""},
		{"consent_question.xml", present.ConsentView{Stage: present.ConsentAsk, Patient: "SMITH, Jane (Mrs)"}, ""},
		{"consent_emergency_reason_required.xml", present.ConsentView{Stage: present.ConsentEmergency, Patient: "SMITH, Jane (Mrs)"}, ""},
		{"consent_emergency_reason_given.xml", present.ConsentView{Stage: present.ConsentEmergency, Patient: "SMITH, Jane (Mrs)"},
			"Patient collapsed at the counter and cannot answer; checking for allergies before the paramedics arrive."},
		{"consent_declined.xml", present.ConsentView{Stage: present.ConsentDeclined, Patient: "SMITH, Jane (Mrs)"}, ""},
		{"consent_deceased_reason_required.xml", present.ConsentView{Stage: present.ConsentDeceased, Patient: "DEARDEN, Douglas (Mr)"}, ""},
		{"consent_deceased_reason_given.xml", present.ConsentView{Stage: present.ConsentDeceased, Patient: "DEARDEN, Douglas (Mr)"},
			"Family member collecting medicines returned after death; checking what was dispensed."},
		{"consent_opening.xml", present.ConsentView{Stage: present.ConsentOpening, Patient: "SMITH, Jane (Mrs)"}, ""},
		{"consent_audit_failed.xml", present.ConsentView{Stage: present.ConsentAsk, Patient: "SMITH, Jane (Mrs)",
			Message: present.MessageView{Title: "Could not record this step",
				What: "The audit log could not be written, so nothing about the patient is shown.",
				Todo: "Try again. If it keeps happening, close SCR Desk and call IT support.", Incident: "2B7C-11D0"}}, ""},
		{"consent_access_refused.xml", present.ConsentView{Stage: present.ConsentOpening, Patient: "SMITH, Jane (Mrs)",
			Message: present.Message(&fhir.SpineError{Kind: fhir.AccessDenied, Code: "PSIS-30418", IncidentID: "5D2E-0A77"})}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			test.NewTempApp(t)
			s := NewConsent(ConsentCallbacks{})
			win := show(t, s.Object(), 1000, 600)
			s.Render(c.view)
			if c.reason != "" {
				test.Type(s.reason, c.reason)
			}
			golden(t, win, c.name)
		})
	}
}

type consentLog struct {
	permission, declined, closed int
	emergency                    []string
}

func newConsentUnderTest(t *testing.T) (*Consent, *consentLog) {
	t.Helper()
	test.NewTempApp(t)
	l := &consentLog{}
	c := NewConsent(ConsentCallbacks{
		OnPermission: func() { l.permission++ },
		OnEmergency:  func(r string) { l.emergency = append(l.emergency, r) },
		OnDeclined:   func() { l.declined++ },
		OnClose:      func() { l.closed++ },
	})
	show(t, c.Object(), 1000, 600)
	c.Render(present.ConsentView{Stage: present.ConsentAsk, Patient: "SMITH, Jane (Mrs)"})
	return c, l
}

func nothingHappened(t *testing.T, c *Consent, l *consentLog) {
	if l.permission+l.declined+len(l.emergency) != 0 || c.Stage() != present.ConsentAsk {
		t.Errorf("log %+v stage %v", l, c.Stage())
	}
}

func TestConsentKeys(t *testing.T) {
	cases := []struct {
		name  string
		r     rune
		check func(t *testing.T, c *Consent, l *consentLog)
	}{
		{"1 is yes", '1', func(t *testing.T, c *Consent, l *consentLog) {
			if l.permission != 1 {
				t.Errorf("permission %d", l.permission)
			}
		}},
		{"2 asks for a reason", '2', func(t *testing.T, c *Consent, l *consentLog) {
			if c.Stage() != present.ConsentEmergency || len(l.emergency) != 0 {
				t.Errorf("stage %v, emergency %q", c.Stage(), l.emergency)
			}
		}},
		{"3 is declined", '3', func(t *testing.T, c *Consent, l *consentLog) {
			if l.declined != 1 || l.permission != 0 {
				t.Errorf("declined %d permission %d", l.declined, l.permission)
			}
		}},
		{"Y, E and N do nothing (a word typed too early must not answer)", 'y', nothingHappened},
		{"E does nothing", 'E', nothingHappened},
		{"N does nothing", 'N', nothingHappened},
		{"other keys do nothing", 'x', func(t *testing.T, c *Consent, l *consentLog) {
			if l.permission+l.declined+len(l.emergency) != 0 || c.Stage() != present.ConsentAsk {
				t.Errorf("log %+v stage %v", l, c.Stage())
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, l := newConsentUnderTest(t)
			c.TypedRune(tc.r)
			tc.check(t, c, l)
		})
	}
}

func TestConsentKeysOnlyOnQuestion(t *testing.T) {
	c, l := newConsentUnderTest(t)
	for _, st := range []present.ConsentStage{present.ConsentChecking, present.ConsentOptedOut, present.ConsentNoRecord,
		present.ConsentDeclined, present.ConsentOpening} {
		c.Render(present.ConsentView{Stage: st})
		for _, r := range "1y2e3n" {
			if c.TypedRune(r) {
				t.Errorf("stage %v used %q", st, r)
			}
		}
	}
	if l.permission+l.declined+len(l.emergency) != 0 {
		t.Errorf("answers recorded outside the question: %+v", l)
	}
}

func TestConsentEmergencyReasonRequired(t *testing.T) {
	c, l := newConsentUnderTest(t)
	test.Tap(c.emerg)
	if c.Stage() != present.ConsentEmergency || !c.reasonOK.Disabled() {
		t.Fatalf("stage %v, submit disabled %v", c.Stage(), c.reasonOK.Disabled())
	}
	test.Type(c.reason, "   ")
	if !c.reasonOK.Disabled() {
		t.Error("blank reason can be submitted")
	}
	c.submitReason()
	if len(l.emergency) != 0 {
		t.Fatalf("blank reason submitted: %q", l.emergency)
	}
	c.reason.SetText("")
	test.Type(c.reason, "Unconscious; checking allergies")
	if c.reasonOK.Disabled() {
		t.Fatal("reason given but submit still disabled")
	}
	test.Tap(c.reasonOK)
	if len(l.emergency) != 1 || l.emergency[0] != "Unconscious; checking allergies" {
		t.Fatalf("emergency %q", l.emergency)
	}
	// Escape goes back to the question and nothing else is recorded.
	if !c.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape}) || c.Stage() != present.ConsentAsk {
		t.Errorf("Escape: stage %v", c.Stage())
	}
	if l.permission != 0 || l.declined != 0 {
		t.Errorf("log %+v", l)
	}
}

func TestConsentCloseAndClear(t *testing.T) {
	c, l := newConsentUnderTest(t)
	c.Render(present.ConsentView{Stage: present.ConsentOptedOut, Patient: "SMITH, Jane (Mrs)"})
	test.Tap(c.closeBtn)
	if l.closed != 1 {
		t.Errorf("closed %d", l.closed)
	}
	c.Render(present.ConsentView{Stage: present.ConsentEmergency, Patient: "SMITH, Jane (Mrs)"})
	test.Type(c.reason, "a reason that names the patient")
	c.Clear()
	if c.reason.Text != "" || containsAny(c.body.Text, "SMITH") {
		t.Errorf("Clear left reason %q body %q", c.reason.Text, c.body.Text)
	}
}

func TestConsentReasonShiftEnter(t *testing.T) {
	c, l := newConsentUnderTest(t)
	c.TypedRune('2')
	test.Type(c.reason, "Cannot communicate")
	// Shift+Enter in a multi-line entry submits it.
	c.reason.KeyDown(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	c.reason.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	c.reason.KeyUp(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	if len(l.emergency) != 1 || l.emergency[0] != "Cannot communicate" {
		t.Fatalf("emergency %q", l.emergency)
	}
	// A plain Enter is a new line.
	c.reason.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(l.emergency) != 1 {
		t.Fatalf("plain Enter submitted: %q", l.emergency)
	}
}

// TestConsentDeceasedReason: a deceased patient is not asked; the written reason goes to
// OnDeceased, never to OnEmergency or OnPermission, and the answer keys do nothing.
func TestConsentDeceasedReason(t *testing.T) {
	test.NewTempApp(t)
	var got []string
	c := NewConsent(ConsentCallbacks{
		OnPermission: func() { got = append(got, "permission") },
		OnEmergency:  func(r string) { got = append(got, "emergency:"+r) },
		OnDeceased:   func(r string) { got = append(got, "deceased:"+r) },
	})
	show(t, c.Object(), 1000, 700)
	c.Render(present.ConsentView{Stage: present.ConsentDeceased, Patient: "DEARDEN, Douglas (Mr)"})
	if c.TypedRune('1') || c.TypedRune('2') {
		t.Fatal("answer keys used on the deceased stage")
	}
	if !c.reasonOK.Disabled() {
		t.Fatal("open allowed without a reason")
	}
	test.Type(c.reason, "  Checking dispensing after death  ")
	test.Tap(c.reasonOK)
	if len(got) != 1 || got[0] != "deceased:Checking dispensing after death" {
		t.Fatalf("callbacks %q", got)
	}
}

// TestConsentEmergencyStageSurvivesFrames: while the reason is being written, a frame from the
// controller (which still says "ask") does not throw the user back to the question or lose what
// they typed; Back and Escape still go back.
func TestConsentEmergencyStageSurvivesFrames(t *testing.T) {
	test.NewTempApp(t)
	c := NewConsent(ConsentCallbacks{})
	show(t, c.Object(), 1000, 700)
	ask := present.ConsentView{Stage: present.ConsentAsk, Patient: "SMITH, Jane (Mrs)"}
	c.Render(ask)
	c.TypedRune('2')
	test.Type(c.reason, "Collapsed at the counter")
	c.Render(ask) // e.g. the reasonable adjustments arrived
	if c.Stage() != present.ConsentEmergency || c.reason.Text != "Collapsed at the counter" {
		t.Fatalf("stage %v, reason %q", c.Stage(), c.reason.Text)
	}
	c.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if c.Stage() != present.ConsentAsk {
		t.Fatalf("Escape left stage %v", c.Stage())
	}
	// Another patient's question is never taken for this one's reason stage.
	c.TypedRune('2')
	c.Render(present.ConsentView{Stage: present.ConsentAsk, Patient: "JONES, Tom (Mr)"})
	if c.Stage() != present.ConsentAsk {
		t.Fatal("the emergency stage carried over to another patient")
	}
}

// TestConsentLongUnbrokenNameDoesNotWiden: the question's body wraps between words (a word is
// never split while a space can take the line break), and a name with no space to break at is
// itself broken, so it never makes the screen ask for more width than a 1280 px window has.
func TestConsentLongUnbrokenNameDoesNotWiden(t *testing.T) {
	test.NewTempApp(t)
	s := NewConsent(ConsentCallbacks{})
	show(t, s.Object(), 600, 600)
	long := strings.Repeat("Ó-SÚILLEABHÁIN-LLEWELYN-AP-GRUFFYDD", 8)
	s.Render(present.ConsentView{Stage: present.ConsentAsk, Patient: long + ", Alice"})
	if w := s.Object().MinSize().Width; w > 600 {
		t.Errorf("a %d-letter unbroken name makes the question %v px wide at least", len([]rune(long)), w)
	}
	s.Render(present.ConsentView{Stage: present.ConsentEmergency, Patient: "SMITH, Jane (Mrs)"})
	lines, pos := 0, 0
	for _, o := range test.WidgetRenderer(s.body).Objects() {
		rt, ok := o.(*widget.RichText)
		if !ok {
			continue
		}
		for _, line := range test.WidgetRenderer(rt).Objects() {
			tx, ok := line.(*canvas.Text)
			if !ok || strings.TrimSpace(tx.Text) == "" {
				continue
			}
			lines++
			l := strings.TrimSpace(tx.Text)
			i := strings.Index(EmergencyText[pos:], l)
			if i < 0 {
				t.Fatalf("line %q is not the emergency text's next part", l)
			}
			pos += i + len(l)
			if pos < len(EmergencyText) && EmergencyText[pos] != ' ' {
				t.Errorf("the emergency text breaks inside a word: line %q", l)
			}
		}
	}
	if lines < 2 {
		t.Errorf("the emergency text took %d lines at 600 px; the test needs it to wrap", lines)
	}
}
