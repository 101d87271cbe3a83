package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"modernc.org/sqlite"

	"scrdesk/internal/audit"
)

// Verify walks the whole chain in sequence order and reports the first bad row and what
// happened to it: edited, deleted, reordered, truncated (via the checkpoint), key missing or
// key replaced. It reads the log without blocking writers (WAL). An error means the check
// could not be done, not that the log is bad.
func (db *DB) Verify(ctx context.Context) (audit.Report, error) {
	db.mu.Lock()
	state, key := db.state, db.key
	db.mu.Unlock()
	rep := audit.Report{WeakKey: db.opts.WeakKey}
	last, _, err := lastRow(ctx, db.sql)
	if err != nil {
		return rep, err
	}
	rep.LastSeq = last
	switch state {
	case keyMissing:
		rep.Kind, rep.FirstBad = audit.KindKeyMissing, min(1, last)
		return rep, nil
	case keyReplaced:
		rep.Kind, rep.FirstBad = audit.KindKeyReplaced, min(1, last)
		return rep, nil
	}
	cp, haveCP, cpErr := db.readCheckpoint()
	if cpErr != nil {
		db.log.Warn("audit checkpoint unreadable during verify", "err", cpErr)
	}
	if haveCP {
		rep.CheckpointSeq = cp.Seq
	}
	chain, _ := audit.NewChain(key)

	bad, prev, rows, err := walkAll(ctx, db.sql, chain, key, last)
	rep.Rows = rows
	if err != nil {
		return rep, err
	}
	if bad.seq != 0 {
		rep.FirstBad, rep.Kind = bad.seq, audit.KindDeleted
		if !bad.gap {
			var cpMAC []byte
			if haveCP && cp.Seq == bad.seq {
				cpMAC = cp.MAC
			}
			src := rowSource{ctx: ctx, q: db.sql}
			kind, err := audit.Diagnose(chain, bad.seq, prev, src, cpMAC)
			if err != nil {
				return rep, fmt.Errorf("diagnose row %d: %w", bad.seq, err)
			}
			rep.Kind = kind
			if kind == audit.KindKeyReplaced {
				rep.FirstBad = 1
			}
		}
		return rep, nil
	}
	if haveCP {
		switch {
		case cp.Seq > last:
			rep.FirstBad, rep.Kind = last+1, audit.KindTruncated
			ev, err := db.truncationEvidence(ctx, cp.Seq)
			if err != nil {
				return rep, err
			}
			if ev > 0 && ev < rep.FirstBad {
				rep.FirstBad = ev
			}
			return rep, nil
		default:
			var mac []byte
			if err := db.sql.QueryRowContext(ctx, `SELECT mac FROM audit_event WHERE seq = ?`, cp.Seq).Scan(&mac); err != nil {
				return rep, fmt.Errorf("read checkpointed row: %w", err)
			}
			if string(mac) != string(cp.MAC) {
				// The chain is whole but not the one checkpointed: rows from here on were cut
				// off and others appended in their place.
				rep.FirstBad, rep.Kind = cp.Seq, audit.KindTruncated
				ev, err := db.truncationEvidence(ctx, cp.Seq)
				if err != nil {
					return rep, err
				}
				if ev > 0 && ev < rep.FirstBad {
					rep.FirstBad = ev
				}
				return rep, nil
			}
		}
	}
	rep.OK = true
	return rep, nil
}

type badRow struct {
	seq int64
	gap bool // the row is missing (a gap in the sequence)
}

// The walk runs inside SQLite: scrdesk_chain_walk is an aggregate SQL function, written in Go,
// that SQLite calls once per row of a plain rowid-order scan. A whole walk is then one
// sqlite3_step, instead of a step, three column reads and their locks per row through
// database/sql, which is what lets Verify check well over a million rows a second. Its first
// argument is a handle to the walk's state in walks.
func init() {
	sqlite.MustRegisterFunction("scrdesk_chain_walk", &sqlite.FunctionImpl{
		NArgs:         4,
		VolatileArgs:  true, // body and mac are only read during Step, never kept
		MakeAggregate: func(sqlite.FunctionContext) (sqlite.AggregateFunction, error) { return &walkAgg{}, nil },
	})
}

var (
	walks      sync.Map // handle (int64) -> *walkState
	walkHandle atomic.Int64
	errStop    = errors.New("scrdesk: chain walk stopped at a bad row")
)

type walkState struct {
	chain  *audit.Chain
	prev   []byte
	first  bool
	expect int64
	n      int64
	bad    badRow
	ctx    context.Context
}

type walkAgg struct{ st *walkState }

func (a *walkAgg) Step(_ *sqlite.FunctionContext, args []driver.Value) error {
	if a.st == nil {
		h, _ := args[0].(int64)
		v, ok := walks.Load(h)
		if !ok {
			return errors.New("scrdesk: unknown chain walk")
		}
		a.st = v.(*walkState)
	}
	st := a.st
	seq, _ := args[1].(int64)
	// body arrives as a zero-copy view of SQLite's text (VolatileArgs); hash it in place.
	var body []byte
	switch v := args[2].(type) {
	case string:
		body = unsafe.Slice(unsafe.StringData(v), len(v))
	case []byte:
		body = v
	}
	mac, _ := args[3].([]byte)
	st.n++
	if seq != st.expect {
		st.bad = badRow{seq: st.expect, gap: true}
		return errStop
	}
	var p []byte
	if !st.first {
		p = st.prev
	}
	if !st.chain.Check(p, seq, body, mac) {
		st.bad = badRow{seq: seq}
		return errStop
	}
	st.prev = append(st.prev[:0], mac...)
	st.first = false
	st.expect++
	if st.n&0xffff == 0 && st.ctx.Err() != nil {
		return st.ctx.Err()
	}
	return nil
}

