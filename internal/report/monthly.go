package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"scrdesk/internal/audit"
	"scrdesk/internal/governance"
)

// RuleFigures is one detection rule's cases in the month: how many it raised, what the SOP
// says to review (Target, a share 0..1), and where they stand when the report is made. A case
// raised by two rules counts under each.
type RuleFigures struct {
	Rule   governance.RuleID
	Label  string
	Target float64 // the SOP's review rate for the rule (governance.Config.Rate)
	Cases  int
	// Sampled is how many of the cases the review sample (the recorded seed) draws;
	// SampleReviewed how many of those have been decided.
	Sampled, SampleReviewed int
	// Reviewed is Appropriate + Inappropriate + Escalated: the cases with a decision.
	Reviewed                          int
	Appropriate, Inappropriate, Escal int
	Open                              int // new or in review
}

// Share is the share of the rule's cases reviewed, 0..1 (1 when there are none).
func (r RuleFigures) Share() float64 {
	if r.Cases == 0 {
		return 1
	}
	return float64(r.Reviewed) / float64(r.Cases)
}

// Needed is how many of the rule's cases the SOP's target asks to be reviewed.
func (r RuleFigures) Needed() int { return int(math.Ceil(r.Target*float64(r.Cases) - 1e-9)) }

// MeetsTarget reports whether at least the SOP's share of the rule's cases has been reviewed.
func (r RuleFigures) MeetsTarget() bool { return r.Reviewed >= r.Needed() }

// Escalation is one case escalated in the month: to whom, by whom, when.
type Escalation struct {
	Case     int64 // the flagged entry's sequence number
	CaseTime time.Time
	Rules    string // the rules that raised it, in words
	At       time.Time
	To, By   string
}

// Week is one week's counts (weeks begin on Monday, in the report's time zone).
type Week struct {
	Start    time.Time
	Accesses int64 // records viewed (scr-read rows)
	Cases    int64 // cases raised by the rules
	InMonth  bool  // false for the weeks before the month, shown for the trend
}

// Monthly is the monthly governance report's content (issue 13): for one calendar month, the
// cases by rule against the SOP's targets, the outcomes, the median time to a decision, the
// escalations, the privacy alerts, the log's integrity, and accesses and cases per week.
type Monthly struct {
	Month         time.Time // the month's first day, 00:00 in Location
	Pharmacy, ODS string
	Rules         []RuleFigures // rules that raised at least one case, in SGP.md's order
	// Total counts each case once, whatever number of rules raised it (Target unused).
	Total RuleFigures
	// MedianToClose is the median time from the access to the review's decision, over the
	// month's cases decided by the time the report was made (Decided of them).
	MedianToClose time.Duration
	Decided       int
	Escalations   []Escalation
	// Accesses is the month's record views (scr-read rows).
	Accesses                               int64
	AlertsQueued, AlertsSent, AlertsFailed int64
	Weeks                                  []Week
	Seed                                   uint64 // the review sample's seed
	// RulesOff names the detection rules switched off at the month's end (they raise no
	// cases), for the superintendent to see; RulesChanged is how many times the rules'
	// settings were changed during the month.
	RulesOff     []string
	RulesChanged int
	// Integrity is the statement about the log, as the SAR's; IntegrityOK whether it verified.
	Integrity   string
	IntegrityOK bool
	ProducedBy  string
	ProducedAt  time.Time
	Location    *time.Location // default Europe/London
}

func (m Monthly) loc() *time.Location {
	if m.Location != nil {
		return m.Location
	}
	return SAR{}.loc()
}

// MonthName is the month in words, e.g. "November 2026".
func (m Monthly) MonthName() string { return m.Month.In(m.loc()).Format("January 2006") }

// MonthCode is the month as YYYY-MM, for file names and audit rows.
func (m Monthly) MonthCode() string { return m.Month.In(m.loc()).Format("2006-01") }

// MonthStart returns the first instant of the month of t in loc.
func MonthStart(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, loc)
}

// WeekStart returns the Monday 00:00 (in loc) on or before t.
func WeekStart(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	d := (int(l.Weekday()) + 6) % 7 // days since Monday
	return time.Date(l.Year(), l.Month(), l.Day()-d, 0, 0, 0, 0, loc)
}

