package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"scrdesk/internal/audit"
)

// IdentityName is the KeySource entry that names the workstation user's current log at the
// database file path: its instance id. With the instance's checkpoint (audit-checkpoint:<id>)
// it is the log's identity outside the file, so a deleted, emptied, older or different file
// is seen at Open. The keyring is the user's, so this is per workstation user (and per data
// folder, so that --data-dir folders do not mistake each other for a replaced log).
func IdentityName(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	h := sha256.Sum256([]byte(filepath.Clean(abs)))
	return "audit-log-instance:" + hex.EncodeToString(h[:8])
}

// loadIdentity works out which log the file is, against the identity the KeySource keeps, and
// loads the chain's key. existed says whether the file was there (non-empty) before Open.
func (db *DB) loadIdentity(ctx context.Context, existed bool, adopt string) (retErr error) {
	// The file's identity is read, and on a new log made, inside one write transaction (BEGIN
	// IMMEDIATE, from the DSN), so that two processes opening the same new log at once (the
	// window and an `scrdesk audit` command) agree on one instance id and one key: the second
	// waits for the first's commit, then reads what it wrote. Without it each made a key, the
	// keyring kept the last one written and the file the first one's id, and every later open
	// found the key replaced. The keyring's name for the log is read inside it too. A log that
	// has both its instance id and its key id is read without it (they are never changed once
	// written, and the write lock is not held over keyring calls that another process's row
	// would wait for). The in-memory stand-in for a removed log has one connection and makes
	// nothing, so it reads without one.
	var q querier = db.sql
	commit := func() error { return nil }
	if !db.memory && !db.hasIdentity(ctx) {
		tx, err := db.sql.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("read the audit log's identity: %w", translate(err))
		}
		defer tx.Rollback()
		q = tx
		done := false
		commit = func() error {
			if done {
				return nil
			}
			done = true
			if err := tx.Commit(); err != nil {
				return fmt.Errorf("store the audit log's identity: %w", translate(err))
			}
			return nil
		}
		defer func() {
			if retErr == nil {
				retErr = commit()
			}
		}()
	}
	cur, err := db.keys.Get(IdentityName(db.path))
	if errors.Is(err, fs.ErrNotExist) {
		cur, err = "", nil
	}
	setIdentity := true
	if adopt != "" {
		cur, err, setIdentity = adopt, nil, false
	}
	if err != nil {
		return fmt.Errorf("read the audit log's identity from the key store: %w", err)
	}
	fileInst, _, err := metaGet(ctx, q, "instance_id")
	if err != nil {
		return fmt.Errorf("read instance id: %w", err)
	}
	last, _, err := lastRow(ctx, q)
	if err != nil {
		return err
	}
	if cur != "" && fileInst != cur {
		cp, haveCP, cpErr := db.readCheckpointOf(cur)
		if cpErr != nil || haveCP {
			found := "different"
			switch {
			case fileInst == "" && last == 0 && !existed:
				found = "missing"
			case fileInst == "" && last == 0:
				found = "empty"
			}
			db.instance = fileInst
			db.broken = &audit.Break{Found: found, KnownInstance: cur, KnownSeq: cp.Seq,
				KnownMAC: hex.EncodeToString(cp.MAC), KnownTime: cp.Time, FileInstance: fileInst, FileLastSeq: last}
			db.log.Error("the audit log was removed or replaced; recording is refused",
				"found", found, "known_instance", cur, "known_seq", cp.Seq, "file_rows", last)
			if fileInst != "" {
				// The file's own key, if this keyring has it, still lets Verify read its chain.
				db.loadKey(ctx, q, last, false)
			}
			return nil
		}
		if fileInst == "" {
			// The keyring names a log that never recorded anything: nothing was lost, so the
			// file becomes that log.
			fileInst = cur
		}
	}
	if fileInst == "" {
		fileInst = uuid.NewString()
	}
	if _, err := q.ExecContext(ctx, `INSERT OR IGNORE INTO meta (key, value) VALUES ('instance_id', ?)`, fileInst); err != nil {
		return fmt.Errorf("store instance id: %w", translate(err))
	}
	db.instance = fileInst
	if err := db.loadKey(ctx, q, last, true); err != nil {
		return err
	}
	if db.state == keyOK && cur != db.instance && setIdentity {
		if err := db.keys.Set(IdentityName(db.path), db.instance); err != nil {
			return fmt.Errorf("store the audit log's identity in the key store: %w", err)
		}
	}
	if db.state != keyOK {
		return nil
	}
	// checkCheckpoint may record (rows found after the checkpoint), which needs the write lock.
	if err := commit(); err != nil {
		return err
	}
	return db.checkCheckpoint(ctx, last)
}

