package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"scrdesk/internal/audit"
)

// AlertState is where an alert is in the outbox.
type AlertState string

// Alert states.
const (
	AlertQueued AlertState = "queued" // waiting for its next attempt
	AlertSent   AlertState = "sent"
	AlertFailed AlertState = "failed" // given up: failed permanently
)

// Alert is one privacy alert for the SGP waiting in (or done with) the outbox.
type Alert struct {
	ID        int64
	Created   time.Time
	Payload   json.RawMessage // the alert to POST, as JSON
	Attempts  int
	Next      time.Time // next attempt
	State     AlertState
	LastError string
	AuditSeq  int64 // the alert-queued audit row
	// QueuedBy and QueuedURID are the user and role who queued the alert, read by Due from its
	// MAC-covered alert-queued row (never from the payload): it goes only over their link.
	QueuedBy, QueuedURID string
}

// payloadHash is the hex SHA-256 of an alert's payload, kept in its alert-queued audit row.
func payloadHash(payload []byte) string {
	h := sha256.Sum256(payload)
	return hex.EncodeToString(h[:])
}

// Enqueue queues payload (valid JSON) as a privacy alert and records ev as an alert-queued
// audit row, in one transaction: the alert exists if and only if its audit row does.
func (db *DB) Enqueue(ctx context.Context, payload []byte, ev audit.Event) (Alert, audit.Entry, error) {
	if !json.Valid(payload) {
		return Alert{}, audit.Entry{}, errors.New("alert payload is not JSON")
	}
	ev.Action = audit.ActionAlertQueued
	if ev.Outcome == "" {
		ev.Outcome = audit.OutcomeSuccess
	}
	var a Alert
	var entry audit.Entry
	wctx := context.WithoutCancel(ctx)
	err := db.write(wctx, func(tx *sql.Tx) error {
		// The alert's id is named in its audit row, so Verify can reconcile the outbox.
		var id int64
		if err := tx.QueryRowContext(wctx, `SELECT coalesce(max(id), 0) + 1 FROM alert_outbox`).Scan(&id); err != nil {
			return fmt.Errorf("queue alert: %w", err)
		}
		ev := withDetail(withDetail(ev, "alert_id", strconv.FormatInt(id, 10)), "payload_sha256", payloadHash(payload))
		var err error
		entry, err = db.appendTx(wctx, tx, ev)
		if err != nil {
			return err
		}
		now := entry.Time
		if _, err := tx.ExecContext(wctx, `INSERT INTO alert_outbox (id, created_ms, payload, next_ms, audit_seq)
			VALUES (?, ?, ?, ?, ?)`, id, now.UnixMilli(), string(payload), now.UnixMilli(), entry.Seq); err != nil {
			return fmt.Errorf("queue alert: %w", err)
		}
		a = Alert{ID: id, Created: now, Payload: append(json.RawMessage(nil), payload...),
			Next: now, State: AlertQueued, AuditSeq: entry.Seq}
		return nil
	})
	return a, entry, err
}

const selectAlert = `SELECT id, created_ms, payload, attempts, next_ms, state, last_error, audit_seq FROM alert_outbox`

