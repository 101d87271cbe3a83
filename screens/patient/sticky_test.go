package patient

import (
	"fmt"
	"image/color"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"scrdesk/internal/present"
)

// drawnRow is one record row object as the canvas shows it: where it is, its labels' places and
// look, its colours.
type drawnRow struct {
	obj    *fyne.Container
	pos    fyne.Position // on the canvas
	size   fyne.Size
	texts  []string
	xs, ws []float32 // each shown label's x on the canvas, and width
	bg     color.Color
	bar    color.Color
	style  fyne.TextStyle
	imp    widget.Importance
}

func drawn(c *fyne.Container) drawnRow {
	d := fyne.CurrentApp().Driver()
	row := drawnRow{obj: c, pos: d.AbsolutePositionForObject(c), size: c.Size(),
		bg: c.Objects[0].(*canvas.Rectangle).FillColor, bar: c.Objects[1].(*canvas.Rectangle).FillColor}
	for _, o := range c.Objects[2:] {
		l := o.(*widget.Label)
		if !l.Visible() {
			continue
		}
		row.texts = append(row.texts, l.Text)
		row.xs = append(row.xs, d.AbsolutePositionForObject(l).X)
		row.ws = append(row.ws, l.Size().Width)
		row.style, row.imp = l.TextStyle, l.Importance
	}
	return row
}

// listRows is every record row object the list draws now, top first (the pin is not in the list).
func listRows(r *Record) []drawnRow {
	var out []drawnRow
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if !o.Visible() {
			return
		}
		switch o := o.(type) {
		case *fyne.Container:
			if _, ok := o.Layout.(*recordRowLayout); ok {
				out = append(out, drawn(o))
				return
			}
			for _, ch := range o.Objects {
				walk(ch)
			}
		case fyne.Widget:
			for _, ch := range test.WidgetRenderer(o).Objects() {
				walk(ch)
			}
		}
	}
	walk(r.body.list)
	slices.SortFunc(out, func(a, b drawnRow) int { return int(a.pos.Y - b.pos.Y) })
	return out
}

// pinned is the pinned header row as drawn, and whether it shows.
func pinned(r *Record) (drawnRow, bool) {
	return drawn(r.body.pin), r.body.pin.Visible()
}

// scrollTo moves the record's list to offset y and lets the canvas lay it out.
func scrollTo(win fyne.Window, r *Record, y float32) {
	r.body.list.ScrollToOffset(y)
	test.RenderToMarkup(win.Canvas())
}

// checkPinned checks that the pin shows headers, at the top of the list area, lined up with
// the data rows the list draws below it.
func checkPinned(t *testing.T, r *Record, headers []string) {
	t.Helper()
	pin := checkPinShows(t, r, headers)
	listAt := fyne.CurrentApp().Driver().AbsolutePositionForObject(r.body.list)
	if pin.pos != listAt || pin.size.Width != r.body.list.Size().Width-theme.Size(theme.SizeNameScrollBar) && pin.size.Width != r.body.list.Size().Width {
		t.Errorf("pinned header at %v size %v; the list is at %v size %v", pin.pos, pin.size, listAt, r.body.list.Size())
	}
	lined := 0
	for _, row := range listRows(r) {
		if len(row.texts) != len(headers) || row.pos.Y < pin.pos.Y+pin.size.Height {
			continue // a spanning row, or one under the pin
		}
		lined++
		if !slices.Equal(row.xs, pin.xs) || !slices.Equal(row.ws, pin.ws) {
			t.Errorf("row %q: columns at x %v widths %v; the pinned headings at x %v widths %v", row.texts[0], row.xs, row.ws, pin.xs, pin.ws)
		}
	}
	if lined < 3 {
		t.Errorf("only %d data rows drawn below the pinned header", lined)
	}
}

// checkPinShows checks that the pin shows headers.
func checkPinShows(t *testing.T, r *Record, headers []string) drawnRow {
	t.Helper()
	pin, shown := pinned(r)
	if !shown || !slices.Equal(pin.texts, headers) || !slices.Equal(r.body.pinnedHeadings(), headers) {
		t.Fatalf("pinned header shown %v with %q; want %q", shown, pin.texts, headers)
	}
	return pin
}

func checkNotPinned(t *testing.T, r *Record, where string) {
	t.Helper()
	if pin, shown := pinned(r); shown || r.body.pinnedHeadings() != nil {
		t.Errorf("%s: a header row is pinned (%q)", where, pin.texts)
	}
}

