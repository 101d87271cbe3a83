package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/google/uuid"

	"scrdesk/internal/audit"
	"scrdesk/internal/usermsg"
)

// ErrSettingsTampered means the saved settings document is not the one the last
// settings-changed row recorded (by its hash): LoadSettings refuses it rather than use it or
// fall back to the defaults.
var ErrSettingsTampered = usermsg.New("settings changed outside SCR Desk", "The settings have been changed outside SCR Desk: they no longer match the settings recorded in the audit log. SCR Desk will not use them, nor quietly fall back to its defaults. "+audit.DoSettings)

// settingsHashKey is the detail key of each settings-changed row holding the SHA-256 of the
// whole settings document saved with it.
const settingsHashKey = "doc_sha256"

func docHash(doc string) string {
	h := sha256.Sum256([]byte(doc))
	return hex.EncodeToString(h[:])
}

// settingsCheck compares the saved document (doc, have) with the last settings-changed row.
// It returns "" when they agree (or the row predates hashes), else what is wrong, and the row.
// Call without db.mu held; settingsCheckLocked is the same with it held.
func (db *DB) settingsCheck(ctx context.Context, doc string, have bool) (string, int64, error) {
	db.mu.Lock()
	key := db.usableKeyLocked()
	db.mu.Unlock()
	return db.settingsCheckWith(ctx, key, doc, have)
}

// settingsCheckLocked is settingsCheck for a caller holding db.mu (SaveSettings' write).
func (db *DB) settingsCheckLocked(ctx context.Context, doc string, have bool) (string, int64, error) {
	return db.settingsCheckWith(ctx, db.usableKeyLocked(), doc, have)
}

// usableKeyLocked is the chain key while recording is possible, else nil. Call with db.mu held.
func (db *DB) usableKeyLocked() []byte {
	if db.state != keyOK {
		return nil
	}
	return db.key
}

func (db *DB) settingsCheckWith(ctx context.Context, key []byte, doc string, have bool) (string, int64, error) {
	es, _, err := db.Query(ctx, audit.Filter{Action: audit.ActionSettingsChanged}, audit.Cursor{}, 1)
	if err != nil {
		return "", 0, err
	}
	if len(es) == 0 {
		if have {
			return "settings are saved, but no change to them was ever recorded in the audit log", 0, nil
		}
		return "", 0, nil
	}
	e := es[0]
	// The row vouches for the document only if it is the row that was written: an edited row
	// (its hash rewritten to match an edited document) would otherwise launder the edit, and
	// the rules would start with it. Checked while the key is usable (without it nothing
	// verifies, and that is reported as the key's problem).
	if key != nil {
		good, err := db.rowVerifiesWith(ctx, key, e.Seq)
		if err != nil {
			return "", 0, err
		}
		if !good {
			return fmt.Sprintf("the settings change recorded at entry %s has been altered since it was written", audit.Group(e.Seq)), e.Seq, nil
		}
	}
	want, ok := e.Detail[settingsHashKey]
	if !ok {
		return "", e.Seq, nil // recorded before settings rows carried the document's hash
	}
	if !have {
		return fmt.Sprintf("the settings recorded at entry %s have been deleted", audit.Group(e.Seq)), e.Seq, nil
	}
	if docHash(doc) != want {
		return fmt.Sprintf("the settings no longer match those recorded at entry %s", audit.Group(e.Seq)), e.Seq, nil
	}
	return "", e.Seq, nil
}

func (db *DB) settingsDoc(ctx context.Context, q querier) (string, bool, error) {
	var doc string
	err := q.QueryRowContext(ctx, `SELECT doc FROM settings WHERE id = 1`).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read settings: %w", err)
	}
	return doc, true, nil
}

