// Package report writes the SCR Governance Person's documents: the Subject Access Request
// report (PDF a patient can read, and CSV for the file) and the monthly governance report (PDF
// with a chart). It turns plain data into bytes and does no other I/O.
//
// PDF is written with github.com/go-pdf/fpdf, charts drawn with gonum.org/v1/plot; the DejaVu
// Sans font is embedded (fonts/LICENSE) so names such as Siân and Ó Briain print on every
// machine. Output is deterministic for the same input: the document's dates are the report's
// own, not the clock's.
package report

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/go-pdf/fpdf"

	"scrdesk/internal/governance"
)

//go:embed fonts/DejaVuSans.ttf fonts/DejaVuSans-Bold.ttf
var fonts embed.FS

// SAR is a Subject Access Request report's content (SGP.md, "Subject Access Request").
type SAR struct {
	Pharmacy, ODS string
	Reference     string
	Received      time.Time
	IdentityCheck string // how the requester's identity was checked
	NHSNumber     string // ten digits
	From, To      time.Time
	Lines         []governance.SARLine
	NamesGiven    bool
	// Integrity is the statement about the log, e.g. "Verified: ... entries ... checked at ...".
	Integrity  string
	ProducedBy string
	ProducedAt time.Time
	Location   *time.Location // for dates; default Europe/London
}

// Due is one calendar month after the request was received.
func (s SAR) Due() time.Time { return s.Received.AddDate(0, 1, 0) }

func (s SAR) loc() *time.Location {
	if s.Location != nil {
		return s.Location
	}
	if l, err := time.LoadLocation("Europe/London"); err == nil {
		return l
	}
	return time.UTC
}

// FormatNHS writes an NHS number 3-3-4.
func FormatNHS(n string) string {
	if len(n) != 10 {
		return n
	}
	return n[:3] + " " + n[3:6] + " " + n[6:]
}

func day(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(loc).Format("2 January 2006")
}

// Hash is the report's fingerprint: SHA-256 over its content in a fixed form (the CSV's rows
// without the hash line), printed on both outputs and recorded in the audit row, so any copy
// can be checked against the log.
func (s SAR) Hash() string {
	var b bytes.Buffer
	s.writeCSVBody(&b)
	sum := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(sum[:])
}

func (s SAR) header() [][]string {
	loc := s.loc()
	return [][]string{
		{"Data controller", s.Pharmacy + " (ODS " + s.ODS + ")"},
		{"Reference", s.Reference},
		{"Request received", day(s.Received, loc)},
		{"Due by", day(s.Due(), loc)},
		{"Identity checked by", s.IdentityCheck},
		{"NHS number", FormatNHS(s.NHSNumber)},
		{"Period", day(s.From, loc) + " to " + day(s.To, loc)},
		{"Produced by", s.ProducedBy},
		{"Produced at", s.ProducedAt.In(loc).Format("2 January 2006 15:04")},
	}
}

// Scope is the statement of what the report covers.
const Scope = "This report lists the accesses to your Summary Care Record made through SCR Desk at this pharmacy. " +
	"The national Spine keeps its own record of accesses, which NHS England can provide."

func (s SAR) writeCSVBody(w io.Writer) {
	c := csv.NewWriter(w)
	c.Write([]string{"Subject Access Request report"})
	for _, h := range s.header() {
		c.Write(h)
	}
	c.Write([]string{"Scope", Scope})
	c.Write([]string{"Integrity", s.Integrity})
	c.Write([]string{"entry", "date and time", "what was seen", "role", "name", "workstation", "basis", "review outcome"})
	loc := s.loc()
	for _, l := range s.Lines {
		c.Write([]string{strconv.FormatInt(l.Seq, 10), l.Time.In(loc).Format("2006-01-02 15:04:05"), l.What, l.Role,
			l.Person, l.Where, l.Basis, l.Review})
	}
	c.Flush()
}

// WriteCSV writes the report as CSV, ending with its hash.
func (s SAR) WriteCSV(w io.Writer) error {
	var b bytes.Buffer
	s.writeCSVBody(&b)
	c := csv.NewWriter(&b)
	c.Write([]string{"Report hash (SHA-256)", s.Hash()})
	c.Flush()
	_, err := w.Write(b.Bytes())
	return err
}

