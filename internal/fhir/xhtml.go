package fhir

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxXHTMLTokens bounds the work done on one section's narrative.
const maxXHTMLTokens = 1 << 20

// ParseSectionXHTML converts a Composition section's XHTML narrative (Narrative.div) into native
// tables and paragraphs. It tokenises and keeps text only: the contents of script, style,
// template, iframe, object and similar elements are dropped, as are all attributes (so event
// handlers, styles and link targets never survive); a link's text is kept as text. Whitespace
// runs collapse to one space. It never fails: malformed markup yields what text it holds.
func ParseSectionXHTML(div string) (tables []Table, text []string) {
	p := sectionParser{}
	p.run(div)
	return p.tables, p.text
}

type paragraph struct {
	id, text string
}

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
	row      []string
	rowHasTD bool
	inCell   bool
	inCap    bool
}

func (p *sectionParser) run(div string) {
	z := html.NewTokenizer(strings.NewReader(div))
	z.SetMaxBuf(4 << 20)
	for n := 0; n < maxXHTMLTokens; n++ {
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
			if hasAttr {
				for {
					k, v, more := z.TagAttr()
					if string(k) == "id" {
						id = string(v)
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
	p.row = append(p.row, collapse(p.buf.String()))
	p.buf.Reset()
	p.inCell = false
}

func (p *sectionParser) endRow() {
	p.endCell()
	if len(p.row) > 0 && p.table != nil {
		if (p.inHead || !p.rowHasTD) && len(p.table.Headers) == 0 && len(p.table.Rows) == 0 {
			p.table.Headers = p.row
		} else {
			p.table.Rows = append(p.table.Rows, p.row)
		}
	}
	p.row = nil
	p.rowHasTD = false
}

func (p *sectionParser) endTable() {
	if p.table == nil {
		return
	}
	p.endRow()
	p.tables = append(p.tables, *p.table)
	p.table = nil
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
