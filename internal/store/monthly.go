package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"scrdesk/internal/governance"
)

// CaseSummary is one case as the monthly governance report counts it: its rules and state, and
// when it was decided (closed or escalated; zero while open). It is read from the case cache,
// which Verify compares with the log (and rebuilds from it when they differ): run Verify first.
type CaseSummary struct {
	governance.Case
	Decided time.Time
}

// casePage is how many cases EachCaseBetween reads at a time (a variable for the tests).
var casePage = 500

// casesBetweenSQL is one page of cases in a time range after a (time, seq) key: the time index
// holds the rowid (seq), so the order is the index's and nothing is sorted.
const casesBetweenSQL = `SELECT seq, time_ms, user_id, user_name, nhs_number, workstation, rules, state, closed_ms
	FROM gov_case INDEXED BY gov_case_time
	WHERE time_ms < ? AND (time_ms, seq) > (?, ?)
	ORDER BY time_ms, seq LIMIT ?`

// EachCaseBetween calls fn for every case whose flagged entry's time is in [from, to), oldest
// first, a page at a time by key on the time index (gov_case_time), so memory stays flat and
// the cost is that of the cases in the range, however many the log holds. It stops at fn's
// first error and returns it.
func (db *DB) EachCaseBetween(ctx context.Context, from, to time.Time, fn func(CaseSummary) error) error {
	page := casePage
	lastT, lastSeq := from.UnixMilli(), int64(-1)
	for {
		rows, err := db.sql.QueryContext(ctx, casesBetweenSQL, to.UnixMilli(), lastT, lastSeq, page)
		if err != nil {
			return fmt.Errorf("read cases: %w", err)
		}
		var out []CaseSummary
		for rows.Next() {
			var c CaseSummary
			var tms, closed int64
			var rules, state string
			if err := rows.Scan(&c.Seq, &tms, &c.Subject.UserID, &c.Subject.Name, &c.NHSNumber, &c.Workstation, &rules, &state, &closed); err != nil {
				rows.Close()
				return err
			}
			c.Time, c.State = time.UnixMilli(tms).UTC(), governance.State(state)
			if closed > 0 {
				c.Decided = time.UnixMilli(closed).UTC()
			}
			for _, r := range strings.Split(rules, ",") {
				if r != "" {
					c.Hits = append(c.Hits, governance.Hit{Rule: governance.RuleID(r), Seq: c.Seq, Time: c.Time})
				}
			}
			out = append(out, c)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return err
		}
		for _, c := range out {
			if err := fn(c); err != nil {
				return err
			}
		}
		if len(out) < page {
			return nil
		}
		l := out[len(out)-1]
		lastT, lastSeq = l.Time.UnixMilli(), l.Seq
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}
