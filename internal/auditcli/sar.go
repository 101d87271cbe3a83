package auditcli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/cli"
	"scrdesk/internal/governance"
	"scrdesk/internal/nhsnumber"
	"scrdesk/internal/report"
	"scrdesk/internal/store"
)

// SARLog is what a Subject Access Request report needs from the store.
type SARLog interface {
	Log
	Case(ctx context.Context, seq int64) (governance.Case, error)
}

// SARRequest is what the SGP fills in for a Subject Access Request.
type SARRequest struct {
	NHSNumber     string
	From, To      time.Time // To exclusive; zero: from the first entry, to now
	Reference     string
	Received      time.Time
	IdentityCheck string
	NamesGiven    bool
	Pharmacy, ODS string
	ProducedBy    string
	Now           time.Time
}

// BuildSAR gathers the report: every entry about the patient in the period (oldest first),
// the review outcome of any case about them, and the integrity statement from a verification
// run now.
func BuildSAR(ctx context.Context, db SARLog, req SARRequest) (report.SAR, error) {
	if req.Now.IsZero() {
		req.Now = time.Now()
	}
	f := audit.Filter{NHSNumber: req.NHSNumber, From: req.From, To: req.To}
	var es []audit.Entry
	cases := map[int64]governance.Case{}
	err := db.Each(ctx, f, func(e audit.Entry) error {
		es = append(es, e)
		return nil
	})
	if err != nil {
		return report.SAR{}, err
	}
	// A superseded NHS number is answered with the current record, and its rows are stored
	// under the current number (the one asked for kept in detail.asked_nhs_number): a report on
	// the old number includes every row under the current one(s) it was answered with.
	es, err = withSuperseded(ctx, db, req, es)
	if err != nil {
		return report.SAR{}, err
	}
	for _, e := range es {
		if !governance.IsAccess(e) {
			continue
		}
		c, err := db.Case(ctx, e.Seq)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return report.SAR{}, err
		}
		cases[e.Seq] = c
	}
	rep, err := db.VerifyWith(ctx, store.VerifyOptions{})
	if err != nil {
		return report.SAR{}, fmt.Errorf("verify the log: %w", err)
	}
	from, to := req.From, req.To
	if from.IsZero() && len(es) > 0 {
		from = es[0].Time
	}
	if to.IsZero() {
		to = req.Now
	}
	if req.Received.IsZero() {
		req.Received = req.Now
	}
	integrity := rep.Message()
	if rep.OK {
		integrity = "The log was verified intact when this report was made. " + integrity
	} else {
		integrity = "WARNING: the log could not be verified intact, so this list may be incomplete. " + integrity
	}
	return report.SAR{Pharmacy: req.Pharmacy, ODS: req.ODS, Reference: req.Reference, Received: req.Received,
		IdentityCheck: req.IdentityCheck, NHSNumber: req.NHSNumber, From: from, To: to.Add(-time.Millisecond),
		Lines: governance.SARLines(es, cases, req.NamesGiven), NamesGiven: req.NamesGiven, Integrity: integrity,
		ProducedBy: req.ProducedBy, ProducedAt: req.Now}, nil
}

// encodeReport renders a report as "pdf" or "csv" into memory (written out only once its
// production is recorded).
func encodeReport(format string, pdf, csv func(io.Writer) error) (*bytes.Buffer, error) {
	var b bytes.Buffer
	var err error
	switch format {
	case "pdf":
		err = pdf(&b)
	case "csv":
		err = csv(&b)
	default:
		err = fmt.Errorf("unknown format %q", format)
	}
	return &b, err
}

// ProduceSAR builds the report, records that it was produced (with its hash, as who) and only
// then writes it to w as "pdf" or "csv". A report whose production cannot be recorded is not
// written.
func ProduceSAR(ctx context.Context, db SARLog, req SARRequest, who audit.Event, format string, w io.Writer) (report.SAR, audit.Entry, error) {
	s, err := BuildSAR(ctx, db, req)
	if err != nil {
		return s, audit.Entry{}, err
	}
	b, err := encodeReport(format, s.WritePDF, s.WriteCSV)
	if err != nil {
		return s, audit.Entry{}, err
	}
	ev := who
	ev.Action, ev.Outcome, ev.NHSNumber = audit.ActionSAR, audit.OutcomeSuccess, req.NHSNumber
	ev.Detail = map[string]string{"format": format, "hash": s.Hash(), "lines": strconv.Itoa(len(s.Lines)),
		"from": s.From.UTC().Format(time.RFC3339), "to": s.To.UTC().Format(time.RFC3339)}
	if req.Reference != "" {
		ev.Detail["reference"] = req.Reference
	}
	ent, err := db.Record(ctx, ev)
	if err != nil {
		return s, ent, fmt.Errorf("the report was not produced, because producing it could not be recorded: %s", store.UserMessage(err))
	}
	_, err = w.Write(b.Bytes())
	return s, ent, err
}