// hasIdentity reports whether the file already holds its instance id and key id (a read error
// counts as not: the caller then reads again under the write lock).
func (db *DB) hasIdentity(ctx context.Context) bool {
	var n int
	err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM meta WHERE key IN ('instance_id', 'key_id')`).Scan(&n)
	return err == nil && n == 2
}

// loadKey reads the chain key, creating it on first run when create is set.
func (db *DB) loadKey(ctx context.Context, q querier, last int64, create bool) error {
	storedID, haveID, err := metaGet(ctx, q, "key_id")
	if err != nil {
		return fmt.Errorf("read key id: %w", err)
	}
	enc, err := db.keys.Get(db.keyName())
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if last > 0 || haveID || !create {
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
	if !haveID && create {
		if _, err := q.ExecContext(ctx, `INSERT OR IGNORE INTO meta (key, value) VALUES ('key_id', ?)`, id); err != nil {
			return fmt.Errorf("store key id: %w", translate(err))
		}
	} else if haveID && storedID != id {
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
	return nil
}

// rowVerifies checks one row's MAC against its predecessor's stored MAC. A missing row counts
// as not verifying. It runs beside the writer (the outbox checks an alert's row while the
// window records), so it uses a chain of its own: db.chain's HMAC state belongs to the writer,
// under db.mu (sharing it once let a check reset the writer's HMAC mid-row, and the row was
// stored with a wrong MAC). Call without db.mu held.
func (db *DB) rowVerifies(ctx context.Context, seq int64) (bool, error) {
	db.mu.Lock()
	key := db.key
	db.mu.Unlock()
	return db.rowVerifiesWith(ctx, key, seq)
}

// rowVerifiesWith is rowVerifies with the key given (for a caller that holds db.mu).
func (db *DB) rowVerifiesWith(ctx context.Context, key []byte, seq int64) (bool, error) {
	chain, err := audit.NewChain(key)
	if err != nil {
		return false, nil // no usable key: nothing verifies
	}
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
	err = db.sql.QueryRowContext(ctx, `SELECT mac, body FROM audit_event WHERE seq = ?`, seq).Scan(&mac, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read audit row %d: %w", seq, err)
	}
	return chain.Check(prev, seq, body, mac), nil
}

// checkpoint is the newest sequence number, MAC and row time saved to the KeySource.
type checkpoint struct {
	Seq  int64
	MAC  []byte
	Time time.Time // zero for checkpoints written before times were kept
}

func (c checkpoint) encode() string {
	return strconv.FormatInt(c.Seq, 10) + ":" + hex.EncodeToString(c.MAC) + ":" + strconv.FormatInt(c.Time.UnixMilli(), 10)
}

func parseCheckpoint(v string) (checkpoint, error) {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return checkpoint{}, errors.New("checkpoint is malformed")
	}
	seq, err1 := strconv.ParseInt(parts[0], 10, 64)
	mac, err2 := hex.DecodeString(parts[1])
	if err1 != nil || err2 != nil || seq < 1 || len(mac) != audit.MACSize {
		return checkpoint{}, errors.New("checkpoint is malformed")
	}
	cp := checkpoint{Seq: seq, MAC: mac}
	if len(parts) == 3 {
		ms, err := strconv.ParseInt(parts[2], 10, 64)
		if err != nil {
			return checkpoint{}, errors.New("checkpoint is malformed")
		}
		cp.Time = time.UnixMilli(ms).UTC()
	}
	return cp, nil
}

func (db *DB) readCheckpoint() (checkpoint, bool, error) { return db.readCheckpointOf(db.instance) }

// readCheckpointOf reads the checkpoint of log instance inst. A checkpoint that is there but
// cannot be read or parsed is an error, never "none".
func (db *DB) readCheckpointOf(inst string) (checkpoint, bool, error) {
	v, err := db.keys.Get("audit-checkpoint:" + inst)
	if errors.Is(err, fs.ErrNotExist) {
		return checkpoint{}, false, nil
	}
	if err != nil {
		return checkpoint{}, false, fmt.Errorf("read checkpoint: %w", err)
	}
	cp, err := parseCheckpoint(v)
	if err != nil {
		return checkpoint{}, false, err
	}
	return cp, true, nil
}

// checkCheckpoint compares the checkpoint with the log on Open. A log shorter than its
// checkpoint, or whose checkpointed row has another MAC, is an older copy or a rewritten one:
// the checkpoint is frozen (it is the evidence) and recording is refused until a new log is
// started. Rows after the checkpoint (a stop between a row and its checkpoint, or checkpoints
// the keyring refused) are recorded as such before the checkpoint moves over them.
func (db *DB) checkCheckpoint(ctx context.Context, last int64) error {
	cp, ok, err := db.readCheckpoint()
	if err != nil {
		db.freezeCP, db.cpErr = true, err
		db.degraded, db.degradedSince, db.degradedFrom, db.cpFailure = true, db.opts.Now().UTC(), last+1, err.Error()
		db.log.Error("audit checkpoint unreadable; it will not be overwritten", "err", err)
		return nil
	}
	if ok {
		db.lastCP, db.lastCPTime = cp.Seq, cp.Time
		brk := &audit.Break{KnownInstance: db.instance, KnownSeq: cp.Seq, KnownMAC: hex.EncodeToString(cp.MAC),
			KnownTime: cp.Time, FileInstance: db.instance, FileLastSeq: last}
		if cp.Seq > last {
			// Another process (the window) may have appended and checkpointed since last was
			// read: the checkpoint is written after its row commits, so read the rows again
			// now that the checkpoint is known before calling the log short.
			var now int64
			if err := db.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM audit_event`).Scan(&now); err != nil {
				return fmt.Errorf("read newest row: %w", err)
			}
			last = max(last, now)
			brk.FileLastSeq = last
		}
		if cp.Seq > last {
			brk.Found = "older"
			db.freezeCP, db.broken = true, brk
			db.log.Error("audit log is shorter than its checkpoint: an older copy, or rows were cut off", "rows", last, "checkpoint", cp.Seq)
			return nil
		}
		var mac []byte
		if err := db.sql.QueryRowContext(ctx, `SELECT mac FROM audit_event WHERE seq = ?`, cp.Seq).Scan(&mac); err != nil {
			return fmt.Errorf("read checkpointed row: %w", err)
		}
		if string(mac) != string(cp.MAC) {
			brk.Found = "rewritten"
			db.freezeCP, db.broken = true, brk
			db.log.Error("audit row at the checkpoint differs from the checkpoint", "seq", cp.Seq)
			return nil
		}
	}
	if !ok && last > 0 {
		// A log from before checkpoints were kept: protect it from now on.
		db.log.Warn("audit log had no checkpoint; saving one now", "rows", last)
		db.Checkpoint(ctx)
		return nil
	}
	if last > db.lastCP && len(db.schemaDiff) == 0 {
		if ok && last-db.lastCP <= int64(db.opts.CheckpointEvery) && db.inFlight(last) {
			return nil // another process (the window) committed rows and then checkpointed them
		}
		return db.recordUnprotected(ctx, db.lastCP+1, last, last-db.lastCP > int64(db.opts.CheckpointEvery), time.Time{})
	}
	return nil
}

