package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

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

	bad, prev, rows, err := walk(ctx, db.sql, chain, 0, nil)
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
	body, _ := args[2].([]byte)
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
func (a *walkAgg) WindowValue(*sqlite.FunctionContext) (driver.Value, error) {
	return nil, errors.New("scrdesk_chain_walk is not a window function")
}
func (a *walkAgg) Final(*sqlite.FunctionContext) {}

// walk checks rows with seq > after, starting from prev (the MAC of row after). It returns the
// first bad row (seq 0 when none), the MAC of the last good row, and how many rows it read.
func walk(ctx context.Context, q querier, chain *audit.Chain, after int64, prev []byte) (badRow, []byte, int64, error) {
	st := &walkState{chain: chain, prev: append(make([]byte, 0, audit.MACSize), prev...),
		first: prev == nil, expect: after + 1, ctx: ctx}
	h := walkHandle.Add(1)
	walks.Store(h, st)
	defer walks.Delete(h)
	var ignored sql.RawBytes
	err := q.QueryRowContext(ctx, `SELECT scrdesk_chain_walk(?, seq, CAST(body AS BLOB), mac)
		FROM audit_event WHERE seq > ?`, h, after).Scan(&ignored)
	if st.bad.seq != 0 {
		return st.bad, prevOrNil(st.prev, st.first), st.n, nil
	}
	if err != nil {
		return badRow{}, prevOrNil(st.prev, st.first), st.n, fmt.Errorf("read audit log: %w", err)
	}
	return badRow{}, prevOrNil(st.prev, st.first), st.n, nil
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
