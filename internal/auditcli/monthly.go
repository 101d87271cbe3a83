package auditcli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/cli"
	"scrdesk/internal/governance"
	"scrdesk/internal/report"
	"scrdesk/internal/settings"
	"scrdesk/internal/store"
)

// MonthlyLog is what the monthly governance report needs from the store (*store.DB).
type MonthlyLog interface {
	Log
	Count(ctx context.Context, f audit.Filter) (int64, error)
	Entry(ctx context.Context, seq int64) (audit.Entry, error)
	EachCaseBetween(ctx context.Context, from, to time.Time, fn func(store.CaseSummary) error) error
	RulesTimeline(ctx context.Context) (governance.Timeline, error)
	RulesChecked(ctx context.Context) (int64, error)
	Query(ctx context.Context, f audit.Filter, after audit.Cursor, limit int) ([]audit.Entry, audit.Cursor, error)
}

// MonthlyRequest is what the monthly report is made for.
type MonthlyRequest struct {
	Month         time.Time // any instant in the month (in Location)
	Pharmacy, ODS string
	ProducedBy    string
	Seed          uint64 // the review sample's seed (store.SampleSeed)
	Now           time.Time
	Location      *time.Location // default Europe/London
	// TrendWeeks is how many weeks before the month the chart shows (default 4; -1 none).
	TrendWeeks int
}

// MaxEscalations bounds the escalations listed on one report (the count is still exact).
const MaxEscalations = 200

// BuildMonthly gathers the monthly report for req.Month: the integrity statement from a
// verification run now (which also rebuilds the case cache from the log if it was changed, so
// the figures read from it are the log's), then the month's cases a page at a time on the case
// time index, the alert and access counts by the audit indexes (one Count per figure and week),
// and the escalation rows streamed. Memory holds one page of cases and one duration per decided
// case (for the median), never the month's rows.
func BuildMonthly(ctx context.Context, db MonthlyLog, req MonthlyRequest) (report.Monthly, error) {
	if req.Now.IsZero() {
		req.Now = time.Now()
	}
	loc := req.Location
	if loc == nil {
		if l, err := time.LoadLocation("Europe/London"); err == nil {
			loc = l
		} else {
			loc = time.UTC
		}
	}
	trend := req.TrendWeeks
	if trend == 0 {
		trend = 4
	} else if trend < 0 {
		trend = 0
	}
	from := report.MonthStart(req.Month, loc)
	to := from.AddDate(0, 1, 0)
	m := report.Monthly{Month: from, Pharmacy: req.Pharmacy, ODS: req.ODS, ProducedBy: req.ProducedBy, ProducedAt: req.Now,
		Seed: req.Seed, Location: loc}
	// The SOP as the log holds it: each case sampled by the review shares in force when its
	// access was recorded, the targets and the rules switched off as they were at the month's
	// end (never today's settings for a past month).
	tl, err := db.RulesTimeline(ctx)
	if err != nil {
		return m, err
	}
	cfg := tl.Before(to)
	for _, r := range cfg.Off() {
		m.RulesOff = append(m.RulesOff, r.SGPName())
	}
	m.RulesChanged = tl.Changes(from, to)

	rep, err := db.VerifyWith(ctx, store.VerifyOptions{})
	if err != nil {
		return m, fmt.Errorf("verify the log: %w", err)
	}
	m.IntegrityOK = rep.OK
	if rep.OK {
		m.Integrity = "The log was verified intact when this report was made. " + rep.Message()
	} else {
		m.Integrity = "WARNING: the log could not be verified intact, so these figures may be incomplete. " + rep.Message()
	}
	// The cases are raised by the rules as they check the log: while they have not reached the
	// month's last entry (a backfill still running, or entries written while SCR Desk was
	// closed), the month's case figures are not whole, and the report says so.
	if behind, err := rulesBehind(ctx, db, to); err != nil {
		return m, err
	} else if behind > 0 {
		m.IntegrityOK = false
		m.Integrity = fmt.Sprintf("WARNING: the detection rules have not yet checked %s of the month, so the case figures may be incomplete. "+
			"Open SCR Desk, wait for its rules to catch up (the SGP's Home says when), and make the report again. ", entries(behind)) + m.Integrity
	}

	// Weeks: from the Monday trend weeks before the one holding the 1st, to the one holding
	// the month's last day.
	first := report.WeekStart(from, loc).AddDate(0, 0, -7*trend)
	for ws := first; ws.Before(to); ws = ws.AddDate(0, 0, 7) {
		end := ws.AddDate(0, 0, 7)
		n, err := db.Count(ctx, audit.Filter{Action: audit.ActionSCRRead, From: ws, To: end})
		if err != nil {
			return m, fmt.Errorf("count the records viewed: %w", err)
		}
		m.Weeks = append(m.Weeks, report.Week{Start: ws, Accesses: n, InMonth: end.After(from)})
	}
	for _, c := range []struct {
		a audit.Action
		n *int64
	}{{audit.ActionSCRRead, &m.Accesses}, {audit.ActionAlertQueued, &m.AlertsQueued}, {audit.ActionAlertSent, &m.AlertsSent},
		{audit.ActionAlertFailed, &m.AlertsFailed}} {
		if *c.n, err = db.Count(ctx, audit.Filter{Action: c.a, From: from, To: to}); err != nil {
			return m, fmt.Errorf("count %s: %w", c.a, err)
		}
	}

	byRule := map[governance.RuleID]*report.RuleFigures{}
	var toClose []time.Duration
	tally := func(f *report.RuleFigures, c store.CaseSummary, sampled bool) {
		f.Cases++
		switch c.State {
		case governance.StateClosedAppropriate:
			f.Appropriate++
		case governance.StateClosedInappropriate:
			f.Inappropriate++
		case governance.StateEscalated:
			f.Escal++
		default:
			f.Open++
		}
		if c.Reviewed() {
			f.Reviewed++
		}
		if sampled {
			f.Sampled++
			if c.Reviewed() {
				f.SampleReviewed++
			}
		}
	}
	err = db.EachCaseBetween(ctx, first, to, func(c store.CaseSummary) error {
		if i := weekIndex(m.Weeks, c.Time); i >= 0 {
			m.Weeks[i].Cases++
		}
		if c.Time.Before(from) {
			return nil
		}
		for _, h := range c.Hits {
			f := byRule[h.Rule]
			if f == nil {
				f = &report.RuleFigures{Rule: h.Rule, Label: h.Rule.Label(), Target: cfg.Rate(h.Rule)}
				byRule[h.Rule] = f
			}
			tally(f, c, governance.Sampled(req.Seed, c.Seq, h.Rule, tl.At(c.Seq).Rate(h.Rule)))
		}
		tally(&m.Total, c, tl.InSample(req.Seed, c.Case))
		if c.Reviewed() && !c.Decided.IsZero() && !c.Decided.Before(c.Time) {
			toClose = append(toClose, c.Decided.Sub(c.Time))
		}
		return nil
	})
	if err != nil {
		return m, fmt.Errorf("read the month's cases: %w", err)
	}
	m.Total.Label = "All cases"
	for _, ri := range governance.Rules() {
		if f := byRule[ri.ID]; f != nil {
			m.Rules = append(m.Rules, *f)
			delete(byRule, ri.ID)
		}
	}
	for _, f := range byRule { // a rule this version does not know (kept in the log): still counted
		m.Rules = append(m.Rules, *f)
	}
	if n := len(toClose); n > 0 {
		slices.Sort(toClose)
		m.Decided = n
		if n%2 == 1 {
			m.MedianToClose = toClose[n/2]
		} else {
			m.MedianToClose = (toClose[n/2-1] + toClose[n/2]) / 2
		}
	}

	err = db.Each(ctx, audit.Filter{Action: audit.ActionCaseEscalated, Outcome: audit.OutcomeSuccess, From: from, To: to}, func(e audit.Entry) error {
		if len(m.Escalations) >= MaxEscalations {
			return nil
		}
		caseSeq, st, ok := store.StepOf(e)
		if !ok {
			return nil
		}
		esc := report.Escalation{Case: caseSeq, At: e.Time, To: st.EscalatedTo, By: e.UserName}
		if ce, err := entryOf(ctx, db, caseSeq); err == nil {
			esc.CaseTime = ce.Time
			esc.Rules = ce.rules
		}
		m.Escalations = append(m.Escalations, esc)
		return nil
	})
	if err != nil {
		return m, fmt.Errorf("read the escalations: %w", err)
	}
	return m, nil
}

