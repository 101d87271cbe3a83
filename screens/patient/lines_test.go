package patient

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"scrdesk/internal/present"
	"scrdesk/screens/screentest"
)

// TestWrappedLinesNeverOverlap follows the counter's order of events (the banner hidden on
// the search screen, shown with the demographics, then re-rendered with the emergency marking
// and the allergy line while the record replaces the question) and, from the banner's and the
// record's own Render alone (no second layout of the window), no visible line of the banner
// or of the record header overlaps another and each has the height its wrapped text needs.
// Widths where the emergency marking wraps onto two or three lines are the cases (HAZ-03: a
// wrapped marking, first measured at width 0 as one line, was drawn over the address and the
// allergy line). The banner's place above the record is app.TestEmergencyBannerFitsAboveTheRecord.
func TestWrappedLinesNeverOverlap(t *testing.T) {
	for _, width := range []float32{420, 640, 900, 1280} {
		b := NewBanner(BannerCallbacks{})
		r := NewRecord()
		area := container.NewStack(widget.NewLabel("search"))
		root := container.NewBorder(b.Object(), nil, nil, nil, area)
		b.Object().Hide()
		show(t, root, width, 800)

		p := jane()
		v := present.Banner(&p, now)
		b.Render(v)
		b.Object().Show()
		area.Objects = []fyne.CanvasObject{widget.NewLabel("the question")}
		area.Refresh()
		root.Refresh()

		v.Allergies = "Allergies: Penicillin allergy (Severe); Latex allergy; Elastoplast allergy; Peanut allergy (Severe)"
		v.Emergency, v.EmergencyText = true, present.EmergencyMarking
		v.Adjustments = []string{"Requires visual alert", "Requires information verbally", "Requires a longer appointment"}
		b.Render(v)
		rv := sandboxRecord(t)
		rv.Statements = append(rv.Statements, "This summary may not include all the information pertinent to this patient; check with the patient's GP practice before prescribing.")
		r.Render(rv)
		area.Objects = []fyne.CanvasObject{r.Object()}
		area.Refresh()

		bannerLines := screentest.VisibleLabels(b.Object())
		headerLines := screentest.VisibleLabels(r.header)
		if len(bannerLines) < 5 || len(headerLines) < 3 {
			t.Fatalf("width %v: %d banner lines, %d header lines", width, len(bannerLines), len(headerLines))
		}
		wrapped := false
		for _, l := range append(bannerLines, headerLines...) {
			if l.Size().Height+0.5 < l.MinSize().Height {
				t.Errorf("width %v: %q is %.1f px high but needs %.1f", width, short(l.Text), l.Size().Height, l.MinSize().Height)
			}
			if l == b.emergency && l.MinSize().Height > 1.5*b.address.MinSize().Height/float32(lineCount(b.address)) {
				wrapped = true
			}
		}
		if width <= 900 && !wrapped {
			t.Errorf("width %v: the emergency marking did not wrap, so this width tests nothing", width)
		}
		checkOrdered(t, width, "banner", bannerLines)
		checkOrdered(t, width, "record header", headerLines)
	}
}

// lineCount is how many lines a label's text takes now (its height over one line's).
func lineCount(l *widget.Label) int {
	one := widget.NewLabel("x").MinSize().Height
	n := int(l.MinSize().Height/one + 0.5)
	return max(n, 1)
}

// checkOrdered: each line starts at or below the end of every line above it that it shares
// columns with (lines side by side, like the name and its flags, may share a row).
func checkOrdered(t *testing.T, width float32, what string, ls []*widget.Label) {
	t.Helper()
	d := fyne.CurrentApp().Driver()
	for i, a := range ls {
		pa := d.AbsolutePositionForObject(a)
		for _, b := range ls[i+1:] {
			pb := d.AbsolutePositionForObject(b)
			xOverlap := pa.X < pb.X+b.Size().Width && pb.X < pa.X+a.Size().Width
			yOverlap := pa.Y < pb.Y+b.Size().Height-0.5 && pb.Y < pa.Y+a.Size().Height-0.5
			if xOverlap && yOverlap {
				t.Errorf("width %v: in the %s, %q (y %.1f–%.1f) overlaps %q (y %.1f–%.1f)", width, what,
					short(a.Text), pa.Y, pa.Y+a.Size().Height, short(b.Text), pb.Y, pb.Y+b.Size().Height)
			}
		}
	}
}

func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
