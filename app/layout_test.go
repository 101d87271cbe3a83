package app

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"scrdesk/internal/present"
	"scrdesk/internal/sandbox"
	"scrdesk/screens/screentest"
)

// TestEmergencyBannerFitsAboveTheRecord: through the shell, as the window renders it, an
// emergency record at a width where the EMERGENCY ACCESS marking wraps: no line of the banner
// overlaps another, every line has the height its wrapped text needs, and the record header
// (the record list's first item, the list at its top) starts below the banner (HAZ-03: in the real window the wrapped marking was once drawn over
// the address and the allergy line, and the record header over the banner).
func TestEmergencyBannerFitsAboveTheRecord(t *testing.T) {
	h, dr, card := demoHarness(t)
	h.w.Resize(fyne.NewSize(640, 800))
	signIn(t, h, dr, card)
	h.searchNHS(sandbox.NHSAsk)
	h.until("the permission question", func(c *Controller) bool { return atStage(c, present.ConsentAsk) })
	h.inspect(func(c *Controller) {
		c.emergencyStage(true)
		c.emergency("Patient collapsed at the counter; unable to consent")
	})
	h.until("the record", func(c *Controller) bool { return recordShown(c) })
	h.pump()

	d := fyne.CurrentApp().Driver()
	lines := screentest.VisibleLabels(h.sh.banner.Object())
	var marking *widget.Label
	for _, l := range lines {
		if l.Text == present.EmergencyMarking {
			marking = l
		}
		if l.Size().Height+0.5 < l.MinSize().Height {
			t.Errorf("%q is %.1f px high but needs %.1f", l.Text, l.Size().Height, l.MinSize().Height)
		}
	}
	if marking == nil {
		t.Fatal("no emergency marking in the banner")
	}
	if one := widget.NewLabel("x").MinSize().Height; marking.MinSize().Height < 1.5*one {
		t.Fatalf("the marking takes one line (%.1f px) at this width, so this tests nothing", marking.MinSize().Height)
	}
	for i, a := range lines {
		pa := d.AbsolutePositionForObject(a)
		for _, b := range lines[i+1:] {
			pb := d.AbsolutePositionForObject(b)
			if pa.X < pb.X+b.Size().Width && pb.X < pa.X+a.Size().Width &&
				pa.Y < pb.Y+b.Size().Height-0.5 && pb.Y < pa.Y+a.Size().Height-0.5 {
				t.Errorf("%q (y %.1f–%.1f) overlaps %q (y %.1f–%.1f)", a.Text, pa.Y, pa.Y+a.Size().Height, b.Text, pb.Y, pb.Y+b.Size().Height)
			}
		}
	}
	bottom := d.AbsolutePositionForObject(h.sh.banner.Object()).Y + h.sh.banner.Object().Size().Height
	last := lines[len(lines)-1]
	if end := d.AbsolutePositionForObject(last).Y + last.Size().Height; end > bottom+0.5 {
		t.Errorf("the banner's last line %q ends at %.1f, below the banner (%.1f)", last.Text, end, bottom)
	}
	header := screentest.VisibleLabels(h.sh.record.Header()) // the record list's first item
	if len(header) == 0 {
		t.Fatal("no record header")
	}
	if top := d.AbsolutePositionForObject(header[0]).Y; top+0.5 < bottom {
		t.Errorf("the record header %q starts at %.1f, inside the banner (bottom %.1f)", header[0].Text, top, bottom)
	}
}
