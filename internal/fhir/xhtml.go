package fhir

import (
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxXHTMLTokens bounds the work done on one section's narrative.
const maxXHTMLTokens = 1 << 20

// ParseSectionXHTML converts a Composition section's XHTML narrative (Narrative.div) into native
// tables and paragraphs. It tokenises and keeps text only: the contents of script, style,
// template, iframe, object and similar elements are dropped, as are all attributes (so event
// handlers, styles and link targets never survive, except colspan and rowspan, which place
// cells); a link's text is kept as text. Whitespace runs collapse to one space. It never fails:
// malformed markup yields what text it holds.
//
// Tables are laid out as a browser would: a cell spanning columns (colspan) keeps its text in
// its first column and leaves the columns it covers empty; a cell spanning rows (rowspan)
// repeats its text in the rows it covers; a row with fewer cells than headings is padded with
// empty cells on the right, so no text moves under another heading. A row that is one cell
// spanning every column (a full-width note, "No relevant information available") is a row of
// exactly one cell; every other row has one cell per heading (or more, when the table is wider
// than its headings). Header cells spanning columns name every column they cover, and further
// header rows add to the headings column by column.
func ParseSectionXHTML(div string) (tables []Table, text []string) {
	p := sectionParser{}
	p.run(div)
	return p.tables, p.text
}

type paragraph struct {
	id, text string
}

// cell is one td or th as written, before it is placed in the grid.
type cell struct {
	text             string
	colspan, rowspan int
	header           bool
}

// carried is a cell reaching down into later rows.
type carried struct {
	text string
	left int // rows still covered
}

// maxTableColumns bounds the columns of one table and maxSectionCells the cells laid out in
// one section, so spans (colspan=100 rowspan=100, repeated) cannot blow up memory. A section
// past either is not shown at all, only SectionTooLarge: never a silently cut table.
const (
	maxTableColumns = 64
	maxSectionCells = 50000
)

// SectionTooLarge is the whole of a section whose tables are past the limits above.
const SectionTooLarge = "This section is too large to display here (a table wider than 64 columns or more than 50,000 cells), so none of it is shown. Read it in the patient's record at their GP practice or another SCR viewer."

// maxSpan bounds colspan and rowspan (HTML's own limits are 1000 and 65534).
const maxSpan = 100

type sectionParser struct {
	tables []Table
	text   []string
	paras  []paragraph // text with the id of its block, for metadata (e.g. Practice)

	buf      strings.Builder // current paragraph or cell text
	blockID  string
	skip     int // depth inside dropped elements
	table    *Table
	tdepth   int // nested table depth
	inHead   bool
	row      []cell
	carry    []carried // per column: a rowspan from a row above still covering it
	rowHasTD bool
	colspan  int // of the cell being read
	rowspan  int
	inCell   bool
	inCap    bool
	cur      cell
	cells    int  // cells laid out in this section's tables so far
	tooLarge bool // past maxTableColumns or maxSectionCells: the section shows SectionTooLarge
}

// span reads a colspan or rowspan value: a positive integer, at most maxSpan; anything else
// (0, negative, junk) is 1.
func span(v []byte) int {
	n, err := strconv.Atoi(strings.TrimSpace(string(v)))
	if err != nil || n < 1 {
		return 1
	}
	if n > maxSpan {
		return maxSpan
	}
	return n
}

func (p *sectionParser) run(div string) {
	z := html.NewTokenizer(strings.NewReader(div))
	z.SetMaxBuf(4 << 20)
	defer func() {
		if p.tooLarge {
			p.tables, p.paras = nil, nil
			p.text = []string{SectionTooLarge}
		}
	}()
	for n := 0; n < maxXHTMLTokens && !p.tooLarge; n++ {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			p.endTable()
			p.flushPara()
			return
		case html.TextToken:
			if p.skip == 0 {
				p.buf.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			if dropped(a, name) {
				if tt == html.StartTagToken && !voidElement(a) {
					p.skip++
				}
				continue
			}
			if p.skip > 0 {
				continue
			}
			id := ""
			p.colspan, p.rowspan = 1, 1
			if hasAttr {
				for {
					k, v, more := z.TagAttr()
					switch string(k) {
					case "id":
						id = string(v)
					case "colspan":
						p.colspan = span(v)
					case "rowspan":
						p.rowspan = span(v)
					}
					if !more {
						break
					}
				}
			}
			p.start(a, id, tt == html.SelfClosingTagToken)
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if dropped(a, name) {
				if p.skip > 0 {
					p.skip--
				}
				continue
			}
			if p.skip > 0 {
				continue
			}
			p.end(a)
		}
	}
	p.endTable()
	p.flushPara()
}

// dropped lists elements whose content is never text for a person to read.
func dropped(a atom.Atom, name []byte) bool {
	switch a {
	case atom.Script, atom.Style, atom.Template, atom.Iframe, atom.Object, atom.Embed,
		atom.Noscript, atom.Svg, atom.Math, atom.Head, atom.Title, atom.Textarea, atom.Select,
		atom.Frameset, atom.Frame, atom.Noembed, atom.Noframes, atom.Applet:
		return true
	}
	return a == 0 && string(name) == "xml"
}

func voidElement(a atom.Atom) bool {
	switch a {
	case atom.Embed, atom.Frame:
		return true
	}
	return false
}

func isBlock(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Div, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Li,
		atom.Ul, atom.Ol, atom.Br, atom.Blockquote, atom.Pre, atom.Dt, atom.Dd, atom.Dl,
		atom.Section, atom.Header, atom.Footer, atom.Hr:
		return true
	}
	return false
}