type caseInfo struct {
	Time  time.Time
	rules string
}

// entryOf is the flagged entry's time (from the entry itself) and the rules that raised its
// case (the case row at that time, found on the time index).
func entryOf(ctx context.Context, db MonthlyLog, seq int64) (caseInfo, error) {
	e, err := db.Entry(ctx, seq)
	if err != nil {
		return caseInfo{}, err
	}
	out := caseInfo{Time: e.Time}
	err = db.EachCaseBetween(ctx, e.Time, e.Time.Add(time.Millisecond), func(c store.CaseSummary) error {
		if c.Seq == seq {
			var ws []string
			for _, r := range c.Rules() {
				ws = append(ws, r.Label())
			}
			out.rules = strings.Join(ws, ", ")
		}
		return nil
	})
	return out, err
}

// ProduceMonthly builds the report, records that it was produced (audit.ActionGovReport with
// the month, the report's hash and the file name, as who) and only then writes it to w as
// "pdf" or "csv". A report whose production cannot be recorded is not written.
func ProduceMonthly(ctx context.Context, db MonthlyLog, req MonthlyRequest, who audit.Event, format, file string, w io.Writer) (report.Monthly, audit.Entry, error) {
	m, err := BuildMonthly(ctx, db, req)
	if err != nil {
		return m, audit.Entry{}, err
	}
	b, err := encodeReport(format, m.WritePDF, m.WriteCSV)
	if err != nil {
		return m, audit.Entry{}, err
	}
	ev := who
	ev.Action, ev.Outcome, ev.NHSNumber = audit.ActionGovReport, audit.OutcomeSuccess, ""
	ev.Detail = map[string]string{"report": "monthly", "month": m.MonthCode(), "hash": m.Hash(), "format": format,
		"file": filepath.Base(file), "cases": strconv.Itoa(m.Total.Cases)}
	ent, err := db.Record(ctx, ev)
	if err != nil {
		return m, ent, fmt.Errorf("the report was not produced, because producing it could not be recorded: %s", store.UserMessage(err))
	}
	_, err = w.Write(b.Bytes())
	return m, ent, err
}

