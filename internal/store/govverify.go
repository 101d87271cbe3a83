package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"scrdesk/internal/audit"
	"scrdesk/internal/governance"
)

// govFindings checks the SGP's review cases (gov_case, gov_step, rule_hit and the rules' checked
// mark: caches anyone with the file could edit) against the log, which the chain protects:
// the checked mark must not be beyond the log's end; each case's subject must be its flagged
// entry's; each case's state and steps must be its step rows replayed; a case with step rows
// must not be missing; and, when the rules are on (they have caught up with every row), every hit the
// rules raise over the log again must be stored. It returns the findings and whether the
// cache must be rebuilt.
func (db *DB) govFindings(ctx context.Context, last int64) ([]audit.Finding, bool, error) {
	var out []audit.Finding
	add := func(row int64, what string) {
		out = append(out, audit.Finding{Kind: audit.KindCasesChanged, Severity: audit.SeverityError, Row: row, Object: "review cases",
			What: "The review cases were changed outside SCR Desk: " + what + ".", Do: audit.DoCases})
	}
	// One snapshot of the log and the caches (WAL: writers carry on). With the rules on, every
	// row up to last has been checked in its own transaction; with them off (or still catching
	// up) only the rows up to the checked mark have, so only those steps are compared.
	db.mu.Lock()
	eng := db.rules
	db.mu.Unlock()
	tx, err := db.sql.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, false, err
	}
	defer tx.Rollback()
	var checked int64
	if v, ok, err := metaGet(ctx, tx, metaRulesChecked); err == nil && ok {
		checked, err = strconv.ParseInt(v, 10, 64)
		if err != nil {
			add(0, "the rules' progress mark cannot be read")
		}
	} else if err != nil {
		add(0, "the rules' progress mark cannot be read")
	}
	if checked > last {
		add(0, fmt.Sprintf("the rules are marked as having checked up to entry %s, but the log ends at entry %s, so new entries would be skipped",
			audit.Group(checked), audit.Group(last)))
	}
	bound := last
	if eng == nil {
		bound = min(checked, last)
	}
	cachedSteps := map[int64]map[int64]bool{}
	srows, err := tx.QueryContext(ctx, `SELECT case_seq, audit_seq FROM gov_step WHERE audit_seq <= ?`, bound)
	if err != nil {
		return nil, false, err
	}
	for srows.Next() {
		var cs, as int64
		if err := srows.Scan(&cs, &as); err != nil {
			srows.Close()
			return nil, false, err
		}
		if cachedSteps[cs] == nil {
			cachedSteps[cs] = map[int64]bool{}
		}
		cachedSteps[cs][as] = true
	}
	srows.Close()
	steps, err := logSteps(ctx, tx)
	if err != nil {
		return nil, false, err
	}
	// Cases about entries outside 1..last that the log does not hold (the pages below read only
	// 1..last; an entry appended since last was counted, with its case, is not one).
	orows, err := tx.QueryContext(ctx, `SELECT seq FROM gov_case WHERE (seq < 1 OR seq > ?)
		AND NOT EXISTS (SELECT 1 FROM audit_event a WHERE a.seq = gov_case.seq) ORDER BY seq LIMIT 100`, last)
	if err != nil {
		return nil, false, err
	}
	for orows.Next() {
		var s int64
		if err := orows.Scan(&s); err != nil {
			orows.Close()
			return nil, false, err
		}
		add(s, fmt.Sprintf("there is a case about entry %s, which is not in the log", audit.Group(s)))
	}
	orows.Close()
	if err := orows.Err(); err != nil {
		return nil, false, err
	}
	// The cases a page at a time, in sequence order, each page with its entries: a log of 10
	// million rows holds over a million cases, and holding them all with their entries (as this
	// once did) took gigabytes and half a minute.
	for after := int64(0); ; {
		page, err := govCasePage(ctx, tx, after, last, govPageRows)
		if err != nil {
			return nil, false, err
		}
		if len(page) == 0 {
			break
		}
		after = page[len(page)-1].seq
		seqs := make([]int64, len(page))
		for i, c := range page {
			seqs[i] = c.seq
		}
		es, err := entries(ctx, tx, seqs)
		if err != nil {
			return nil, false, err
		}
		ents := make(map[int64]audit.Entry, len(es))
		for _, e := range es {
			ents[e.Seq] = e
		}
		for _, c := range page {
			s := c.seq
			e, ok := ents[s]
			if !ok {
				add(s, fmt.Sprintf("there is a case about entry %s, which is not in the log", audit.Group(s)))
				continue
			}
			if c.uid != e.UserID || c.uname != e.UserName || c.nhs != e.NHSNumber || c.ws != e.Workstation || c.tms != e.Time.UnixMilli() {
				add(s, fmt.Sprintf("the case about entry %s names a different person, patient, workstation or time from the entry itself", audit.Group(s)))
			}
			if len(steps[s]) > 0 && steps[s][len(steps[s])-1].Seq > bound {
				continue // steps the rules have not replayed yet (they are catching up)
			}
			k, _ := governance.Replay(governance.Case{Seq: s, Subject: governance.Person{UserID: e.UserID, Name: e.UserName}, State: governance.StateNew}, steps[s])
			if string(k.State) != c.state {
				add(s, fmt.Sprintf("the case about entry %s is shown as %q, but its review entries say %q", audit.Group(s),
					governance.State(c.state).Label(), k.State.Label()))
			}
			want := map[int64]bool{}
			for _, st := range k.Steps {
				want[st.Seq] = true
			}
			if !sameSet(want, cachedSteps[s]) {
				add(s, fmt.Sprintf("the review steps listed for the case about entry %s differ from its review entries in the log", audit.Group(s)))
			}
		}
	}
	if differ, err := caseCountsDiffer(ctx, tx); err != nil {
		return nil, false, err
	} else if differ {
		add(0, "the number of cases in each state, as Home shows it, differs from the cases themselves")
	}
	if eng != nil {
		// With the rules on, every entry the rules raise again must have its case (a case
		// deleted, or rows skipped by a checked mark pushed ahead, shows here).
		missing, err := missingHits(ctx, tx, last)
		if err != nil {
			return nil, false, err
		}
		for _, m := range missing {
			add(m, fmt.Sprintf("entry %s is flagged by the rules but has no case", audit.Group(m)))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Row < out[j].Row })
	return out, len(out) > 0, nil
}