func (p *sectionParser) start(a atom.Atom, id string, selfClosing bool) {
	switch {
	case a == atom.Table:
		if p.table != nil {
			p.tdepth++ // nested table: its text joins the current cell
			p.buf.WriteByte(' ')
			return
		}
		p.flushPara()
		p.table = &Table{}
	case p.table != nil && p.tdepth == 0:
		switch a {
		case atom.Caption:
			p.buf.Reset()
			p.inCap = true
		case atom.Thead:
			p.inHead = true
		case atom.Tbody, atom.Tfoot:
			p.inHead = false
		case atom.Tr:
			p.endRow()
		case atom.Td, atom.Th:
			p.endCell()
			p.inCell = true
			p.cur = cell{colspan: p.colspan, rowspan: p.rowspan, header: a == atom.Th}
			if a == atom.Td {
				p.rowHasTD = true
			}
			if selfClosing {
				p.endCell()
			}
		case atom.Br:
			p.buf.WriteByte(' ')
		}
	case p.table != nil:
		if isBlock(a) || a == atom.Td || a == atom.Th || a == atom.Tr {
			p.buf.WriteByte(' ')
		}
	case isBlock(a):
		p.flushPara()
		if id != "" {
			p.blockID = id
		}
	}
}

func (p *sectionParser) end(a atom.Atom) {
	switch {
	case a == atom.Table:
		if p.tdepth > 0 {
			p.tdepth--
			p.buf.WriteByte(' ')
			return
		}
		p.endTable()
	case p.table != nil && p.tdepth == 0:
		switch a {
		case atom.Caption:
			p.table.Caption = collapse(p.buf.String())
			p.buf.Reset()
			p.inCap = false
		case atom.Td, atom.Th:
			p.endCell()
		case atom.Tr:
			p.endRow()
		case atom.Thead:
			p.endRow()
			p.inHead = false
		}
	case p.table != nil:
		if isBlock(a) {
			p.buf.WriteByte(' ')
		}
	case isBlock(a):
		p.flushPara()
	}
}

