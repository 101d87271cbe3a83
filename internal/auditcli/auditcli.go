// Package auditcli is the `scrdesk audit` command: verify the audit log's chain, export it
// (streamed, as CSV or JSON Lines, itself audited), and print statistics.
//
//	scrdesk audit verify [--json]
//	scrdesk audit export [--from DATE] [--to DATE] [--nhs-number N] [--user ID]
//	                     [--action A] [--outcome O] [--format csv|jsonl|fhir] [--out FILE]
//	scrdesk audit stats
//	scrdesk audit new-log --reason TEXT
//	scrdesk audit sar --nhs-number N --out FILE.pdf|FILE.csv [...]
//	scrdesk audit report [--month YYYY-MM] --out FILE.pdf|FILE.csv
//
// verify prints each finding as the entry concerned, what happened and what to do, in words
// an SCR Governance Person understands (a progress bar on a terminal for big logs; --json for
// tools). new-log is the one way forward after the log was found removed or replaced. sar and
// report write the SCR Governance Person's documents (internal/report), each recorded with its
// hash before the file is written.
//
// Exit status: 0 done (verify: the log is verified); 1 verify found a problem, or the command
// could not finish; 2 bad usage.
//
// The package holds no state. Run blocks until the command is done; call it from main, not on
// the UI goroutine.
package auditcli

import (
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/cli"
	"scrdesk/internal/nhsnumber"
	"scrdesk/internal/replica"
	"scrdesk/internal/store"
)

// Log is what the command needs from the store (*store.DB implements it).
type Log interface {
	audit.Recorder
	VerifyWith(ctx context.Context, o store.VerifyOptions) (audit.Report, error)
	Each(ctx context.Context, f audit.Filter, fn func(audit.Entry) error) error
	Stats(ctx context.Context) (store.Stats, error)
}

// Exit statuses.
const (
	ExitOK    = 0
	ExitBad   = 1
	ExitUsage = 2
)

const usage = `usage: scrdesk audit verify [--json]
       scrdesk audit verify --central [--dsn DSN] [--ods CODE]
       scrdesk audit export [--from DATE] [--to DATE] [--nhs-number N] [--user ID]
                            [--action A] [--outcome O] [--format csv|jsonl|fhir] [--out FILE]
       scrdesk audit stats
       scrdesk audit new-log --reason TEXT
       scrdesk audit central
       scrdesk audit central-schema

verify --central checks the pharmacy's central audit database (settings central_dsn, or
--dsn) with only the workstations' public keys; it needs a login with the scrdesk_reader role
(the password from the keyring, or PGPASSWORD).
DATE is YYYY-MM-DD (a whole day, UTC; --to includes that day) or an RFC 3339 time.
`

// Run runs `scrdesk audit` with args (the words after "audit"). who says who is running it
// (user, workstation, ODS code); it is recorded with the verify and export rows.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, db Log, who audit.Event) int {
	return RunWith(ctx, args, stdout, stderr, db, who, Central{})
}

// Central is what the central-log commands need besides the local log.
type Central struct {
	// DSN is the central database (settings central_dsn); Password from the keyring.
	DSN, Password string
	// Keys holds the workstation's signing key (replica.SigningKey).
	Keys replica.KeySource
}

// RunWith is Run with the central database's settings.
func RunWith(ctx context.Context, args []string, stdout, stderr io.Writer, db Log, who audit.Event, c Central) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return ExitUsage
	}
	switch args[0] {
	case "verify":
		for _, a := range args[1:] {
			if a == "--central" || a == "-central" {
				return verifyCentral(ctx, args[1:], stdout, stderr, db, who, c)
			}
		}
		return verify(ctx, args[1:], stdout, stderr, db, who)
	case "central":
		return centralInfo(ctx, args[1:], stdout, stderr, db, c)
	case "central-schema":
		if code, ok := noArgs("central-schema", args[1:], stdout, stderr); !ok {
			return code
		}
		fmt.Fprint(stdout, replica.Schema)
		return ExitOK
	case "export":
		return export(ctx, args[1:], stdout, stderr, db, who)
	case "stats":
		return stats(ctx, args[1:], stdout, stderr, db)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return ExitOK
	}
	fmt.Fprintf(stderr, "scrdesk audit: unknown command %q\n%s", args[0], usage)
	return ExitUsage
}