// Duration says a duration in plain words: "2 days 4 hours", "3 hours 10 minutes", "25 minutes".
func Duration(d time.Duration) string {
	if d < time.Minute {
		return "under a minute"
	}
	n := func(v int64, one string) string {
		if v == 1 {
			return "1 " + one
		}
		return strconv.FormatInt(v, 10) + " " + one + "s"
	}
	mins := int64(d / time.Minute)
	days, hours, m := mins/(24*60), mins/60%24, mins%60
	switch {
	case days > 0 && hours > 0:
		return n(days, "day") + " " + n(hours, "hour")
	case days > 0:
		return n(days, "day")
	case hours > 0 && m > 0:
		return n(hours, "hour") + " " + n(m, "minute")
	case hours > 0:
		return n(hours, "hour")
	}
	return n(m, "minute")
}

func pct(f float64) string { return strconv.Itoa(int(math.Round(f*100))) + "%" }

// Summary is the report's opening paragraph in plain English.
func (m Monthly) Summary() string {
	s := m.summary()
	if len(m.RulesOff) > 0 {
		s += " Switched off in the settings at the end of the month, so raising no cases: " + strings.Join(m.RulesOff, ", ") + "."
	}
	switch {
	case m.RulesChanged == 1:
		s += " The rules' settings were changed once during the month: each case is sampled by the review shares in force when its access was recorded, and the targets shown are those at the month's end."
	case m.RulesChanged > 1:
		s += fmt.Sprintf(" The rules' settings were changed %d times during the month: each case is sampled by the review shares in force when its access was recorded, and the targets shown are those at the month's end.", m.RulesChanged)
	}
	return s
}

func (m Monthly) summary() string {
	t := m.Total
	s := ""
	if m.ProducedAt.Before(m.Month.In(m.loc()).AddDate(0, 1, 0)) {
		s = m.MonthName() + " is not over yet: these are the figures up to " + m.ProducedAt.In(m.loc()).Format("2 January 2006 15:04") + ". "
	}
	s += fmt.Sprintf("In %s, Summary Care Records were viewed %s through SCR Desk at this pharmacy. ",
		m.MonthName(), times(m.Accesses))
	if t.Cases == 0 {
		return s + "The detection rules raised no cases for review."
	}
	s += fmt.Sprintf("The detection rules raised %s for review; %s (%s) had been reviewed when this report was made. ",
		count(int64(t.Cases), "case"), audit.Group(int64(t.Reviewed)), pct(t.Share()))
	s += fmt.Sprintf("%s closed as appropriate, %s closed as inappropriate, %s escalated and %s still open.",
		audit.Group(int64(t.Appropriate)), audit.Group(int64(t.Inappropriate)), audit.Group(int64(t.Escal)), audit.Group(int64(t.Open)))
	if m.Decided > 0 {
		s += " The median time from an access to the review's decision was " + Duration(m.MedianToClose) + "."
	}
	short := 0
	for _, r := range m.Rules {
		if !r.MeetsTarget() {
			short++
		}
	}
	switch short {
	case 0:
		s += " Every rule's review target in the SOP was met."
	case 1:
		s += " One rule's review target in the SOP was not met (see the table)."
	default:
		s += fmt.Sprintf(" %d rules' review targets in the SOP were not met (see the table).", short)
	}
	return s
}

func times(n int64) string {
	if n == 1 {
		return "once"
	}
	return audit.Group(n) + " times"
}

func count(n int64, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return audit.Group(n) + " " + one + "s"
}

func (m Monthly) header() [][]string {
	loc := m.loc()
	end := m.Month.In(loc).AddDate(0, 1, -1)
	return [][]string{
		{"Pharmacy", m.Pharmacy + " (ODS " + m.ODS + ")"},
		{"Month", m.MonthName()},
		{"Period", day(m.Month, loc) + " to " + day(end, loc) + " (UK time)"},
		{"Produced by", m.ProducedBy},
		{"Produced at", m.ProducedAt.In(loc).Format("2 January 2006 15:04")},
		{"Review sample seed", strconv.FormatUint(m.Seed, 10)},
	}
}

// Hash is the report's fingerprint: SHA-256 over its content in a fixed form (the CSV without
// the hash line), printed on the PDF and recorded in the audit row.
func (m Monthly) Hash() string {
	var b bytes.Buffer
	m.writeCSVBody(&b)
	sum := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(sum[:])
}

func itoa(n int) string { return strconv.Itoa(n) }

