package store

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"modernc.org/sqlite"

	"scrdesk/internal/audit"
)

// VerifyOptions tune VerifyWith.
type VerifyOptions struct {
	// Progress, when set, is called about ten times a second from another goroutine with the
	// rows checked so far and the rows to check.
	Progress func(done, total int64)
}

// Verify checks everything the log's trust rests on and reports each finding in words an SGP
// understands: that the file is the log the keyring knows (not removed or replaced), the
// schema against the embedded migrations, the chain (edited, deleted, reordered rows), the
// checkpoint (cut-off end; rows after it are "not yet protected"; an unreadable checkpoint is
// an error), entries once left unprotected, the settings against their last audit row, and the
// alert outbox against its audit rows. It reads without blocking writers (WAL). An error
// means the check could not be done, not that the log is bad.
func (db *DB) Verify(ctx context.Context) (audit.Report, error) {
	return db.VerifyWith(ctx, VerifyOptions{})
}

// VerifyWith is Verify with options.
func (db *DB) VerifyWith(ctx context.Context, vo VerifyOptions) (audit.Report, error) {
	db.mu.Lock()
	state, key, broken := db.state, db.key, db.broken
	rep := audit.Report{WeakKey: db.opts.WeakKey, Instance: db.instance, Checked: db.opts.Now().UTC()}
	if db.degraded {
		rep.DegradedSince = db.degradedSince
	}
	db.mu.Unlock()
	if broken != nil {
		b := *broken
		rep.Break = &b
	}
	last, _, err := lastRow(ctx, db.sql)
	if verifyCounted != nil {
		verifyCounted()
	}
	if err != nil {
		return rep, err
	}
	rep.LastSeq = last
	if last > 0 {
		for _, p := range []struct {
			seq int64
			t   *time.Time
		}{{1, &rep.First}, {last, &rep.Last}} {
			var ms int64
			if err := db.sql.QueryRowContext(ctx, `SELECT coalesce(json_extract(body, '$.t'), 0) FROM audit_event WHERE seq = ?`, p.seq).Scan(&ms); err == nil && ms > 0 {
				*p.t = time.UnixMilli(ms).UTC()
			}
		}
	}
	add := func(f audit.Finding) { rep.Findings = append(rep.Findings, f) }
	if broken != nil && broken.Found != "older" && broken.Found != "rewritten" {
		add(audit.Finding{Kind: audit.KindLogReplaced, Severity: audit.SeverityError, Object: broken.KnownInstance,
			What: broken.Message(), Do: audit.DoNewLog})
	}
	diff, err := checkSchema(ctx, db.sql)
	if err != nil {
		return rep, err
	}
	for _, d := range diff {
		add(audit.Finding{Kind: audit.KindSchemaChanged, Severity: audit.SeverityError, Object: d,
			What: "The audit log's database has been changed outside SCR Desk: " + d + ". Searches, exports and Subject Access Requests could hide or add entries.",
			Do:   audit.DoSchemaFix})
	}
	if broken != nil && broken.Found != "older" && broken.Found != "rewritten" {
		rep.Kind = audit.KindLogReplaced
		rep.CheckpointSeq, rep.CheckpointTime = broken.KnownSeq, broken.KnownTime
		if err := db.countRows(ctx, &rep); err != nil {
			return rep, err
		}
		return rep, nil
	}
	switch state {
	case keyMissing:
		rep.Kind, rep.FirstBad = audit.KindKeyMissing, min(1, last)
		add(audit.ChainFinding(rep.Kind, rep.FirstBad, 0, time.Time{}))
		return rep, nil
	case keyReplaced:
		rep.Kind, rep.FirstBad = audit.KindKeyReplaced, min(1, last)
		add(audit.ChainFinding(rep.Kind, rep.FirstBad, 0, time.Time{}))
		return rep, nil
	}
	cp, haveCP, cpErr := db.readCheckpoint()
	if cpErr != nil {
		db.log.Warn("audit checkpoint unreadable during verify", "err", cpErr)
		add(audit.Finding{Kind: audit.KindCheckpointUnreadable, Severity: audit.SeverityError,
			What: "The audit log's checkpoint in the keyring cannot be read (" + cpErr.Error() + "), so a cut-off end of the log could not be seen.",
			Do:   audit.DoKeyring})
	}
	if haveCP {
		rep.CheckpointSeq, rep.CheckpointTime = cp.Seq, cp.Time
	}
	chain, _ := audit.NewChain(key)

	var progress atomic.Int64
	stop := make(chan struct{})
	var pwg sync.WaitGroup
	if vo.Progress != nil {
		pwg.Go(func() {
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					vo.Progress(progress.Load(), last)
					return
				case <-t.C:
					vo.Progress(progress.Load(), last)
				}
			}
		})
	}
	bad, prev, rows, behind, err := walkAll(ctx, db.sql, chain, key, last, &progress)
	close(stop)
	pwg.Wait()
	rep.Rows = rows
	if err != nil {
		return rep, err
	}
	if len(diff) == 0 {
		// The index that tells time-range queries whether the log's times follow its sequence
		// must list every row flagged behind: an index built otherwise and its text then put
		// back would send every date-bounded search down the fast path, past those rows.
		var candidates []int64
		if bad.seq == 0 {
			candidates = behind
		}
		if d, err := db.checkClockIndex(ctx, last, candidates, bad.seq == 0); err != nil {
			return rep, err
		} else if d != "" {
			add(audit.Finding{Kind: audit.KindSchemaChanged, Severity: audit.SeverityError, Object: d,
				What: "The audit log's database has been changed outside SCR Desk: " + d + ". Searches, exports and Subject Access Requests could hide or add entries.",
				Do:   audit.DoSchemaFix})
		}
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
		add(audit.ChainFinding(rep.Kind, rep.FirstBad, rep.CheckpointSeq, rep.CheckpointTime))
		return rep, nil
	}
	if haveCP {
		cut := int64(0)
		if cp.Seq > last {
			// The window may have appended and checkpointed since the rows were counted (the
			// checkpoint is written after its row commits, and was read after the count): count
			// them again before calling the log cut off.
			var now int64
			if err := db.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM audit_event`).Scan(&now); err != nil {
				return rep, fmt.Errorf("read newest row: %w", err)
			}
			if now < cp.Seq {
				cut = last + 1
			}
		}
		switch {
		case cut > 0:
		default:
			var mac []byte
			if err := db.sql.QueryRowContext(ctx, `SELECT mac FROM audit_event WHERE seq = ?`, cp.Seq).Scan(&mac); err != nil {
				return rep, fmt.Errorf("read checkpointed row: %w", err)
			}
			if string(mac) != string(cp.MAC) {
				// The chain is whole but not the one checkpointed: rows from here on were cut
				// off and others appended in their place.
				cut = cp.Seq
			}
		}
		if cut > 0 {
			rep.FirstBad, rep.Kind = cut, audit.KindTruncated
			ev, err := db.truncationEvidence(ctx, cp.Seq)
			if err != nil {
				return rep, err
			}
			if ev > 0 && ev < rep.FirstBad {
				rep.FirstBad = ev
			}
			f := audit.ChainFinding(rep.Kind, rep.FirstBad, cp.Seq, cp.Time)
			if broken != nil {
				f.What = broken.Message() + fmt.Sprintf(" Entries from %s on are missing or not the ones recorded.", audit.Group(rep.FirstBad))
			}
			add(f)
			return rep, nil
		}
	}
	if cpErr == nil && last > rep.CheckpointSeq {
		when := "no checkpoint has been saved yet"
		if haveCP {
			when = "the last checkpoint is entry " + audit.Group(cp.Seq)
			if !cp.Time.IsZero() {
				when += ", at " + cp.Time.Local().Format("15:04 on 2 January 2006")
			}
		}
		add(audit.Finding{Kind: audit.KindNotProtected, Severity: audit.SeverityError, Row: rep.CheckpointSeq + 1, ToRow: last,
			What: fmt.Sprintf("Entries %s to %s are not yet protected: %s, so if newer entries had been cut off it could not be seen.",
				audit.Group(rep.CheckpointSeq+1), audit.Group(last), when),
			Do: audit.DoKeyring})
	}
	if err := db.historyFindings(ctx, &rep); err != nil {
		return rep, err
	}
	if f, err := db.settingsFinding(ctx); err != nil {
		return rep, err
	} else if f != nil {
		add(*f)
	}
	fs, err := db.reconcileOutbox(ctx)
	if err != nil {
		return rep, err
	}
	rep.Findings = append(rep.Findings, fs...)
	gfs, rebuild, err := db.govFindings(ctx, last)
	if err != nil {
		return rep, err
	}
	rep.Findings = append(rep.Findings, gfs...)
	if rebuild {
		if err := db.repairGovernance(ctx, last); err != nil {
			return rep, fmt.Errorf("rebuild the review cases from the log: %w", err)
		}
	}
	rep.OK = len(rep.Errors()) == 0
	return rep, nil
}

func (db *DB) countRows(ctx context.Context, rep *audit.Report) error {
	return db.sql.QueryRowContext(ctx, `SELECT count(*) FROM audit_event`).Scan(&rep.Rows)
}

// historyFindings reports the log's own notes: a new log's first row (which names the log it
// replaced) and entries once left unprotected.
func (db *DB) historyFindings(ctx context.Context, rep *audit.Report) error {
	if rep.LastSeq > 0 {
		if e, err := db.Entry(ctx, 1); err == nil && e.Action == audit.ActionAuditNewLog {
			seq, _ := strconv.ParseInt(e.Detail["previous_checkpoint_seq"], 10, 64)
			ms, _ := strconv.ParseInt(e.Detail["previous_checkpoint_ms"], 10, 64)
			b := audit.Break{Found: e.Detail["found"], KnownSeq: seq}
			if ms > 0 {
				b.KnownTime = time.UnixMilli(ms)
			}
			rep.Findings = append(rep.Findings, audit.Finding{Kind: audit.KindNewLog, Severity: audit.SeverityInfo, Row: 1,
				Object: e.Detail["previous_instance"],
				What: fmt.Sprintf("This log was started on %s by %s, because the previous log (%s) was found removed or replaced (last known: %s). Its first entry is the record of that break.",
					e.Time.Local().Format("2 January 2006 at 15:04"), e.UserName, e.Detail["previous_instance"], b.LastKnown()),
				Do: "Keep the previous log's file (" + e.Detail["previous_file"] + ") with the record of what happened."})
		}
	}
	return db.Each(ctx, audit.Filter{Action: audit.ActionAuditUnprotected}, func(e audit.Entry) error {
		from, _ := strconv.ParseInt(e.Detail["from"], 10, 64)
		to, _ := strconv.ParseInt(e.Detail["to"], 10, 64)
		since, _ := strconv.ParseInt(e.Detail["since_ms"], 10, 64)
		f := audit.Finding{Kind: audit.KindWasUnprotected, Severity: audit.Severity(e.Detail["severity"]), Row: from, ToRow: to}
		if f.Severity != audit.SeverityError {
			f.Severity = audit.SeverityInfo
		}
		span := ""
		if since > 0 {
			span = " from " + time.UnixMilli(since).Local().Format("15:04 on 2 January 2006")
		}
		if f.Severity == audit.SeverityError {
			f.What = fmt.Sprintf("Entries %s to %s were written while the keyring refused the audit log's checkpoint (%s until entry %s): if newer entries were cut off in that time, it could not be seen.",
				audit.Group(from), audit.Group(to), strings.TrimSpace(span), audit.Group(e.Seq))
			f.Do = "Tell your SCR Governance Person, and ask IT support why the keyring refused to save (see SCR Desk's log file)."
		} else {
			f.What = fmt.Sprintf("Entries %s to %s were written just before SCR Desk stopped and were protected when it started again (entry %s).",
				audit.Group(from), audit.Group(to), audit.Group(e.Seq))
			f.Do = audit.DoNothing
		}
		rep.Findings = append(rep.Findings, f)
		return nil
	})
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
	done   *atomic.Int64 // rows checked by every range, for progress
	// behind lists the rows whose body holds the text "clock_behind_ms": the candidates for
	// the audit_clock_behind index, which checkClockIndex confirms with json_extract.
	behind []int64
}

// clockBehindKey is the detail key of a row whose time is behind the row before it.
var clockBehindKey = []byte(`"clock_behind_ms"`)

// detailKey opens a body's detail object. Inside JSON strings every quote is escaped, so the
// text can only be the object's own key.
var detailKey = []byte(`"d":{`)

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
	// The detail object is the body's last field (audit.Entry's encoding), so the key is
	// looked for only after the last `"d":{` (found from the end in a few bytes).
	if d := bytes.LastIndex(body, detailKey); d >= 0 && bytes.Contains(body[d:], clockBehindKey) {
		st.behind = append(st.behind, seq)
	}
	st.prev = append(st.prev[:0], mac...)
	st.first = false
	st.expect++
	if st.n&0xffff == 0 {
		if st.done != nil {
			st.done.Add(0x10000)
		}
		if st.ctx.Err() != nil {
			return st.ctx.Err()
		}
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
// It also gives the rows whose body names clock_behind_ms (walkState.behind).
func walk(ctx context.Context, db *sql.DB, chain *audit.Chain, after, until int64, prev []byte, done *atomic.Int64) (badRow, []byte, int64, []int64, error) {
	st := &walkState{chain: chain, prev: append(make([]byte, 0, audit.MACSize), prev...),
		first: prev == nil, expect: after + 1, ctx: ctx, done: done}
	h := walkHandle.Add(1)
	walks.Store(h, st)
	defer walks.Delete(h)
	conn, err := db.Conn(ctx)
	if err != nil {
		return badRow{}, prev, 0, nil, fmt.Errorf("read audit log: %w", err)
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
		return st.bad, prevOrNil(st.prev, st.first), st.n, st.behind, nil
	}
	if err != nil {
		return badRow{}, prevOrNil(st.prev, st.first), st.n, st.behind, fmt.Errorf("read audit log: %w", err)
	}
	return badRow{}, prevOrNil(st.prev, st.first), st.n, st.behind, nil
}

// parallelWalkMin is the smallest log walked in parallel ranges (a variable for tests).
var parallelWalkMin int64 = 200_000

// walkAll checks rows 1..last, split into one range per CPU (2 to 4) walked in parallel. Each
// range starts from the stored MAC of the row before it, which the previous range checks, so
// the result is the same as one walk from the start: the first bad row of the first range
// that has one.
func walkAll(ctx context.Context, db *sql.DB, chain *audit.Chain, key []byte, last int64, done *atomic.Int64) (badRow, []byte, int64, []int64, error) {
	parts := int64(max(2, min(runtime.GOMAXPROCS(0), 4)))
	if last < parallelWalkMin {
		return walk(ctx, db, chain, 0, last, nil, done)
	}
	type result struct {
		bad    badRow
		prev   []byte
		n      int64
		behind []int64
		err    error
		skip   bool
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
			res[i].bad, res[i].prev, res[i].n, res[i].behind, res[i].err = walk(ctx, db, c, after, until, prev, done)
		})
	}
	wg.Wait()
	var n int64
	var behind []int64
	for _, r := range res {
		n += r.n
		behind = append(behind, r.behind...)
		if r.err != nil {
			return badRow{}, nil, n, nil, r.err
		}
		if r.bad.seq != 0 {
			return r.bad, r.prev, n, nil, nil
		}
		if r.skip {
			return badRow{}, nil, n, nil, errors.New("read audit log: a range's first row vanished")
		}
	}
	return badRow{}, res[len(res)-1].prev, n, behind, nil
}

// clockBehind is the audit_clock_behind index's condition for a row read from the table, false
// for a body that is not JSON (a damaged row, which the chain walk names) instead of an error.
const clockBehind = `CASE WHEN json_valid(body) THEN json_extract(body, '$.d.clock_behind_ms') IS NOT NULL ELSE 0 END`

// checkClockIndex compares the audit_clock_behind index, up to row last, with the rows whose
// time is behind the row before (json_extract(body, '$.d.clock_behind_ms') IS NOT NULL, the
// index's own condition). After a whole walk, only the walk's candidates (bodies holding the
// key's text) are read again; otherwise (walked false) every row is. It returns the
// difference in words, or "".
func (db *DB) checkClockIndex(ctx context.Context, last int64, candidates []int64, walked bool) (string, error) {
	var inTable, inIndex int64
	if walked {
		for i := 0; i < len(candidates); i += 500 {
			batch := candidates[i:min(i+500, len(candidates))]
			args := make([]any, len(batch))
			for j, seq := range batch {
				args[j] = seq
			}
			var n int64
			if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM audit_event NOT INDEXED WHERE seq IN (?`+
				strings.Repeat(",?", len(batch)-1)+`) AND `+clockBehind, args...).Scan(&n); err != nil {
				return "", fmt.Errorf("count clock steps: %w", err)
			}
			inTable += n
		}
	} else if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM audit_event NOT INDEXED
			WHERE `+clockBehind+` AND seq <= ?`, last).Scan(&inTable); err != nil {
		return "", fmt.Errorf("count clock steps: %w", err)
	}
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM audit_event INDEXED BY audit_clock_behind
			WHERE json_extract(body, '$.d.clock_behind_ms') IS NOT NULL AND seq <= ?`, last).Scan(&inIndex); err != nil {
		return "", fmt.Errorf("count clock steps: %w", err)
	}
	if inTable != inIndex {
		return fmt.Sprintf("index audit_clock_behind lists %d of the %d entries whose time is behind the entry before", inIndex, inTable), nil
	}
	return "", nil
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

// verifyCounted, when set (tests), runs right after Verify counted the rows: where another
// process's append and checkpoint can land.
var verifyCounted func()