// noArgs parses a command that takes no arguments: ok, or the exit code (0 after --help).
func noArgs(name string, args []string, stdout, stderr io.Writer) (int, bool) {
	fs := flag.NewFlagSet("scrdesk audit "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintf(fs.Output(), "usage: scrdesk audit %s\n", name) }
	pos, err := cli.ParseFlags(fs, args)
	switch {
	case cli.Help(err, fs, stdout):
		return ExitOK, false
	case err != nil:
		return ExitUsage, false
	case len(pos) > 0:
		fmt.Fprintf(stderr, "scrdesk audit %s takes no arguments\n", name)
		return ExitUsage, false
	}
	return 0, true
}

func verify(ctx context.Context, args []string, stdout, stderr io.Writer, db Log, who audit.Event) int {
	fs := flag.NewFlagSet("scrdesk audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the report as JSON, for tools")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: scrdesk audit verify [--json]")
		fs.PrintDefaults()
	}
	pos, err := cli.ParseFlags(fs, args)
	if cli.Help(err, fs, stdout) {
		return ExitOK
	}
	if err != nil {
		return ExitUsage
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "scrdesk audit verify: unexpected argument %q\n", pos[0])
		return ExitUsage
	}
	var vo store.VerifyOptions
	bar := newProgressBar(stderr)
	if bar != nil && !*asJSON {
		vo.Progress = bar.show
	}
	rep, err := db.VerifyWith(ctx, vo)
	if bar != nil && vo.Progress != nil {
		bar.done()
	}
	if err != nil {
		fmt.Fprintf(stderr, "scrdesk audit verify: the check could not be done: %v\n", err)
		return ExitBad
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "scrdesk audit verify: %v\n", err)
			return ExitBad
		}
	} else {
		PrintReport(stdout, rep)
	}
	ev := who
	ev.Action, ev.NHSNumber, ev.Outcome = audit.ActionAuditVerified, "", audit.OutcomeSuccess
	ev.Detail = map[string]string{"rows": strconv.FormatInt(rep.Rows, 10)}
	if !rep.OK {
		ev.Outcome = audit.OutcomeMajorFailure
		kinds := []string{}
		for _, f := range rep.Errors() {
			kinds = append(kinds, string(f.Kind))
		}
		ev.Detail["findings"] = strings.Join(kinds, ",")
		if rep.Kind != audit.KindNone {
			ev.Detail["kind"], ev.Detail["first_bad"] = string(rep.Kind), strconv.FormatInt(rep.FirstBad, 10)
		}
	}
	if _, err := db.Record(ctx, ev); err != nil {
		fmt.Fprintf(stderr, "scrdesk audit verify: the check itself could not be recorded: %s\n", store.UserMessage(err))
	}
	if !rep.OK {
		return ExitBad
	}
	return ExitOK
}

// PrintReport writes the report for a person: a summary line, then each problem as the entry
// concerned, what happened and what to do, then what is worth knowing.
func PrintReport(w io.Writer, rep audit.Report) {
	errs := rep.Errors()
	if rep.OK {
		fmt.Fprintln(w, rep.Message())
	} else {
		n := len(errs)
		if n == 0 {
			n = 1
		}
		fmt.Fprintf(w, "The audit log FAILED its check: %d problem%s found.\n", n, plural(n))
		if len(errs) == 0 && rep.Kind != audit.KindNone {
			errs = []audit.Finding{audit.ChainFinding(rep.Kind, rep.FirstBad, rep.CheckpointSeq, rep.CheckpointTime)}
		}
	}
	for i, f := range errs {
		fmt.Fprintf(w, "\n%d. %s\n", i+1, entryLabel(f))
		fmt.Fprintf(w, "   What happened: %s\n", f.What)
		fmt.Fprintf(w, "   What to do:    %s\n", f.Do)
	}
	var infos []audit.Finding
	for _, f := range rep.Findings {
		if f.Severity != audit.SeverityError {
			infos = append(infos, f)
		}
	}
	if len(infos) > 0 {
		fmt.Fprintln(w, "\nAlso on the record:")
		for _, f := range infos {
			fmt.Fprintf(w, "- %s: %s\n", entryLabel(f), f.What)
		}
	}
	if !rep.DegradedSince.IsZero() {
		fmt.Fprintf(w, "\nAudit protection is degraded since %s: the keyring is not accepting the audit log's checkpoint.\n",
			rep.DegradedSince.Local().Format("15:04 on 2 January 2006"))
	}
	if !rep.OK && rep.Kind != audit.KindNone && rep.FirstBad > 0 {
		fmt.Fprintf(w, "\nfirst bad row: %d (%s)\n", rep.FirstBad, rep.Kind)
	}
	if rep.WeakKey && !rep.OK {
		fmt.Fprintln(w, "The log's key is kept in a file rather than the system keyring, which is weaker protection.")
	}
}