// newPDF makes an A4 document with the embedded fonts.
func newPDF(title string, at time.Time) (*fpdf.Fpdf, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	for _, f := range []struct{ style, file string }{{"", "fonts/DejaVuSans.ttf"}, {"B", "fonts/DejaVuSans-Bold.ttf"}} {
		b, err := fonts.ReadFile(f.file)
		if err != nil {
			return nil, err
		}
		pdf.AddUTF8FontFromBytes("dejavu", f.style, b)
	}
	pdf.SetTitle(title, true)
	pdf.SetCreator("SCR Desk", true)
	pdf.SetCatalogSort(true) // the same report gives the same bytes
	pdf.SetCreationDate(at)
	pdf.SetModificationDate(at)
	pdf.SetMargins(15, 15, 15)
	pdf.SetAutoPageBreak(true, 18)
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-13)
		pdf.SetFont("dejavu", "", 8)
		pdf.SetTextColor(90, 90, 90)
		pdf.CellFormat(0, 5, fmt.Sprintf("%s - page %d of {nb}", title, pdf.PageNo()), "", 0, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	return pdf, pdf.Error()
}

// WritePDF writes the report as a PDF a patient can read.
func (s SAR) WritePDF(w io.Writer) error {
	pdf, err := newPDF("Who has looked at your Summary Care Record", s.ProducedAt)
	if err != nil {
		return err
	}
	loc := s.loc()
	pdf.AddPage()
	pdf.SetFont("dejavu", "B", 16)
	pdf.MultiCell(0, 8, "Who has looked at your Summary Care Record", "", "L", false)
	pdf.SetFont("dejavu", "", 10)
	pdf.MultiCell(0, 5, "Subject Access Request report for NHS number "+FormatNHS(s.NHSNumber)+".", "", "L", false)
	pdf.Ln(3)
	for _, h := range s.header() {
		pdf.SetFont("dejavu", "B", 9)
		pdf.CellFormat(45, 5.5, h[0], "", 0, "L", false, 0, "")
		pdf.SetFont("dejavu", "", 9)
		pdf.MultiCell(0, 5.5, h[1], "", "L", false)
	}
	pdf.Ln(3)
	pdf.SetFont("dejavu", "", 9)
	pdf.MultiCell(0, 5, Scope, "", "L", false)
	pdf.Ln(2)
	if len(s.Lines) == 0 {
		pdf.SetFont("dejavu", "B", 10)
		pdf.MultiCell(0, 6, "No one opened your record through SCR Desk at this pharmacy in this period.", "", "L", false)
	} else {
		pdf.SetFont("dejavu", "B", 10)
		pdf.MultiCell(0, 6, fmt.Sprintf("%d accesses in this period", len(s.Lines)), "", "L", false)
		cols := []struct {
			name string
			w    float64
		}{{"Date and time", 28}, {"What was seen", 42}, {"By", 32}, {"Basis", 48}, {"Review", 30}}
		if !s.NamesGiven {
			cols[2].name = "By (role)"
		}
		head := func() {
			pdf.SetFont("dejavu", "B", 8)
			pdf.SetFillColor(230, 236, 245)
			for _, c := range cols {
				pdf.CellFormat(c.w, 6, c.name, "1", 0, "L", true, 0, "")
			}
			pdf.Ln(-1)
			pdf.SetFont("dejavu", "", 8)
		}
		head()
		for _, l := range s.Lines {
			by := l.Role
			if l.Person != "" {
				by = l.Person + ", " + l.Role
			}
			cells := []string{l.Time.In(loc).Format("2 Jan 2006 15:04"), l.What, by, l.Basis, l.Review}
			// the row is as tall as its tallest wrapped cell
			lines := 1
			for i, c := range cells {
				if n := len(pdf.SplitText(c, cols[i].w-2)); n > lines {
					lines = n
				}
			}
			h := float64(lines) * 4.2
			if pdf.GetY()+h > 297-20 {
				pdf.AddPage()
				head()
			}
			x, y := pdf.GetX(), pdf.GetY()
			for i, c := range cells {
				pdf.Rect(x, y, cols[i].w, h, "D")
				pdf.SetXY(x+1, y+0.3)
				pdf.MultiCell(cols[i].w-2, 4.2, c, "", "L", false)
				x += cols[i].w
			}
			pdf.SetXY(15, y+h)
		}
	}
	pdf.Ln(4)
	pdf.SetFont("dejavu", "B", 10)
	pdf.MultiCell(0, 6, "Is this list complete?", "", "L", false)
	pdf.SetFont("dejavu", "", 9)
	pdf.MultiCell(0, 5, s.Integrity, "", "L", false)
	pdf.Ln(2)
	pdf.SetFont("dejavu", "", 7.5)
	pdf.MultiCell(0, 4, "Report hash (SHA-256): "+s.Hash(), "", "L", false)
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}
