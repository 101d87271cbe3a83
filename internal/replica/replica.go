// Package replica streams this workstation's audit log, row for row as it is stored, to the
// pharmacy's central PostgreSQL database (github.com/jackc/pgx/v5), signs the chain's head
// regularly with the workstation's Ed25519 key, and verifies the central copy with nothing but
// the registered public keys (VerifyCentral).
//
// # Promises
//
//   - Rows go to scrdesk.audit_event keyed by (log instance id, seq), in batches of one
//     multi-row INSERT ... ON CONFLICT DO NOTHING each (arrays bound in the binary protocol).
//     A retry, a cursor restored from a backup or a second process never duplicates a row.
//   - The cursor (newest seq the server acknowledged, and the public link there) is kept in
//     the local SQLite store and advanced only after the server committed; a workstation
//     killed mid-batch resends that batch.
//   - While the server is away the worker backs off (1 s doubling to Config.MaxBackoff, with
//     jitter) and catches up, oldest first, however long it was away.
//   - It never blocks the counter: it only reads the log (SQLite WAL readers never wait for
//     the writer) and writes its one-row cursor.
//   - Every Config.HeadEvery (or Config.HeadRows rows) and when it stops, it signs the newest
//     replicated row's link (audit.SignHead) and sends the head in the same transaction as the
//     batch. On its first connection it registers its public key (with its first rows, in one
//     transaction); a different key already registered for this log is refused and reported.
//
// # Imports
//
// replica imports internal/store (a written exception: it reads the raw rows and keeps its
// cursor there) and reaches the keyring through the KeySource interface, as the store does.
//
// # Threading
//
// Worker.Run owns the connection and runs on its own goroutine until its context ends; Status
// is safe from any goroutine and never blocks on the network. VerifyCentral runs where it is
// called, in parallel ranges.
package replica

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"scrdesk/internal/audit"
	"scrdesk/internal/store"
)

// KeySource keeps the signing key (secrets.Store satisfies it). Get must return an error
// matching fs.ErrNotExist when the name is absent.
type KeySource interface {
	Get(key string) (string, error)
	Set(key, value string) error
}

// PasswordKey is the keyring name of the central database password (the workstation's
// inserting login); ReaderPasswordKey the SGP's reading login's.
const (
	PasswordKey       = "central-db-password"
	ReaderPasswordKey = "central-sgp-password"
)

// signingKeyName names the workstation's Ed25519 key for one log instance.
func signingKeyName(instance string) string { return "central-signing-key:" + instance }

