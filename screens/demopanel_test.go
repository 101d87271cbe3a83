package screens

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"scrdesk/internal/present"
	"scrdesk/internal/staff"
)

var demoSize = fyne.NewSize(420, 640)

func TestDemoPanelGoldens(t *testing.T) {
	for _, c := range []struct{ name, inserted string }{
		{"none_inserted", ""},
		{"pharmacist_inserted", "pharmacist"},
	} {
		t.Run(c.name, func(t *testing.T) {
			test.NewTempApp(t)
			p := NewDemoPanel(DemoPanelCallbacks{})
			p.Render(present.DemoPanelViewOf(staff.DemoUsers(), c.inserted, staff.DefaultSCRActivities))
			assertGolden(t, "demopanel/"+c.name+".xml", p.Object(), demoSize)
		})
	}
}

func TestDemoPanelButtons(t *testing.T) {
	test.NewTempApp(t)
	var ins, outs []string
	p := NewDemoPanel(DemoPanelCallbacks{Insert: func(k string) { ins = append(ins, k) }, Remove: func(k string) { outs = append(outs, k) }})
	p.Render(present.DemoPanelViewOf(staff.DemoUsers(), "sgp", staff.DefaultSCRActivities))
	test.NewTempWindow(t, p.Object())
	test.Tap(p.Button("blocked"))
	test.Tap(p.Button("sgp"))
	if len(ins) != 1 || ins[0] != "blocked" || len(outs) != 1 || outs[0] != "sgp" {
		t.Errorf("inserted %q, removed %q", ins, outs)
	}
	if p.Button("nobody") != nil {
		t.Error("button for an unknown card")
	}
}
