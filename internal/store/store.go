// Package store is the one package that owns SQLite (through modernc.org/sqlite, no cgo): the
// schema and its migrations, the append-only audit log with its HMAC chain, the SGP's queries,
// settings persistence, the last role each user chose, and the outbox of privacy alerts.
//
// # Promises
//
//   - One database file, created with mode 0600 in a 0700 directory. WAL, synchronous=FULL,
//     foreign keys and a busy timeout are set in the connection string, so every pooled
//     connection has them.
//   - Migrations are embedded (migrations/NNNN_*.sql), versioned with PRAGMA user_version, each
//     applied in its own transaction.
//   - Record returns only after the audit row is committed to disk (WAL fsync). There is no
//     update or delete path; triggers refuse both at the database level.
//   - A row is (seq, body, mac): body is the canonical JSON of every field (audit.Encode) and
//     mac = HMAC-SHA256(key, previous MAC || seq || body). The columns the queries index
//     (time, action, outcome, user, NHS number) are virtual columns computed from the body, so
//     no field exists outside what the MAC covers. The 32-byte key is created on first run and
//     kept in the KeySource (the OS keyring, or the weaker owner-only key file, see package
//     secrets), never in SQLite. After every CheckpointEvery rows (default: every row) the
//     newest sequence number and MAC are checkpointed to the KeySource too, so a cut-off tail
//     is caught by Verify. If Open finds the log short of its checkpoint, it freezes the
//     checkpoint (new rows never overwrite the evidence) and records what it found as an
//     audit-verified row with a major-failure outcome.
//   - Verify walks the chain inside SQLite (an aggregate SQL function written in Go), in up to
//     four parallel ranges: well over a million rows a second.
//   - Row times never go backwards: if the clock steps back, rows carry the last time recorded
//     and the detail says by how much the clock was behind ("clock_behind_ms"). Time ranges are
//     therefore sequence ranges, which is how the queries use them.
//   - Queries are paged by key (sequence number), never by OFFSET, each backed by an index.
//
// # Imports
//
// The store depends on the secrets adapter only through the KeySource interface (Get/Set, with
// absence reported as an error matching fs.ErrNotExist, which secrets.ErrNotFound does), so it
// does not import package secrets.
//
// # Threading
//
// A DB is safe for concurrent use. Record and the other writes are serialised inside the
// process and by SQLite's write lock across processes. Every call blocks on disk; never call
// them on the UI goroutine.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"scrdesk/internal/audit"
)

// KeySource keeps the chain's key and checkpoint outside the database. secrets.Store satisfies
// it. Get must return an error matching fs.ErrNotExist when the name is absent.
type KeySource interface {
	Get(key string) (string, error)
	Set(key, value string) error
}

// Errors callers branch on. UserMessage turns any of them into plain English.
var (
	// ErrDiskFull means the disk is full: the row was not recorded, the log is intact.
	ErrDiskFull = errors.New("disk full")
	// ErrKeyMissing means the log has rows but its key is not in the key store.
	ErrKeyMissing = errors.New("audit key missing")
	// ErrKeyReplaced means the key in the key store is not the one the log was written with.
	ErrKeyReplaced = errors.New("audit key replaced")
	// ErrNotRecorded wraps any other failure to record an audit row.
	ErrNotRecorded = errors.New("audit row not recorded")
	// ErrNotFound means the row asked for does not exist.
	ErrNotFound = errors.New("not found")
)

// UserMessage says in plain English what went wrong and what to do.
func UserMessage(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrDiskFull):
		return "The disk is full, so SCR Desk cannot record what you do and will not show patient data. Free some disk space (or ask IT support), then try again."
	case errors.Is(err, ErrKeyMissing):
		return "The key that protects the audit log is missing from the keyring, so nothing can be recorded and no patient data can be shown. Ask IT support to restore the keyring, and tell your SCR Governance Person."
	case errors.Is(err, ErrKeyReplaced):
		return "The key that protects the audit log has been replaced, so nothing can be recorded and no patient data can be shown. Tell your SCR Governance Person and IT support."
	case errors.Is(err, audit.ErrInvalidEvent):
		return "SCR Desk could not record this action because its details were incomplete. Please report this to IT support."
	}
	return "SCR Desk could not record what you did, so it will not show patient data. Try again; if it keeps happening, ask IT support."
}