func (a *walkAgg) WindowInverse(*sqlite.FunctionContext, []driver.Value) error {
	return errors.New("scrdesk_chain_walk is not a window function")
}

// WindowValue is also how the driver asks for the aggregate's result: the walk's result is in
// its walkState, so the SQL value is just the row count.
func (a *walkAgg) WindowValue(*sqlite.FunctionContext) (driver.Value, error) {
	if a.st == nil {
		return int64(0), nil
	}
	return a.st.n, nil
}
func (a *walkAgg) Final(*sqlite.FunctionContext) {}

// walk checks rows after < seq <= until, starting from prev (the MAC of row after; nil when
// after is 0). It returns the first bad row (seq 0 when none), the MAC of the last good row,
// and how many rows it read. It reads through a connection of its own with the file
// memory-mapped, so pages come straight from the page cache rather than one read(2) each.
func walk(ctx context.Context, db *sql.DB, chain *audit.Chain, after, until int64, prev []byte) (badRow, []byte, int64, error) {
	st := &walkState{chain: chain, prev: append(make([]byte, 0, audit.MACSize), prev...),
		first: prev == nil, expect: after + 1, ctx: ctx}
	h := walkHandle.Add(1)
	walks.Store(h, st)
	defer walks.Delete(h)
	conn, err := db.Conn(ctx)
	if err != nil {
		return badRow{}, prev, 0, fmt.Errorf("read audit log: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA mmap_size = 2147418112`); err == nil {
		defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA mmap_size = 0`)
	}
	var ignored any
	err = conn.QueryRowContext(ctx, `SELECT scrdesk_chain_walk(?, seq, body, mac)
		FROM audit_event WHERE seq > ? AND seq <= ?`, h, after, until).Scan(&ignored)
	if st.bad.seq == 0 && err == nil && st.expect <= until {
		st.bad = badRow{seq: st.expect, gap: true} // the range's last rows are missing
	}
	if st.bad.seq != 0 {
		return st.bad, prevOrNil(st.prev, st.first), st.n, nil
	}
	if err != nil {
		return badRow{}, prevOrNil(st.prev, st.first), st.n, fmt.Errorf("read audit log: %w", err)
	}
	return badRow{}, prevOrNil(st.prev, st.first), st.n, nil
}

// parallelWalkMin is the smallest log walked in parallel ranges (a variable for tests).
var parallelWalkMin int64 = 200_000

// walkAll checks rows 1..last, split into one range per CPU (2 to 4) walked in parallel. Each
// range starts from the stored MAC of the row before it, which the previous range checks, so
// the result is the same as one walk from the start: the first bad row of the first range
// that has one.
func walkAll(ctx context.Context, db *sql.DB, chain *audit.Chain, key []byte, last int64) (badRow, []byte, int64, error) {
	parts := int64(max(2, min(runtime.GOMAXPROCS(0), 4)))
	if last < parallelWalkMin {
		return walk(ctx, db, chain, 0, last, nil)
	}
	type result struct {
		bad  badRow
		prev []byte
		n    int64
		err  error
		skip bool
	}
	res := make([]result, parts)
	var wg sync.WaitGroup
	for i := range parts {
		after, until := last*i/parts, last*(i+1)/parts
		wg.Go(func() {
			var prev []byte
			if after > 0 {
				err := db.QueryRowContext(ctx, `SELECT mac FROM audit_event WHERE seq = ?`, after).Scan(&prev)
				if errors.Is(err, sql.ErrNoRows) {
					res[i].skip = true // the range before finds its last row missing
					return
				}
				if err != nil {
					res[i].err = fmt.Errorf("read audit log: %w", err)
					return
				}
			}
			c := chain
			if i > 0 {
				c, _ = audit.NewChain(key)
			}
			res[i].bad, res[i].prev, res[i].n, res[i].err = walk(ctx, db, c, after, until, prev)
		})
	}
	wg.Wait()
	var n int64
	for _, r := range res {
		n += r.n
		if r.err != nil {
			return badRow{}, nil, n, r.err
		}
		if r.bad.seq != 0 {
			return r.bad, r.prev, n, nil
		}
		if r.skip {
			return badRow{}, nil, n, errors.New("read audit log: a range's first row vanished")
		}
	}
	return badRow{}, res[len(res)-1].prev, n, nil
}

func prevOrNil(b []byte, first bool) []byte {
	if first {
		return nil
	}
	return append([]byte(nil), b...)
}

// rowSource gives audit.Diagnose random access to rows.
type rowSource struct {
	ctx context.Context
	q   querier
}

const selectStored = `SELECT seq, body, mac FROM audit_event`

// scanEntry reads one selectStored row. A body that does not decode is returned with what
// could be read and an error.
func scanEntry(sc interface{ Scan(...any) error }) (audit.Entry, error) {
	var seq int64
	var body, mac []byte
	if err := sc.Scan(&seq, &body, &mac); err != nil {
		return audit.Entry{}, err
	}
	return audit.Decode(seq, body, mac)
}

func (r rowSource) Row(seq int64) ([]byte, []byte, bool, error) {
	var body, mac []byte
	err := r.q.QueryRowContext(r.ctx, `SELECT body, mac FROM audit_event WHERE seq = ?`, seq).Scan(&body, &mac)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, err
	}
	return body, mac, true, nil
}

func (r rowSource) LastSeq() (int64, error) {
	seq, _, err := lastRow(r.ctx, r.q)
	return seq, err
}