func (p *sectionParser) endCell() {
	if !p.inCell {
		p.buf.Reset() // stray text between cells is whitespace or junk
		return
	}
	c := p.cur
	c.text = collapse(p.buf.String())
	if c.colspan < 1 {
		c.colspan = 1
	}
	if c.rowspan < 1 {
		c.rowspan = 1
	}
	p.row = append(p.row, c)
	p.buf.Reset()
	p.inCell = false
	p.cur = cell{}
}

func (p *sectionParser) endRow() {
	p.endCell()
	if len(p.row) > 0 && p.table != nil {
		header := (p.inHead || !p.rowHasTD) && len(p.table.Rows) == 0
		grid, full := p.place(p.row, header)
		p.cells += max(len(grid), 1)
		if p.tooLarge || p.cells > maxSectionCells {
			p.tooLarge = true
			p.row, p.rowHasTD = nil, false
			return
		}
		switch {
		case header && len(p.table.Headers) == 0:
			p.table.Headers = grid
		case header:
			p.addHeaderRow(grid)
		case full:
			p.table.Rows = append(p.table.Rows, []string{p.row[0].text})
		default:
			for len(grid) < len(p.table.Headers) {
				grid = append(grid, "")
			}
			p.table.Rows = append(p.table.Rows, grid)
		}
	}
	p.row = nil
	p.rowHasTD = false
}

// place lays one row's cells into columns, taking the columns still covered by rowspans from
// the rows above, and reports whether the row is a single full-width cell.
func (p *sectionParser) place(cells []cell, header bool) (grid []string, full bool) {
	width := len(p.table.Headers)
	if !header && width > 1 && len(cells) == 1 && cells[0].colspan >= width && !p.carrying() {
		return nil, true
	}
	col := 0
	fill := func() {
		for col < len(p.carry) && p.carry[col].left > 0 {
			grid = append(grid, p.carry[col].text)
			p.carry[col].left--
			col++
		}
	}
	for _, c := range cells {
		fill()
		for k := 0; k < c.colspan; k++ {
			if col >= maxTableColumns {
				p.tooLarge = true
				return nil, false
			}
			text := c.text
			if k > 0 && !header {
				text = "" // the covered columns of a spanning body cell stay empty
			}
			grid = append(grid, text)
			if c.rowspan > 1 {
				for len(p.carry) <= col {
					p.carry = append(p.carry, carried{})
				}
				p.carry[col] = carried{text: text, left: c.rowspan - 1}
			}
			col++
		}
	}
	fill()
	for ; col < len(p.carry) && col < maxTableColumns; col++ { // a rowspan reaching past this row's last cell
		if p.carry[col].left > 0 {
			for len(grid) < col {
				grid = append(grid, "")
			}
			grid = append(grid, p.carry[col].text)
			p.carry[col].left--
		}
	}
	return grid, false
}

func (p *sectionParser) carrying() bool {
	for _, c := range p.carry {
		if c.left > 0 {
			return true
		}
	}
	return false
}

// addHeaderRow merges a further header row into the headings, column by column.
func (p *sectionParser) addHeaderRow(grid []string) {
	h := p.table.Headers
	for i, t := range grid {
		if i >= len(h) {
			h = append(h, t)
			continue
		}
		if t != "" && t != h[i] {
			if h[i] == "" {
				h[i] = t
			} else {
				h[i] += " " + t
			}
		}
	}
	p.table.Headers = h
}

func (p *sectionParser) endTable() {
	if p.table == nil {
		return
	}
	p.endRow()
	p.tables = append(p.tables, *p.table)
	p.table = nil
	p.carry = nil
	p.tdepth = 0
	p.inHead = false
	p.buf.Reset()
}

func (p *sectionParser) flushPara() {
	if t := collapse(p.buf.String()); t != "" {
		p.text = append(p.text, t)
		p.paras = append(p.paras, paragraph{id: p.blockID, text: t})
	}
	p.buf.Reset()
	p.blockID = ""
}

// collapse trims and collapses whitespace runs to single spaces.
func collapse(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