const sarUsage = `usage: scrdesk audit sar --nhs-number N [--from DATE] [--to DATE] --out FILE.pdf|FILE.csv
                         [--reference REF] [--received DATE] [--identity TEXT] [--names]
`

// SARCommand is `scrdesk audit sar`: a Subject Access Request report from the command line,
// for a head office that answers requests centrally. pharmacy names the data controller.
func SARCommand(ctx context.Context, args []string, stdout, stderr io.Writer, db SARLog, who audit.Event, pharmacy string) int {
	fs := flag.NewFlagSet("scrdesk audit sar", flag.ContinueOnError)
	fs.SetOutput(stderr)
	nhs := fs.String("nhs-number", "", "the patient's NHS number (required)")
	from := fs.String("from", "", "first day of the period (inclusive)")
	to := fs.String("to", "", "last day of the period (inclusive)")
	out := fs.String("out", "", "the report file, .pdf or .csv (required; created owner-only)")
	ref := fs.String("reference", "", "the request's reference")
	received := fs.String("received", "", "the day the request was received (default today)")
	identity := fs.String("identity", "", "how the requester's identity was checked")
	names := fs.Bool("names", false, "give the accessing people's names (default: roles only)")
	pos, err := cli.ParseFlags(fs, args)
	if cli.Help(err, fs, stdout) {
		return ExitOK
	}
	if err != nil {
		return ExitUsage
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "scrdesk audit sar: "+format+"\n%s", append(a, sarUsage)...)
		return ExitUsage
	}
	if len(pos) > 0 {
		return bad("unexpected argument %q", pos[0])
	}
	req := SARRequest{Reference: *ref, IdentityCheck: *identity, NamesGiven: *names, Pharmacy: pharmacy, ODS: who.ODSCode,
		ProducedBy: who.UserName, Now: time.Now()}
	if req.NHSNumber, err = nhsnumber.Normalize(*nhs); err != nil || *nhs == "" {
		return bad("--nhs-number: give the patient's 10-digit NHS number")
	}
	if *from != "" {
		if req.From, err = ParseTime(*from, false); err != nil {
			return bad("--from: %v", err)
		}
	}
	if *to != "" {
		if req.To, err = ParseTime(*to, true); err != nil {
			return bad("--to: %v", err)
		}
	}
	if *received != "" {
		if req.Received, err = ParseTime(*received, false); err != nil {
			return bad("--received: %v", err)
		}
	}
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(*out)), ".")
	if *out == "" || (format != "pdf" && format != "csv") {
		return bad("--out must name a .pdf or .csv file")
	}
	var b bytes.Buffer
	s, _, err := ProduceSAR(ctx, db, req, who, format, &b)
	if err != nil {
		fmt.Fprintf(stderr, "scrdesk audit sar: %v\n", err)
		return ExitBad
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o600); err != nil {
		fmt.Fprintf(stderr, "scrdesk audit sar: %v\n", err)
		return ExitBad
	}
	fmt.Fprintf(stdout, "wrote %s: %d accesses, hash %s\n", *out, len(s.Lines), s.Hash())
	return ExitOK
}

// withSuperseded adds to es (the rows under req's NHS number) the rows under every current
// number that a patient read asked for by req's number was answered with, in sequence order
// without repeats.
func withSuperseded(ctx context.Context, db SARLog, req SARRequest, es []audit.Entry) ([]audit.Entry, error) {
	current := map[string]bool{}
	err := db.Each(ctx, audit.Filter{Action: audit.ActionPatientRead, From: req.From, To: req.To}, func(e audit.Entry) error {
		if e.Detail["asked_nhs_number"] == req.NHSNumber && e.Detail["failure"] == "" && e.NHSNumber != "" && e.NHSNumber != req.NHSNumber {
			current[e.NHSNumber] = true
		}
		return nil
	})
	if err != nil || len(current) == 0 {
		return es, err
	}
	seen := make(map[int64]bool, len(es))
	for _, e := range es {
		seen[e.Seq] = true
	}
	for n := range current {
		err := db.Each(ctx, audit.Filter{NHSNumber: n, From: req.From, To: req.To}, func(e audit.Entry) error {
			if !seen[e.Seq] {
				seen[e.Seq] = true
				es = append(es, e)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(es, func(i, j int) bool { return es[i].Seq < es[j].Seq })
	return es, nil
}