func entryLabel(f audit.Finding) string {
	switch {
	case f.Row > 0 && f.ToRow > f.Row:
		return fmt.Sprintf("Entries %s to %s", audit.Group(f.Row), audit.Group(f.ToRow))
	case f.Row > 0:
		return "Entry " + audit.Group(f.Row)
	case f.Kind == audit.KindSchemaChanged:
		return "The database's structure"
	case f.Kind == audit.KindLogReplaced:
		return "The whole log"
	}
	return "The log"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// progressBar draws "Checking the audit log [#####.....] 45%" on a terminal.
type progressBar struct {
	w     io.Writer
	shown bool
}

// newProgressBar returns a bar when w is a terminal, else nil.
func newProgressBar(w io.Writer) *progressBar {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil // not a terminal (a pipe, a file)
	}
	return &progressBar{w: w}
}

func (p *progressBar) show(done, total int64) {
	if total < 100_000 {
		return // a small log is checked before a bar would help
	}
	done = min(done, total)
	const width = 30
	n := int(done * width / total)
	fmt.Fprintf(p.w, "\rChecking the audit log [%s%s] %3d%% (%s of %s entries)", strings.Repeat("#", n),
		strings.Repeat(".", width-n), done*100/total, audit.Group(done), audit.Group(total))
	p.shown = true
}

func (p *progressBar) done() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// NewLogFunc starts a new log (store.NewLog bound to the data folder and keyring).
type NewLogFunc func(ctx context.Context, by audit.Event) (store.NewLogResult, error)

// NewLog runs `scrdesk audit new-log --reason TEXT`: the one way forward after the log was found
// removed or replaced. The new log's first row records who, why, the previous log's instance id
// and checkpoint, and what was found; the file found is kept beside the new one.
func NewLog(ctx context.Context, args []string, stdout, stderr io.Writer, start NewLogFunc, who audit.Event) int {
	fs := flag.NewFlagSet("scrdesk audit new-log", flag.ContinueOnError)
	fs.SetOutput(stderr)
	reason := fs.String("reason", "", "why a new log is started (recorded in its first entry)")
	pos, err := cli.ParseFlags(fs, args)
	if cli.Help(err, fs, stdout) {
		return ExitOK
	}
	if err != nil {
		return ExitUsage
	}
	if len(pos) > 0 || strings.TrimSpace(*reason) == "" {
		fmt.Fprint(stderr, "scrdesk audit new-log: say why with --reason TEXT (it is recorded in the new log's first entry)\n")
		return ExitUsage
	}
	who.Reason = strings.TrimSpace(*reason)
	res, err := start(ctx, who)
	if errors.Is(err, store.ErrNoBreak) {
		fmt.Fprintln(stderr, "scrdesk audit new-log: the audit log is the one the keyring knows (not removed or replaced), so no new log is needed. Run scrdesk audit verify to check it.")
		return ExitBad
	}
	if err != nil {
		fmt.Fprintf(stderr, "scrdesk audit new-log: no new log was started: %v\n", err)
		return ExitBad
	}
	fmt.Fprintf(stdout, "Started a new audit log. %s\n", res.Break.Message())
	fmt.Fprintf(stdout, "Its first entry records the previous log (%s, last known: %s) and what was found.\n",
		res.Break.KnownInstance, res.Break.LastKnown())
	if res.Kept != "" {
		fmt.Fprintf(stdout, "The file found was kept as %s: keep it with the record of what happened.\n", res.Kept)
	}
	return ExitOK
}

// ParseTime reads a --from/--to value: YYYY-MM-DD (midnight UTC; with endOfDay, the midnight
// after, so that --to includes the whole day) or an RFC 3339 time.
func ParseTime(s string, endOfDay bool) (time.Time, error) {
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		if endOfDay {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD) or an RFC 3339 time", s)
	}
	return t.UTC(), nil
}

