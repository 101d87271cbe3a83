package replica

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"scrdesk/internal/audit"
)

// FindingKind says what is wrong with a workstation's rows in the central database.
type FindingKind string

// Kinds of finding.
const (
	FindMissing      FindingKind = "missing"       // rows absent from the middle
	FindCutOff       FindingKind = "cut-off"       // rows absent at the end, up to a signed head
	FindChanged      FindingKind = "changed"       // a row's body (or link) is not what was sent
	FindReordered    FindingKind = "reordered"     // a row sits in another row's place
	FindRewritten    FindingKind = "rewritten"     // rows changed and their links recomputed: only a signed head catches it
	FindBadSignature FindingKind = "bad-signature" // a head that the registered key did not sign
	FindNoRows       FindingKind = "no-rows"       // registered (so it sent rows) but holds none
	FindNoKey        FindingKind = "no-key"        // rows from a log whose key was never registered
	FindLocalAhead   FindingKind = "local-ahead"   // this workstation sent more rows than the server holds
)

// Finding is one thing wrong, over the rows From..To (inclusive).
type Finding struct {
	Kind     FindingKind
	From, To int64
	// Other is, for a reordered row, where it belongs.
	Other int64
}

// Text says it in words.
func (f Finding) Text() string {
	rng := func() string {
		if f.From == f.To {
			return fmt.Sprintf("entry %d", f.From)
		}
		return fmt.Sprintf("entries %d to %d", f.From, f.To)
	}
	switch f.Kind {
	case FindMissing:
		return fmt.Sprintf("%s missing (removed from the central database)", rng())
	case FindCutOff:
		return fmt.Sprintf("%s missing: the newest signed entries were removed", rng())
	case FindChanged:
		return fmt.Sprintf("%s changed since the workstation sent it", rng())
	case FindReordered:
		return fmt.Sprintf("entry %d is out of place: it belongs at entry %d", f.From, f.Other)
	case FindRewritten:
		return fmt.Sprintf("%s rewritten (their hashes recomputed): the signed head at entry %d does not match", rng(), f.To)
	case FindBadSignature:
		return fmt.Sprintf("the signed head at entry %d was not signed by this workstation's registered key", f.From)
	case FindNoRows:
		return "all its entries are missing: the workstation registered (with its first entries) but the central database holds none"
	case FindNoKey:
		return "its signing key was never registered, so its entries cannot be checked"
	case FindLocalAhead:
		return fmt.Sprintf("this workstation sent %s but the central database does not hold them", rng())
	}
	return string(f.Kind) + " " + rng()
}

// WorkstationReport is the check of one log instance.
type WorkstationReport struct {
	Instance, Workstation, ODSCode string
	Fingerprint                    string
	Rows, LastSeq                  int64
	// SignedSeq is the newest entry a valid signed head covers; SignedAt when it was signed.
	SignedSeq int64
	SignedAt  time.Time
	Findings  []Finding
}

// OK is true when nothing is wrong.
func (w WorkstationReport) OK() bool { return len(w.Findings) == 0 }

// CentralReport is the result of VerifyCentral.
type CentralReport struct {
	Workstations []WorkstationReport
	Rows         int64
	Took         time.Duration
}

// OK is true when every workstation's rows are whole.
func (r CentralReport) OK() bool {
	for _, w := range r.Workstations {
		if !w.OK() {
			return false
		}
	}
	return true
}

