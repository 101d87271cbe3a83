package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// InstanceID is this log's instance id (a UUID made when the database was created): it names
// the log in the keyring and, with the sequence number, keys its rows in the central database.
func (db *DB) InstanceID() string { return db.instance }

// RawRow is a stored audit row as it is on disk: the MAC-covered body and the MAC.
type RawRow struct {
	Seq  int64
	Body []byte
	MAC  []byte
}

// RowsAfter returns up to limit rows with seq > after, oldest first, as stored. It reads only;
// it never waits for the writers (WAL).
func (db *DB) RowsAfter(ctx context.Context, after int64, limit int) ([]RawRow, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT seq, body, mac FROM audit_event WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read audit rows: %w", err)
	}
	defer rows.Close()
	out := make([]RawRow, 0, min(limit, 1024))
	for rows.Next() {
		var r RawRow
		var body string
		if err := rows.Scan(&r.Seq, &body, &r.MAC); err != nil {
			return nil, fmt.Errorf("read audit rows: %w", err)
		}
		r.Body = []byte(body)
		out = append(out, r)
	}
	return out, rows.Err()
}

// LastSeq is the newest row's sequence number (0 for an empty log).
func (db *DB) LastSeq(ctx context.Context) (int64, error) {
	seq, _, err := lastRow(ctx, db.sql)
	return seq, err
}

// ReplicaCursor is how far the log has been replicated: the central database holds every row
// up to Seq, whose public chain link is Link; SignedSeq is the newest row a signed head covers.
type ReplicaCursor struct {
	Seq       int64
	Link      []byte
	SignedSeq int64
	SignedMS  int64
	UpdatedMS int64
}

// LoadReplicaCursor returns the cursor, or the zero cursor when nothing was replicated yet.
func (db *DB) LoadReplicaCursor(ctx context.Context) (ReplicaCursor, error) {
	var c ReplicaCursor
	err := db.sql.QueryRowContext(ctx, `SELECT seq, link, signed_seq, signed_ms, updated_ms FROM replica_cursor WHERE id = 1`).
		Scan(&c.Seq, &c.Link, &c.SignedSeq, &c.SignedMS, &c.UpdatedMS)
	if errors.Is(err, sql.ErrNoRows) {
		return ReplicaCursor{}, nil
	}
	if err != nil {
		return ReplicaCursor{}, fmt.Errorf("read replication cursor: %w", translate(err))
	}
	return c, nil
}

// SaveReplicaCursor stores the cursor durably (one small transaction; it is not an audit row
// and does not wait for Record's lock).
func (db *DB) SaveReplicaCursor(ctx context.Context, c ReplicaCursor) error {
	if c.Link == nil {
		c.Link = []byte{}
	}
	_, err := db.sql.ExecContext(ctx, `INSERT INTO replica_cursor (id, seq, link, signed_seq, signed_ms, updated_ms)
		VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, link = excluded.link,
		signed_seq = excluded.signed_seq, signed_ms = excluded.signed_ms, updated_ms = excluded.updated_ms`,
		c.Seq, c.Link, c.SignedSeq, c.SignedMS, c.UpdatedMS)
	if err != nil {
		return fmt.Errorf("save replication cursor: %w", translate(err))
	}
	return nil
}
