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
//   - A row's time is the clock's reading; rows are ordered by sequence number, never by time.
//     A reading earlier than the row before it is kept as it is and flagged in the detail
//     ("clock_behind_ms": by how much), and within one process a wall clock that moved apart
//     from the monotonic clock since the previous row is flagged too ("clock_jump_ms", signed:
//     positive when it jumped forward). So a forward jump corrected later never pins the time
//     of every later row. While no row is flagged behind (an index lists them), a time range is
//     a sequence range (the fast path); otherwise each row's own time is checked as well.
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
	"database/sql"
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
	"scrdesk/internal/governance"
	"scrdesk/internal/usermsg"
)

// KeySource keeps the chain's key and checkpoint outside the database. secrets.Store satisfies
// it. Get must return an error matching fs.ErrNotExist when the name is absent.
type KeySource interface {
	Get(key string) (string, error)
	Set(key, value string) error
}

// Errors callers branch on. Each that a person may see carries its sentence (usermsg.Error).
var (
	// ErrDiskFull means the disk is full: the row was not recorded, the log is intact.
	ErrDiskFull = usermsg.New("disk full", "The disk is full, so SCR Desk cannot record what you do and will not show patient data. Free some disk space (or ask IT support), then try again.")
	// ErrKeyMissing means the log has rows but its key is not in the key store.
	ErrKeyMissing = usermsg.New("audit key missing", "The key that protects the audit log is missing from the keyring, so nothing can be recorded and no patient data can be shown. Ask IT support to restore the keyring, and tell your SCR Governance Person.")
	// ErrKeyReplaced means the key in the key store is not the one the log was written with.
	ErrKeyReplaced = usermsg.New("audit key replaced", "The key that protects the audit log has been replaced, so nothing can be recorded and no patient data can be shown. Tell your SCR Governance Person and IT support.")
	// ErrNotRecorded wraps any other failure to record an audit row.
	ErrNotRecorded = errors.New("audit row not recorded")
	// ErrNotFound means the row asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrLogReplaced means the keyring knows a log this file is not (deleted, emptied, an
	// older copy, or another log): nothing is recorded until a new log is started (NewLog).
	ErrLogReplaced = usermsg.New("audit log removed or replaced", "The audit log was removed or replaced. Nothing can be recorded, so no patient records can be opened. "+audit.DoNewLog)
	// ErrSchemaChanged means the database's schema differs from the embedded migrations.
	ErrSchemaChanged = usermsg.New("audit log schema changed outside SCR Desk", "The audit log's database has been changed outside SCR Desk (its structure differs from what SCR Desk made), so nothing can be recorded and no patient data can be shown. "+audit.DoSchemaFix)
	// ErrIndexMismatch means an index returned a row that does not match the query: the
	// database was tampered with.
	ErrIndexMismatch = usermsg.New("audit index returned a row outside the filter", "The audit log's search index returned an entry that does not match the search: the database has been changed outside SCR Desk. "+audit.DoSchemaFix)
)

// UserMessage says in plain English what went wrong and what to do: the sentence the error
// carries (usermsg.Error), or "could not record" for any other failure.
func UserMessage(err error) string {
	return usermsg.Of(err, "SCR Desk could not record what you did, so it will not show patient data. Try again; if it keeps happening, ask IT support.")
}

// Options tune Open. The zero value gives the defaults.
type Options struct {
	// CheckpointEvery is how many appended rows between checkpoints of the newest sequence
	// number and MAC to the KeySource. Default 1: every row, so any cut-off tail is caught.
	CheckpointEvery int
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Mono is the monotonic clock, for telling a jump of the wall clock (Now) between two rows;
	// default: the time since Open by Go's monotonic reading.
	Mono func() time.Duration
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
	// memory: the database is the in-memory stand-in for a removed log (one connection).
	memory bool

	instance   string   // meta instance_id: names the key and checkpoint in the KeySource
	schemaDiff []string // how the schema found at Open differs from the migrations'

	mu         sync.Mutex // serialises writers and guards the fields below
	chain      *audit.Chain
	key        []byte
	state      keyState
	broken     *audit.Break // the log was removed or replaced (Open found it)
	sinceCP    int
	lastCP     int64
	lastCPTime time.Time
	freezeCP   bool  // the checkpoint is evidence of tampering: never overwrite it
	cpErr      error // the checkpoint could not be read at Open

	degraded      bool // checkpoint writes are failing
	degradedSince time.Time
	degradedFrom  int64 // first row not protected
	cpFailure     string

	lastWall time.Time     // Now's reading at the previous row this process appended
	lastMono time.Duration // and Mono's

	rules *governance.Engine // checks each appended row once EnableRules has caught up

	wtx *writeTx // write's transaction and its append statements, while write runs
}