// rowTop is where list row i starts in the list's content.
func rowTop(r *Record, i int) float32 { return r.body.tops[i] }

// headerRow is the list row of the header of the table whose headers start with first.
func headerRow(t *testing.T, r *Record, first string, nth int) int {
	t.Helper()
	for i, row := range r.rows {
		if row.kind == rowColumns && row.cells[0] == first {
			if nth == 0 {
				return i
			}
			nth--
		}
	}
	t.Fatalf("no header row starting %q", first)
	return -1
}

var repeatHeaders = []string{"Type", "Date", "Medication Item", "Dosage Instructions", "Quantity"}

// TestRecordPinnedHeaderLongTable: in the middle of the 200-medicine table its header row is
// pinned over the top of the list, each heading exactly above its column; at the top, and with
// the header row itself at the top, nothing is pinned.
func TestRecordPinnedHeaderLongTable(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 1280, Height: 800}, {Width: 700, Height: 600}} {
		t.Run(fmt.Sprintf("%vx%v", size.Width, size.Height), func(t *testing.T) {
			test.NewTempApp(t)
			r := NewRecord()
			win := show(t, r.Object(), size.Width, size.Height)
			r.Render(longRecord(200))
			test.RenderToMarkup(win.Canvas())
			checkNotPinned(t, r, "at the top")
			head := headerRow(t, r, "Type", 0)

			scrollTo(win, r, rowTop(r, head+100))
			checkPinned(t, r, repeatHeaders)
			scrollTo(win, r, rowTop(r, head+100)+7) // partway through a row
			checkPinned(t, r, repeatHeaders)
			win.Resize(fyne.NewSize(size.Width-150, size.Height)) // narrower: the columns and the pin are laid out again
			test.RenderToMarkup(win.Canvas())
			checkPinned(t, r, repeatHeaders)
			win.Resize(size)
			test.RenderToMarkup(win.Canvas())

			scrollTo(win, r, rowTop(r, head))
			checkNotPinned(t, r, "the header row itself at the top")
			scrollTo(win, r, rowTop(r, head)+3) // the header row starts to scroll away
			checkPinned(t, r, repeatHeaders)

			r.body.list.ScrollToTop()
			test.RenderToMarkup(win.Canvas())
			checkNotPinned(t, r, "scrolled back to the top")
			r.ScrollTo(head + 150) // the list's own ScrollTo, as the app's tests use
			test.RenderToMarkup(win.Canvas())
			checkPinned(t, r, repeatHeaders)
			r.TypedKey(&fyne.KeyEvent{Name: fyne.KeyHome})
			test.RenderToMarkup(win.Canvas())
			checkNotPinned(t, r, "Home")
		})
	}
}

// TestRecordPinnedHeaderTwoTables: the pin follows the table at the top: the acute table's
// headings, none at the next section's heading, then the repeat table's; near a table's end it
// goes before it would cover the next section's heading.
func TestRecordPinnedHeaderTwoTables(t *testing.T) {
	test.NewTempApp(t)
	r := NewRecord()
	win := show(t, r.Object(), 1280, 800)
	v := longRecord(80)
	acuteHeaders := []string{"Medication Item", "Dosage Instructions", "Quantity", "Date Prescribed"}
	acute := make([][]string, 60)
	for i := range acute {
		acute[i] = []string{fmt.Sprintf("Acute item %03d 10mg tablets", i), "One daily", "28 tablet", "15-Jan-2025"}
	}
	v.Sections = append(v.Sections[:1], append([]present.SectionView{{Title: "Acute Medications", Kind: present.KindAcuteMeds,
		Tables: []present.TableView{{Headers: acuteHeaders, Rows: acute}}}}, v.Sections[1:]...)...)
	r.Render(v)
	test.RenderToMarkup(win.Canvas())
	first := headerRow(t, r, "Medication Item", 0)
	second := headerRow(t, r, "Type", 0)
	b := r.body

	scrollTo(win, r, rowTop(r, first+30))
	checkPinned(t, r, acuteHeaders)
	lastAcute := second - 2 // the repeat section's heading comes between
	end := b.ends[r.rows[lastAcute].table]
	scrollTo(win, r, end-b.heights[first]-1) // the acute rows still fill the pin's height
	checkPinShows(t, r, acuteHeaders)
	scrollTo(win, r, end-b.heights[first]+1) // less of them is left than the pin is high
	checkNotPinned(t, r, "the end of the acute table")
	scrollTo(win, r, rowTop(r, second-1)) // the repeat section's heading at the top
	checkNotPinned(t, r, "the repeat medications heading")
	scrollTo(win, r, rowTop(r, second+40))
	checkPinned(t, r, repeatHeaders)
	scrollTo(win, r, rowTop(r, first+10)) // and back up
	checkPinned(t, r, acuteHeaders)
}