// LastFullMonth is the calendar month before now's, in loc: the report's default.
func LastFullMonth(now time.Time, loc *time.Location) time.Time {
	return report.MonthStart(now, loc).AddDate(0, -1, 0)
}

// ParseMonth reads YYYY-MM as that month's first day in loc.
func ParseMonth(s string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation("2006-01", strings.TrimSpace(s), loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a month: write it as YYYY-MM, for example 2026-11", s)
	}
	return t, nil
}

func weekIndex(ws []report.Week, t time.Time) int {
	for i := len(ws) - 1; i >= 0; i-- {
		if !t.Before(ws[i].Start) {
			if t.Before(ws[i].Start.AddDate(0, 0, 7)) {
				return i
			}
			return -1
		}
	}
	return -1
}

const reportUsage = `usage: scrdesk audit report [--month YYYY-MM] --out FILE.pdf|FILE.csv
`

// ReportCommand is `scrdesk audit report`: the monthly governance report from the command line
// (default: the last full month, UK time), for the pharmacy st names, against the SOP's review
// rates the log recorded for that month (governance-rules-set rows; SGP.md's before any), as the
// workspace's report is. Producing it is recorded (governance-report, with the
// month, the hash and the file name) before the file is written.
func ReportCommand(ctx context.Context, args []string, stdout, stderr io.Writer, db MonthlyLog, who audit.Event, st settings.Settings,
	seed func() (uint64, error)) int {
	fs := flag.NewFlagSet("scrdesk audit report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	month := fs.String("month", "", "the month, YYYY-MM (default: the last full month)")
	out := fs.String("out", "", "the report file, .pdf or .csv (required; created owner-only)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), reportUsage)
		fs.PrintDefaults()
	}
	pos, err := cli.ParseFlags(fs, args)
	if cli.Help(err, fs, stdout) {
		return ExitOK
	}
	if err != nil {
		return ExitUsage
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "scrdesk audit report: "+format+"\n%s", append(a, reportUsage)...)
		return ExitUsage
	}
	if len(pos) > 0 {
		return bad("unexpected argument %q", pos[0])
	}
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		loc = time.UTC
	}
	now := time.Now()
	req := MonthlyRequest{Pharmacy: st.PharmacyName, ODS: who.ODSCode, ProducedBy: who.UserName, Now: now, Location: loc,
		Month: LastFullMonth(now, loc)}
	if *month != "" {
		if req.Month, err = ParseMonth(*month, loc); err != nil {
			return bad("--month: %v", err)
		}
		if !req.Month.Before(report.MonthStart(now, loc).AddDate(0, 1, 0)) {
			return bad("--month: %s has not started yet", *month)
		}
	}
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(*out)), ".")
	if *out == "" || (format != "pdf" && format != "csv") {
		return bad("--out must name a .pdf or .csv file")
	}
	if seed != nil {
		if req.Seed, err = seed(); err != nil {
			fmt.Fprintf(stderr, "scrdesk audit report: the review sample's seed could not be read: %s\n", store.UserMessage(err))
			return ExitBad
		}
	}
	var b bytes.Buffer
	m, _, err := ProduceMonthly(ctx, db, req, who, format, *out, &b)
	if err != nil {
		fmt.Fprintf(stderr, "scrdesk audit report: %v\n", err)
		return ExitBad
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o600); err != nil {
		fmt.Fprintf(stderr, "scrdesk audit report: %v\n", err)
		return ExitBad
	}
	fmt.Fprintf(stdout, "wrote %s: %s, %d cases, %d records viewed, hash %s\n", *out, m.MonthName(), m.Total.Cases, m.Accesses, m.Hash())
	return ExitOK
}

// rulesBehind is how many entries, up to the newest one before to, the rules have not checked.
func rulesBehind(ctx context.Context, db MonthlyLog, to time.Time) (int64, error) {
	checked, err := db.RulesChecked(ctx)
	if err != nil {
		return 0, fmt.Errorf("read how far the rules have checked: %w", err)
	}
	es, _, err := db.Query(ctx, audit.Filter{To: to}, audit.Cursor{}, 1)
	if err != nil {
		return 0, fmt.Errorf("find the month's last entry: %w", err)
	}
	if len(es) == 0 {
		return 0, nil
	}
	return max(es[0].Seq-checked, 0), nil
}

func entries(n int64) string {
	if n == 1 {
		return "1 entry"
	}
	return strconv.FormatInt(n, 10) + " entries"
}