// Options tune Open. The zero value gives the defaults.
type Options struct {
	// CheckpointEvery is how many appended rows between checkpoints of the newest sequence
	// number and MAC to the KeySource. Default 1: every row, so any cut-off tail is caught.
	CheckpointEvery int
	// Now is the clock; default time.Now.
	Now func() time.Time
	// WeakKey records that keys come from the owner-only key file; reported by Verify and
	// WeakKey. It is also set when the KeySource has a Weak() bool method returning true, as
	// the secrets package's file store does.
	WeakKey bool
}

// keyState says whether the chain's key is usable.
type keyState int

const (
	keyOK keyState = iota
	keyMissing
	keyReplaced
)

// DB is an open SCR Desk database.
type DB struct {
	sql  *sql.DB
	path string
	log  *slog.Logger
	keys KeySource
	opts Options

	instance string // meta instance_id: names the key and checkpoint in the KeySource

	mu          sync.Mutex // serialises writers and guards the fields below
	chain       *audit.Chain
	key         []byte
	state       keyState
	sinceCP     int
	lastCP      int64
	freezeCP    bool // the checkpoint is evidence of tampering: never overwrite it
	cpProblemAt int64
}

// Open opens (creating if needed) the database at path, migrates it to the newest schema, and
// loads or creates the chain's key from keys. A missing or replaced key does not stop Open:
// the log can still be read and verified, but Record fails with ErrKeyMissing/ErrKeyReplaced.
func Open(ctx context.Context, path string, keys KeySource, log *slog.Logger) (*DB, error) {
	return OpenWith(ctx, path, keys, log, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, path string, keys KeySource, log *slog.Logger, opts Options) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.CheckpointEvery <= 0 {
		opts.CheckpointEvery = 1
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if w, ok := keys.(interface{ Weak() bool }); ok && w.Weak() {
		opts.WeakKey = true
	}
	sqldb, err := openSQL(path)
	if err != nil {
		return nil, err
	}
	db := &DB{sql: sqldb, path: path, log: log, keys: keys, opts: opts}
	if err := migrate(ctx, sqldb, len(migrations)); err != nil {
		sqldb.Close()
		return nil, err
	}
	if err := db.loadKey(ctx); err != nil {
		sqldb.Close()
		return nil, err
	}
	return db, nil
}

// dsn builds the connection string: every pooled connection gets the same pragmas.
func dsn(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate")
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	if runtime.GOOS == "windows" {
		u.Path = "/" + u.Path
	}
	return u.String()
}

func openSQL(path string) (*sql.DB, error) {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
	}
	// Create the file ourselves so it is owner-only from the start; SQLite gives the -wal and
	// -shm files the same mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open database file: %w", err)
	}
	f.Close()
	if runtime.GOOS != "windows" {
		if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(path, 0o600); err != nil {
				return nil, fmt.Errorf("make database owner-only: %w", err)
			}
		}
	}
	sqldb, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := sqldb.Ping(); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("open database: %w", translate(err))
	}
	return sqldb, nil
}

// Close writes a last checkpoint and closes the database.
func (db *DB) Close() error {
	db.mu.Lock()
	if db.sinceCP > 0 {
		db.checkpointLocked(context.Background())
	}
	db.mu.Unlock()
	return db.sql.Close()
}

// Path is the database file's path.
func (db *DB) Path() string { return db.path }

// WeakKey reports whether the key comes from the owner-only key file (Options.WeakKey).
func (db *DB) WeakKey() bool { return db.opts.WeakKey }

// KeyProblem returns ErrKeyMissing or ErrKeyReplaced when Record cannot append, else nil.
func (db *DB) KeyProblem() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.keyErr()
}

func (db *DB) keyErr() error {
	switch db.state {
	case keyMissing:
		return ErrKeyMissing
	case keyReplaced:
		return ErrKeyReplaced
	}
	return nil
}

func (db *DB) keyName() string        { return "audit-key:" + db.instance }
func (db *DB) checkpointName() string { return "audit-checkpoint:" + db.instance }