// writeTx is a write transaction with the statements rows are appended by, prepared on it once:
// a batch of rows (AppendBatch, the demo's log) parsed the same two statements again for every
// row, two thirds of its time. They close with the transaction.
type writeTx struct {
	tx             *sql.Tx
	newest, insert *sql.Stmt
	gov            *govWriter // the rules' writes (checkAppendedTx)

	// The row this transaction appended last (every row is appended by appendAtTx), so that
	// the next need not read it back.
	appended        bool
	lastSeq, lastMS int64
	lastMAC         []byte
}

// LogReplacedError is ErrLogReplaced with what Open found.
type LogReplacedError struct{ Break audit.Break }

func (e *LogReplacedError) Error() string { return e.Break.Message() }
func (e *LogReplacedError) Unwrap() error { return ErrLogReplaced }

// UserMessage says what broke and what to do (usermsg.Error).
func (e *LogReplacedError) UserMessage() string {
	return e.Break.Message() + " Nothing can be recorded, so no patient records can be opened. " + audit.DoNewLog
}

// Open opens (creating if needed) the database at path, migrates it to the newest schema, and
// loads or creates the chain's key from keys. A missing or replaced key does not stop Open:
// the log can still be read and verified, but Record fails with ErrKeyMissing/ErrKeyReplaced.
func Open(ctx context.Context, path string, keys KeySource, log *slog.Logger) (*DB, error) {
	return OpenWith(ctx, path, keys, log, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, path string, keys KeySource, log *slog.Logger, opts Options) (*DB, error) {
	return openWith(ctx, path, keys, log, opts, "")
}

// openWith opens the database; adopt, when set, is taken as the KeySource's current log (NewLog
// opens its new log so before naming it there).
func openWith(ctx context.Context, path string, keys KeySource, log *slog.Logger, opts Options, adopt string) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.CheckpointEvery <= 0 {
		opts.CheckpointEvery = 1
	}
	if opts.Now == nil && opts.Mono == nil {
		start := time.Now()
		opts.Mono = func() time.Duration { return time.Since(start) } // Go's monotonic reading
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if w, ok := keys.(interface{ Weak() bool }); ok && w.Weak() {
		opts.WeakKey = true
	}
	existed := false
	if st, err := os.Stat(path); err == nil && st.Size() > 0 {
		existed = true
	}
	var sqldb *sql.DB
	var err error
	memory := false
	if _, serr := os.Stat(path); errors.Is(serr, fs.ErrNotExist) && adopt == "" && knownLog(keys, path) {
		// The keyring knows a log and the file is gone: open nothing on disk (a new file would
		// hide what happened); an empty database in memory stands in, and recording is refused.
		sqldb, err = sql.Open("sqlite", ":memory:")
		if err == nil {
			sqldb.SetMaxOpenConns(1)
		}
		memory = true
	} else {
		sqldb, err = openSQL(path)
	}
	if err != nil {
		return nil, err
	}
	db := &DB{sql: sqldb, path: path, log: log, keys: keys, opts: opts, memory: memory}
	if err := migrate(ctx, sqldb, len(migrations)); err != nil {
		sqldb.Close()
		return nil, err
	}
	diff, err := checkSchema(ctx, sqldb)
	if err != nil {
		sqldb.Close()
		return nil, err
	}
	if db.schemaDiff = diff; len(diff) > 0 {
		log.Error("audit log schema differs from the migrations; recording is refused", "differences", strings.Join(diff, "; "))
	}
	if err := db.loadIdentity(ctx, existed, adopt); err != nil {
		sqldb.Close()
		return nil, err
	}
	return db, nil
}

// knownLog reports whether keys name a current log that has a checkpoint.
func knownLog(keys KeySource, path string) bool {
	cur, err := keys.Get(IdentityName(path))
	if err != nil || cur == "" {
		return false
	}
	_, err = keys.Get("audit-checkpoint:" + cur)
	return err == nil
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
	// The first connection to a new file turns it to WAL mode. Another process opening the same
	// new file at that moment (the window and an `scrdesk audit` command) gets SQLITE_BUSY
	// straight away, without the busy timeout, while the file is still in rollback mode: wait
	// for the change as the busy timeout would.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := sqldb.Ping()
		if err == nil {
			return sqldb, nil
		}
		var se *sqlite.Error
		if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			sqldb.Close()
			return nil, fmt.Errorf("open database: %w", translate(err))
		}
		time.Sleep(20 * time.Millisecond)
	}
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

// KeyProblem returns why Record cannot append (ErrLogReplaced, ErrSchemaChanged,
// ErrKeyMissing or ErrKeyReplaced), else nil.
func (db *DB) KeyProblem() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.keyErr()
}

// Problem is KeyProblem: why nothing can be recorded, or nil.
func (db *DB) Problem() error { return db.KeyProblem() }

func (db *DB) keyErr() error {
	if db.broken != nil {
		return &LogReplacedError{Break: *db.broken}
	}
	if len(db.schemaDiff) > 0 {
		return fmt.Errorf("%w: %s", ErrSchemaChanged, strings.Join(db.schemaDiff, "; "))
	}
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
	db.wtx = &writeTx{tx: tx}
	defer func() { db.wtx = nil }()
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
		db.rules = nil // the rules saw rows that did not commit: EnableRules again catches up
		return fmt.Errorf("%w: commit: %w", ErrNotRecorded, translate(err))
	}
	if db.sinceCP >= db.opts.CheckpointEvery {
		db.checkpointLocked(ctx)
	}
	return nil
}

