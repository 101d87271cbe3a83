package screens

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
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

// TestDemoPanelFoldsForWantOfRoom: beside a workspace that needs most of the window (a large
// text scale at a 1280 px screen), the panel folds to its strip by itself, so the pair never
// asks for more than the window's width; given room again, it opens again. A panel the person
// folded stays folded.
func TestDemoPanelFoldsForWantOfRoom(t *testing.T) {
	test.NewTempApp(t)
	p := NewDemoPanel(DemoPanelCallbacks{})
	p.Render(present.DemoPanelViewOf(staff.DemoUsers(), "", staff.DefaultSCRActivities))
	work := canvas.NewRectangle(color.Black)
	work.SetMinSize(fyne.NewSize(1000, 300))
	pair := p.Beside(work)
	w := test.NewTempWindow(t, pair)
	w.SetPadded(false)

	w.Resize(fyne.NewSize(1280, 800))
	if !p.Collapsed() || p.full.Visible() || !p.mini.Visible() {
		t.Fatalf("at 1280 px beside a 1000 px workspace the panel did not fold (collapsed %v)", p.Collapsed())
	}
	if min := pair.MinSize().Width; min > 1280 {
		t.Errorf("the pair asks for %v px, more than the window's 1280", min)
	}
	if got := work.Size().Width; got < 1000 {
		t.Errorf("the workspace got %v px, less than the 1000 it needs", got)
	}
	if p.show.Disabled() == false {
		t.Error("the strip's Show button is enabled though there is no room to show the panel")
	}

	w.Resize(fyne.NewSize(1920, 800))
	if p.Collapsed() || !p.full.Visible() {
		t.Fatal("given room (1920 px) the panel did not open again")
	}
	if p.show.Disabled() {
		t.Error("the Show button stayed disabled with room to spare")
	}
	if x := p.Object().Position().X + p.Object().Size().Width; x > 1920 {
		t.Errorf("the panel ends at %v px, past the window", x)
	}

	p.Toggle() // the person folds it: it stays folded with room to spare
	w.Resize(fyne.NewSize(1900, 800))
	if !p.Collapsed() || p.full.Visible() {
		t.Error("a panel folded by hand opened again on a resize")
	}
}

// TestDemoPanelFoldsAtALargeTextScale: at text scale 1.5 the whole panel would take more than
// a third of a 1280 px window even beside a narrow workspace; it folds, so the record's lines
// wrap less and its list keeps the height (at 1280x800 it had about 190 px).
func TestDemoPanelFoldsAtALargeTextScale(t *testing.T) {
	a := test.NewTempApp(t)
	a.Settings().SetTheme(NewTheme(1.5))
	p := NewDemoPanel(DemoPanelCallbacks{})
	p.Render(present.DemoPanelViewOf(staff.DemoUsers(), "", staff.DefaultSCRActivities))
	work := canvas.NewRectangle(color.Black)
	work.SetMinSize(fyne.NewSize(300, 300))
	w := test.NewTempWindow(t, p.Beside(work))
	w.SetPadded(false)
	w.Resize(fyne.NewSize(1280, 800))
	if p.full.MinSize().Width <= 1280/3 {
		t.Fatalf("the whole panel is %v px at text scale 1.5: the test needs it wider than a third of 1280", p.full.MinSize().Width)
	}
	if !p.Collapsed() {
		t.Error("at text scale 1.5 the panel stayed open, taking more than a third of the window")
	}
}