func metaGet(ctx context.Context, q querier, key string) (string, bool, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return v, err == nil, err
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// loadKey reads the instance id and the chain key, creating both on first run.
func (db *DB) loadKey(ctx context.Context) error {
	if _, err := db.sql.ExecContext(ctx, `INSERT OR IGNORE INTO meta (key, value) VALUES ('instance_id', ?)`,
		uuid.NewString()); err != nil {
		return fmt.Errorf("store instance id: %w", translate(err))
	}
	inst, _, err := metaGet(ctx, db.sql, "instance_id")
	if err != nil {
		return fmt.Errorf("read instance id: %w", err)
	}
	db.instance = inst
	storedID, haveID, err := metaGet(ctx, db.sql, "key_id")
	if err != nil {
		return fmt.Errorf("read key id: %w", err)
	}
	last, _, err := lastRow(ctx, db.sql)
	if err != nil {
		return err
	}
	enc, err := db.keys.Get(db.keyName())
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if last > 0 || haveID {
			db.state = keyMissing
			db.log.Error("audit key missing from the key store; recording is refused", "rows", last)
			return nil
		}
		key := make([]byte, audit.KeySize)
		if _, err := rand.Read(key); err != nil {
			return fmt.Errorf("create audit key: %w", err)
		}
		if err := db.keys.Set(db.keyName(), base64.StdEncoding.EncodeToString(key)); err != nil {
			return fmt.Errorf("store audit key: %w", err)
		}
		db.log.Info("created the audit log's key", "weak", db.opts.WeakKey)
		enc = base64.StdEncoding.EncodeToString(key)
	case err != nil:
		return fmt.Errorf("read audit key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(key) != audit.KeySize {
		db.state = keyReplaced
		db.log.Error("audit key in the key store is malformed; recording is refused")
		return nil
	}
	id := audit.KeyID(key)
	if !haveID {
		if _, err := db.sql.ExecContext(ctx, `INSERT OR IGNORE INTO meta (key, value) VALUES ('key_id', ?)`, id); err != nil {
			return fmt.Errorf("store key id: %w", translate(err))
		}
	} else if storedID != id {
		db.state = keyReplaced
		db.log.Error("audit key does not match the log; recording is refused")
		return nil
	}
	db.key = key
	db.chain, _ = audit.NewChain(key)
	if last > 0 {
		// A key whose fingerprint was replaced too: neither the first nor the newest row
		// verifies. Appending to such a log would only bury the evidence.
		okFirst, err := db.rowVerifies(ctx, 1)
		if err != nil {
			return err
		}
		okLast, err := db.rowVerifies(ctx, last)
		if err != nil {
			return err
		}
		if !okFirst && !okLast {
			db.state, db.key, db.chain = keyReplaced, nil, nil
			db.log.Error("audit key does not verify the log; recording is refused")
			return nil
		}
	}
	return db.checkCheckpoint(ctx, last)
}

// rowVerifies checks one row's MAC against its predecessor's stored MAC. A missing row counts
// as not verifying.
func (db *DB) rowVerifies(ctx context.Context, seq int64) (bool, error) {
	var prev []byte
	if seq > 1 {
		err := db.sql.QueryRowContext(ctx, `SELECT mac FROM audit_event WHERE seq = ?`, seq-1).Scan(&prev)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("read audit row %d: %w", seq-1, err)
		}
	}
	var mac, body []byte
	err := db.sql.QueryRowContext(ctx, `SELECT mac, body FROM audit_event WHERE seq = ?`, seq).Scan(&mac, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read audit row %d: %w", seq, err)
	}
	return db.chain.Check(prev, seq, body, mac), nil
}

// checkpoint is the newest sequence number and MAC saved to the KeySource.
type checkpoint struct {
	Seq int64
	MAC []byte
}

func (db *DB) readCheckpoint() (checkpoint, bool, error) {
	v, err := db.keys.Get(db.checkpointName())
	if errors.Is(err, fs.ErrNotExist) {
		return checkpoint{}, false, nil
	}
	if err != nil {
		return checkpoint{}, false, fmt.Errorf("read checkpoint: %w", err)
	}
	s, m, ok := strings.Cut(v, ":")
	seq, err1 := strconv.ParseInt(s, 10, 64)
	mac, err2 := hex.DecodeString(m)
	if !ok || err1 != nil || err2 != nil || seq < 1 {
		return checkpoint{}, true, fmt.Errorf("checkpoint is malformed")
	}
	return checkpoint{seq, mac}, true, nil
}

