package replica

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"scrdesk/internal/audit"
	"scrdesk/internal/governance"
)

// CentralLog is the SGP's read-only view of the whole pharmacy's log: every workstation with
// one ODS code. Queries use the central table's (ods_code, ...) indexes and are paged by key
// (time, log instance, seq), never by OFFSET. Not safe for concurrent use: one per goroutine.
type CentralLog struct {
	conn *pgx.Conn
	ods  string
}

// OpenCentral connects to the central database (a reading role, scrdesk_reader) for the
// pharmacy with ODS code ods.
func OpenCentral(ctx context.Context, dsn, password, ods string) (*CentralLog, error) {
	c, err := connectDSN(ctx, dsn, password)
	if err != nil {
		return nil, err
	}
	return &CentralLog{conn: c, ods: ods}, nil
}

// Close disconnects.
func (c *CentralLog) Close() error { return c.conn.Close(context.Background()) }

// CentralEntry is one row of the pharmacy-wide log: the log instance it came from and the entry
// decoded from its body (Seq is the row's number in that workstation's log).
type CentralEntry struct {
	Instance string
	audit.Entry
}

// CentralCursor marks where a page ended; the zero cursor starts at the newest entry.
type CentralCursor struct {
	TimeMS   int64
	Instance string
	Seq      int64
	Done     bool
}

