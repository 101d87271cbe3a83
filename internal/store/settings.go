package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"scrdesk/internal/audit"
	"scrdesk/internal/governance"
	"scrdesk/internal/settings"
)

// LoadSettings returns the saved settings, or settings.Defaults() when none were saved. The
// saved document must be the one the last settings-changed row recorded (its SHA-256 is in
// that row): if it is not, or the settings recorded were deleted, LoadSettings returns an error
// wrapping ErrSettingsTampered and the defaults must not be used in their place either.
func (db *DB) LoadSettings(ctx context.Context) (settings.Settings, error) {
	doc, have, err := db.settingsDoc(ctx, db.sql)
	if err != nil {
		return settings.Defaults(), err
	}
	what, _, err := db.settingsCheck(ctx, doc, have)
	if err != nil {
		return settings.Defaults(), fmt.Errorf("check settings: %w", err)
	}
	if what != "" {
		db.log.Error("settings refused: changed outside SCR Desk", "why", what)
		return settings.Defaults(), fmt.Errorf("%w: %s", ErrSettingsTampered, what)
	}
	return loadSettings(ctx, db.sql)
}

func loadSettings(ctx context.Context, q querier) (settings.Settings, error) {
	var doc string
	err := q.QueryRowContext(ctx, `SELECT doc FROM settings WHERE id = 1`).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return settings.Defaults(), nil
	}
	if err != nil {
		return settings.Defaults(), fmt.Errorf("read settings: %w", err)
	}
	s, err := settings.Parse([]byte(doc))
	if err != nil {
		return settings.Defaults(), fmt.Errorf("saved settings: %w", err)
	}
	return s, nil
}

// SaveSettings validates s and saves it. Each changed field is recorded as its own
// settings-changed audit row (detail: field, old, new, and doc_sha256, the hash of the whole
// document saved, which LoadSettings checks), with who/where taken from by, in the same
// transaction as the save: either the change and its audit rows are both on disk or neither
// is. Saving unchanged settings records nothing, unless the saved document was changed outside
// SCR Desk: then saving records it again (detail replaced_unrecorded), which is how IT support
// puts tampered settings right. When the save changes the governance rules' configuration
// (settings.GovernanceConfig: switches, thresholds, opening hours, review rates), a
// governance-rules-set row after the settings rows records it, in the same transaction: the
// rules judge every row after it, and only those, by the new configuration.
func (db *DB) SaveSettings(ctx context.Context, s settings.Settings, by audit.Event) error {
	if err := s.Validate(); err != nil {
		return err
	}
	doc, err := settings.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode settings: %w", err)
	}
	wctx := context.WithoutCancel(ctx)
	return db.write(wctx, func(tx *sql.Tx) error {
		old, err := loadSettings(wctx, tx)
		if err != nil {
			// Unreadable old settings: record every field as changed from "".
			old = settings.Settings{}
		}
		changes := settings.Diff(old, s)
		curDoc, have, err := db.settingsDoc(wctx, tx)
		if err != nil {
			return err
		}
		unrecorded, _, err := db.settingsCheckLocked(wctx, curDoc, have) // db.write holds db.mu
		if err != nil {
			return err
		}
		if len(changes) == 0 && unrecorded == "" {
			return nil
		}
		if len(changes) == 0 {
			changes = []settings.Change{{Field: "(whole document)", Old: "changed outside SCR Desk", New: "saved again"}}
		}
		hash := docHash(string(doc))
		if _, err := tx.ExecContext(wctx, `INSERT INTO settings (id, doc, updated_ms) VALUES (1, ?, ?)
			ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, updated_ms = excluded.updated_ms`,
			string(doc), db.opts.Now().UnixMilli()); err != nil {
			return fmt.Errorf("save settings: %w", err)
		}
		for _, c := range changes {
			e := by
			e.Action, e.NHSNumber = audit.ActionSettingsChanged, ""
			if e.Outcome == "" {
				e.Outcome = audit.OutcomeSuccess
			}
			e.Detail = map[string]string{"field": c.Field, "old": c.Old, "new": c.New, settingsHashKey: hash}
			if unrecorded != "" {
				e.Detail["replaced_unrecorded"] = unrecorded
			}
			if len(changes) > 1 {
				// The list is cut to what the row's detail has room for, measured as encoded
				// (JSON escapes &, < and > to six bytes each).
				for budget := audit.MaxDetailLen - detailLen(e.Detail) - 256; ; budget -= 256 {
					e.Detail[governance.DetailSaveFields] = saveFields(changes, budget)
					if b, err := json.Marshal(e.Detail); err != nil || len(b) <= audit.MaxDetailLen-64 || budget <= 0 {
						break
					}
				}
			}
			if _, err := db.appendTx(wctx, tx, e); err != nil {
				return err
			}
		}
		// Last, so the rows of the save are judged as before it: the rules' configuration
		// the new settings give, from the next row on (the live rules read it from the row).
		return db.appendRulesConfigTx(wctx, tx, s.GovernanceConfig(), by)
	})
}

// LastRole returns the URID of the role userID chose last, or "" if none is remembered.
func (db *DB) LastRole(ctx context.Context, userID string) (string, error) {
	var urid string
	err := db.sql.QueryRowContext(ctx, `SELECT urid FROM last_role WHERE user_id = ?`, userID).Scan(&urid)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read last role: %w", err)
	}
	return urid, nil
}

// SetLastRole remembers that userID chose the role urid (the choice itself is audited by the
// caller as role-selected).
func (db *DB) SetLastRole(ctx context.Context, userID, urid string) error {
	_, err := db.sql.ExecContext(ctx, `INSERT INTO last_role (user_id, urid, updated_ms) VALUES (?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET urid = excluded.urid, updated_ms = excluded.updated_ms`,
		userID, urid, db.opts.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("save last role: %w", translate(err))
	}
	return nil
}

// saveFields lists the fields of one save, comma-separated, in at most budget bytes: cut short
// with a last "…" when they do not fit (the row's detail has a size limit).
func saveFields(changes []settings.Change, budget int) string {
	var b strings.Builder
	for i, c := range changes {
		if b.Len()+len(c.Field)+len(",…")+1 > budget {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("…")
			break
		}
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(c.Field)
	}
	return b.String()
}

// detailLen is about the encoded size of a row's detail (keys, values and JSON punctuation).
func detailLen(d map[string]string) int {
	n := 2
	for k, v := range d {
		n += len(k) + len(v) + 6
	}
	return n
}