// checkCheckpoint compares the checkpoint with the log on Open. If the log lost rows or the
// row at the checkpoint has another MAC, the checkpoint is evidence: it is frozen so that new
// appends cannot overwrite it, and Verify will report the damage.
func (db *DB) checkCheckpoint(ctx context.Context, last int64) error {
	cp, ok, err := db.readCheckpoint()
	if err != nil {
		db.freezeCP = true
		db.log.Error("audit checkpoint unreadable; it will not be overwritten", "err", err)
		return nil
	}
	if !ok {
		return nil
	}
	db.lastCP = cp.Seq
	if cp.Seq > last {
		db.freezeCP, db.cpProblemAt = true, last+1
		db.log.Error("audit log is shorter than its checkpoint: rows were cut off", "rows", last, "checkpoint", cp.Seq)
		return db.recordEvidence(ctx, cp.Seq, last+1)
	}
	var mac []byte
	if err := db.sql.QueryRowContext(ctx, `SELECT mac FROM audit_event WHERE seq = ?`, cp.Seq).Scan(&mac); err != nil {
		return fmt.Errorf("read checkpointed row: %w", err)
	}
	if string(mac) != string(cp.MAC) {
		db.freezeCP, db.cpProblemAt = true, cp.Seq
		db.log.Error("audit row at the checkpoint differs from the checkpoint", "seq", cp.Seq)
		return db.recordEvidence(ctx, cp.Seq, cp.Seq)
	}
	return nil
}

// recordEvidence appends an audit-verified row (major failure) saying the log was cut off at
// firstBad, so the finding survives even after new rows fill the gap's sequence numbers.
func (db *DB) recordEvidence(ctx context.Context, cpSeq, firstBad int64) error {
	ev := audit.Event{Action: audit.ActionAuditVerified, Outcome: audit.OutcomeMajorFailure,
		Reason: "the audit log does not reach its checkpoint: newest rows were removed or replaced",
		Detail: map[string]string{"kind": string(audit.KindTruncated),
			"first_bad": strconv.FormatInt(firstBad, 10), "checkpoint_seq": strconv.FormatInt(cpSeq, 10)}}
	wctx := context.WithoutCancel(ctx)
	db.mu.Lock()
	defer db.mu.Unlock()
	tx, err := db.sql.BeginTx(wctx, nil)
	if err != nil {
		return fmt.Errorf("record tamper evidence: %w", translate(err))
	}
	if _, err := db.appendTx(wctx, tx, ev); err != nil {
		tx.Rollback()
		return fmt.Errorf("record tamper evidence: %w", translate(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record tamper evidence: %w", translate(err))
	}
	db.sinceCP = 0
	return nil
}

// truncationEvidence returns the smallest first_bad of the tamper-evidence rows recorded for
// the checkpoint at cpSeq, or 0 if there are none.
func (db *DB) truncationEvidence(ctx context.Context, cpSeq int64) (int64, error) {
	var first int64
	err := db.Each(ctx, audit.Filter{Action: audit.ActionAuditVerified, Outcome: audit.OutcomeMajorFailure},
		func(e audit.Entry) error {
			if e.Detail["kind"] != string(audit.KindTruncated) || e.Detail["checkpoint_seq"] != strconv.FormatInt(cpSeq, 10) {
				return nil
			}
			if n, err := strconv.ParseInt(e.Detail["first_bad"], 10, 64); err == nil && n > 0 && (first == 0 || n < first) {
				first = n
			}
			return nil
		})
	return first, err
}

// checkpointLocked saves the newest row's seq and MAC to the KeySource. Failure is logged, not
// returned: the rows are already committed.
func (db *DB) checkpointLocked(ctx context.Context) {
	if db.freezeCP || db.chain == nil {
		return
	}
	seq, mac, err := lastRow(ctx, db.sql)
	if err != nil || seq == 0 {
		return
	}
	if err := db.keys.Set(db.checkpointName(), strconv.FormatInt(seq, 10)+":"+hex.EncodeToString(mac)); err != nil {
		db.log.Warn("could not checkpoint the audit log", "err", err)
		return
	}
	db.sinceCP, db.lastCP = 0, seq
}

// Checkpoint saves the newest sequence number and MAC to the KeySource now.
func (db *DB) Checkpoint(ctx context.Context) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.checkpointLocked(ctx)
}

func lastRow(ctx context.Context, q querier) (int64, []byte, error) {
	var seq int64
	var mac []byte
	err := q.QueryRowContext(ctx, `SELECT seq, mac FROM audit_event ORDER BY seq DESC LIMIT 1`).Scan(&seq, &mac)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("read newest audit row: %w", translate(err))
	}
	return seq, mac, nil
}