// exportFilter parses the export flags into a filter.
// On --help it prints the help to stdout and returns ok false with ErrHelp.
func exportFilter(args []string, stdout, stderr io.Writer) (audit.Filter, string, string, error) {
	fs := flag.NewFlagSet("scrdesk audit export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "first day or time to export (inclusive)")
	to := fs.String("to", "", "last day to export (inclusive), or time (exclusive)")
	nhs := fs.String("nhs-number", "", "only this patient (Subject Access Request)")
	user := fs.String("user", "", "only this user id")
	action := fs.String("action", "", "only this action")
	outcome := fs.String("outcome", "", "only this outcome")
	format := fs.String("format", "csv", "csv, jsonl or fhir (an R4 Bundle of IHE BALP AuditEvents)")
	out := fs.String("out", "", "write to FILE (created owner-only) instead of standard output")
	pos, err := cli.ParseFlags(fs, args)
	if cli.Help(err, fs, stdout) {
		return audit.Filter{}, "", "", flag.ErrHelp
	}
	if err != nil {
		return audit.Filter{}, "", "", err
	}
	bad := func(format string, a ...any) (audit.Filter, string, string, error) {
		fmt.Fprintf(stderr, "scrdesk audit export: "+format+"\n", a...)
		return audit.Filter{}, "", "", errors.New("usage")
	}
	if len(pos) > 0 {
		return bad("unexpected argument %q", pos[0])
	}
	var f audit.Filter
	if *from != "" {
		if f.From, err = ParseTime(*from, false); err != nil {
			return bad("--from: %v", err)
		}
	}
	if *to != "" {
		if f.To, err = ParseTime(*to, true); err != nil {
			return bad("--to: %v", err)
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return bad("--from must be before --to")
	}
	if *nhs != "" {
		if f.NHSNumber, err = nhsnumber.Normalize(*nhs); err != nil {
			return bad("--nhs-number: %v", err)
		}
	}
	f.UserID = strings.TrimSpace(*user)
	if *action != "" {
		if f.Action = audit.Action(*action); !f.Action.Known() {
			return bad("--action: unknown action %q", *action)
		}
	}
	if *outcome != "" {
		if f.Outcome = audit.Outcome(*outcome); !f.Outcome.Known() {
			return bad("--outcome: unknown outcome %q (success, minor-failure, serious-failure, major-failure)", *outcome)
		}
	}
	if *format != "csv" && *format != "jsonl" && *format != "fhir" {
		return bad("--format must be csv, jsonl or fhir")
	}
	return f, *format, *out, nil
}

func export(ctx context.Context, args []string, stdout, stderr io.Writer, db Log, who audit.Event) int {
	f, format, outPath, err := exportFilter(args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		return ExitUsage
	}
	// The export is recorded before any row leaves: an export that is interrupted is still on
	// the record, and one that cannot be recorded does not happen.
	ev := who
	ev.Action, ev.Outcome, ev.NHSNumber = audit.ActionAuditExported, audit.OutcomeSuccess, f.NHSNumber
	ev.Detail = map[string]string{"format": format}
	if !f.From.IsZero() {
		ev.Detail["from"] = f.From.Format(time.RFC3339)
	}
	if !f.To.IsZero() {
		ev.Detail["to"] = f.To.Format(time.RFC3339)
	}
	for k, v := range map[string]string{"user": f.UserID, "action": string(f.Action), "outcome": string(f.Outcome)} {
		if v != "" {
			ev.Detail[k] = v
		}
	}
	if _, err := db.Record(ctx, ev); err != nil {
		fmt.Fprintf(stderr, "scrdesk audit export: not exported, because the export could not be recorded: %s\n", store.UserMessage(err))
		return ExitBad
	}
	w := stdout
	if outPath != "" {
		file, err := os.OpenFile(outPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			fmt.Fprintf(stderr, "scrdesk audit export: %v\n", err)
			return ExitBad
		}
		defer file.Close()
		w = file
	}
	n, err := Write(ctx, w, format, db, f)
	if err != nil {
		fmt.Fprintf(stderr, "scrdesk audit export: stopped after %d rows: %v\n", n, err)
		return ExitBad
	}
	fmt.Fprintf(stderr, "exported %d rows\n", n)
	return ExitOK
}

// CSVHeader is the first line of a CSV export.
var CSVHeader = []string{"seq", "id", "time", "action", "action_label", "outcome", "outcome_fhir",
	"workstation", "ods_code", "user_id", "user_name", "urid", "role_code", "nhs_number",
	"reason", "request_ids", "detail", "mac"}

// cell defuses text that a spreadsheet would run as a formula (OWASP "CSV injection").
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// jsonEntry is one line of a JSON Lines export.
type jsonEntry struct {
	Seq         int64             `json:"seq"`
	ID          string            `json:"id"`
	Time        string            `json:"time"`
	Action      audit.Action      `json:"action"`
	ActionLabel string            `json:"action_label"`
	Outcome     audit.Outcome     `json:"outcome"`
	OutcomeFHIR string            `json:"outcome_fhir"`
	Workstation string            `json:"workstation"`
	ODSCode     string            `json:"ods_code"`
	UserID      string            `json:"user_id"`
	UserName    string            `json:"user_name"`
	URID        string            `json:"urid"`
	RoleCode    string            `json:"role_code"`
	NHSNumber   string            `json:"nhs_number,omitempty"`
	Reason      string            `json:"reason,omitempty"`
	RequestIDs  []string          `json:"request_ids,omitempty"`
	Detail      map[string]string `json:"detail,omitempty"`
	MAC         string            `json:"mac"`
}

// Write streams the entries matching f to w, oldest first, as "csv" or "jsonl", and returns
// how many it wrote. Memory stays flat however many rows match.
func Write(ctx context.Context, w io.Writer, format string, db Log, f audit.Filter) (int64, error) {
	var n int64
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(CSVHeader); err != nil {
			return 0, err
		}
		err := db.Each(ctx, f, func(e audit.Entry) error {
			detail, _ := json.Marshal(e.Detail)
			if e.Detail == nil {
				detail = []byte("{}")
			}
			rec := []string{strconv.FormatInt(e.Seq, 10), e.ID, e.Time.Format("2006-01-02T15:04:05.000Z"),
				string(e.Action), cell(e.Action.Label()), string(e.Outcome), e.Outcome.FHIRCode(),
				cell(e.Workstation), cell(e.ODSCode), cell(e.UserID), cell(e.UserName), cell(e.URID),
				cell(e.RoleCode), e.NHSNumber, cell(e.Reason), cell(strings.Join(e.RequestIDs, ";")),
				string(detail), hex.EncodeToString(e.MAC)}
			if err := cw.Write(rec); err != nil {
				return err
			}
			n++
			if n%1000 == 0 {
				cw.Flush()
				return cw.Error()
			}
			return nil
		})
		cw.Flush()
		return n, errors.Join(err, cw.Error())
	case "jsonl":
		enc := json.NewEncoder(w)
		err := db.Each(ctx, f, func(e audit.Entry) error {
			n++
			return enc.Encode(jsonEntry{Seq: e.Seq, ID: e.ID, Time: e.Time.Format("2006-01-02T15:04:05.000Z"),
				Action: e.Action, ActionLabel: e.Action.Label(), Outcome: e.Outcome, OutcomeFHIR: e.Outcome.FHIRCode(),
				Workstation: e.Workstation, ODSCode: e.ODSCode, UserID: e.UserID, UserName: e.UserName,
				URID: e.URID, RoleCode: e.RoleCode, NHSNumber: e.NHSNumber, Reason: e.Reason,
				RequestIDs: e.RequestIDs, Detail: e.Detail, MAC: hex.EncodeToString(e.MAC)})
		})
		return n, err
	case "fhir":
		return writeFHIR(ctx, w, db, f)
	}
	return 0, fmt.Errorf("unknown format %q", format)
}

func stats(ctx context.Context, args []string, stdout, stderr io.Writer, db Log) int {
	if code, ok := noArgs("stats", args, stdout, stderr); !ok {
		return code
	}
	st, err := db.Stats(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "scrdesk audit stats: %v\n", err)
		return ExitBad
	}
	fmt.Fprintf(stdout, "rows:            %d\n", st.Rows)
	if st.Rows > 0 {
		fmt.Fprintf(stdout, "first:           %s (row %d)\n", st.First.Time.Format(time.RFC3339), st.First.Seq)
		fmt.Fprintf(stdout, "last:            %s (row %d)\n", st.Last.Time.Format(time.RFC3339), st.Last.Seq)
	}
	fmt.Fprintf(stdout, "file size:       %.1f MiB\n", float64(st.FileBytes)/(1<<20))
	fmt.Fprintf(stdout, "schema version:  %d\n", st.SchemaVersion)
	key := "system keyring"
	if st.WeakKey {
		key = "owner-only key file (weaker: no system keyring was available)"
	}
	fmt.Fprintf(stdout, "key kept in:     %s\n", key)
	acts := make([]audit.Action, 0, len(st.ByAction))
	for a := range st.ByAction {
		acts = append(acts, a)
	}
	sort.Slice(acts, func(i, j int) bool { return st.ByAction[acts[i]] > st.ByAction[acts[j]] })
	if len(acts) > 0 {
		fmt.Fprintln(stdout, "by action:")
	}
	for _, a := range acts {
		fmt.Fprintf(stdout, "  %10d  %s (%s)\n", st.ByAction[a], a.Label(), a)
	}
	return ExitOK
}