func (m Monthly) writeCSVBody(w io.Writer) {
	c := csv.NewWriter(w)
	loc := m.loc()
	c.Write([]string{"Monthly governance report"})
	for _, h := range m.header() {
		c.Write(h)
	}
	c.Write([]string{"Summary", m.Summary()})
	c.Write([]string{"Integrity", m.Integrity})
	c.Write([]string{"rule", "cases", "SOP target", "needed", "reviewed", "share reviewed", "target met", "sampled", "sample reviewed",
		"appropriate", "inappropriate", "escalated", "open"})
	row := func(r RuleFigures, target string, met string) {
		c.Write([]string{r.Label, itoa(r.Cases), target, itoa(r.Needed()), itoa(r.Reviewed), pct(r.Share()), met, itoa(r.Sampled),
			itoa(r.SampleReviewed), itoa(r.Appropriate), itoa(r.Inappropriate), itoa(r.Escal), itoa(r.Open)})
	}
	for _, r := range m.Rules {
		row(r, pct(r.Target), yesNo(r.MeetsTarget()))
	}
	row(m.Total, "", "")
	c.Write([]string{"Median time to a decision", Duration(m.MedianToClose), "over " + itoa(m.Decided) + " decided cases"})
	c.Write([]string{"Privacy alerts queued", strconv.FormatInt(m.AlertsQueued, 10)})
	c.Write([]string{"Privacy alerts sent", strconv.FormatInt(m.AlertsSent, 10)})
	c.Write([]string{"Privacy alerts failed", strconv.FormatInt(m.AlertsFailed, 10)})
	c.Write([]string{"week beginning", "records viewed", "cases raised", "in the month"})
	for _, wk := range m.Weeks {
		c.Write([]string{wk.Start.In(loc).Format("2006-01-02"), strconv.FormatInt(wk.Accesses, 10), strconv.FormatInt(wk.Cases, 10), yesNo(wk.InMonth)})
	}
	c.Write([]string{"escalated", "case entry", "case time", "rules", "to", "by"})
	for _, e := range m.Escalations {
		c.Write([]string{e.At.In(loc).Format("2006-01-02 15:04"), strconv.FormatInt(e.Case, 10), e.CaseTime.In(loc).Format("2006-01-02 15:04"),
			e.Rules, e.To, e.By})
	}
	c.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// WriteCSV writes the report as CSV, ending with its hash.
func (m Monthly) WriteCSV(w io.Writer) error {
	var b bytes.Buffer
	m.writeCSVBody(&b)
	c := csv.NewWriter(&b)
	c.Write([]string{"Report hash (SHA-256)", m.Hash()})
	c.Flush()
	_, err := w.Write(b.Bytes())
	return err
}

// Chart draws records viewed and cases raised per week (two panels, one above the other, as
// their scales differ by orders of magnitude) as a PNG of w x h millimetres at 150 dpi. The
// weeks before the month are grey.
func (m Monthly) Chart(wmm, hmm float64) ([]byte, error) {
	loc := m.loc()
	labels := make([]string, len(m.Weeks))
	for i, wk := range m.Weeks {
		labels[i] = wk.Start.In(loc).Format("2 Jan")
	}
	panel := func(title string, val func(Week) int64, col color.Color) (*plot.Plot, error) {
		p := plot.New()
		p.Title.Text = title
		p.Title.TextStyle.Font.Size = vg.Points(10)
		p.Y.Min = 0
		p.Y.Tick.Marker = integerTicks{}
		var before, in plotter.Values
		var top float64
		for _, wk := range m.Weeks {
			v := float64(val(wk))
			top = math.Max(top, v)
			if wk.InMonth {
				before, in = append(before, 0), append(in, v)
			} else {
				before, in = append(before, v), append(in, 0)
			}
		}
		if len(m.Weeks) == 0 {
			before, in = plotter.Values{0}, plotter.Values{0}
		}
		p.Y.Max = math.Max(1, top*1.1)
		bw := vg.Points(18)
		for _, s := range []struct {
			v plotter.Values
			c color.Color
		}{{before, color.RGBA{R: 170, G: 170, B: 170, A: 255}}, {in, col}} {
			b, err := plotter.NewBarChart(s.v, bw)
			if err != nil {
				return nil, err
			}
			b.Color, b.LineStyle.Width = s.c, 0
			p.Add(b)
		}
		p.Add(plotter.NewGrid())
		p.NominalX(labels...)
		p.X.Tick.Label.Font.Size = vg.Points(7)
		return p, nil
	}
	p1, err := panel("Records viewed per week (weeks beginning Monday)", func(w Week) int64 { return w.Accesses }, color.RGBA{R: 0, G: 94, B: 184, A: 255})
	if err != nil {
		return nil, err
	}
	p2, err := panel("Cases raised per week", func(w Week) int64 { return w.Cases }, color.RGBA{R: 218, G: 41, B: 28, A: 255})
	if err != nil {
		return nil, err
	}
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(wmm)*vg.Millimeter, vg.Length(hmm)*vg.Millimeter), vgimg.UseDPI(150))
	dc := draw.New(c)
	tiles := plot.Align([][]*plot.Plot{{p1}, {p2}}, draw.Tiles{Rows: 2, Cols: 1, PadY: vg.Millimeter * 3}, dc)
	p1.Draw(tiles[0][0])
	p2.Draw(tiles[1][0])
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// The chart's text is in Liberation Sans (gonum's embedded fonts), to sit with the document's
// DejaVu Sans; its labels are dates and numbers only.
func init() { plot.DefaultFont = font.Font{Typeface: "Liberation", Variant: "Sans"} }