// translate maps SQLite errors that callers branch on to this package's errors.
func translate(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL:
			return fmt.Errorf("%w: %v", ErrDiskFull, err)
		case sqlite3.SQLITE_IOERR:
			if strings.Contains(strings.ToLower(err.Error()), "no space") {
				return fmt.Errorf("%w: %v", ErrDiskFull, err)
			}
		}
	}
	return err
}

// Record appends e to the audit log and returns once the row is committed to disk. It
// implements audit.Recorder. On error nothing was recorded and the caller must not show the
// data the row was for. ctx is only checked before the write starts: once the transaction has
// begun it runs to its end, so the caller is never left unsure whether the row exists.
func (db *DB) Record(ctx context.Context, e audit.Event) (audit.Entry, error) {
	if err := e.Validate(); err != nil {
		return audit.Entry{}, err
	}
	if err := ctx.Err(); err != nil {
		return audit.Entry{}, fmt.Errorf("%w: %w", ErrNotRecorded, err)
	}
	var entry audit.Entry
	wctx := context.WithoutCancel(ctx)
	err := db.write(wctx, func(tx *sql.Tx) error {
		var err error
		entry, err = db.appendTx(wctx, tx, e)
		return err
	})
	if err != nil {
		return audit.Entry{}, err
	}
	return entry, nil
}

// write runs fn in one write transaction, commits, and checkpoints as configured. Errors are
// translated and wrapped with ErrNotRecorded.
func (db *DB) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if err := db.keyErr(); err != nil {
		return err
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%w: begin: %w", ErrNotRecorded, translate(err))
	}
	before := db.sinceCP
	if err := fn(tx); err != nil {
		tx.Rollback()
		db.sinceCP = before
		if errors.Is(err, audit.ErrInvalidEvent) || errors.Is(err, ErrNotFound) {
			return err
		}
		return fmt.Errorf("%w: %w", ErrNotRecorded, translate(err))
	}
	if err := tx.Commit(); err != nil {
		db.sinceCP = before
		return fmt.Errorf("%w: commit: %w", ErrNotRecorded, translate(err))
	}
	if db.sinceCP >= db.opts.CheckpointEvery {
		db.checkpointLocked(ctx)
	}
	return nil
}

// appendTx appends one row inside tx. Call with db.mu held.
func (db *DB) appendTx(ctx context.Context, tx *sql.Tx, e audit.Event) (audit.Entry, error) {
	if err := e.Validate(); err != nil {
		return audit.Entry{}, err
	}
	var last int64
	var prev []byte
	var lastMS int64
	err := tx.QueryRowContext(ctx, `SELECT seq, mac, time_ms FROM audit_event ORDER BY seq DESC LIMIT 1`).
		Scan(&last, &prev, &lastMS)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return audit.Entry{}, fmt.Errorf("read newest row: %w", err)
	}
	now := db.opts.Now().UTC().Truncate(time.Millisecond)
	if behind := lastMS - now.UnixMilli(); behind > 0 {
		d := make(map[string]string, len(e.Detail)+1)
		for k, v := range e.Detail {
			d[k] = v
		}
		d["clock_behind_ms"] = strconv.FormatInt(behind, 10)
		e.Detail = d
		now = time.UnixMilli(lastMS).UTC()
	}
	id, err := uuid.NewRandom()
	if err != nil {
		return audit.Entry{}, fmt.Errorf("new UUID: %w", err)
	}
	entry := audit.Entry{Seq: last + 1, ID: id.String(), Time: now, Event: e}
	if prev == nil && last > 0 {
		return audit.Entry{}, errors.New("newest row has no MAC")
	}
	body := audit.Encode(entry)
	entry.MAC = append([]byte(nil), db.chain.MAC(prev, entry.Seq, body)...)
	if _, err := tx.ExecContext(ctx, insertSQL, entry.Seq, string(body), entry.MAC); err != nil {
		return audit.Entry{}, fmt.Errorf("insert audit row: %w", err)
	}
	db.sinceCP++
	return entry, nil
}

const insertSQL = `INSERT INTO audit_event (seq, body, mac) VALUES (?, ?, ?)`
