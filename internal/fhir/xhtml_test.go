package fhir

import (
	"reflect"
	"strings"
	"testing"
)

var xhtmlCases = []struct {
	name   string
	in     string
	tables []Table
	text   []string
}{
	{
		name:   "table with thead",
		in:     `<div xmlns="http://www.w3.org/1999/xhtml"><table id="A"><thead><tr><th>Date</th><th>Description</th></tr></thead><tbody><tr class="oddRow"><td>12-May-2020</td><td>Wasp  sting</td></tr></tbody></table></div>`,
		tables: []Table{{Headers: []string{"Date", "Description"}, Rows: [][]string{{"12-May-2020", "Wasp sting"}}}},
	},
	{
		name:   "self-closing empty cells",
		in:     `<div><table><tr><th>A</th><th>B</th><th>C</th></tr><tr><td>1</td><td/><td>3</td></tr></table></div>`,
		tables: []Table{{Headers: []string{"A", "B", "C"}, Rows: [][]string{{"1", "", "3"}}}},
	},
	{
		name: "paragraphs and withheld statement",
		in:   `<div><h3>Sourced from the GP record.</h3><p id="CreateTime">Summary Created: 14-May-2020</p><p>Some information has been deliberately withheld.</p></div>`,
		text: []string{"Sourced from the GP record.", "Summary Created: 14-May-2020", "Some information has been deliberately withheld."},
	},
	{
		name: "scripts, handlers and links",
		in: `<div><script>alert("x")</script><p onclick="steal()">Take <a href="javascript:evil()" onmouseover="x()">this leaflet</a> daily.</p>` +
			`<style>p{color:red}</style><table><caption>Meds <script>bad()</script></caption><tr><th>Item</th></tr><tr><td><img src="x" onerror="boom()"/>Aspirin<iframe src="http://evil">inner</iframe></td></tr></table></div>`,
		tables: []Table{{Caption: "Meds", Headers: []string{"Item"}, Rows: [][]string{{"Aspirin"}}}},
		text:   []string{"Take this leaflet daily."},
	},
	{
		name:   "nested table flattens into the cell",
		in:     `<table><tr><th>X</th></tr><tr><td>a<table><tr><td>b</td></tr></table>c</td></tr></table>`,
		tables: []Table{{Headers: []string{"X"}, Rows: [][]string{{"a b c"}}}},
	},
	{
		name:   "unclosed markup keeps its text",
		in:     `<div><p>one<p>two<table><tr><td>cell`,
		tables: []Table{{Rows: [][]string{{"cell"}}}},
		text:   []string{"one", "two"},
	},
	{
		name: "non-ASCII text and entities",
		in:   `<p>Zoë &amp; Siân Ó Súilleabháin &lt;b&gt;</p>`,
		text: []string{"Zoë & Siân Ó Súilleabháin <b>"},
	},
	{name: "empty", in: ``},
}

func TestParseSectionXHTML(t *testing.T) {
	for _, c := range xhtmlCases {
		t.Run(c.name, func(t *testing.T) {
			tables, text := ParseSectionXHTML(c.in)
			if !reflect.DeepEqual(tables, c.tables) {
				t.Errorf("tables = %#v\nwant %#v", tables, c.tables)
			}
			if !reflect.DeepEqual(text, c.text) {
				t.Errorf("text = %#v\nwant %#v", text, c.text)
			}
		})
	}
}

// forbiddenInOutput are fragments that must never survive section parsing.
var forbiddenInOutput = []string{"alert(", "steal(", "javascript:", "onerror", "onclick", "boom(", "color:red", "http://evil", "bad()"}