// Text is the report in plain English, one paragraph per workstation.
func (r CentralReport) Text() string {
	var b strings.Builder
	if len(r.Workstations) == 0 {
		return "The central audit database holds no workstation's log.\n"
	}
	for _, w := range r.Workstations {
		name := w.Workstation
		if name == "" {
			name = "(unnamed)"
		}
		fmt.Fprintf(&b, "%s (%s, log %s, key %s): ", name, w.ODSCode, w.Instance, w.Fingerprint)
		if w.OK() {
			fmt.Fprintf(&b, "intact: %d entries, every one up to the signed head at entry %d", w.Rows, w.SignedSeq)
			if !w.SignedAt.IsZero() {
				fmt.Fprintf(&b, " (signed %s)", w.SignedAt.UTC().Format("2 Jan 2006 15:04 UTC"))
			}
			if w.LastSeq > w.SignedSeq {
				fmt.Fprintf(&b, "; %d newer entries not yet covered by a signed head", w.LastSeq-w.SignedSeq)
			}
			b.WriteString(".\n")
			continue
		}
		fmt.Fprintf(&b, "NOT intact (%d entries held):\n", w.Rows)
		for _, f := range w.Findings {
			fmt.Fprintf(&b, "  - %s\n", f.Text())
		}
	}
	if r.OK() {
		fmt.Fprintf(&b, "Verified: %d entries from %d workstations.\n", r.Rows, len(r.Workstations))
	} else {
		b.WriteString("The central audit log has been tampered with. Do not change the database; tell your SCR Governance Person and the superintendent, and call IT support.\n")
	}
	return b.String()
}

// VerifyOptions narrow VerifyCentral.
type VerifyOptions struct {
	// ODSCode limits the check to one pharmacy ("" checks all).
	ODSCode string
	// Password, if set, replaces the DSN's.
	Password string
	// Parallel is how many connections read at once (default GOMAXPROCS).
	Parallel int
	// Local, when set, is this workstation's own log instance and cursor: rows it sent that
	// the server does not hold are named even if their heads were removed too.
	LocalInstance string
	LocalSeq      int64
}

func connectDSN(ctx context.Context, dsn, password string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("central database address: %w", err)
	}
	if password != "" {
		cfg.Password = password
	}
	return pgx.ConnectConfig(ctx, cfg)
}

type instanceInfo struct {
	id, ws, ods string
	pub         ed25519.PublicKey
	registered  bool
	maxSeq      int64
}

// VerifyCentral proves, per workstation, that the central rows are the whole chain up to its
// newest signed head, none changed, removed or reordered, using only the registered public
// keys, and names what is missing or wrong. It needs a role that may read (scrdesk_reader).
func VerifyCentral(ctx context.Context, dsn string, opt VerifyOptions) (CentralReport, error) {
	start := time.Now()
	if opt.Parallel <= 0 {
		opt.Parallel = runtime.GOMAXPROCS(0)
	}
	conn, err := connectDSN(ctx, dsn, opt.Password)
	if err != nil {
		return CentralReport{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))

	infos := map[string]*instanceInfo{}
	q := `SELECT instance_id::text, public_key, workstation, ods_code FROM scrdesk.workstation`
	args := []any{}
	if opt.ODSCode != "" {
		q += ` WHERE ods_code = $1`
		args = append(args, opt.ODSCode)
	}
	rows, err := conn.Query(ctx, q, args...)
	if err != nil {
		return CentralReport{}, err
	}
	for rows.Next() {
		var in instanceInfo
		var pub []byte
		if err := rows.Scan(&in.id, &pub, &in.ws, &in.ods); err != nil {
			return CentralReport{}, err
		}
		in.pub, in.registered = pub, true
		infos[in.id] = &in
	}
	if err := rows.Err(); err != nil {
		return CentralReport{}, err
	}
	// Logs with rows but no registration (or whose registration was removed).
	q = `SELECT instance_id::text, max(seq) FROM scrdesk.audit_event`
	if opt.ODSCode != "" {
		q += ` WHERE ods_code = $1`
	}
	q += ` GROUP BY instance_id`
	rows, err = conn.Query(ctx, q, args...)
	if err != nil {
		return CentralReport{}, err
	}
	for rows.Next() {
		var id string
		var m int64
		if err := rows.Scan(&id, &m); err != nil {
			return CentralReport{}, err
		}
		if infos[id] == nil {
			infos[id] = &instanceInfo{id: id}
		}
		infos[id].maxSeq = m
	}
	if err := rows.Err(); err != nil {
		return CentralReport{}, err
	}
	if opt.LocalInstance != "" && infos[opt.LocalInstance] == nil && opt.LocalSeq > 0 {
		infos[opt.LocalInstance] = &instanceInfo{id: opt.LocalInstance}
	}

	ids := make([]string, 0, len(infos))
	for id := range infos {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := infos[ids[i]], infos[ids[j]]
		if a.ods != b.ods {
			return a.ods < b.ods
		}
		if a.ws != b.ws {
			return a.ws < b.ws
		}
		return a.id < b.id
	})

	// One pool of reader connections for all the ranges of all the logs.
	pool := make(chan *pgx.Conn, opt.Parallel)
	pool <- conn
	for i := 1; i < opt.Parallel; i++ {
		c, err := connectDSN(ctx, dsn, opt.Password)
		if err != nil {
			break
		}
		defer c.Close(context.WithoutCancel(ctx))
		pool <- c
	}

	var rep CentralReport
	for _, id := range ids {
		wr, err := verifyInstance(ctx, pool, infos[id], opt)
		if err != nil {
			return CentralReport{}, fmt.Errorf("check %s: %w", id, err)
		}
		rep.Workstations = append(rep.Workstations, wr)
		rep.Rows += wr.Rows
	}
	rep.Took = time.Since(start)
	return rep, nil
}

