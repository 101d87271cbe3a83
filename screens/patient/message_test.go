package patient

import (
	"testing"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"

	"scrdesk/internal/present"
)

func TestMessageGoldens(t *testing.T) {
	cases := []struct {
		name string
		view present.MessageView
	}{
		{"message_audit_failed.xml", present.MessageView{Title: "Could not record this step",
			What: "The audit log could not be written, so nothing about the patient is shown.",
			Todo: "Try again. If it keeps happening, close SCR Desk and call IT support.", Incident: "2B7C-11D0"}},
		{"message_no_incident.xml", present.MessageView{Title: "National service busy",
			What: "The national service is busy. Wait a few seconds and try again."}},
		{"message_none.xml", present.MessageView{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			test.NewTempApp(t)
			m := NewMessage()
			win := show(t, container.NewVBox(m.Object()), 800, 240)
			m.Render(c.view)
			golden(t, win, c.name)
		})
	}
}

func TestAlertsGoldens(t *testing.T) {
	cases := []struct {
		name  string
		items []present.AlertView
	}{
		{"alerts_none.xml", nil},
		{"alerts_mixed.xml", []present.AlertView{
			{Kind: "Emergency access alert", When: "14:31", State: present.AlertRetrying, Detail: "tried 3 times; the Spine is not answering"},
			{Kind: "Self-claimed relationship alert", When: "14:02", State: present.AlertSent},
			{Kind: "Self-claimed relationship alert", When: "13:40", State: present.AlertQueued},
		}},
		{"alerts_failed.xml", []present.AlertView{
			{Kind: "Emergency access alert", When: "09:12", State: present.AlertFailed, Detail: "refused by the Spine (incident 0C1D-22EF)"},
		}},
		{"alerts_all_sent.xml", []present.AlertView{
			{Kind: "Emergency access alert", When: "09:12", State: present.AlertSent},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			test.NewTempApp(t)
			a := NewAlerts()
			win := show(t, a.Object(), 800, 240)
			a.Render(c.items)
			golden(t, win, c.name)
			needs := false
			for _, v := range c.items {
				needs = needs || v.State != present.AlertSent
			}
			if a.Listing() != needs {
				t.Errorf("listed one by one: %v, want %v (only when an alert needs attention)", a.Listing(), needs)
			}
		})
	}
}

// TestAlertsSummaryNeverWidens: the one-line summary wraps rather than asking for its whole
// width, so a long "latest" never widens the window (at text scale 1.5 it folded the demo
// cards away for good in the real window).
func TestAlertsSummaryNeverWidens(t *testing.T) {
	test.NewTempApp(t)
	a := NewAlerts()
	show(t, a.Object(), 300, 240)
	a.Render([]present.AlertView{{Kind: "Self-claimed relationship alert", When: "14:02", State: present.AlertSent}})
	if w := a.Object().MinSize().Width; w > 300 {
		t.Errorf("the alert summary asks for %v px", w)
	}
}

// TestPatientOpenGolden is the screen a pharmacist sees with a record open: the banner on top
// of the record, at 1280x800.
func TestPatientOpenGolden(t *testing.T) {
	test.NewTempApp(t)
	b := NewBanner(BannerCallbacks{})
	r := NewRecord()
	p := jane()
	b.Render(present.Banner(&p, now))
	r.Render(sandboxRecord(t))
	// The GL driver lays parents out again when a child's minimum size changes; the test canvas
	// does not, so the screen is filled before it is shown.
	win := show(t, container.NewBorder(b.Object(), nil, nil, nil, r.Object()), 1280, 800)
	golden(t, win, "patient_open_record.xml")
}
