package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"

	"scrdesk/internal/audit"
)

// MaxPage bounds the limit of one Query page.
const MaxPage = 1000

// plan is the SQL chosen for one filter: one or more index-backed branches that each yield
// matching sequence numbers in seq order between lo and hi (and, when the log's times do not
// follow its sequence, within the filter's time range).
type plan struct {
	branches []branch
	lo, hi   int64 // inclusive seq range; lo > hi means nothing matches
}

type branch struct {
	sql  string // "SELECT seq FROM audit_event INDEXED BY ... WHERE ... " (no ORDER BY/LIMIT)
	args []any
}

// seqRange turns the filter's time range into a sequence range. While no row's time is behind
// the row before it (the audit_clock_behind index is empty), times follow the sequence and the
// rows in [From, To) are exactly those between the first row at or after From and the last row
// before To, both found with the time index: exact. Otherwise the range is from the lowest
// sequence number at or after From to the highest before To, which holds every row in the time
// range but not only those: not exact, and each row's time must be checked too (planFor).
func seqRange(ctx context.Context, q querier, f audit.Filter) (lo, hi int64, exact bool, err error) {
	lo, hi = int64(1), int64(math.MaxInt64)
	if f.From.IsZero() && f.To.IsZero() {
		return lo, hi, true, nil
	}
	var stepped bool
	if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM audit_event INDEXED BY audit_clock_behind
		WHERE json_extract(body, '$.d.clock_behind_ms') IS NOT NULL)`).Scan(&stepped); err != nil {
		return 0, 0, false, fmt.Errorf("time range: %w", err)
	}
	if stepped {
		return seqSpan(ctx, q, f)
	}
	if !f.From.IsZero() {
		err := q.QueryRowContext(ctx, `SELECT seq FROM audit_event INDEXED BY audit_by_time
			WHERE time_ms >= ? ORDER BY time_ms, seq LIMIT 1`, f.From.UnixMilli()).Scan(&lo)
		if errors.Is(err, sql.ErrNoRows) {
			return 1, 0, true, nil
		}
		if err != nil {
			return 0, 0, false, fmt.Errorf("time range: %w", err)
		}
	}
	if !f.To.IsZero() {
		err := q.QueryRowContext(ctx, `SELECT seq FROM audit_event INDEXED BY audit_by_time
			WHERE time_ms < ? ORDER BY time_ms DESC, seq DESC LIMIT 1`, f.To.UnixMilli()).Scan(&hi)
		if errors.Is(err, sql.ErrNoRows) {
			return 1, 0, true, nil
		}
		if err != nil {
			return 0, 0, false, fmt.Errorf("time range: %w", err)
		}
	}
	return lo, hi, true, nil
}

// seqSpan is seqRange for a log whose times do not follow its sequence: the lowest sequence
// number at or after From and the highest before To (not exact).
func seqSpan(ctx context.Context, q querier, f audit.Filter) (int64, int64, bool, error) {
	lo, hi := int64(1), int64(math.MaxInt64)
	var n sql.NullInt64
	if !f.From.IsZero() {
		if err := q.QueryRowContext(ctx, `SELECT min(seq) FROM audit_event INDEXED BY audit_by_time WHERE time_ms >= ?`,
			f.From.UnixMilli()).Scan(&n); err != nil {
			return 0, 0, false, fmt.Errorf("time range: %w", err)
		}
		if !n.Valid {
			return 1, 0, false, nil
		}
		lo = n.Int64
	}
	if !f.To.IsZero() {
		if err := q.QueryRowContext(ctx, `SELECT max(seq) FROM audit_event INDEXED BY audit_by_time WHERE time_ms < ?`,
			f.To.UnixMilli()).Scan(&n); err != nil {
			return 0, 0, false, fmt.Errorf("time range: %w", err)
		}
		if !n.Valid {
			return 1, 0, false, nil
		}
		hi = n.Int64
	}
	return lo, hi, false, nil
}

// planFor picks the index for f: the patient's NHS number first (Subject Access Request),
// then the user, then action and outcome, else the sequence number itself. The other filters
// are checked on the rows the index yields. An action without an outcome (or the reverse)
// becomes one branch per outcome (per action) on the (action, outcome, seq) index, merged.
// When the time range is not exact (seqRange), each row's time is checked too.
func planFor(f audit.Filter, exact bool) plan {
	var extra []string
	var extraArgs []any
	if !exact && !f.From.IsZero() {
		extra, extraArgs = append(extra, "time_ms >= ?"), append(extraArgs, f.From.UnixMilli())
	}
	if !exact && !f.To.IsZero() {
		extra, extraArgs = append(extra, "time_ms < ?"), append(extraArgs, f.To.UnixMilli())
	}
	cond := func(col string, v string) {
		extra = append(extra, col+" = ?")
		extraArgs = append(extraArgs, v)
	}
	mk := func(index string, conds []string, args []any) branch {
		all := append(append([]string{}, conds...), "seq BETWEEN ? AND ?")
		all = append(all, extra...)
		return branch{
			sql:  "SELECT seq FROM audit_event INDEXED BY " + index + " WHERE " + strings.Join(all, " AND "),
			args: append(append([]any{}, args...), extraArgs...), // lo, hi inserted by caller
		}
	}
	switch {
	case f.NHSNumber != "":
		if f.UserID != "" {
			cond("user_id", f.UserID)
		}
		if f.Action != "" {
			cond("action", string(f.Action))
		}
		if f.Outcome != "" {
			cond("outcome", string(f.Outcome))
		}
		return plan{branches: []branch{mk("audit_by_patient", []string{"nhs_number = ?", "nhs_number <> ''"}, []any{f.NHSNumber})}}
	case f.UserID != "":
		if f.Action != "" {
			cond("action", string(f.Action))
		}
		if f.Outcome != "" {
			cond("outcome", string(f.Outcome))
		}
		return plan{branches: []branch{mk("audit_by_user", []string{"user_id = ?"}, []any{f.UserID})}}
	case f.Action != "" || f.Outcome != "":
		acts := []audit.Action{f.Action}
		if f.Action == "" {
			acts = audit.Actions()
		}
		outs := []audit.Outcome{f.Outcome}
		if f.Outcome == "" {
			outs = audit.Outcomes()
		}
		var p plan
		for _, a := range acts {
			for _, o := range outs {
				p.branches = append(p.branches, mk("audit_by_action",
					[]string{"action = ?", "outcome = ?"}, []any{string(a), string(o)}))
			}
		}
		return p
	}
	all := append([]string{"seq BETWEEN ? AND ?"}, extra...) // the time checks, if any (the others set no filter)
	return plan{branches: []branch{{sql: "SELECT seq FROM audit_event WHERE " + strings.Join(all, " AND "), args: extraArgs}}}
}

// branchArgs puts lo and hi after the index's equality arguments.
func (b branch) argsWith(lo, hi int64) []any {
	n := strings.Count(b.sql[:strings.Index(b.sql, "seq BETWEEN")], "?")
	out := make([]any, 0, len(b.args)+2)
	out = append(out, b.args[:n]...)
	out = append(out, lo, hi)
	return append(out, b.args[n:]...)
}

// pageSQL builds the query for one page of sequence numbers.
func (p plan) pageSQL(desc bool, lo, hi int64, limit int) (string, []any) {
	order := "ASC"
	if desc {
		order = "DESC"
	}
	var parts []string
	var args []any
	for _, b := range p.branches {
		if len(p.branches) == 1 {
			parts = append(parts, b.sql+" ORDER BY seq "+order+" LIMIT ?")
		} else {
			parts = append(parts, "SELECT seq FROM ("+b.sql+" ORDER BY seq "+order+" LIMIT ?)")
		}
		args = append(append(args, b.argsWith(lo, hi)...), limit)
	}
	if len(parts) == 1 {
		return parts[0], args
	}
	return strings.Join(parts, " UNION ALL ") + " ORDER BY seq " + order + " LIMIT ?", append(args, limit)
}

// seqPage returns up to limit matching sequence numbers, newest first when desc, strictly
// below before (desc) or strictly above after (asc).
func (db *DB) seqPage(ctx context.Context, q querier, f audit.Filter, desc bool, bound int64, limit int) ([]int64, error) {
	lo, hi, exact, err := seqRange(ctx, q, f)
	if err != nil {
		return nil, err
	}
	if desc && bound > 0 {
		hi = min(hi, bound-1)
	}
	if !desc && bound > 0 {
		lo = max(lo, bound+1)
	}
	if lo > hi {
		return nil, nil
	}
	query, args := planFor(f, exact).pageSQL(desc, lo, hi, limit)
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query audit log: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var s int64
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("query audit log: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// entries fetches the rows for seqs, in the given order.
func entries(ctx context.Context, q querier, seqs []int64) ([]audit.Entry, error) {
	if len(seqs) == 0 {
		return nil, nil
	}
	ph := strings.Repeat("?,", len(seqs))
	args := make([]any, len(seqs))
	for i, s := range seqs {
		args[i] = s
	}
	rows, err := q.QueryContext(ctx, selectStored+" WHERE seq IN ("+ph[:len(ph)-1]+")", args...)
	if err != nil {
		return nil, fmt.Errorf("read audit rows: %w", err)
	}
	defer rows.Close()
	byseq := make(map[int64]audit.Entry, len(seqs))
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil && e.Seq == 0 {
			return nil, fmt.Errorf("read audit row: %w", err)
		}
		byseq[e.Seq] = e // a damaged body shows what could be read; Verify says more
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]audit.Entry, 0, len(seqs))
	for _, s := range seqs {
		if e, ok := byseq[s]; ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// Query returns up to limit entries matching f, newest first, starting after the cursor (the
// zero Cursor starts at the newest). Pass the returned cursor back for the next page; it is
// Done when there are no more. Each filter is served by an index and paged by sequence number,
// never by OFFSET, so every page costs about the same.
func (db *DB) Query(ctx context.Context, f audit.Filter, after audit.Cursor, limit int) ([]audit.Entry, audit.Cursor, error) {
	if after.Done {
		return nil, after, nil
	}
	if limit <= 0 || limit > MaxPage {
		limit = MaxPage
	}
	seqs, err := db.seqPage(ctx, db.sql, f, true, after.Before, limit+1)
	if err != nil {
		return nil, after, err
	}
	done := len(seqs) <= limit
	if !done {
		seqs = seqs[:limit]
	}
	es, err := entries(ctx, db.sql, seqs)
	if err != nil {
		return nil, after, err
	}
	if err := recheck(f, es); err != nil {
		return nil, after, err
	}
	next := audit.Cursor{Done: done}
	if len(seqs) > 0 {
		next.Before = seqs[len(seqs)-1]
	}
	return es, next, nil
}

// Each calls fn for every entry matching f, oldest first, reading a page at a time (so memory
// stays flat however many rows match). It stops at fn's first error and returns it.
func (db *DB) Each(ctx context.Context, f audit.Filter, fn func(audit.Entry) error) error {
	const page = 500
	var after int64
	for {
		seqs, err := db.seqPage(ctx, db.sql, f, false, after, page)
		if err != nil {
			return err
		}
		es, err := entries(ctx, db.sql, seqs)
		if err != nil {
			return err
		}
		if err := recheck(f, es); err != nil {
			return err
		}
		for _, e := range es {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(seqs) < page {
			return nil
		}
		after = seqs[len(seqs)-1]
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// recheck checks each decoded (MAC-covered) body against the filter the index answered: an
// index rebuilt over another expression cannot add a row to an export or a Subject Access
// Request without it being refused.
func recheck(f audit.Filter, es []audit.Entry) error {
	for _, e := range es {
		if !f.Matches(e) {
			return fmt.Errorf("%w: entry %d", ErrIndexMismatch, e.Seq)
		}
	}
	return nil
}

// Count returns how many entries match f.
func (db *DB) Count(ctx context.Context, f audit.Filter) (int64, error) {
	lo, hi, exact, err := seqRange(ctx, db.sql, f)
	if err != nil {
		return 0, err
	}
	if lo > hi {
		return 0, nil
	}
	var total int64
	for _, b := range planFor(f, exact).branches {
		var n int64
		q := "SELECT count(*) FROM (" + b.sql + ")"
		if err := db.sql.QueryRowContext(ctx, q, b.argsWith(lo, hi)...).Scan(&n); err != nil {
			return 0, fmt.Errorf("count audit rows: %w", err)
		}
		total += n
	}
	return total, nil
}

// Entry returns the entry with sequence number seq, or ErrNotFound.
func (db *DB) Entry(ctx context.Context, seq int64) (audit.Entry, error) {
	es, err := entries(ctx, db.sql, []int64{seq})
	if err != nil {
		return audit.Entry{}, err
	}
	if len(es) == 0 {
		return audit.Entry{}, ErrNotFound
	}
	return es[0], nil
}

// Stats summarises the log for `scrdesk audit stats`.
type Stats struct {
	Rows          int64
	First, Last   audit.Entry // zero when the log is empty
	ByAction      map[audit.Action]int64
	FileBytes     int64 // database file plus WAL
	SchemaVersion int
	WeakKey       bool
}

// Stats counts rows by action and reads the first and last rows and the file size.
func (db *DB) Stats(ctx context.Context) (Stats, error) {
	st := Stats{ByAction: map[audit.Action]int64{}, WeakKey: db.opts.WeakKey}
	v, err := schemaVersion(ctx, db.sql)
	if err != nil {
		return st, err
	}
	st.SchemaVersion = v
	last, _, err := lastRow(ctx, db.sql)
	if err != nil {
		return st, err
	}
	if last > 0 {
		var first int64
		if err := db.sql.QueryRowContext(ctx, `SELECT min(seq) FROM audit_event`).Scan(&first); err != nil {
			return st, err
		}
		es, err := entries(ctx, db.sql, []int64{first, last})
		if err != nil {
			return st, err
		}
		if len(es) > 0 {
			st.First, st.Last = es[0], es[len(es)-1]
		}
	}
	// One seek per (action, outcome) pair on the action index, rather than a GROUP BY scan.
	for _, a := range audit.Actions() {
		n, err := db.Count(ctx, audit.Filter{Action: a})
		if err != nil {
			return st, err
		}
		if n > 0 {
			st.ByAction[a] = n
		}
	}
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM audit_event`).Scan(&st.Rows); err != nil {
		return st, err
	}
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := statFile(db.path + suffix); err == nil {
			st.FileBytes += fi
		}
	}
	return st, nil
}