// inFlightWait is how long Open waits for another process's checkpoint to catch up with the
// rows it just committed (it writes the checkpoint straight after each commit).
var inFlightWait = []time.Duration{20 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond, 160 * time.Millisecond}

// inFlight reports whether the checkpoint catches up with row last within inFlightWait: the
// rows past it were another process's, between its commit and its checkpoint, not rows left
// unprotected. A stop between a row and its checkpoint never catches up, so it is still
// recorded.
func (db *DB) inFlight(last int64) bool {
	for _, d := range inFlightWait {
		time.Sleep(d)
		cp, ok, err := db.readCheckpoint()
		if err == nil && ok && cp.Seq >= last {
			db.lastCP, db.lastCPTime = cp.Seq, cp.Time
			return true
		}
	}
	return false
}

// recordUnprotected appends an audit-unprotected-entries row naming rows from..to, written
// while no checkpoint covered them, and then checkpoints. serious says the keyring refused
// checkpoints (rather than a stop between a row and its checkpoint); until, when set, is when
// protection came back.
func (db *DB) recordUnprotected(ctx context.Context, from, to int64, serious bool, until time.Time) error {
	var since int64
	_ = db.sql.QueryRowContext(ctx, `SELECT json_extract(body, '$.t') FROM audit_event WHERE seq = ?`, from).Scan(&since)
	severity := string(audit.SeverityInfo)
	if serious {
		severity = string(audit.SeverityError)
	}
	d := map[string]string{"from": strconv.FormatInt(from, 10), "to": strconv.FormatInt(to, 10),
		"since_ms": strconv.FormatInt(since, 10), "severity": severity}
	if !until.IsZero() {
		d["until_ms"] = strconv.FormatInt(until.UnixMilli(), 10)
	}
	ev := audit.Event{Action: audit.ActionAuditUnprotected, Outcome: audit.OutcomeSuccess, UserName: "scrdesk",
		Reason: "entries written while no checkpoint in the keyring covered them", Detail: d}
	if serious {
		ev.Outcome = audit.OutcomeSeriousFailure
	}
	wctx := context.WithoutCancel(ctx)
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.appendNoteLocked(wctx, ev)
}