func (db *DB) settingsFinding(ctx context.Context) (*audit.Finding, error) {
	doc, have, err := db.settingsDoc(ctx, db.sql)
	if err != nil {
		return nil, err
	}
	what, seq, err := db.settingsCheck(ctx, doc, have)
	if err != nil || what == "" {
		return nil, err
	}
	return &audit.Finding{Kind: audit.KindSettingsChanged, Severity: audit.SeverityError, Row: seq, Object: "settings",
		What: "The settings have been changed outside SCR Desk: " + what + ". SCR Desk refuses to use them.",
		Do:   audit.DoSettings}, nil
}

// reconcileOutbox checks each privacy alert's state in the outbox against its alert-queued,
// alert-sent and alert-failed rows (matched by the alert_id each carries).
func (db *DB) reconcileOutbox(ctx context.Context) ([]audit.Finding, error) {
	type rows struct{ queued, sent, failed int64 }
	byID := map[int64]*rows{}
	// The alert rows' ids are read inside SQLite (the action index, then the MAC-covered body),
	// not decoded one by one: a big log has hundreds of thousands of them.
	ar, err := db.sql.QueryContext(ctx, `SELECT seq, action, CAST(json_extract(body, '$.d.alert_id') AS INTEGER)
		FROM audit_event INDEXED BY audit_by_action
		WHERE action IN ('alert-queued', 'alert-sent', 'alert-failed') AND json_extract(body, '$.d.alert_id') IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("read alert rows: %w", err)
	}
	for ar.Next() {
		var seq, id int64
		var act string
		if err := ar.Scan(&seq, &act, &id); err != nil {
			ar.Close()
			return nil, fmt.Errorf("read alert rows: %w", err)
		}
		r := byID[id]
		if r == nil {
			r = &rows{}
			byID[id] = r
		}
		switch audit.Action(act) {
		case audit.ActionAlertQueued:
			r.queued = seq
		case audit.ActionAlertSent:
			r.sent = seq
		case audit.ActionAlertFailed:
			r.failed = seq
		}
	}
	ar.Close()
	if err := ar.Err(); err != nil {
		return nil, fmt.Errorf("read alert rows: %w", err)
	}
	q, err := db.sql.QueryContext(ctx, `SELECT id, state, audit_seq FROM alert_outbox ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read alert outbox: %w", err)
	}
	defer q.Close()
	var out []audit.Finding
	bad := func(id, row int64, what string) {
		out = append(out, audit.Finding{Kind: audit.KindOutboxMismatch, Severity: audit.SeverityError, Row: row,
			Object: "alert " + strconv.FormatInt(id, 10),
			What:   fmt.Sprintf("Privacy alert %d (queued at entry %s) %s.", id, audit.Group(row), what), Do: audit.DoOutbox})
	}
	seen := map[int64]bool{}
	for q.Next() {
		var id, auditSeq int64
		var state string
		if err := q.Scan(&id, &state, &auditSeq); err != nil {
			return nil, fmt.Errorf("read alert outbox: %w", err)
		}
		seen[id] = true
		r := byID[id]
		if r == nil {
			if len(byID) > 0 && id > minKey(byID) {
				bad(id, auditSeq, "is in the outbox, but the audit log has no record of it being queued")
			}
			continue // an alert queued before alert rows named their alert
		}
		switch AlertState(state) {
		case AlertSent:
			if r.sent == 0 {
				bad(id, r.queued, "is marked as sent, but the audit log has no record of it being sent: the SCR Governance Person may never have received it")
			}
		case AlertFailed:
			if r.failed == 0 {
				bad(id, r.queued, "is marked as failed, but the audit log has no record of it failing")
			}
		case AlertQueued:
			if r.sent != 0 || r.failed != 0 {
				bad(id, r.queued, "is waiting in the outbox, but the audit log says it was already sent or refused")
			}
		}
	}
	if err := q.Err(); err != nil {
		return nil, err
	}
	for id, r := range byID {
		if !seen[id] && r.queued != 0 {
			bad(id, r.queued, "has been removed from the outbox: it may never have been sent")
		}
	}
	return out, nil
}

func minKey[V any](m map[int64]V) int64 {
	first := true
	var lo int64
	for k := range m {
		if first || k < lo {
			lo, first = k, false
		}
	}
	return lo
}