func scanAlerts(rows *sql.Rows) ([]Alert, error) {
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		var a Alert
		var created, next int64
		var payload string
		if err := rows.Scan(&a.ID, &created, &payload, &a.Attempts, &next, &a.State, &a.LastError, &a.AuditSeq); err != nil {
			return nil, fmt.Errorf("read alert: %w", err)
		}
		a.Created, a.Next, a.Payload = time.UnixMilli(created).UTC(), time.UnixMilli(next).UTC(), json.RawMessage(payload)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Due returns up to limit queued alerts whose next attempt is at or before now, oldest first,
// each with the user and role who queued it. Every one is checked against its alert-queued
// audit row first: a row whose MAC verifies, naming this alert, whose payload hash matches. An
// outbox row that fails (no queued row, a forged or edited payload) is never returned: it is
// marked failed, so it stays visible, with a serious-failure alert-failed row saying why.
func (db *DB) Due(ctx context.Context, now time.Time, limit int) ([]Alert, error) {
	rows, err := db.sql.QueryContext(ctx, selectAlert+` WHERE state = 'queued' AND next_ms <= ?
		ORDER BY next_ms, id LIMIT ?`, now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("due alerts: %w", err)
	}
	all, err := scanAlerts(rows)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, a := range all {
		q, why, err := db.queuedRow(ctx, a)
		if err != nil {
			return nil, err
		}
		if why != "" {
			ev := audit.Event{Action: audit.ActionAlertFailed, Outcome: audit.OutcomeSeriousFailure,
				Workstation: q.Workstation, ODSCode: q.ODSCode, UserID: q.UserID, URID: q.URID, RoleCode: q.RoleCode,
				Reason: "Privacy alert not sent: " + why + ". Tell IT support; the SCR Governance Person should review it."}
			if _, err := db.finish(ctx, a.ID, AlertFailed, "refused: "+why, ev, nil); err != nil {
				return nil, err
			}
			continue
		}
		a.QueuedBy, a.QueuedURID = q.UserID, q.URID
		out = append(out, a)
	}
	return out, nil
}

// queuedRow reads and checks an alert's alert-queued row; why says what is wrong, if anything.
func (db *DB) queuedRow(ctx context.Context, a Alert) (audit.Entry, string, error) {
	if a.AuditSeq < 1 {
		return audit.Entry{}, "it has no alert-queued audit row", nil
	}
	ok, err := db.rowVerifies(ctx, a.AuditSeq)
	if err != nil {
		return audit.Entry{}, "", err
	}
	if !ok {
		return audit.Entry{}, "its alert-queued audit row is missing or does not verify", nil
	}
	e, err := db.Entry(ctx, a.AuditSeq)
	if errors.Is(err, ErrNotFound) {
		return audit.Entry{}, "it has no alert-queued audit row", nil
	}
	if err != nil {
		return audit.Entry{}, "", err
	}
	switch {
	case e.Action != audit.ActionAlertQueued || e.Detail["alert_id"] != strconv.FormatInt(a.ID, 10):
		return audit.Entry{}, "its audit row is not this alert's alert-queued row", nil
	case e.Detail["payload_sha256"] == "":
		return e, "its alert-queued row holds no payload hash", nil
	case e.Detail["payload_sha256"] != payloadHash(a.Payload):
		return e, "its payload does not match the one recorded when it was queued", nil
	}
	return e, "", nil
}

// List returns up to limit alerts in state (all states when ""), newest first.
func (db *DB) List(ctx context.Context, state AlertState, limit int) ([]Alert, error) {
	q, args := selectAlert+` ORDER BY id DESC LIMIT ?`, []any{limit}
	if state != "" {
		q, args = selectAlert+` WHERE state = ? ORDER BY id DESC LIMIT ?`, []any{string(state), limit}
	}
	rows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	return scanAlerts(rows)
}

// withDetail returns ev with one more detail (a copy: the caller's map is not changed).
func withDetail(ev audit.Event, k, v string) audit.Event {
	d := make(map[string]string, len(ev.Detail)+1)
	for a, b := range ev.Detail {
		d[a] = b
	}
	d[k] = v
	ev.Detail = d
	return ev
}

// finish moves a queued alert to state and records ev (action set by the caller) in one
// transaction. A sent alert's payload is replaced by kept (JSON holding no patient data).
func (db *DB) finish(ctx context.Context, id int64, state AlertState, errText string, ev audit.Event, kept []byte) (audit.Entry, error) {
	var entry audit.Entry
	wctx := context.WithoutCancel(ctx)
	ev = withDetail(ev, "alert_id", strconv.FormatInt(id, 10))
	err := db.write(wctx, func(tx *sql.Tx) error {
		q, args := `UPDATE alert_outbox SET state = ?, attempts = attempts + 1,
			last_error = ? WHERE id = ? AND state = 'queued'`, []any{string(state), errText, id}
		if kept != nil {
			q, args = `UPDATE alert_outbox SET state = ?, attempts = attempts + 1,
			last_error = ?, payload = ? WHERE id = ? AND state = 'queued'`, []any{string(state), errText, string(kept), id}
		}
		res, err := tx.ExecContext(wctx, q, args...)
		if err != nil {
			return fmt.Errorf("update alert: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("alert %d is not queued: %w", id, ErrNotFound)
		}
		entry, err = db.appendTx(wctx, tx, ev)
		return err
	})
	return entry, err
}

// MarkSent records that alert id was delivered, with an alert-sent audit row (ev says who,
// which patient and the request id), in one transaction, and purges the alert's payload (NHS
// number, reason): the audit rows keep what happened.
func (db *DB) MarkSent(ctx context.Context, id int64, ev audit.Event) (audit.Entry, error) {
	return db.MarkSentKeeping(ctx, id, ev, []byte(`{}`))
}

// MarkSentKeeping is MarkSent, keeping kept (valid JSON, no patient data: e.g. the alert's
// type for the status list) in place of the purged payload.
func (db *DB) MarkSentKeeping(ctx context.Context, id int64, ev audit.Event, kept []byte) (audit.Entry, error) {
	if !json.Valid(kept) {
		return audit.Entry{}, errors.New("kept payload is not JSON")
	}
	ev.Action = audit.ActionAlertSent
	if ev.Outcome == "" {
		ev.Outcome = audit.OutcomeSuccess
	}
	return db.finish(ctx, id, AlertSent, "", ev, kept)
}

// MarkFailed gives up on alert id, with an alert-failed audit row, in one transaction.
func (db *DB) MarkFailed(ctx context.Context, id int64, errText string, ev audit.Event) (audit.Entry, error) {
	ev.Action = audit.ActionAlertFailed
	if ev.Outcome == "" || ev.Outcome == audit.OutcomeSuccess {
		ev.Outcome = audit.OutcomeSeriousFailure
	}
	if ev.Reason == "" {
		ev.Reason = errText
	}
	return db.finish(ctx, id, AlertFailed, errText, ev, nil)
}

// MarkRetry counts a failed attempt at alert id and schedules the next at next. It writes no
// audit row (only the final outcome, sent or failed, is audited).
func (db *DB) MarkRetry(ctx context.Context, id int64, next time.Time, errText string) error {
	res, err := db.sql.ExecContext(ctx, `UPDATE alert_outbox SET attempts = attempts + 1, next_ms = ?,
		last_error = ? WHERE id = ? AND state = 'queued'`, next.UnixMilli(), errText, id)
	if err != nil {
		return fmt.Errorf("reschedule alert: %w", translate(err))
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("alert %d is not queued: %w", id, ErrNotFound)
	}
	return nil
}