// rangeResult is what one range walk found.
type rangeResult struct {
	rows      int64
	first     int64 // first row seen (0: none)
	last      int64
	missing   [][2]int64
	bad       []int64
	headLinks map[int64][]byte
}

func verifyInstance(ctx context.Context, pool chan *pgx.Conn, in *instanceInfo, opt VerifyOptions) (WorkstationReport, error) {
	wr := WorkstationReport{Instance: in.id, Workstation: in.ws, ODSCode: in.ods}
	if in.registered {
		wr.Fingerprint = audit.KeyFingerprint(in.pub)
	} else {
		wr.Fingerprint = "unregistered"
		wr.Findings = append(wr.Findings, Finding{Kind: FindNoKey})
	}
	conn := <-pool
	var heads []audit.Head
	hr, err := conn.Query(ctx, `SELECT seq, link, signed_ms, signature FROM scrdesk.chain_head WHERE instance_id = $1 ORDER BY seq`, in.id)
	if err == nil {
		for hr.Next() {
			h := audit.Head{Instance: in.id}
			if err = hr.Scan(&h.Seq, &h.Link, &h.SignedMS, &h.Signature); err != nil {
				break
			}
			heads = append(heads, h)
		}
		hr.Close()
		if err == nil {
			err = hr.Err()
		}
	}
	if err == nil && wr.Workstation == "" && in.maxSeq > 0 {
		// An unregistered log: take its name from its newest row.
		_ = conn.QueryRow(ctx, `SELECT workstation, ods_code FROM scrdesk.audit_event WHERE instance_id = $1 AND seq = $2`,
			in.id, in.maxSeq).Scan(&wr.Workstation, &wr.ODSCode)
	}
	pool <- conn
	if err != nil {
		return wr, err
	}
	var valid []audit.Head
	for _, h := range heads {
		if !in.registered {
			continue
		}
		if h.Verify(in.pub) != nil {
			wr.Findings = append(wr.Findings, Finding{Kind: FindBadSignature, From: h.Seq, To: h.Seq})
			continue
		}
		valid = append(valid, h)
	}
	headSeqs := map[int64]bool{}
	var lastHead int64
	for _, h := range valid {
		headSeqs[h.Seq] = true
		lastHead = max(lastHead, h.Seq)
	}
	want := max(in.maxSeq, lastHead)
	if in.registered && want == 0 {
		wr.Findings = append(wr.Findings, Finding{Kind: FindNoRows})
	}
	if opt.LocalInstance == in.id && opt.LocalSeq > want {
		wr.Findings = append(wr.Findings, Finding{Kind: FindLocalAhead, From: want + 1, To: opt.LocalSeq})
	}
	if in.maxSeq == 0 {
		if lastHead > 0 {
			wr.Findings = append(wr.Findings, Finding{Kind: FindCutOff, From: 1, To: lastHead})
		}
		return wr, nil
	}

	// Walk [1, maxSeq] in parallel ranges; each range starts from the stored link before it.
	n := int64(cap(pool)) * 4
	size := max((in.maxSeq+n-1)/n, 50_000)
	var ranges [][2]int64
	for lo := int64(1); lo <= in.maxSeq; lo += size {
		ranges = append(ranges, [2]int64{lo, min(lo+size-1, in.maxSeq)})
	}
	results := make([]rangeResult, len(ranges))
	errs := make([]error, len(ranges))
	var wg sync.WaitGroup
	for i, r := range ranges {
		wg.Add(1)
		c := <-pool
		go func() {
			defer wg.Done()
			defer func() { pool <- c }()
			results[i], errs[i] = walkRange(ctx, c, in.id, r[0], r[1], headSeqs)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return wr, err
	}
	headLinks := map[int64][]byte{}
	var prevLast int64
	var bad []int64
	for _, r := range results {
		wr.Rows += r.rows
		for k, v := range r.headLinks {
			headLinks[k] = v
		}
		// A gap that straddles two ranges.
		if r.first > 0 && r.first > prevLast+1 {
			wr.Findings = append(wr.Findings, Finding{Kind: FindMissing, From: prevLast + 1, To: r.first - 1})
		}
		for _, m := range r.missing {
			wr.Findings = append(wr.Findings, Finding{Kind: FindMissing, From: m[0], To: m[1]})
		}
		bad = append(bad, r.bad...)
		if r.last > 0 {
			prevLast = r.last
		}
	}
	wr.LastSeq = prevLast
	if lastHead > prevLast {
		wr.Findings = append(wr.Findings, Finding{Kind: FindCutOff, From: prevLast + 1, To: lastHead})
	}
	if len(bad) > 0 {
		fs, err := diagnose(ctx, pool, in.id, bad)
		if err != nil {
			return wr, err
		}
		wr.Findings = append(wr.Findings, fs...)
	}
	// Every valid head must match the stored link at its row.
	prevHead := int64(0)
	for _, h := range valid {
		if l, ok := headLinks[h.Seq]; ok && !bytes.Equal(l, h.Link) {
			wr.Findings = append(wr.Findings, Finding{Kind: FindRewritten, From: prevHead + 1, To: h.Seq})
		}
		if _, ok := headLinks[h.Seq]; ok || h.Seq > prevLast {
			if h.Seq <= prevLast {
				wr.SignedSeq, wr.SignedAt = h.Seq, time.UnixMilli(h.SignedMS)
			}
		}
		prevHead = h.Seq
	}
	sort.SliceStable(wr.Findings, func(i, j int) bool { return wr.Findings[i].From < wr.Findings[j].From })
	return wr, nil
}

// walkRange reads rows lo-1..hi and checks that each row lo..hi chains from the stored link
// before it. A row right after a gap is not checked (its predecessor is missing).
func walkRange(ctx context.Context, c *pgx.Conn, inst string, lo, hi int64, heads map[int64]bool) (rangeResult, error) {
	res := rangeResult{headLinks: map[int64][]byte{}}
	rows, err := c.Query(ctx, `SELECT seq, body, link FROM scrdesk.audit_event WHERE instance_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq`,
		inst, lo-1, hi)
	if err != nil {
		return res, err
	}
	defer rows.Close()
	lk := audit.NewLinker()
	var prevSeq int64 = -1
	var prevLink []byte
	var linkBuf [2][audit.LinkSize]byte
	flip := 0
	if lo == 1 {
		prevSeq = 0 // row 0 is the zero link
	}
	for rows.Next() {
		raw := rows.RawValues()
		if len(raw) != 3 || len(raw[0]) != 8 {
			return res, errors.New("unexpected row format from the server")
		}
		seq := int64(binary.BigEndian.Uint64(raw[0]))
		body, link := raw[1], raw[2]
		if seq == lo-1 {
			prevSeq = seq
			prevLink = append(linkBuf[flip][:0], link...)
			flip ^= 1
			continue
		}
		res.rows++
		if res.first == 0 {
			res.first = seq
		}
		res.last = seq
		if seq != prevSeq+1 {
			if prevSeq >= 0 {
				res.missing = append(res.missing, [2]int64{prevSeq + 1, seq - 1})
			} // else: the gap began before lo; the caller joins ranges
		} else if !bytes.Equal(lk.Link(prevLink, seq, body), link) {
			res.bad = append(res.bad, seq)
		}
		if heads[seq] {
			res.headLinks[seq] = append([]byte(nil), link...)
		}
		prevSeq = seq
		prevLink = append(linkBuf[flip][:0], link...)
		flip ^= 1
	}
	return res, rows.Err()
}

// ReorderWindow is how far around a bad row diagnose looks for the place it belongs.
const ReorderWindow = 1000

// maxDiagnosed bounds how many bad rows are explained one by one.
const maxDiagnosed = 200

// diagnose tells moved rows from changed ones: a row that chains at another position within
// ReorderWindow was moved there from; a bad row right after a moved one follows from it.
func diagnose(ctx context.Context, pool chan *pgx.Conn, inst string, bad []int64) ([]Finding, error) {
	sort.Slice(bad, func(i, j int) bool { return bad[i] < bad[j] })
	c := <-pool
	defer func() { pool <- c }()
	var out []Finding
	lk := audit.NewLinker()
	moved := map[int64]bool{}
	for i, seq := range bad {
		if i >= maxDiagnosed {
			out = append(out, Finding{Kind: FindChanged, From: seq, To: bad[len(bad)-1]})
			break
		}
		type row struct{ body, link []byte }
		win := map[int64]row{}
		rows, err := c.Query(ctx, `SELECT seq, body, link FROM scrdesk.audit_event WHERE instance_id = $1 AND seq BETWEEN $2 AND $3`,
			inst, seq-ReorderWindow-1, seq+ReorderWindow)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var s int64
			var r row
			if err := rows.Scan(&s, &r.body, &r.link); err != nil {
				rows.Close()
				return nil, err
			}
			win[s] = r
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		me := win[seq]
		belongs := int64(0)
		for j := seq - ReorderWindow; j <= seq+ReorderWindow && belongs == 0; j++ {
			if j == seq || j < 1 {
				continue
			}
			var prev []byte
			if j > 1 {
				p, ok := win[j-1]
				if !ok {
					continue
				}
				prev = p.link
				if j-1 == seq {
					continue
				}
			}
			l := lk.Link(prev, j, me.body)
			if other, ok := win[j]; ok && (bytes.Equal(l, other.link) || bytes.Equal(l, me.link)) {
				belongs = j
			}
		}
		switch {
		case belongs != 0:
			moved[seq] = true
			out = append(out, Finding{Kind: FindReordered, From: seq, To: seq, Other: belongs})
		case moved[seq-1]:
			// The row after a moved row does not chain from the moved row's link: a consequence.
		default:
			out = append(out, Finding{Kind: FindChanged, From: seq, To: seq})
		}
	}
	// Merge consecutive changed rows into ranges.
	var merged []Finding
	for _, f := range out {
		if n := len(merged); n > 0 && f.Kind == FindChanged && merged[n-1].Kind == FindChanged && merged[n-1].To+1 == f.From {
			merged[n-1].To = f.To
			continue
		}
		merged = append(merged, f)
	}
	return merged, nil
}