// SigningKey loads this log instance's Ed25519 key from keys, creating it on first use.
func SigningKey(keys KeySource, instance string) (ed25519.PrivateKey, error) {
	v, err := keys.Get(signingKeyName(instance))
	if errors.Is(err, fs.ErrNotExist) {
		_, priv, gerr := ed25519.GenerateKey(rand.Reader)
		if gerr != nil {
			return nil, gerr
		}
		if err := keys.Set(signingKeyName(instance), base64.StdEncoding.EncodeToString(priv.Seed())); err != nil {
			return nil, fmt.Errorf("store the signing key: %w", err)
		}
		return priv, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the signing key: %w", err)
	}
	seed, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("the signing key in the keyring is malformed")
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// Source is the local log (*store.DB).
type Source interface {
	InstanceID() string
	RowsAfter(ctx context.Context, after int64, limit int) ([]store.RawRow, error)
	LastSeq(ctx context.Context) (int64, error)
	LoadReplicaCursor(ctx context.Context) (store.ReplicaCursor, error)
	SaveReplicaCursor(ctx context.Context, c store.ReplicaCursor) error
}

// Config configures a Worker.
type Config struct {
	// DSN is the central database's connection string (settings.CentralDSN): a URL or
	// key=value pairs, without the password.
	DSN string
	// Password, from the keyring (PasswordKey); "" leaves the DSN's or PGPASSWORD's.
	Password string
	// Workstation and ODSCode are registered with the public key.
	Workstation, ODSCode string
	// Batch is the most rows per transaction (default 5000).
	Batch int
	// HeadEvery and HeadRows: a head is signed when this long passed, or this many rows were
	// replicated, since the last (defaults 30 s and 10,000).
	HeadEvery time.Duration
	HeadRows  int64
	// Poll is how often the log is checked for new rows when idle (default 250 ms).
	Poll time.Duration
	// MaxBackoff caps the wait between attempts while the server is away (default 1 min).
	MaxBackoff time.Duration
	Now        func() time.Time
	Log        *slog.Logger
}

func (c *Config) defaults() {
	if c.Batch <= 0 {
		c.Batch = 5000
	}
	if c.HeadEvery <= 0 {
		c.HeadEvery = 30 * time.Second
	}
	if c.HeadRows <= 0 {
		c.HeadRows = 10_000
	}
	if c.Poll <= 0 {
		c.Poll = 250 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// ErrKeyMismatch means the central database already holds another public key for this log.
var ErrKeyMismatch = errors.New("the central database holds another signing key for this workstation's log")

// Worker replicates one log.
type Worker struct {
	cfg  Config
	src  Source
	key  ed25519.PrivateKey
	inst string

	conn       *pgx.Conn
	registered bool
	linker     *audit.Linker

	mu sync.Mutex
	st Status

	kick chan struct{}
}

// New returns a Worker for src signing with key (SigningKey).
func New(cfg Config, src Source, key ed25519.PrivateKey) *Worker {
	cfg.defaults()
	w := &Worker{cfg: cfg, src: src, key: key, inst: src.InstanceID(), linker: audit.NewLinker(),
		kick: make(chan struct{}, 1)}
	w.st = Status{Enabled: cfg.DSN != "", KeyFingerprint: audit.KeyFingerprint(key.Public().(ed25519.PublicKey))}
	return w
}

// Kick asks the worker to look for new rows now (Record just appended one). Never blocks.
func (w *Worker) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Status returns the replication state now.
func (w *Worker) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.st
}

func (w *Worker) setStatus(f func(*Status)) {
	w.mu.Lock()
	f(&w.st)
	w.mu.Unlock()
}

// Run replicates until ctx ends, then signs a last head if it can. It returns ctx's error.
func (w *Worker) Run(ctx context.Context) error {
	if w.cfg.DSN == "" {
		<-ctx.Done()
		return ctx.Err()
	}
	defer w.closeConn()
	backoff := time.Second
	for {
		idle, err := w.step(ctx)
		if ctx.Err() != nil {
			w.finalHead()
			return ctx.Err()
		}
		var wait time.Duration
		switch {
		case err != nil:
			w.offline(ctx, err)
			wait = jitter(backoff)
			backoff = min(backoff*2, w.cfg.MaxBackoff)
		case idle:
			backoff = time.Second
			wait = w.cfg.Poll
		default:
			backoff = time.Second
			continue // more rows waiting: no pause
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			w.finalHead()
			return ctx.Err()
		case <-w.kick:
			t.Stop()
		case <-t.C:
		}
	}
}

func jitter(d time.Duration) time.Duration {
	return d - d/5 + time.Duration(mrand.Int64N(int64(d/5)*2+1))
}

func (w *Worker) closeConn() {
	if w.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		w.conn.Close(ctx)
		cancel()
		w.conn = nil
	}
}

func (w *Worker) offline(ctx context.Context, err error) {
	w.closeConn()
	w.cfg.Log.Warn("central audit database unreachable; will retry", "err", err)
	last, _ := w.src.LastSeq(ctx)
	now := w.cfg.Now()
	w.setStatus(func(s *Status) {
		if s.Connected || s.OfflineSince.IsZero() {
			s.OfflineSince = now
		}
		s.Connected = false
		s.Waiting = max(0, last-s.Cursor)
		s.Problem = problemText(err)
	})
}

func problemText(err error) string {
	var pe *pgconn.PgError
	var ce *ConflictError
	switch {
	case errors.As(err, &ce):
		return fmt.Sprintf("The central audit database already holds a different entry %d for this workstation: someone changed it. Entries are kept here and not sent on; ask IT support to run scrdesk audit verify --central.", ce.Seq)
	case errors.Is(err, ErrKeyMismatch):
		return "The central audit database holds another signing key for this workstation. Ask IT support to check the workstation's registration."
	case errors.As(err, &pe) && pe.Code == "42501":
		return "The central audit database refused this workstation's account (permission denied). Ask IT support to check its role."
	case errors.As(err, &pe) && pe.Code == "28P01":
		return "The central audit database did not accept the password. Ask IT support to set it again."
	}
	return "The central audit database cannot be reached. Entries are kept on this workstation and sent when it is back."
}

func (w *Worker) connect(ctx context.Context) error {
	if w.conn != nil && !w.conn.IsClosed() {
		return nil
	}
	cfg, err := pgx.ParseConfig(w.cfg.DSN)
	if err != nil {
		return fmt.Errorf("central database address: %w", err)
	}
	if w.cfg.Password != "" {
		cfg.Password = w.cfg.Password
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	cctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	c, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		return err
	}
	w.conn, w.registered = c, false
	return nil
}

// step sends one batch (or a due head). idle is true when nothing was waiting.
func (w *Worker) step(ctx context.Context) (idle bool, err error) {
	cur, err := w.src.LoadReplicaCursor(ctx)
	if err != nil {
		return false, err
	}
	rows, err := w.src.RowsAfter(ctx, cur.Seq, w.cfg.Batch)
	if err != nil {
		return false, err
	}
	now := w.cfg.Now()
	headDue := cur.Seq > cur.SignedSeq && (cur.Seq-cur.SignedSeq >= w.cfg.HeadRows ||
		now.Sub(time.UnixMilli(cur.SignedMS)) >= w.cfg.HeadEvery)
	if len(rows) == 0 && !headDue {
		w.setStatus(func(s *Status) {
			s.Cursor, s.Waiting, s.SignedSeq = cur.Seq, 0, cur.SignedSeq
			if s.Connected {
				s.LastOK = now
			}
		})
		if w.conn == nil && cur.Seq > 0 {
			// Nothing to send, but say whether the server is there.
			if err := w.connect(ctx); err != nil {
				return false, err
			}
			w.online(now, cur)
		}
		return true, nil
	}
	if err := w.connect(ctx); err != nil {
		return false, err
	}
	next, err := w.send(ctx, cur, rows, now)
	if err != nil {
		w.closeConn()
		return false, err
	}
	if err := w.src.SaveReplicaCursor(context.WithoutCancel(ctx), next); err != nil {
		return false, err
	}
	last, _ := w.src.LastSeq(ctx)
	w.online(now, next)
	w.setStatus(func(s *Status) { s.Waiting = max(0, last-next.Seq) })
	return len(rows) == 0, nil
}

func (w *Worker) online(now time.Time, c store.ReplicaCursor) {
	w.setStatus(func(s *Status) {
		s.Connected, s.OfflineSince, s.Problem = true, time.Time{}, ""
		s.Cursor, s.SignedSeq, s.LastOK = c.Seq, c.SignedSeq, now
	})
}

const insertRows = `INSERT INTO scrdesk.audit_event (instance_id, seq, body, mac, link)
	SELECT $1::uuid, r.seq, r.body, r.mac, r.link
	FROM unnest($2::bigint[], $3::text[], $4::bytea[], $5::bytea[]) AS r (seq, body, mac, link)
	ON CONFLICT DO NOTHING RETURNING seq`

// existingLinks reads back the links of this log's rows the server already held (a retry of a
// committed batch holds the same; anything else was put there by someone else).
const existingLinks = `SELECT seq, link FROM scrdesk.audit_event WHERE instance_id = $1::uuid AND seq = ANY($2::bigint[])`

const insertHead = `INSERT INTO scrdesk.chain_head (instance_id, seq, link, signed_ms, signature)
	VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`

// send writes rows (and a head when due) in one transaction and returns the new cursor.
func (w *Worker) send(ctx context.Context, cur store.ReplicaCursor, rows []store.RawRow, now time.Time) (store.ReplicaCursor, error) {
	next := cur
	if next.Seq == 0 {
		next.Link = nil
	}
	seqs := make([]int64, len(rows))
	bodies := make([]string, len(rows))
	macs := make([][]byte, len(rows))
	links := make([][]byte, len(rows))
	prev := next.Link
	for i, r := range rows {
		if r.Seq != next.Seq+1 {
			return cur, fmt.Errorf("the local audit log has no row %d (next is %d): run scrdesk audit verify", next.Seq+1, r.Seq)
		}
		l := append([]byte(nil), w.linker.Link(prev, r.Seq, r.Body)...)
		seqs[i], bodies[i], macs[i], links[i] = r.Seq, string(r.Body), r.MAC, l
		prev, next.Seq, next.Link = l, r.Seq, l
	}
	tx, err := w.conn.Begin(ctx)
	if err != nil {
		return cur, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if !w.registered {
		if err := w.register(ctx, tx); err != nil {
			return cur, err
		}
	}
	if len(rows) > 0 {
		if err := w.insert(ctx, tx, seqs, bodies, macs, links); err != nil {
			return cur, err
		}
	}
	if next.Seq > next.SignedSeq && (next.Seq-next.SignedSeq >= w.cfg.HeadRows ||
		now.Sub(time.UnixMilli(next.SignedMS)) >= w.cfg.HeadEvery) {
		h := audit.SignHead(w.key, w.inst, next.Seq, next.Link, now.UnixMilli())
		if _, err := tx.Exec(ctx, insertHead, w.inst, h.Seq, h.Link, h.SignedMS, h.Signature); err != nil {
			return cur, err
		}
		next.SignedSeq, next.SignedMS = h.Seq, h.SignedMS
	}
	if err := tx.Commit(ctx); err != nil {
		return cur, err
	}
	w.registered = true
	next.UpdatedMS = now.UnixMilli()
	return next, nil
}

// ErrCentralConflict: the central table already holds, at one of this log's sequence numbers,
// an entry that is not this workstation's (planted there by someone with database access). The
// cursor does not move past it, so the entry is never taken as replicated.
var ErrCentralConflict = errors.New("the central audit database holds a different entry at this workstation's sequence number")

// ConflictError names the entry.
type ConflictError struct{ Seq int64 }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%v: entry %d", ErrCentralConflict, e.Seq)
}
func (e *ConflictError) Unwrap() error { return ErrCentralConflict }

// insert writes the batch; a row the server already held (ON CONFLICT DO NOTHING returns no
// seq for it) must be this workstation's own, with the same link (which covers its body and
// everything before it): a retry of a batch that committed. Any other is a ConflictError.
func (w *Worker) insert(ctx context.Context, tx pgx.Tx, seqs []int64, bodies []string, macs, links [][]byte) error {
	rs, err := tx.Query(ctx, insertRows, w.inst, seqs, bodies, macs, links)
	if err != nil {
		return err
	}
	inserted := map[int64]bool{}
	for rs.Next() {
		var s int64
		if err := rs.Scan(&s); err != nil {
			rs.Close()
			return err
		}
		inserted[s] = true
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return err
	}
	if len(inserted) == len(seqs) {
		return nil
	}
	want := map[int64][]byte{}
	var held []int64
	for i, s := range seqs {
		if !inserted[s] {
			held, want[s] = append(held, s), links[i]
		}
	}
	rs, err = tx.Query(ctx, existingLinks, w.inst, held)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var s int64
		var l []byte
		if err := rs.Scan(&s, &l); err != nil {
			return err
		}
		if !bytes.Equal(l, want[s]) {
			return &ConflictError{Seq: s}
		}
		delete(want, s)
	}
	if err := rs.Err(); err != nil {
		return err
	}
	for s := range want {
		return &ConflictError{Seq: s} // not inserted, and not there either
	}
	return nil
}