func FuzzParseSectionXHTML(f *testing.F) {
	for _, c := range xhtmlCases {
		f.Add(c.in)
	}
	for _, c := range spanCases {
		f.Add(c.in)
	}
	f.Add(strings.Repeat(`<table><tr><td colspan="100" rowspan="100">x</td></tr>`, 3))
	f.Add(`<table>` + strings.Repeat(`<tr><td rowspan="100">a</td><td colspan="60">b</td></tr>`, 20) + `</table>`)
	f.Fuzz(func(t *testing.T, in string) {
		tables, text := ParseSectionXHTML(in)
		// No cell ever moves under another heading: a row is a full-width note or has a cell
		// for every heading.
		for _, tb := range tables {
			for _, r := range tb.Rows {
				if len(r) != 1 && len(r) < len(tb.Headers) {
					t.Fatalf("row %q shorter than the headings %q", r, tb.Headers)
				}
			}
		}
		var all []string
		all = append(all, text...)
		for _, tb := range tables {
			all = append(all, tb.Caption)
			all = append(all, tb.Headers...)
			for _, r := range tb.Rows {
				all = append(all, r...)
			}
		}
		for _, s := range all {
			if s != strings.TrimSpace(s) || strings.Contains(s, "  ") {
				t.Fatalf("uncollapsed whitespace in %q", s)
			}
		}
		// Bounded layout: no table wider than maxTableColumns, no section over maxSectionCells;
		// a section past the limits says so and shows nothing else.
		cells := 0
		for _, tb := range tables {
			if len(tb.Headers) > maxTableColumns {
				t.Fatalf("%d headings", len(tb.Headers))
			}
			for _, r := range tb.Rows {
				if len(r) > maxTableColumns {
					t.Fatalf("a row of %d cells", len(r))
				}
				cells += len(r)
			}
		}
		if cells > maxSectionCells {
			t.Fatalf("%d cells laid out", cells)
		}
		for _, s := range text {
			if s == SectionTooLarge && (len(tables) != 0 || len(text) != 1) {
				t.Fatalf("a too-large section shows more than the statement: %d tables, %q", len(tables), text)
			}
		}
		// Script content from the seed corpus must never appear when wrapped in a script tag.
		_, text2 := ParseSectionXHTML("<div><script>" + in + "</script><p>ok</p></div>")
		if strings.Contains(in, "</script") || strings.Contains(strings.ToLower(in), "</script") {
			return
		}
		// A script body can swallow what follows it (HTML's escaped script states), but nothing
		// from inside it may ever come out as text.
		for _, s := range text2 {
			if s != "ok" {
				t.Fatalf("script content leaked: %q", text2)
			}
		}
	})
}

// TestSectionTooLarge: a table wider than maxTableColumns or a section of more than
// maxSectionCells cells shows only the plain statement that it is too large (never a table cut
// short); tables at the limits are laid out whole.
func TestSectionTooLarge(t *testing.T) {
	row := func(n int) string { return "<tr>" + strings.Repeat("<td>x</td>", n) + "</tr>" }
	rows := func(r, n int) string { return strings.Repeat(row(n), r) }
	for _, tc := range []struct {
		name     string
		in       string
		tooLarge bool
	}{
		{"64 columns", "<table>" + row(64) + "</table>", false},
		{"65 columns", "<table>" + row(65) + "</table>", true},
		{"colspan past the columns", `<table><tr><th>A</th></tr><tr><td colspan="40">a</td><td colspan="40">b</td></tr></table>`, true},
		{"colspan rowspan repeated", strings.Repeat(`<table><tr><td colspan="100" rowspan="100">x</td></tr>`, 50), true},
		{"rowspans across many rows", "<table>" + strings.Repeat(`<tr><td rowspan="100">a</td><td colspan="60">b</td></tr>`, 900) + "</table>", true},
		{"50,000 cells", "<table>" + rows(1000, 50) + "</table>", false},
		{"50,050 cells", "<table>" + rows(1001, 50) + "</table>", true},
		{"cells over several tables", strings.Repeat("<table>"+rows(300, 50)+"</table>", 4), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tables, text := ParseSectionXHTML("<div><p>Before</p>" + tc.in + "<p>After</p></div>")
			if tc.tooLarge {
				if len(tables) != 0 || len(text) != 1 || text[0] != SectionTooLarge {
					t.Fatalf("got %d tables and %q, want only the too-large statement", len(tables), text)
				}
				return
			}
			if len(tables) == 0 || len(text) != 2 {
				t.Fatalf("got %d tables and %q", len(tables), text)
			}
		})
	}
	// The record says so in the section, through the Composition decoder too.
	rec := RecordFromComposition(&CompositionResource{Section: []CompositionSection{{Title: "Medication",
		Text: &Narrative{Div: "<div><table>" + row(70) + "</table></div>"}}}})
	if len(rec.Sections) != 1 || len(rec.Sections[0].Tables) != 0 || len(rec.Sections[0].Text) != 1 || rec.Sections[0].Text[0] != SectionTooLarge {
		t.Fatalf("record section: %+v", rec.Sections)
	}
}