// integerTicks marks whole numbers only: counts have no halves.
type integerTicks struct{}

func (integerTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	out := ts[:0]
	for _, t := range ts {
		if t.Value != math.Trunc(t.Value) {
			t.Label = ""
		}
		out = append(out, t)
	}
	return out
}

// WritePDF writes the report as a PDF for the superintendent pharmacist.
func (m Monthly) WritePDF(w io.Writer) error {
	title := "SCR governance report: " + m.MonthName()
	pdf, err := newPDF(title, m.ProducedAt)
	if err != nil {
		return err
	}
	loc := m.loc()
	pdf.AddPage()
	pdf.SetFont("dejavu", "B", 16)
	pdf.MultiCell(0, 8, title, "", "L", false)
	pdf.SetFont("dejavu", "", 10)
	pdf.MultiCell(0, 5, "Who opened Summary Care Records at this pharmacy, what the detection rules flagged, and what the SCR Governance Person's reviews found.", "", "L", false)
	pdf.Ln(2)
	for _, h := range m.header() {
		pdf.SetFont("dejavu", "B", 9)
		pdf.CellFormat(45, 5.2, h[0], "", 0, "L", false, 0, "")
		pdf.SetFont("dejavu", "", 9)
		pdf.MultiCell(0, 5.2, h[1], "", "L", false)
	}
	pdf.Ln(2)
	section := func(s string) {
		pdf.Ln(1)
		pdf.SetFont("dejavu", "B", 11)
		pdf.MultiCell(0, 6, s, "", "L", false)
		pdf.SetFont("dejavu", "", 9)
	}
	section("In brief")
	pdf.MultiCell(0, 5, m.Summary(), "", "L", false)

	chart, err := m.Chart(180, 80)
	if err != nil {
		return fmt.Errorf("draw the chart: %w", err)
	}
	pdf.RegisterImageOptionsReader("weekly-chart", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(chart))
	if pdf.GetY()+85 > 297-20 {
		pdf.AddPage()
	}
	y := pdf.GetY() + 2
	pdf.ImageOptions("weekly-chart", 15, y, 180, 80, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	pdf.SetY(y + 81)
	pdf.SetFont("dejavu", "", 7.5)
	pdf.MultiCell(0, 4, "Grey bars are the weeks before "+m.MonthName()+", shown for the trend. A week that runs into the next or previous month counts all its days.", "", "L", false)

	section("Cases by rule")
	pdf.MultiCell(0, 5, "A case is one access (or sign-in) a rule flagged. A case raised by two rules counts under each; the total counts it once. "+
		"Reviewed means closed (appropriate or inappropriate) or escalated, as at "+m.ProducedAt.In(loc).Format("2 January 2006 15:04")+".", "", "L", false)
	pdf.Ln(1)
	cols := []float64{44.5, 11, 11, 16, 11, 19, 19.5, 22, 16, 10}
	head := []string{"Rule", "Cases", "SOP target", "Reviewed", "Share", "Target met", "Appropriate", "Inappropriate", "Escalated", "Open"}
	table(pdf, cols, head, func(add func(bold bool, cells ...string)) {
		for _, r := range m.Rules {
			met := "yes"
			if !r.MeetsTarget() {
				met = fmt.Sprintf("no (%d short)", r.Needed()-r.Reviewed)
			}
			add(false, r.Label, itoa(r.Cases), pct(r.Target), itoa(r.Reviewed), pct(r.Share()), met, itoa(r.Appropriate), itoa(r.Inappropriate), itoa(r.Escal), itoa(r.Open))
		}
		t := m.Total
		add(true, "All cases", itoa(t.Cases), "", itoa(t.Reviewed), pct(t.Share()), "", itoa(t.Appropriate), itoa(t.Inappropriate), itoa(t.Escal), itoa(t.Open))
	})
	if len(m.Rules) == 0 {
		pdf.MultiCell(0, 5, "No rule raised a case this month.", "", "L", false)
	}
	pdf.Ln(1)
	if m.Total.Sampled > 0 {
		pdf.MultiCell(0, 5, fmt.Sprintf("The review sample (seed %d, recorded in the audit log) drew %s; %s of them had been reviewed.",
			m.Seed, count(int64(m.Total.Sampled), "case"), audit.Group(int64(m.Total.SampleReviewed))), "", "L", false)
	}
	if m.Decided > 0 {
		pdf.MultiCell(0, 5, fmt.Sprintf("Median time from the access to the review's decision: %s (over %s decided).", Duration(m.MedianToClose), count(int64(m.Decided), "case")), "", "L", false)
	} else {
		pdf.MultiCell(0, 5, "No case from this month has been decided yet, so there is no time to close.", "", "L", false)
	}

	section("Escalations")
	if len(m.Escalations) == 0 {
		pdf.MultiCell(0, 5, "No case was escalated this month.", "", "L", false)
	} else {
		table(pdf, []float64{28, 28, 44, 45, 39}, []string{"Escalated on", "Access on", "Flagged as", "Escalated to", "By"}, func(add func(bool, ...string)) {
			for _, e := range m.Escalations {
				add(false, e.At.In(loc).Format("2 Jan 2006 15:04"), e.CaseTime.In(loc).Format("2 Jan 2006 15:04"), e.Rules, e.To, e.By)
			}
		})
	}

	section("Privacy alerts to the national service")
	pdf.MultiCell(0, 5, fmt.Sprintf("Queued: %s. Sent: %s. Could not be sent: %s.", audit.Group(m.AlertsQueued), audit.Group(m.AlertsSent), audit.Group(m.AlertsFailed)), "", "L", false)
	if m.AlertsFailed > 0 {
		pdf.MultiCell(0, 5, "An alert that could not be sent was refused by the national service: check it in the audit log and tell IT support.", "", "L", false)
	}

	section("Is the audit log intact?")
	if !m.IntegrityOK {
		pdf.SetTextColor(180, 0, 0)
	}
	pdf.MultiCell(0, 5, m.Integrity, "", "L", false)
	pdf.SetTextColor(0, 0, 0)
	pdf.Ln(2)
	pdf.SetFont("dejavu", "", 7.5)
	pdf.MultiCell(0, 4, "Report hash (SHA-256): "+m.Hash(), "", "L", false)
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}

// table draws a bordered table whose rows are as tall as their tallest wrapped cell, repeating
// the heading on a new page.
func table(pdf *fpdf.Fpdf, cols []float64, head []string, rows func(add func(bold bool, cells ...string))) {
	const lh = 4
	// The cells are padded by hand (1 mm a side), so MultiCell's own margin would pad twice.
	margin := pdf.GetCellMargin()
	pdf.SetCellMargin(0)
	defer pdf.SetCellMargin(margin)
	draw := func(bold, fill bool, cells []string) {
		style := ""
		if bold {
			style = "B"
		}
		size := 7.5
		if fill {
			size = 7 // the heading
		}
		pdf.SetFont("dejavu", style, size)
		lines := 1
		for i, c := range cells {
			if n := len(pdf.SplitText(c, cols[i]-2)); n > lines {
				lines = n
			}
		}
		h := float64(lines)*lh + 1
		if pdf.GetY()+h > 297-20 {
			pdf.AddPage()
		}
		x, y := 15.0, pdf.GetY()
		for i, c := range cells {
			if fill {
				pdf.SetFillColor(230, 236, 245)
				pdf.Rect(x, y, cols[i], h, "FD")
			} else {
				pdf.Rect(x, y, cols[i], h, "D")
			}
			pdf.SetXY(x+1, y+0.5)
			pdf.MultiCell(cols[i]-2, lh, c, "", "L", false)
			x += cols[i]
		}
		pdf.SetXY(15, y+h)
	}
	if pdf.GetY()+18 > 297-20 { // the heading and a row or two together
		pdf.AddPage()
	}
	draw(true, true, head)
	rows(func(bold bool, cells ...string) {
		if pdf.GetY()+9 > 297-20 {
			pdf.AddPage()
			draw(true, true, head)
		}
		draw(bold, false, cells)
	})
	pdf.SetFont("dejavu", "", 9)
}