// govCached is one gov_case row as stored.
type govCached struct {
	seq                               int64
	uid, uname, nhs, ws, rules, state string
	tms                               int64
}

// govPageRows is how many cases Verify holds at once (a variable for tests).
var govPageRows = 2000

// govCasePage reads up to n gov_case rows after seq after, up to seq last, in sequence order.
func govCasePage(ctx context.Context, q querier, after, last int64, n int) ([]govCached, error) {
	rows, err := q.QueryContext(ctx, `SELECT seq, time_ms, user_id, user_name, nhs_number, workstation, rules, state FROM gov_case
		WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`, after, last, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []govCached
	for rows.Next() {
		var c govCached
		if err := rows.Scan(&c.seq, &c.tms, &c.uid, &c.uname, &c.nhs, &c.ws, &c.rules, &c.state); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// caseCursor walks the gov_case rows in sequence order, a page at a time, for a reader that
// asks for ever larger sequence numbers (missingHits, merging them with the log).
type caseCursor struct {
	ctx       context.Context
	q         querier
	last      int64
	page      []govCached
	i         int
	after     int64
	exhausted bool
}

// at returns the case about entry seq, if there is one. Calls must ask for increasing seq.
func (c *caseCursor) at(seq int64) (govCached, bool, error) {
	for {
		for c.i < len(c.page) && c.page[c.i].seq < seq {
			c.i++
		}
		if c.i < len(c.page) {
			return c.page[c.i], c.page[c.i].seq == seq, nil
		}
		if c.exhausted {
			return govCached{}, false, nil
		}
		page, err := govCasePage(c.ctx, c.q, c.after, c.last, govPageRows)
		if err != nil {
			return govCached{}, false, err
		}
		c.page, c.i = page, 0
		if len(page) < govPageRows {
			c.exhausted = true
		}
		if len(page) > 0 {
			c.after = page[len(page)-1].seq
		}
	}
}

// missingHits runs a fresh engine over the log up to last, as the live rules ran (from
// governance.DefaultConfig, taking each governance-rules-set row's configuration as it passes
// it), and returns the entries it flags that have no case, or whose case lacks one of the
// rules now raised.
func missingHits(ctx context.Context, q querier, last int64) ([]int64, error) {
	eng := governance.NewEngine(governance.DefaultConfig())
	cases := &caseCursor{ctx: ctx, q: q, last: last}
	recorded := false // a governance-rules-set row, or a start that records them, has been passed
	// other: a start of another version of the rules (audit.DetailRulesEngine) has been passed
	// since the last start of this one. Those rows were judged by rules that may differ (a
	// window, a baseline), so their cases are kept as those rules raised them, not compared.
	other := false
	engine := strconv.Itoa(governance.EngineVersion)
	var out []int64
	for from := int64(1); from <= last; {
		rows, err := q.QueryContext(ctx, selectStored+` WHERE seq >= ? AND seq <= ? ORDER BY seq LIMIT 5000`, from, last)
		if err != nil {
			return nil, err
		}
		n := 0
		for rows.Next() {
			e, err := scanEntry(rows)
			if err != nil && e.Seq == 0 {
				rows.Close()
				return nil, err
			}
			n++
			from = e.Seq + 1
			hits := eng.Check(e)
			if e.Action == audit.ActionRulesSet || (e.Action == audit.ActionAppStart && e.Detail[audit.DetailRulesLogged] != "") {
				recorded = true
			}
			if e.Action == audit.ActionAppStart && e.Outcome == audit.OutcomeSuccess {
				other = e.Detail[audit.DetailRulesEngine] != engine
			}
			if !recorded {
				hits = settledHits(hits)
			}
			if other {
				continue
			}
			if len(hits) == 0 {
				continue
			}
			c, ok, err := cases.at(e.Seq)
			if err != nil {
				rows.Close()
				return nil, err
			}
			if !ok {
				out = append(out, e.Seq)
				continue
			}
			have := "," + c.rules + ","
			for _, h := range hits {
				if !strings.Contains(have, ","+string(h.Rule)+",") {
					out = append(out, e.Seq)
					break
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if n == 0 {
			break
		}
	}
	return out, nil
}

// settledHits drops, for the rows before the log's first governance-rules-set row (or
// application-start row marked audit.DetailRulesLogged), the hits of
// the out-of-hours rule: those rows were judged by the opening hours the settings held then,
// which logs of that age did not record, so re-judging them under the default hours would
// report cases "missing" that were never due, a false alarm of tampering. From the first
// governance-rules-set row on, the configuration in force is in the log and every rule is
// compared.
func settledHits(hits []governance.Hit) []governance.Hit {
	out := hits[:0:0]
	for _, h := range hits {
		if h.Rule != governance.RuleOutOfHours {
			out = append(out, h)
		}
	}
	return out
}

func sameSet(a, b map[int64]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// repairGovernance rebuilds the review cases from the log after govFindings found them
// changed: with the rules on, everything (RebuildGovernance with the rules' settings);
// otherwise each stored case's subject, state and steps from its entries, and the rules'
// checked mark brought back to the log's end.
func (db *DB) repairGovernance(ctx context.Context, last int64) error {
	db.mu.Lock()
	eng := db.rules
	var cfg governance.Config
	if eng != nil {
		cfg = eng.Config() // under db.mu: the writer changes it (SetConfig) as a rules-set row passes
	}
	db.mu.Unlock()
	if eng != nil {
		return db.RebuildGovernance(ctx, cfg, nil)
	}
	wctx := context.WithoutCancel(ctx)
	return db.write(wctx, func(tx *sql.Tx) error {
		steps, err := logSteps(wctx, tx)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(wctx, `SELECT seq FROM gov_case`)
		if err != nil {
			return err
		}
		var seqs []int64
		for rows.Next() {
			var s int64
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return err
			}
			seqs = append(seqs, s)
		}
		rows.Close()
		if _, err := tx.ExecContext(wctx, `DELETE FROM gov_step`); err != nil {
			return err
		}
		for _, s := range seqs {
			es, err := entries(wctx, tx, []int64{s})
			if err != nil {
				return err
			}
			if len(es) == 0 {
				if _, err := tx.ExecContext(wctx, `DELETE FROM gov_case WHERE seq = ?`, s); err != nil {
					return err
				}
				continue
			}
			e := es[0]
			k, _ := governance.Replay(governance.Case{Seq: s, Subject: governance.Person{UserID: e.UserID, Name: e.UserName}, State: governance.StateNew}, steps[s])
			var closed int64
			if at, ok := k.Closed(); ok {
				closed = at.UnixMilli()
			}
			if _, err := tx.ExecContext(wctx, `UPDATE gov_case SET time_ms = ?, user_id = ?, user_name = ?, nhs_number = ?, workstation = ?, state = ?, closed_ms = ? WHERE seq = ?`,
				e.Time.UnixMilli(), e.UserID, e.UserName, e.NHSNumber, e.Workstation, string(k.State), closed, s); err != nil {
				return err
			}
			for _, st := range k.Steps {
				if _, err := tx.ExecContext(wctx, `INSERT OR IGNORE INTO gov_step (case_seq, audit_seq) VALUES (?, ?)`, s, st.Seq); err != nil {
					return err
				}
			}
		}
		// The counts Home reads, from the cases as they now are.
		if _, err := tx.ExecContext(wctx, `DELETE FROM gov_case_count;
			INSERT INTO gov_case_count (state, n) SELECT state, count(*) FROM gov_case GROUP BY state`); err != nil {
			return err
		}
		_, err = tx.ExecContext(wctx, `UPDATE meta SET value = ? WHERE key = ? AND CAST(value AS INTEGER) > ?`, strconv.FormatInt(last, 10), metaRulesChecked, last)
		return err
	})
}

// caseCountsDiffer reports whether the counts of cases in each state that Home reads
// (gov_case_count, kept by triggers) differ from the cases themselves.
func caseCountsDiffer(ctx context.Context, q querier) (bool, error) {
	var n int64
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM (
		SELECT state, n FROM gov_case_count WHERE n != 0
		EXCEPT SELECT state, count(*) FROM gov_case GROUP BY state
		UNION ALL
		SELECT state, count(*) FROM gov_case GROUP BY state
		EXCEPT SELECT state, n FROM gov_case_count WHERE n != 0)`).Scan(&n)
	return n > 0, err
}