// TestRecordPinnedHeaderLooksLikeTheHeaderRow: an allergy table's pinned header keeps the
// allergy look (the error-coloured marker, the header's background, bold headings), as the
// header row itself is drawn; so does a plain table's.
func TestRecordPinnedHeaderLooksLikeTheHeaderRow(t *testing.T) {
	test.NewTempApp(t)
	r := NewRecord()
	win := show(t, r.Object(), 1280, 800)
	v := longRecord(60)
	allergies := &v.Sections[0].Tables[0]
	for i := range 40 {
		allergies.Rows = append(allergies.Rows, []string{"12-May-2020", fmt.Sprintf("Allergy %02d", i), "Certain", "Moderate", "Rash"})
	}
	r.Render(v)
	test.RenderToMarkup(win.Canvas())
	for _, c := range []struct {
		first   string
		allergy bool
	}{{"Date", true}, {"Type", false}} {
		head := headerRow(t, r, c.first, 0)
		scrollTo(win, r, rowTop(r, head))
		var real *drawnRow
		for _, row := range listRows(r) {
			if len(row.texts) > 0 && row.texts[0] == c.first && row.style.Bold {
				real = &row
				break
			}
		}
		if real == nil {
			t.Fatalf("%s: the header row is not drawn", c.first)
		}
		scrollTo(win, r, rowTop(r, head+20))
		pin, shown := pinned(r)
		if !shown {
			t.Fatalf("%s: nothing pinned", c.first)
		}
		if pin.bg != real.bg || pin.bar != real.bar || pin.style != real.style || pin.imp != real.imp ||
			!slices.Equal(pin.texts, real.texts) || !slices.Equal(pin.xs, real.xs) || pin.size.Height != real.size.Height {
			t.Errorf("%s: pinned %+v\nheader row %+v", c.first, pin, *real)
		}
		wantBar := color.Color(color.Transparent)
		if c.allergy {
			wantBar = theme.Color(theme.ColorNameError)
		}
		if pin.bar != wantBar || pin.bg != theme.Color(theme.ColorNameInputBackground) || !pin.style.Bold {
			t.Errorf("%s: pinned bar %v background %v bold %v", c.first, pin.bar, pin.bg, pin.style.Bold)
		}
	}
}

// TestRecordPinnedHeaderWheelKeysAndTaps: the wheel and the keys move the pin as ScrollToOffset
// does; the wheel and a click over the pin reach the list beneath it (a click there focuses
// the record, as a click on a row does).
func TestRecordPinnedHeaderWheelKeysAndTaps(t *testing.T) {
	test.NewTempApp(t)
	r := NewRecord()
	win := show(t, r.Object(), 1280, 800)
	r.Render(longRecord(200))
	test.RenderToMarkup(win.Canvas())
	listAt := fyne.CurrentApp().Driver().AbsolutePositionForObject(r.body.list)
	over := listAt.Add(fyne.NewPos(200, 10)) // where the pin is drawn when it shows
	for r.body.list.GetScrollOffset() < rowTop(r, headerRow(t, r, "Type", 0)+30) {
		before := r.body.list.GetScrollOffset()
		test.Scroll(win.Canvas(), over, 0, -120)
		test.RenderToMarkup(win.Canvas())
		if r.body.list.GetScrollOffset() <= before {
			t.Fatalf("the wheel did not scroll the record (at %v)", before)
		}
	}
	checkPinned(t, r, repeatHeaders)
	tapAt(win, over)
	if win.Canvas().Focused() != fyne.Focusable(r.body.list) {
		t.Errorf("a click on the pinned header focused %T", win.Canvas().Focused())
	}
	r.TypedKey(&fyne.KeyEvent{Name: fyne.KeyHome})
	test.RenderToMarkup(win.Canvas())
	checkNotPinned(t, r, "Home")
	r.TypedKey(&fyne.KeyEvent{Name: fyne.KeyPageDown})
	r.TypedKey(&fyne.KeyEvent{Name: fyne.KeyPageDown})
	test.RenderToMarkup(win.Canvas())
	checkPinned(t, r, repeatHeaders)
	r.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEnd})
	test.RenderToMarkup(win.Canvas())
	checkPinned(t, r, repeatHeaders)
}

