package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"

	"scrdesk/internal/audit"
	"scrdesk/internal/governance"
)

// The SGP's workspace in the store: the rule hits and the cases (migration 0005) are caches
// rebuilt from the audit log alone; every step on a case is an audit row (RecordStep), and the
// cases' states are those rows replayed through governance.Apply.
//
// EnableRules runs the rules over the rows not yet checked (the backfill) and then over every
// row as it is appended, in the row's own transaction: a hit is never missing for a committed
// row, and a hit never exists for a row that was not committed.

const metaRulesChecked = "rules_checked_seq"

// rulesWarmup is how far back the rules re-read the log when they start, so their windows
// (28 days of a user's accesses, recent opens, sessions) are full again. The rows re-read
// were checked before: what they raised then is kept as it was (settings.RuleSpecs keeps every
// window within this).
const rulesWarmup = 29 * 24 * time.Hour

// usersReadingBefore lists the users with a patient-read row before seq bound (the ones whose
// days the volume-spike rule counts), one index probe per user on audit_by_user.
func usersReadingBefore(ctx context.Context, q querier, bound int64) ([]string, error) {
	var out []string
	for last := ""; ; {
		var uid string
		err := q.QueryRowContext(ctx, `SELECT user_id FROM audit_event INDEXED BY audit_by_user
			WHERE user_id > ? ORDER BY user_id LIMIT 1`, last).Scan(&uid)
		if errors.Is(err, sql.ErrNoRows) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read the log's users: %w", err)
		}
		last = uid
		var one int
		err = q.QueryRowContext(ctx, `SELECT 1 FROM audit_event INDEXED BY audit_by_user
			WHERE user_id = ? AND seq < ? AND action = ? AND outcome = ? LIMIT 1`,
			uid, bound, string(audit.ActionPatientRead), string(audit.OutcomeSuccess)).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read the log's users: %w", err)
		}
		out = append(out, uid)
	}
}