// where builds the filter's conditions on the indexed columns; the decoded body is checked
// again with Filter.Matches, so an index (or a generated column) cannot add a row.
func (c *CentralLog) where(f audit.Filter) (string, []any) {
	conds := []string{"ods_code = $1"}
	args := []any{c.ods}
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.NHSNumber != "" {
		add("nhs_number = ?", f.NHSNumber)
	}
	if f.UserID != "" {
		add("user_id = ?", f.UserID)
	}
	if f.Action != "" {
		add("action = ?", string(f.Action))
	}
	if !f.From.IsZero() {
		add("time_ms >= ?", f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		add("time_ms < ?", f.To.UnixMilli())
	}
	return strings.Join(conds, " AND "), args
}

func scanCentral(rows pgx.Rows, f audit.Filter, fn func(CentralEntry, int64) error) error {
	defer rows.Close()
	for rows.Next() {
		var inst string
		var seq, tms int64
		var body string
		var mac []byte
		if err := rows.Scan(&inst, &seq, &tms, &body, &mac); err != nil {
			return err
		}
		e, err := audit.Decode(seq, []byte(body), mac)
		if err != nil {
			return err
		}
		if !f.Matches(e) {
			continue
		}
		if err := fn(CentralEntry{Instance: inst, Entry: e}, tms); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Page returns up to limit entries matching f, newest first, starting after cur.
func (c *CentralLog) Page(ctx context.Context, f audit.Filter, cur CentralCursor, limit int) ([]CentralEntry, CentralCursor, error) {
	if cur.Done {
		return nil, cur, nil
	}
	limit = max(1, min(limit, 1000))
	w, args := c.where(f)
	if cur.TimeMS != 0 || cur.Instance != "" {
		args = append(args, cur.TimeMS, cur.Instance, cur.Seq)
		n := len(args)
		w += fmt.Sprintf(" AND (time_ms, instance_id, seq) < ($%d, $%d::uuid, $%d)", n-2, n-1, n)
	}
	q := `SELECT instance_id::text, seq, time_ms, body, mac FROM scrdesk.audit_event WHERE ` + w +
		` ORDER BY time_ms DESC, instance_id DESC, seq DESC LIMIT ` + strconv.Itoa(limit)
	rows, err := c.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, cur, fmt.Errorf("central query: %w", err)
	}
	var out []CentralEntry
	next := CentralCursor{Done: true}
	n := 0
	err = scanCentralAll(rows, f, func(e CentralEntry, tms int64) {
		out = append(out, e)
	}, func(inst string, seq, tms int64) {
		n++
		next = CentralCursor{TimeMS: tms, Instance: inst, Seq: seq}
	})
	if err != nil {
		return nil, cur, err
	}
	next.Done = n < limit
	return out, next, nil
}

// scanCentralAll is scanCentral that also reports every row's key, matched or not, so that a
// page's cursor moves past rows the body check dropped.
func scanCentralAll(rows pgx.Rows, f audit.Filter, keep func(CentralEntry, int64), key func(string, int64, int64)) error {
	defer rows.Close()
	for rows.Next() {
		var inst string
		var seq, tms int64
		var body string
		var mac []byte
		if err := rows.Scan(&inst, &seq, &tms, &body, &mac); err != nil {
			return err
		}
		key(inst, seq, tms)
		e, err := audit.Decode(seq, []byte(body), mac)
		if err != nil {
			return err
		}
		if f.Matches(e) {
			keep(CentralEntry{Instance: inst, Entry: e}, tms)
		}
	}
	return rows.Err()
}

// Each streams every entry matching f, oldest first (time, then log instance, then seq): the
// order in which the pharmacy-wide rules see them.
func (c *CentralLog) Each(ctx context.Context, f audit.Filter, fn func(CentralEntry) error) error {
	w, args := c.where(f)
	rows, err := c.conn.Query(ctx, `SELECT instance_id::text, seq, time_ms, body, mac FROM scrdesk.audit_event WHERE `+w+
		` ORDER BY time_ms, instance_id, seq`, args...)
	if err != nil {
		return fmt.Errorf("central query: %w", err)
	}
	return scanCentral(rows, f, func(e CentralEntry, _ int64) error { return fn(e) })
}

// Count counts the entries matching f's indexed fields.
func (c *CentralLog) Count(ctx context.Context, f audit.Filter) (int64, error) {
	w, args := c.where(f)
	var n int64
	err := c.conn.QueryRow(ctx, `SELECT count(*) FROM scrdesk.audit_event WHERE `+w, args...).Scan(&n)
	return n, err
}

// sessionList is the rows the concurrent-sessions rule needs: sign-ins, unlocks, locks and
// sign-outs, written exactly as the partial index audit_sessions is (so the planner can use it).
const sessionList = `'login', 'unlock', 'logout', 'lock-card-removed', 'lock-idle', 'lock-manual', 'lock-service-lost'`

// ConcurrentSessions runs the concurrent-sessions rule (governance.RuleConcurrent: the same user
// signed in on two workstations at once) over the whole pharmacy's sign-ins, locks and
// sign-outs between from and to (zero: unbounded), in time order across workstations.
func (c *CentralLog) ConcurrentSessions(ctx context.Context, cfg governance.Config, from, to time.Time) ([]governance.Hit, error) {
	only := cfg
	only.Disabled = map[governance.RuleID]bool{}
	for _, r := range governance.Rules() {
		if r.ID != governance.RuleConcurrent {
			only.Disabled[r.ID] = true
		}
	}
	if cfg.Disabled[governance.RuleConcurrent] {
		return nil, nil
	}
	g := governance.NewEngine(only)
	q := `SELECT instance_id::text, seq, time_ms, body, mac FROM scrdesk.audit_event
		WHERE ods_code = $1 AND time_ms >= $2 AND time_ms < $3 AND action IN (` + sessionList + `)
		ORDER BY time_ms, instance_id, seq`
	lo, hi := int64(0), int64(1<<62)
	if !from.IsZero() {
		lo = from.UnixMilli()
	}
	if !to.IsZero() {
		hi = to.UnixMilli()
	}
	rows, err := c.conn.Query(ctx, q, c.ods, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("central query: %w", err)
	}
	var hits []governance.Hit
	err = scanCentral(rows, audit.Filter{}, func(e CentralEntry, _ int64) error {
		hits = append(hits, g.Check(e.Entry)...)
		return nil
	})
	return hits, err
}