// appendNoteLocked appends ev in its own transaction and checkpoints. Call with db.mu held.
func (db *DB) appendNoteLocked(ctx context.Context, ev audit.Event) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record audit note: %w", translate(err))
	}
	if _, err := db.appendTx(ctx, tx, ev); err != nil {
		tx.Rollback()
		return fmt.Errorf("record audit note: %w", translate(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record audit note: %w", translate(err))
	}
	db.checkpointLocked(ctx)
	return nil
}

// checkpointRetries are the pauses between attempts at one checkpoint write.
var checkpointRetries = []time.Duration{10 * time.Millisecond, 50 * time.Millisecond}

// checkpointLocked saves the newest row's seq, MAC and time to the KeySource, retrying a
// failed write. While writes keep failing the store is degraded (Protection says since when);
// the first write that succeeds again records which rows went unprotected, then covers them.
// Failure is not returned: the rows are already committed.
func (db *DB) checkpointLocked(ctx context.Context) {
	if db.freezeCP || db.chain == nil {
		return
	}
	var cp checkpoint
	var ms int64
	err := db.sql.QueryRowContext(ctx, `SELECT seq, mac, json_extract(body, '$.t') FROM audit_event ORDER BY seq DESC LIMIT 1`).
		Scan(&cp.Seq, &cp.MAC, &ms)
	if err != nil || cp.Seq == 0 {
		return
	}
	cp.Time = time.UnixMilli(ms).UTC()
	err = db.keys.Set(db.checkpointName(), cp.encode())
	for i := 0; err != nil && i < len(checkpointRetries); i++ {
		time.Sleep(checkpointRetries[i])
		err = db.keys.Set(db.checkpointName(), cp.encode())
	}
	if err != nil {
		if !db.degraded {
			db.degraded, db.degradedSince, db.degradedFrom = true, db.opts.Now().UTC(), db.lastCP+1
			db.log.Error("audit protection degraded: the keyring refused the checkpoint", "err", err, "from_row", db.degradedFrom)
		}
		db.cpFailure = err.Error()
		return
	}
	wasDegraded, from := db.degraded, db.degradedFrom
	db.sinceCP, db.lastCP, db.lastCPTime = 0, cp.Seq, cp.Time
	db.degraded, db.degradedSince, db.cpFailure = false, time.Time{}, ""
	if wasDegraded {
		db.log.Warn("audit protection restored: the keyring accepted the checkpoint again", "from_row", from, "to_row", cp.Seq)
		d := map[string]string{"from": strconv.FormatInt(from, 10), "to": strconv.FormatInt(cp.Seq, 10),
			"until_ms": strconv.FormatInt(db.opts.Now().UnixMilli(), 10), "severity": string(audit.SeverityError)}
		var since int64
		_ = db.sql.QueryRowContext(ctx, `SELECT json_extract(body, '$.t') FROM audit_event WHERE seq = ?`, from).Scan(&since)
		d["since_ms"] = strconv.FormatInt(since, 10)
		ev := audit.Event{Action: audit.ActionAuditUnprotected, Outcome: audit.OutcomeSeriousFailure, UserName: "scrdesk",
			Reason: "entries written while the keyring refused the checkpoint", Detail: d}
		if err := db.appendNoteLocked(ctx, ev); err != nil {
			db.log.Error("could not record the unprotected entries", "err", err)
		}
	}
}

// Checkpoint saves the newest sequence number and MAC to the KeySource now (retrying once
// more while the store is degraded). It reports whether protection is whole afterwards.
func (db *DB) Checkpoint(ctx context.Context) bool {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.checkpointLocked(ctx)
	return !db.degraded
}

// Protection is the state of the checkpoint that protects the end of the log.
type Protection struct {
	// Degraded is true while checkpoint writes fail: rows from FromSeq on are not yet
	// protected, since Since. Error is the last failure, for IT support.
	Degraded bool
	Since    time.Time
	FromSeq  int64
	Error    string
	// LastCheckpoint and LastCheckpointTime are the newest checkpoint saved.
	LastCheckpoint     int64
	LastCheckpointTime time.Time
}

// DegradedNotice is the line every screen shows while Protection().Degraded.
const DegradedNotice = "Audit protection is degraded: the keyring is not accepting the audit log's checkpoint. Ask IT support."

// Protection reports whether checkpoints are being saved.
func (db *DB) Protection() Protection {
	db.mu.Lock()
	defer db.mu.Unlock()
	return Protection{Degraded: db.degraded, Since: db.degradedSince, FromSeq: db.degradedFrom, Error: db.cpFailure,
		LastCheckpoint: db.lastCP, LastCheckpointTime: db.lastCPTime}
}

// Break returns what Open found when the log was removed or replaced, or nil.
func (db *DB) Break() *audit.Break {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.broken == nil {
		return nil
	}
	b := *db.broken
	return &b
}

// Instance is the log's instance id ("" when the file holds no log).
func (db *DB) Instance() string { return db.instance }

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