// RulesChecked is the newest sequence number the rules have checked.
func (db *DB) RulesChecked(ctx context.Context) (int64, error) {
	v, ok, err := metaGet(ctx, db.sql, metaRulesChecked)
	if err != nil || !ok {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}

// Progress reports a backfill's progress: rows done of total.
type Progress func(done, total int64)

// EnableRules checks every row the rules have not yet seen (after re-reading the warm-up
// window), reporting progress, and then checks each appended row as it is recorded. It
// returns when the log is caught up; ctx stops it early (rows checked so far stay checked).
//
// cfg is the rules' configuration from now on. Each row is judged by the configuration in
// force when it was recorded: the newest governance-rules-set row before it (SaveSettings
// writes one with every save that changes the rules), or governance.DefaultConfig before the
// first. When cfg differs from the log's newest, a governance-rules-set row records cfg first
// (an install whose settings changed the rules before the log recorded them), so the rows
// after it are judged by cfg.
func (db *DB) EnableRules(ctx context.Context, cfg governance.Config, progress Progress) error {
	if err := db.recordRulesConfig(ctx, cfg); err != nil {
		// A log that cannot be written records nothing to judge either; the rules run with
		// the configuration the log holds.
		db.log.Warn("the rules' settings could not be recorded", "err", err)
	}
	checked, err := db.RulesChecked(ctx)
	if err != nil {
		return err
	}
	from, seen := int64(1), int64(0)
	if checked > 0 {
		e, err := db.Entry(ctx, checked)
		if err == nil { // (a mark beyond the log's end: every row is checked again)
			seen = checked
			lo, _, _, err := seqRange(ctx, db.sql, audit.Filter{From: e.Time.Add(-rulesWarmup)})
			if err != nil {
				return err
			}
			from = lo
		}
	}
	start, err := db.rulesConfigBefore(ctx, db.sql, from)
	if err != nil {
		return err
	}
	eng := governance.NewEngine(start)
	if from > 1 {
		// The users an engine reading the whole log would know (their baseline of days without
		// accesses), so the restarted rules judge as Verify's fresh engine does.
		first, err := db.Entry(ctx, from)
		if err != nil {
			return err
		}
		// A row too damaged to read (Verify names it) must not stop the rules: without the list
		// a returning user's first day may go unjudged here, and Verify then says so.
		if users, err := usersReadingBefore(ctx, db.sql, from); err != nil {
			db.log.Warn("the rules start without the users known before their warm-up", "err", err)
		} else {
			eng.KnowUsers(users, first.Time)
		}
	}
	last, _, err := lastRow(ctx, db.sql)
	if err != nil {
		return err
	}
	total := last - from + 1
	next := from
	for {
		// Outside the lock, a batch at a time; the last batch is taken under the lock so no
		// append slips between the backfill and the live check.
		n, err := db.checkBatch(ctx, eng, next, seen, 5000, false)
		if err != nil {
			return err
		}
		next += n
		if progress != nil {
			progress(min(next-from, total), max(total, next-from))
		}
		if n < 5000 {
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	for {
		n, err := db.checkBatch(ctx, eng, next, seen, 5000, true)
		if err != nil {
			return err
		}
		next += n
		if n < 5000 {
			break
		}
	}
	db.rules = eng
	return nil
}

// RulesConfig is the rules' configuration the log holds now: its newest governance-rules-set
// row's, or governance.DefaultConfig when it has none.
func (db *DB) RulesConfig(ctx context.Context) (governance.Config, error) {
	return db.rulesConfigBefore(ctx, db.sql, 0)
}

// RulesTimeline is the rules' configuration over the whole log (every governance-rules-set row
// this version reads, in sequence order, as the engine follows them): for sampling and overdue
// cases by the SOP in force when each access was recorded.
func (db *DB) RulesTimeline(ctx context.Context) (governance.Timeline, error) {
	var t governance.Timeline
	err := db.Each(ctx, audit.Filter{Action: audit.ActionRulesSet, Outcome: audit.OutcomeSuccess}, func(e audit.Entry) error {
		if cfg, err := governance.DecodeConfig(e.Detail[audit.DetailRulesConfig]); err == nil {
			t.Set(e.Seq, e.Time, cfg)
		}
		return nil
	})
	if err != nil {
		return governance.Timeline{}, fmt.Errorf("read the rules' settings: %w", err)
	}
	return t, nil
}

// rulesConfigBefore is the configuration in force for the row at seq bound: the newest
// governance-rules-set row before it that this version reads (bound 0: the newest of all),
// or governance.DefaultConfig when there is none. The engine skips a row it cannot read in
// the same way.
func (db *DB) rulesConfigBefore(ctx context.Context, q querier, bound int64) (governance.Config, error) {
	if bound == 1 {
		return governance.DefaultConfig(), nil
	}
	f := audit.Filter{Action: audit.ActionRulesSet, Outcome: audit.OutcomeSuccess}
	for {
		seqs, err := db.seqPage(ctx, q, f, true, bound, 16)
		if err != nil {
			return governance.Config{}, fmt.Errorf("read the rules' settings: %w", err)
		}
		es, err := entries(ctx, q, seqs)
		if err != nil {
			return governance.Config{}, fmt.Errorf("read the rules' settings: %w", err)
		}
		if err := recheck(f, es); err != nil {
			return governance.Config{}, err
		}
		for _, e := range es {
			if cfg, err := governance.DecodeConfig(e.Detail[audit.DetailRulesConfig]); err == nil {
				return cfg, nil
			}
		}
		if len(seqs) < 16 {
			return governance.DefaultConfig(), nil
		}
		bound = seqs[len(seqs)-1]
	}
}

// recordRulesConfig records cfg as the rules' configuration from now on, unless it is the
// log's already. The row names SCR Desk (the program), as the store's own rows do.
func (db *DB) recordRulesConfig(ctx context.Context, cfg governance.Config) error {
	cur, err := db.RulesConfig(ctx)
	if err != nil || cur.Equal(cfg) {
		return err
	}
	ev := rulesSetEvent(audit.Event{UserName: "scrdesk",
		Reason: "the rules started with settings the audit log had not recorded"}, cfg)
	ev.Detail[audit.DetailRulesUnrecorded] = "1"
	_, err = db.Record(ctx, ev)
	return err
}

// appendRulesConfigTx appends a governance-rules-set row for cfg inside tx, as by, unless cfg
// is the log's configuration already. Call with db.mu held.
func (db *DB) appendRulesConfigTx(ctx context.Context, tx *sql.Tx, cfg governance.Config, by audit.Event) error {
	cur, err := db.rulesConfigBefore(ctx, tx, 0)
	if err != nil || cur.Equal(cfg) {
		return err
	}
	_, err = db.appendTx(ctx, tx, rulesSetEvent(by, cfg))
	return err
}

func rulesSetEvent(by audit.Event, cfg governance.Config) audit.Event {
	ev := by
	ev.Action, ev.Outcome, ev.NHSNumber = audit.ActionRulesSet, audit.OutcomeSuccess, ""
	ev.Detail = map[string]string{audit.DetailRulesConfig: cfg.Encode()}
	return ev
}

// DisableRules stops checking appended rows (the backfill resumes where it stopped).
func (db *DB) DisableRules() {
	db.mu.Lock()
	db.rules = nil
	db.mu.Unlock()
}

// checkBatch runs the rules over up to limit rows from seq from, in one transaction with the
// hits, the case steps found and the checked mark. Rows up to seen were checked before (the
// warm-up): they only fill the rules' windows, and what was stored for them stays as it was.
// locked says db.mu is held.
func (db *DB) checkBatch(ctx context.Context, eng *governance.Engine, from, seen int64, limit int, locked bool) (int64, error) {
	rows, err := db.sql.QueryContext(ctx, selectStored+` WHERE seq >= ? ORDER BY seq LIMIT ?`, from, limit)
	if err != nil {
		return 0, fmt.Errorf("read the log for the rules: %w", err)
	}
	var es []audit.Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil && e.Seq == 0 {
			rows.Close()
			return 0, err
		}
		es = append(es, e) // a damaged body is checked as far as it reads; Verify says more
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(es) == 0 {
		return 0, nil
	}
	if !locked {
		db.mu.Lock()
		defer db.mu.Unlock()
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return 0, translate(err)
	}
	defer tx.Rollback()
	w := newGovWriter(ctx, tx)
	defer w.close()
	for _, e := range es {
		hits := eng.Check(e)
		if e.Seq <= seen {
			continue
		}
		if err := w.entry(e, hits); err != nil {
			return 0, err
		}
	}
	if err := w.checked(max(es[len(es)-1].Seq, seen)); err != nil { // never back over the warm-up
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, translate(err)
	}
	return int64(len(es)), nil
}

// govWriter writes hits, cases and steps inside one transaction, each statement prepared on
// it at its first use (a row that only moves the checked mark prepares that one statement).
type govWriter struct {
	ctx   context.Context
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func newGovWriter(ctx context.Context, tx *sql.Tx) *govWriter {
	return &govWriter{ctx: ctx, tx: tx, stmts: map[string]*sql.Stmt{}}
}

// The statements of a govWriter.
const (
	sqlHit  = `INSERT OR IGNORE INTO rule_hit (seq, rule, time_ms, user_id, nhs_number, workstation, evidence, related) VALUES (?,?,?,?,?,?,?,?)`
	sqlCase = `INSERT INTO gov_case (seq, time_ms, user_id, user_name, nhs_number, workstation, risk, rules) VALUES (?,?,?,?,?,?,?,?)
		ON CONFLICT (seq) DO UPDATE SET risk = excluded.risk, rules = excluded.rules`
	sqlStep     = `INSERT OR IGNORE INTO gov_step (case_seq, audit_seq) VALUES (?, ?)`
	sqlSetState = `UPDATE gov_case SET state = ?, closed_ms = ? WHERE seq = ?`
	sqlReadCase = `SELECT user_id, user_name, state FROM gov_case WHERE seq = ?`
	sqlChecked  = `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`
)

// stmt is q prepared on the writer's transaction.
func (w *govWriter) stmt(q string) (*sql.Stmt, error) {
	if st := w.stmts[q]; st != nil {
		return st, nil
	}
	st, err := w.tx.PrepareContext(w.ctx, q)
	if err != nil {
		return nil, err
	}
	w.stmts[q] = st
	return st, nil
}

func (w *govWriter) exec(q string, args ...any) error {
	st, err := w.stmt(q)
	if err == nil {
		_, err = st.ExecContext(w.ctx, args...)
	}
	return err
}

func (w *govWriter) close() {
	for _, st := range w.stmts {
		st.Close()
	}
}

// entry stores e's hits (and its case), or replays e if it is a step on a case.
func (w *govWriter) entry(e audit.Entry, hits []governance.Hit) error {
	if len(hits) > 0 {
		risk := 0
		names := make([]string, 0, len(hits))
		for _, h := range hits {
			risk += h.Rule.Risk()
			names = append(names, string(h.Rule))
			rel := make([]string, 0, len(h.Related))
			for _, r := range h.Related {
				rel = append(rel, strconv.FormatInt(r, 10))
			}
			if err := w.exec(sqlHit, h.Seq, string(h.Rule), h.Time.UnixMilli(), h.UserID, h.NHSNumber,
				h.Workstation, h.Evidence, strings.Join(rel, ",")); err != nil {
				return fmt.Errorf("store rule hit: %w", err)
			}
		}
		if err := w.exec(sqlCase, e.Seq, e.Time.UnixMilli(), e.UserID, e.UserName, e.NHSNumber,
			e.Workstation, risk, strings.Join(names, ",")); err != nil {
			return fmt.Errorf("store case: %w", err)
		}
	}
	caseSeq, st, ok := StepOf(e)
	if !ok {
		return nil
	}
	var uid, uname, state string
	read, err := w.stmt(sqlReadCase)
	if err != nil {
		return err
	}
	err = read.QueryRowContext(w.ctx, caseSeq).Scan(&uid, &uname, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // a step on a case that no rule raises now (rules switched off): kept in the log
	}
	if err != nil {
		return err
	}
	c, err := governance.Apply(governance.Case{Seq: caseSeq, Subject: governance.Person{UserID: uid, Name: uname}, State: governance.State(state)}, st)
	if err != nil {
		return nil // refused on replay: the log keeps it, the state ignores it
	}
	var closed int64
	if at, ok := c.Closed(); ok {
		closed = at.UnixMilli()
	}
	if err := w.exec(sqlStep, caseSeq, e.Seq); err != nil {
		return err
	}
	return w.exec(sqlSetState, string(c.State), closed, caseSeq)
}

func (w *govWriter) checked(seq int64) error {
	return w.exec(sqlChecked, metaRulesChecked, strconv.FormatInt(seq, 10))
}

// checkAppendedTx runs the live rules on a row just appended inside tx, and replays it if it
// is a step on a case (whether or not the rules are on). Call with db.mu held.
func (db *DB) checkAppendedTx(ctx context.Context, tx *sql.Tx, e audit.Entry) error {
	var hits []governance.Hit
	if db.rules != nil {
		hits = db.rules.Check(e)
	}
	_, _, step := StepOf(e)
	if len(hits) == 0 && !step && db.rules == nil {
		return nil
	}
	w, done := db.govWriterIn(ctx, tx)
	defer done()
	if len(hits) == 0 && !step { // the checked mark, exact: a report can tell whether the rules have caught up
		return w.checked(e.Seq)
	}
	if err := w.entry(e, hits); err != nil {
		return err
	}
	if db.rules == nil {
		return nil
	}
	return w.checked(e.Seq)
}

// govWriterIn is a govWriter on tx: write's, kept for the transaction's other rows (its
// statements close with it); another's, closed by done.
func (db *DB) govWriterIn(ctx context.Context, tx *sql.Tx) (w *govWriter, done func()) {
	if db.wtx != nil && db.wtx.tx == tx {
		if db.wtx.gov == nil {
			db.wtx.gov = newGovWriter(ctx, tx)
		}
		return db.wtx.gov, func() {}
	}
	w = newGovWriter(ctx, tx)
	return w, w.close
}

var stepActions = map[governance.Kind]audit.Action{
	governance.KindNote:     audit.ActionCaseNote,
	governance.KindStart:    audit.ActionCaseReview,
	governance.KindClose:    audit.ActionCaseAppropriate,
	governance.KindBreach:   audit.ActionCaseInappropriate,
	governance.KindEscalate: audit.ActionCaseEscalated,
}

// StepOf reads a case step back from its audit row: the case's sequence number and the step.
func StepOf(e audit.Entry) (int64, governance.Step, bool) {
	for k, a := range stepActions {
		if a != e.Action {
			continue
		}
		seq, err := strconv.ParseInt(e.Detail["case"], 10, 64)
		if err != nil || seq <= 0 {
			return 0, governance.Step{}, false
		}
		return seq, governance.Step{Kind: k, By: governance.Person{UserID: e.UserID, Name: e.UserName}, At: e.Time,
			Note: e.Reason, ActionTaken: e.Detail["action_taken"], EscalatedTo: e.Detail["escalated_to"], Seq: e.Seq}, true
	}
	return 0, governance.Step{}, false
}

// RecordStep records step s on the case about entry caseSeq, as the audit row who (the SGP:
// user, role, workstation) with the step's action; the case's state follows in the same
// transaction. A step governance.Apply refuses (own access, no note, wrong state) records
// nothing and returns the refusal.
func (db *DB) RecordStep(ctx context.Context, caseSeq int64, s governance.Step, who audit.Event) (audit.Entry, governance.Case, error) {
	if s.By.UserID == "" {
		s.By = governance.Person{UserID: who.UserID, Name: who.UserName}
	}
	var entry audit.Entry
	var out governance.Case
	wctx := context.WithoutCancel(ctx)
	err := db.write(wctx, func(tx *sql.Tx) error {
		c, err := caseFromLog(wctx, tx, caseSeq)
		if err != nil {
			return err
		}
		n, err := governance.Apply(c, s)
		if err != nil {
			return err
		}
		ev := who
		ev.Action, ev.Outcome = stepActions[s.Kind], audit.OutcomeSuccess
		ev.NHSNumber, ev.Reason = c.NHSNumber, strings.TrimSpace(s.Note)
		ev.Detail = map[string]string{"case": strconv.FormatInt(caseSeq, 10), "state": string(n.State)}
		if s.ActionTaken != "" {
			ev.Detail["action_taken"] = strings.TrimSpace(s.ActionTaken)
		}
		if s.EscalatedTo != "" {
			ev.Detail["escalated_to"] = strings.TrimSpace(s.EscalatedTo)
		}
		entry, err = db.appendTx(wctx, tx, ev)
		if err != nil {
			return err
		}
		n.Steps[len(n.Steps)-1].Seq, n.Steps[len(n.Steps)-1].At = entry.Seq, entry.Time
		out = n
		return nil
	})
	if err != nil {
		return audit.Entry{}, governance.Case{}, err
	}
	return entry, out, nil
}

// ErrNoCase means no case exists for that entry.
var ErrNoCase = fmt.Errorf("%w: no case for that entry", ErrNotFound)

func caseRow(ctx context.Context, q querier, seq int64) (governance.Case, error) {
	var c governance.Case
	var tms int64
	var rules, state string
	err := q.QueryRowContext(ctx, `SELECT seq, time_ms, user_id, user_name, nhs_number, workstation, rules, state FROM gov_case WHERE seq = ?`, seq).
		Scan(&c.Seq, &tms, &c.Subject.UserID, &c.Subject.Name, &c.NHSNumber, &c.Workstation, &rules, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNoCase
	}
	if err != nil {
		return c, err
	}
	c.Time, c.State = time.UnixMilli(tms).UTC(), governance.State(state)
	for _, r := range strings.Split(rules, ",") {
		if r != "" {
			c.Hits = append(c.Hits, governance.Hit{Rule: governance.RuleID(r), Seq: c.Seq, Time: c.Time,
				UserID: c.Subject.UserID, UserName: c.Subject.Name, NHSNumber: c.NHSNumber, Workstation: c.Workstation})
		}
	}
	return c, nil
}

// caseFromLog is the case about entry seq as the log says it is: its subject (user, patient,
// workstation, time) from the flagged entry itself and its state from the step rows replayed,
// never from gov_case (a cache anyone with the file could edit); the cache gives only which
// rules raised it. The own-access rule is checked against this subject.
func caseFromLog(ctx context.Context, q querier, seq int64) (governance.Case, error) {
	c, err := caseRow(ctx, q, seq)
	if err != nil {
		return c, err
	}
	es, err := entries(ctx, q, []int64{seq})
	if err != nil {
		return c, err
	}
	if len(es) == 0 {
		return c, ErrNoCase
	}
	e := es[0]
	c.Subject = governance.Person{UserID: e.UserID, Name: e.UserName}
	c.NHSNumber, c.Workstation, c.Time = e.NHSNumber, e.Workstation, e.Time.UTC()
	for i := range c.Hits {
		c.Hits[i].Time, c.Hits[i].UserID, c.Hits[i].UserName = c.Time, e.UserID, e.UserName
		c.Hits[i].NHSNumber, c.Hits[i].Workstation = e.NHSNumber, e.Workstation
	}
	steps, err := logSteps(ctx, q)
	if err != nil {
		return c, err
	}
	c.State, c.Steps = governance.StateNew, nil
	c, _ = governance.Replay(c, steps[seq])
	return c, nil
}

// logSteps reads every case step in the log (by the action index), by case.
func logSteps(ctx context.Context, q querier) (map[int64][]governance.Step, error) {
	acts := make([]any, 0, len(stepActions))
	for _, a := range stepActions {
		acts = append(acts, string(a))
	}
	rows, err := q.QueryContext(ctx, selectStored+` WHERE action IN (?,?,?,?,?) ORDER BY seq`, acts...)
	if err != nil {
		return nil, fmt.Errorf("read the case steps: %w", err)
	}
	defer rows.Close()
	out := map[int64][]governance.Step{}
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil && e.Seq == 0 {
			return nil, err
		}
		if cs, st, ok := StepOf(e); ok {
			out[cs] = append(out[cs], st)
		}
	}
	return out, rows.Err()
}

// Case returns the case about entry seq with each rule's evidence and every step recorded:
// its subject and state from the log (caseFromLog), so a report built on it (the SAR's review
// outcome) never reads the cache's state.
func (db *DB) Case(ctx context.Context, seq int64) (governance.Case, error) {
	c, err := caseFromLog(ctx, db.sql, seq)
	if err != nil {
		return c, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT rule, evidence, related FROM rule_hit WHERE seq = ?`, seq)
	if err != nil {
		return c, err
	}
	ev := map[string][2]string{}
	for rows.Next() {
		var r, e, rel string
		if err := rows.Scan(&r, &e, &rel); err != nil {
			rows.Close()
			return c, err
		}
		ev[r] = [2]string{e, rel}
	}
	rows.Close()
	for i := range c.Hits {
		x := ev[string(c.Hits[i].Rule)]
		c.Hits[i].Evidence = x[0]
		for _, s := range strings.Split(x[1], ",") {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				c.Hits[i].Related = append(c.Hits[i].Related, n)
			}
		}
	}
	return c, nil
}

// CaseFilter selects cases for the queue. Zero fields do not filter.
type CaseFilter struct {
	State       governance.State
	OpenOnly    bool // new or in review
	Rule        governance.RuleID
	UserID      string
	NHSNumber   string
	Workstation string
	From, To    time.Time
}

// CaseCursor is where a page of cases ended: risk then sequence number, both descending.
type CaseCursor struct {
	Risk int
	Seq  int64
	Done bool
}

func (f CaseFilter) where() (string, string, []any) {
	var conds []string
	var args []any
	index := "gov_case_queue"
	switch {
	case f.NHSNumber != "":
		index = "gov_case_patient"
	case f.UserID != "":
		index = "gov_case_user"
	case f.State != "":
		index = "gov_case_state"
	}
	add := func(c string, a ...any) { conds = append(conds, c); args = append(args, a...) }
	if f.NHSNumber != "" {
		add("nhs_number = ?", f.NHSNumber)
	}
	if f.UserID != "" {
		add("user_id = ?", f.UserID)
	}
	if f.State != "" {
		add("state = ?", string(f.State))
	}
	if f.OpenOnly {
		add("state IN ('new', 'in-review')")
	}
	if f.Rule != "" {
		add("instr(',' || rules || ',', ?) > 0", ","+string(f.Rule)+",")
	}
	if f.Workstation != "" {
		add("workstation = ?", f.Workstation)
	}
	if !f.From.IsZero() {
		add("time_ms >= ?", f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		add("time_ms < ?", f.To.UnixMilli())
	}
	return index, strings.Join(conds, " AND "), args
}

// Cases returns up to limit cases matching f, highest risk first then newest, after the cursor
// (paged by key, never by OFFSET). Hits carry their rules only; Case gives the evidence.
func (db *DB) Cases(ctx context.Context, f CaseFilter, after CaseCursor, limit int) ([]governance.Case, CaseCursor, error) {
	if after.Done {
		return nil, after, nil
	}
	if limit <= 0 || limit > MaxPage {
		limit = MaxPage
	}
	index, where, args := f.where()
	if after.Seq > 0 {
		if where != "" {
			where += " AND "
		}
		where += "(risk < ? OR (risk = ? AND seq < ?))"
		args = append(args, after.Risk, after.Risk, after.Seq)
	}
	q := `SELECT seq FROM gov_case INDEXED BY ` + index
	if where != "" {
		q += " WHERE " + where
	}
	q += " ORDER BY risk DESC, seq DESC LIMIT ?"
	rows, err := db.sql.QueryContext(ctx, q, append(args, limit+1)...)
	if err != nil {
		return nil, after, fmt.Errorf("query cases: %w", err)
	}
	var seqs []int64
	for rows.Next() {
		var s int64
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return nil, after, err
		}
		seqs = append(seqs, s)
	}
	rows.Close()
	done := len(seqs) <= limit
	if !done {
		seqs = seqs[:limit]
	}
	out := make([]governance.Case, 0, len(seqs))
	for _, s := range seqs {
		c, err := caseRow(ctx, db.sql, s)
		if err != nil {
			return nil, after, err
		}
		out = append(out, c)
	}
	next := CaseCursor{Done: done}
	if len(out) > 0 {
		l := out[len(out)-1]
		next.Risk, next.Seq = l.Risk(), l.Seq
	}
	return out, next, nil
}

// CaseCount counts the cases matching f.
func (db *DB) CaseCount(ctx context.Context, f CaseFilter) (int64, error) {
	if states, ok := f.statesOnly(); ok {
		// Only the state is asked: the counts the triggers keep (migration 7), not a scan.
		q := `SELECT COALESCE(SUM(n), 0) FROM gov_case_count WHERE state IN (?` + strings.Repeat(",?", len(states)-1) + `)`
		args := make([]any, len(states))
		for i, s := range states {
			args[i] = s
		}
		var n int64
		err := db.sql.QueryRowContext(ctx, q, args...).Scan(&n)
		return n, err
	}
	index, where, args := f.where()
	q := `SELECT count(*) FROM gov_case INDEXED BY ` + index
	if where != "" {
		q += " WHERE " + where
	}
	var n int64
	err := db.sql.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, err
}

// CaseCountUpTo counts the cases matching f up to limit: the queue says "more than limit"
// rather than count a filter's every case (86 ms for one user's emergency cases at ten million
// rows). more is true when there are more than limit.
func (db *DB) CaseCountUpTo(ctx context.Context, f CaseFilter, limit int64) (n int64, more bool, err error) {
	if _, ok := f.statesOnly(); ok {
		n, err = db.CaseCount(ctx, f) // the kept counts: exact and at once
		return min(n, limit), n > limit, err
	}
	index, where, args := f.where()
	q := `SELECT 1 FROM gov_case INDEXED BY ` + index
	if where != "" {
		q += " WHERE " + where
	}
	err = db.sql.QueryRowContext(ctx, `SELECT count(*) FROM (`+q+` LIMIT ?)`, append(args, limit+1)...).Scan(&n)
	return min(n, limit), n > limit, err
}

// statesOnly reports whether f asks for nothing but a state (or the open ones), and which.
func (f CaseFilter) statesOnly() ([]string, bool) {
	g := f
	g.State, g.OpenOnly = "", false
	if !reflect.ValueOf(g).IsZero() {
		return nil, false
	}
	switch {
	case f.State != "" && f.OpenOnly:
		if !f.State.Open() {
			return []string{""}, true // no case is both: count none
		}
		return []string{string(f.State)}, true
	case f.State != "":
		return []string{string(f.State)}, true
	case f.OpenOnly:
		return []string{string(governance.StateNew), string(governance.StateInReview)}, true
	}
	return nil, false
}

// Coverage measures review coverage at now over every case whose entry is at or after from,
// each by the SOP in force when it was recorded (tl) and the sample's seed: what Home shows.
// The cases are counted inside SQLite, one sqlite3_step for the whole range (scrdesk_coverage,
// an aggregate written in Go, as the chain walk is), over the gov_case_coverage index: reading
// them through database/sql took 200 ms for the 57,000 cases of four weeks at ten million rows.
func (db *DB) Coverage(ctx context.Context, from time.Time, tl governance.Timeline, seed uint64, now time.Time) (governance.Coverage, error) {
	st := &coverageState{tl: tl, seed: seed, now: now}
	h := coverageHandle.Add(1)
	coverages.Store(h, st)
	defer coverages.Delete(h)
	var ignored any
	err := db.sql.QueryRowContext(ctx, `SELECT scrdesk_coverage(?, seq, time_ms, rules, state)
		FROM gov_case INDEXED BY gov_case_coverage WHERE time_ms >= ?`, h, from.UnixMilli()).Scan(&ignored)
	if err != nil {
		return governance.Coverage{}, fmt.Errorf("measure review coverage: %w", err)
	}
	return st.cv, nil
}

func init() {
	sqlite.MustRegisterFunction("scrdesk_coverage", &sqlite.FunctionImpl{
		NArgs:         5,
		VolatileArgs:  true, // rules and state are read during Step only
		MakeAggregate: func(sqlite.FunctionContext) (sqlite.AggregateFunction, error) { return &coverageAgg{}, nil },
	})
}

var (
	coverages      sync.Map // handle (int64) -> *coverageState
	coverageHandle atomic.Int64
)

type coverageState struct {
	tl   governance.Timeline
	seed uint64
	now  time.Time
	cv   governance.Coverage
	c    governance.Case // reused for every row: its Hits keep their backing array
}

type coverageAgg struct{ st *coverageState }

func (a *coverageAgg) Step(_ *sqlite.FunctionContext, args []driver.Value) error {
	if a.st == nil {
		h, _ := args[0].(int64)
		v, ok := coverages.Load(h)
		if !ok {
			return errors.New("scrdesk: unknown coverage measure")
		}
		a.st = v.(*coverageState)
	}
	st := a.st
	c := &st.c
	c.Seq, _ = args[1].(int64)
	tms, _ := args[2].(int64)
	c.Time = time.UnixMilli(tms).UTC()
	rules, state := argText(args[3]), argText(args[4])
	c.State = governance.State(state) // compared only, within this Step
	c.Hits = c.Hits[:0]
	for rules != "" {
		r, rest, _ := strings.Cut(rules, ",")
		if r != "" {
			c.Hits = append(c.Hits, governance.Hit{Rule: governance.RuleID(r), Seq: c.Seq})
		}
		rules = rest
	}
	st.tl.Count(&st.cv, st.seed, *c, st.now)
	return nil
}

// argText is a TEXT argument as a string (a zero-copy view with VolatileArgs: use it within
// the call only).
func argText(v driver.Value) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return ""
}

func (a *coverageAgg) WindowInverse(*sqlite.FunctionContext, []driver.Value) error {
	return errors.New("scrdesk_coverage is not a window function")
}

func (a *coverageAgg) WindowValue(*sqlite.FunctionContext) (driver.Value, error) {
	if a.st == nil {
		return int64(0), nil
	}
	return int64(a.st.cv.Cases), nil
}
func (a *coverageAgg) Final(*sqlite.FunctionContext) {}

// CasesSince returns every case whose entry is at or after from, with only what coverage is
// measured by (its entry's sequence number and time, its rules and its state: no subject, no
// evidence), in one query over one index (gov_case_coverage).
func (db *DB) CasesSince(ctx context.Context, from time.Time) ([]governance.Case, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT seq, time_ms, rules, state
		FROM gov_case INDEXED BY gov_case_coverage WHERE time_ms >= ? ORDER BY time_ms`, from.UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []governance.Case
	for rows.Next() {
		var c governance.Case
		var tms int64
		var rules, state string
		if err := rows.Scan(&c.Seq, &tms, &rules, &state); err != nil {
			return nil, err
		}
		c.Time, c.State = time.UnixMilli(tms).UTC(), governance.State(state)
		for _, r := range strings.Split(rules, ",") {
			if r != "" {
				c.Hits = append(c.Hits, governance.Hit{Rule: governance.RuleID(r), Seq: c.Seq})
			}
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SampleSeed returns the review sample's seed: the newest review-sample-seed row's, or a new
// random seed recorded now as who (so an inspector can see the sample was not cherry-picked).
func (db *DB) SampleSeed(ctx context.Context, who audit.Event) (uint64, error) {
	es, _, err := db.Query(ctx, audit.Filter{Action: audit.ActionSampleSeed, Outcome: audit.OutcomeSuccess}, audit.Cursor{}, 1)
	if err != nil {
		return 0, err
	}
	if len(es) == 1 {
		if v, err := strconv.ParseUint(es[0].Detail["seed"], 10, 64); err == nil {
			return v, nil
		}
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, err
	}
	seed := binary.BigEndian.Uint64(b[:])
	ev := who
	ev.Action, ev.Outcome = audit.ActionSampleSeed, audit.OutcomeSuccess
	ev.Detail = map[string]string{"seed": strconv.FormatUint(seed, 10)}
	if _, err := db.Record(ctx, ev); err != nil {
		return 0, err
	}
	return seed, nil
}

// RebuildGovernance empties the rule hits and cases and rebuilds them from the log alone with
// cfg: the rules over every row, the case rows replayed.
func (db *DB) RebuildGovernance(ctx context.Context, cfg governance.Config, progress Progress) error {
	db.mu.Lock()
	db.rules = nil
	_, err := db.sql.ExecContext(ctx, `DELETE FROM rule_hit; DELETE FROM gov_case; DELETE FROM gov_step; DELETE FROM gov_case_count;
		DELETE FROM meta WHERE key = '`+metaRulesChecked+`'`)
	db.mu.Unlock()
	if err != nil {
		return fmt.Errorf("empty the rule hits: %w", err)
	}
	return db.EnableRules(ctx, cfg, progress)
}

// AppendBatch appends entries (their events, at their times) in one transaction, each through
// the same chain and rules as Record. For the demo's synthetic log and for tests: real rows are
// recorded one by one with Record, at the clock's time. A time before the newest row's is kept
// and flagged as Record keeps a clock that stepped back.
func (db *DB) AppendBatch(ctx context.Context, es []audit.Entry) error {
	wctx := context.WithoutCancel(ctx)
	return db.write(wctx, func(tx *sql.Tx) error {
		for _, e := range es {
			if _, err := db.appendAtTx(wctx, tx, e.Event, e.Time, false); err != nil {
				return err
			}
		}
		return nil
	})
}