// register records this log's public key, or checks the one already registered.
func (w *Worker) register(ctx context.Context, tx pgx.Tx) error {
	pub := w.key.Public().(ed25519.PublicKey)
	if _, err := tx.Exec(ctx, `INSERT INTO scrdesk.workstation (instance_id, public_key, workstation, ods_code)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, w.inst, []byte(pub), w.cfg.Workstation, w.cfg.ODSCode); err != nil {
		return err
	}
	var got []byte
	if err := tx.QueryRow(ctx, `SELECT public_key FROM scrdesk.workstation WHERE instance_id = $1`, w.inst).Scan(&got); err != nil {
		return err
	}
	if !pub.Equal(ed25519.PublicKey(got)) {
		return ErrKeyMismatch
	}
	return nil
}

// finalHead signs the newest replicated row when the worker stops, if the server is there.
func (w *Worker) finalHead() {
	if w.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	cur, err := w.src.LoadReplicaCursor(ctx)
	if err != nil || cur.Seq == 0 || cur.Seq == cur.SignedSeq {
		return
	}
	now := w.cfg.Now()
	h := audit.SignHead(w.key, w.inst, cur.Seq, cur.Link, now.UnixMilli())
	if _, err := w.conn.Exec(ctx, insertHead, w.inst, h.Seq, h.Link, h.SignedMS, h.Signature); err != nil {
		return
	}
	cur.SignedSeq, cur.SignedMS = h.Seq, h.SignedMS
	_ = w.src.SaveReplicaCursor(ctx, cur)
}