// TestRecordPagingSkipsNothingUnderThePin: Page Down from the top to the end, and Page Up back,
// at each text size and width: every part of the record is in view, outside the pinned header,
// at some step (a page leaves room for the pin).
func TestRecordPagingSkipsNothingUnderThePin(t *testing.T) {
	for _, scale := range []float32{1, 1.5} {
		for _, size := range []fyne.Size{{Width: 1280, Height: 800}, {Width: 700, Height: 500}} {
			t.Run(fmt.Sprintf("text x%.1f %vx%v", scale, size.Width, size.Height), func(t *testing.T) {
				test.NewTempApp(t)
				test.ApplyTheme(t, bigText{Theme: test.Theme(), scale: scale})
				r := NewRecord()
				win := show(t, r.Object(), size.Width, size.Height)
				r.Render(longRecord(200))
				test.RenderToMarkup(win.Canvas())
				seen := func() (top, bottom float32) {
					y := r.body.list.GetScrollOffset()
					top = y
					if r.body.pin.Visible() {
						top += r.body.pin.Size().Height
					}
					return top, y + r.body.list.Size().Height
				}
				for _, k := range []fyne.KeyName{fyne.KeyPageDown, fyne.KeyPageUp} {
					_, prevBottom := seen()
					prevTop, _ := seen()
					for range 500 {
						before := r.body.list.GetScrollOffset()
						r.TypedKey(&fyne.KeyEvent{Name: k})
						test.RenderToMarkup(win.Canvas())
						if r.body.list.GetScrollOffset() == before {
							break
						}
						top, bottom := seen()
						if k == fyne.KeyPageDown && top > prevBottom {
							t.Fatalf("Page Down to %v: %v to %v of the record was never in view", r.body.list.GetScrollOffset(), prevBottom, top)
						}
						if k == fyne.KeyPageUp && bottom < prevTop {
							t.Fatalf("Page Up to %v: %v to %v of the record was never in view", r.body.list.GetScrollOffset(), bottom, prevTop)
						}
						prevTop, prevBottom = top, bottom
					}
				}
			})
		}
	}
}

// TestRecordPinnedHeaderCleared: a new record or Clear leaves nothing pinned and no text of the
// old record in the pin.
func TestRecordPinnedHeaderCleared(t *testing.T) {
	test.NewTempApp(t)
	r := NewRecord()
	win := show(t, r.Object(), 1280, 800)
	r.Render(longRecord(200))
	test.RenderToMarkup(win.Canvas())
	scrollTo(win, r, rowTop(r, 120))
	checkPinned(t, r, repeatHeaders)
	r.Clear()
	test.RenderToMarkup(win.Canvas())
	checkNotPinned(t, r, "after Clear")
	for _, o := range r.body.pin.Objects[2:] {
		if l := o.(*widget.Label); l.Text != "" {
			t.Errorf("the pin still holds %q", l.Text)
		}
	}
	r.Render(initialSummary()) // short: nothing to scroll, nothing pinned
	test.RenderToMarkup(win.Canvas())
	checkNotPinned(t, r, "a short record")
}

// TestRecordPinnedGoldens: the long table scrolled into its middle, its header pinned; and an
// allergy table's header pinned with the allergy look.
func TestRecordPinnedGoldens(t *testing.T) {
	test.NewTempApp(t)
	r := NewRecord()
	win := show(t, r.Object(), 1280, 800)
	r.Render(longRecord(200))
	test.RenderToMarkup(win.Canvas())
	scrollTo(win, r, rowTop(r, headerRow(t, r, "Type", 0)+90)+11)
	golden(t, win, "record_200_rows_pinned_header.xml")

	v := longRecord(5)
	for i := range 30 {
		v.Sections[0].Tables[0].Rows = append(v.Sections[0].Tables[0].Rows, []string{"12-May-2020", fmt.Sprintf("Allergy %02d", i), "Certain", "Moderate", "Rash"})
	}
	r.Render(v)
	test.RenderToMarkup(win.Canvas())
	scrollTo(win, r, rowTop(r, 12))
	golden(t, win, "record_allergies_pinned_header.xml")
	if !strings.HasPrefix(r.rows[12].cells[1], "Allergy") {
		t.Errorf("row 12 is %q, not an allergy", r.rows[12].cells)
	}
}

// tapAt taps whatever tappable object is at pos on the canvas, as a click there does.
func tapAt(win fyne.Window, pos fyne.Position) {
	test.TapCanvas(win.Canvas(), pos)
}