// appendTx appends one row inside tx. Call with db.mu held.
func (db *DB) appendTx(ctx context.Context, tx *sql.Tx, e audit.Event) (audit.Entry, error) {
	return db.appendAtTx(ctx, tx, e, db.opts.Now(), true)
}

// appendAtTx appends one row recorded at the time at (clamped so times never go backwards).
func (db *DB) appendAtTx(ctx context.Context, tx *sql.Tx, e audit.Event, at time.Time, reading bool) (audit.Entry, error) {
	if err := e.Validate(); err != nil {
		return audit.Entry{}, err
	}
	var last int64
	var prev []byte
	var lastMS int64
	st, err := db.appendStmts(ctx, tx)
	if err != nil {
		return audit.Entry{}, err
	}
	if st.appended {
		last, prev, lastMS = st.lastSeq, st.lastMAC, st.lastMS
	} else if err := st.newest.QueryRowContext(ctx).Scan(&last, &prev, &lastMS); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return audit.Entry{}, fmt.Errorf("read newest row: %w", err)
	}
	now := at.UTC().Truncate(time.Millisecond)
	flag := func(k string, v int64) {
		d := make(map[string]string, len(e.Detail)+1)
		for k, v := range e.Detail {
			d[k] = v
		}
		d[k] = strconv.FormatInt(v, 10)
		e.Detail = d
	}
	if behind := lastMS - now.UnixMilli(); behind > 0 && last > 0 {
		flag(DetailClockBehind, behind) // kept as read: rows are ordered by seq, not by time
	}
	if reading { // rows given their times (AppendBatch) are not readings
		if jump, ok := db.clockJump(at); ok {
			flag(DetailClockJump, jump)
		}
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
	if _, err := st.insert.ExecContext(ctx, entry.Seq, string(body), entry.MAC); err != nil {
		return audit.Entry{}, fmt.Errorf("insert audit row: %w", err)
	}
	db.sinceCP++
	st.appended, st.lastSeq, st.lastMS, st.lastMAC = true, entry.Seq, entry.Time.UnixMilli(), entry.MAC
	if err := db.checkAppendedTx(ctx, tx, entry); err != nil {
		db.rules = nil // the engine saw a row that will not commit: EnableRules again catches up
		return audit.Entry{}, fmt.Errorf("check the governance rules: %w", err)
	}
	return entry, nil
}

const (
	newestSQL = `SELECT seq, mac, time_ms FROM audit_event ORDER BY seq DESC LIMIT 1`
	insertSQL = `INSERT INTO audit_event (seq, body, mac) VALUES (?, ?, ?)`
)

// appendStmts are the statements appendAtTx uses in tx: write's, prepared at its first row; in
// a transaction of another (one row, appendNoteLocked), prepared for that row.
func (db *DB) appendStmts(ctx context.Context, tx *sql.Tx) (*writeTx, error) {
	w := db.wtx
	if w == nil || w.tx != tx {
		w = &writeTx{tx: tx}
	}
	if w.newest == nil {
		newest, err := tx.PrepareContext(ctx, newestSQL)
		if err != nil {
			return nil, fmt.Errorf("prepare: read newest row: %w", err)
		}
		insert, err := tx.PrepareContext(ctx, insertSQL)
		if err != nil {
			return nil, fmt.Errorf("prepare: insert audit row: %w", err)
		}
		w.newest, w.insert = newest, insert
	}
	return w, nil
}

// The details the store adds to a row about its clock.
const (
	DetailClockBehind = audit.DetailClockBehind // the reading is this much earlier than the row before
	DetailClockJump   = audit.DetailClockJump   // the wall clock moved this much apart from the monotonic clock since this process's previous row
)

// clockJumpTolerance is how far the wall clock may drift from the monotonic clock between two
// rows (NTP slews, suspend) before the row says the clock jumped.
const clockJumpTolerance = 2 * time.Second

// clockJump compares the wall clock's move since this process's previous row with the
// monotonic clock's, for a row recorded now at wall time at. Rows recorded at given times
// (AppendBatch) are not readings and are not compared. The caller holds db.mu.
func (db *DB) clockJump(at time.Time) (int64, bool) {
	if db.opts.Mono == nil {
		return 0, false
	}
	mono := db.opts.Mono()
	prevWall, prevMono := db.lastWall, db.lastMono
	db.lastWall, db.lastMono = at, mono
	if prevWall.IsZero() {
		return 0, false
	}
	d := at.Round(0).Sub(prevWall.Round(0)) - (mono - prevMono) // Round(0): the wall readings, not Go's monotonic ones
	if d > -clockJumpTolerance && d < clockJumpTolerance {
		return 0, false
	}
	return d.Milliseconds(), true
}