// NewLogResult says what NewLog did.
type NewLogResult struct {
	// Break is what was found in place of the log the keyring knew.
	Break audit.Break
	// Kept is where the file found was moved to (kept as evidence), "" when there was none.
	Kept string
	// First is the new log's first row, which records the break.
	First audit.Entry
}

// ErrNoBreak means NewLog was asked for while the log is the one the keyring knows.
var ErrNoBreak = errors.New("the audit log is not removed or replaced")

// NewLog is the one way forward after Open finds the log removed or replaced: it moves the
// file found aside (kept beside it as evidence, never deleted), starts a new log with a new
// instance id and key, whose first row (audit-log-started) records the previous instance id
// and checkpoint and what was found, and makes it the workstation user's current log in the
// KeySource. The previous log's key and checkpoint stay in the KeySource, so the file kept can
// still be checked. by says who did it (an SGP, or IT support at the command line) and why
// (Reason). It returns ErrNoBreak when the log is whole.
func NewLog(ctx context.Context, path string, keys KeySource, by audit.Event, opts Options) (NewLogResult, error) {
	var res NewLogResult
	old, err := OpenWith(ctx, path, keys, nil, opts)
	if err != nil {
		return res, err
	}
	brk := old.Break()
	old.Close()
	if brk == nil {
		return res, ErrNoBreak
	}
	res.Break = *brk
	now := time.Now().UTC()
	if opts.Now != nil {
		now = opts.Now().UTC()
	}
	if st, err := os.Stat(path); err == nil && st.Size() > 0 {
		res.Kept = path + ".replaced-" + now.Format("20060102T150405Z")
		if err := os.Rename(path, res.Kept); err != nil {
			return res, fmt.Errorf("keep the file found: %w", err)
		}
		for _, suffix := range []string{"-wal", "-shm"} {
			if _, err := os.Stat(path + suffix); err == nil {
				_ = os.Rename(path+suffix, res.Kept+suffix)
			}
		}
		if d, err := os.Open(filepath.Dir(path)); err == nil {
			_ = d.Sync()
			d.Close()
		}
	} else {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(path + suffix)
		}
	}
	// The new log is made under a fresh instance id, named in the KeySource only once its
	// first row is on disk: a crash before then leaves the old identity, so Open still
	// refuses and NewLog can be run again.
	sqldb, err := openSQL(path)
	if err != nil {
		return res, err
	}
	if err := migrate(ctx, sqldb, len(migrations)); err != nil {
		sqldb.Close()
		return res, err
	}
	inst := uuid.NewString()
	if _, err := sqldb.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('instance_id', ?)`, inst); err != nil {
		sqldb.Close()
		return res, fmt.Errorf("store instance id: %w", translate(err))
	}
	sqldb.Close()
	db, err := openWith(ctx, path, keys, nil, opts, inst)
	if err != nil {
		return res, err
	}
	defer db.Close()
	ev := by
	ev.Action, ev.Outcome, ev.NHSNumber = audit.ActionAuditNewLog, audit.OutcomeSuccess, ""
	ev.Detail = map[string]string{"previous_instance": brk.KnownInstance, "previous_checkpoint_seq": strconv.FormatInt(brk.KnownSeq, 10),
		"previous_checkpoint_mac": brk.KnownMAC, "found": brk.Found, "previous_file": res.Kept,
		"file_instance": brk.FileInstance, "file_last_seq": strconv.FormatInt(brk.FileLastSeq, 10)}
	if !brk.KnownTime.IsZero() {
		ev.Detail["previous_checkpoint_ms"] = strconv.FormatInt(brk.KnownTime.UnixMilli(), 10)
	}
	if res.First, err = db.Record(ctx, ev); err != nil {
		return res, err
	}
	if err := keys.Set(IdentityName(path), inst); err != nil {
		return res, fmt.Errorf("store the new log's identity: %w", err)
	}
	return res, nil
}
