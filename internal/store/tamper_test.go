package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"scrdesk/internal/audit"
)

// outside opens the database file the way a careful intruder with a SQLite shell would: a
// separate connection, the append-only triggers dropped, then put back exactly as they were so
// that the schema check has nothing to see (the chain and checkpoint must catch the edit).
func outside(t *testing.T, path string, stmts ...string) {
	t.Helper()
	outsideKeepingTriggersDropped(t, path, append(stmts, triggersSQL(t)...)...)
}

// outsideKeepingTriggersDropped is outside without putting the triggers back.
func outsideKeepingTriggersDropped(t *testing.T, path string, stmts ...string) {
	t.Helper()
	x, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for _, s := range append([]string{
		`DROP TRIGGER audit_event_no_update`, `DROP TRIGGER audit_event_no_delete`}, stmts...) {
		if _, err := x.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// triggersSQL is the append-only triggers' CREATE statements, as the migrations made them.
func triggersSQL(t *testing.T) []string {
	t.Helper()
	want, err := expectedSchema()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, name := range []string{"audit_event_no_update", "audit_event_no_delete"} {
		out = append(out, want["trigger "+name].sql)
	}
	return out
}

// swapSQL exchanges rows 3 and 6 (body and MAC): row 6 now sits in row 3's place.
const swapSQL = `
CREATE TEMP TABLE s AS SELECT seq, body, mac FROM audit_event WHERE seq IN (3, 6);
UPDATE audit_event SET (body, mac) =
	(SELECT body, mac FROM s WHERE s.seq = CASE audit_event.seq WHEN 3 THEN 6 ELSE 3 END)
	WHERE seq IN (3, 6);`

func TestTamperDetected(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, path string, keys *memKeys, inst string)
		// afterOpen runs on the reopened store before Verify (e.g. the app keeps appending).
		afterOpen func(t *testing.T, db *DB)
		row       int64
		kind      audit.Kind
	}{
		{
			name: "changed field",
			tamper: func(t *testing.T, p string, _ *memKeys, _ string) {
				outside(t, p, `UPDATE audit_event SET body = json_set(body, '$.nhs', '9990000018') WHERE seq = 4`)
			},
			row: 4, kind: audit.KindEdited,
		},
		{
			name: "changed first row's time",
			tamper: func(t *testing.T, p string, _ *memKeys, _ string) {
				outside(t, p, `UPDATE audit_event SET body = json_set(body, '$.t', json_extract(body, '$.t') + 1) WHERE seq = 1`)
			},
			row: 1, kind: audit.KindEdited,
		},
		{
			name: "changed last row",
			tamper: func(t *testing.T, p string, _ *memKeys, _ string) {
				outside(t, p, `UPDATE audit_event SET body = replace(body, '"un":"Pharmacist', '"un":"Someone') WHERE seq = 10`)
			},
			row: 10, kind: audit.KindEdited,
		},
		{
			name: "changed field and its MAC",
			tamper: func(t *testing.T, p string, _ *memKeys, _ string) {
				outside(t, p, `UPDATE audit_event SET body = json_set(body, '$.r', 'x'), mac = randomblob(32) WHERE seq = 6`)
			},
			row: 6, kind: audit.KindEdited,
		},
		{
			name: "deleted middle row",
			tamper: func(t *testing.T, p string, _ *memKeys, _ string) {
				outside(t, p, `DELETE FROM audit_event WHERE seq = 5`)
			},
			row: 5, kind: audit.KindDeleted,
		},
		{
			name: "deleted first row",
			tamper: func(t *testing.T, p string, _ *memKeys, _ string) {
				outside(t, p, `DELETE FROM audit_event WHERE seq = 1`)
			},
			row: 1, kind: audit.KindDeleted,
		},
		{
			name: "deleted tail",
			tamper: func(t *testing.T, p string, _ *memKeys, _ string) {
				outside(t, p, `DELETE FROM audit_event WHERE seq >= 8`)
			},
			row: 8, kind: audit.KindTruncated,
		},
		{
			name: "deleted tail: recording refused",
			tamper: func(t *testing.T, p string, _ *memKeys, _ string) {
				outside(t, p, `DELETE FROM audit_event WHERE seq >= 8`)
			},
			afterOpen: func(t *testing.T, db *DB) {
				// An older copy, or a cut-off end: nothing more is recorded on top of it.
				_, err := db.Record(context.Background(), testEvent(1))
				if !errors.Is(err, ErrLogReplaced) {
					t.Fatalf("Record on a cut-off log = %v, want ErrLogReplaced", err)
				}
				if b := db.Break(); b == nil || b.Found != "older" || b.KnownSeq != 10 || b.FileLastSeq != 7 {
					t.Fatalf("Break = %+v", b)
				}
			},
			row: 8, kind: audit.KindTruncated,
		},
		{
			name: "two rows swapped",
			tamper: func(t *testing.T, p string, _ *memKeys, _ string) {
				outside(t, p, swapSQL)
			},
			row: 3, kind: audit.KindReordered,
		},
		{
			name: "replaced key",
			tamper: func(t *testing.T, _ string, k *memKeys, inst string) {
				key := make([]byte, audit.KeySize)
				rand.Read(key)
				k.Set("audit-key:"+inst, base64.StdEncoding.EncodeToString(key))
			},
			row: 1, kind: audit.KindKeyReplaced,
		},
		{
			name: "replaced key and its fingerprint",
			tamper: func(t *testing.T, p string, k *memKeys, inst string) {
				key := make([]byte, audit.KeySize)
				rand.Read(key)
				k.Set("audit-key:"+inst, base64.StdEncoding.EncodeToString(key))
				outside(t, p, `UPDATE meta SET value = '`+audit.KeyID(key)+`' WHERE key = 'key_id'`)
			},
			row: 1, kind: audit.KindKeyReplaced,
		},
		{
			name: "missing key",
			tamper: func(t *testing.T, _ string, k *memKeys, inst string) {
				k.Delete("audit-key:" + inst)
			},
			row: 1, kind: audit.KindKeyMissing,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "audit.db")
			keys := newMemKeys()
			db, err := Open(ctx, path, keys, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 10 {
				if _, err := db.Record(ctx, testEvent(i)); err != nil {
					t.Fatal(err)
				}
			}
			inst := db.instance
			db.Close()

			tt.tamper(t, path, keys, inst)

			db = openTest(t, path, keys, Options{})
			if tt.afterOpen != nil {
				tt.afterOpen(t, db)
			}
			rep, err := db.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || rep.FirstBad != tt.row || rep.Kind != tt.kind {
				t.Fatalf("Verify = %+v, want first bad row %d %q", rep, tt.row, tt.kind)
			}
			if rep.Message() == "" {
				t.Fatal("no message")
			}
			if tt.kind == audit.KindKeyMissing || tt.kind == audit.KindKeyReplaced {
				_, err := db.Record(ctx, testEvent(0))
				if !errors.Is(err, ErrKeyMissing) && !errors.Is(err, ErrKeyReplaced) {
					t.Fatalf("Record with a bad key = %v, want refusal", err)
				}
			}
		})
	}
}

// TestTamperDetectedInLargeLog repeats the tamper checks on a log that Verify splits into
// parallel ranges, including damage right at a range boundary.
func TestTamperDetectedInLargeLog(t *testing.T) {
	defer func(v int64) { parallelWalkMin = v }(parallelWalkMin)
	parallelWalkMin = 1000
	const n = 21_000
	src := filepath.Join(t.TempDir(), "big.db")
	srcKeys := newMemKeys()
	buildLog(t, src, srcKeys, n)
	parts := int64(max(2, min(runtime.GOMAXPROCS(0), 4)))
	boundary := int64(n) * 1 / parts // last row of the first range
	tests := []struct {
		name string
		sql  string
		row  int64
		kind audit.Kind
	}{
		{"intact", ``, 0, audit.KindNone},
		{"changed field late", `UPDATE audit_event SET body = json_set(body, '$.r', 'x') WHERE seq = 15000`, 15000, audit.KindEdited},
		{"swapped rows in a later range", `CREATE TEMP TABLE s AS SELECT seq, body, mac FROM audit_event WHERE seq IN (17000, 17005);
			UPDATE audit_event SET (body, mac) = (SELECT body, mac FROM s WHERE s.seq = CASE audit_event.seq WHEN 17000 THEN 17005 ELSE 17000 END)
			WHERE seq IN (17000, 17005);`, 17000, audit.KindReordered},
		{"deleted last row of a range", fmt.Sprintf(`DELETE FROM audit_event WHERE seq = %d`, boundary), boundary, audit.KindDeleted},
		{"deleted first row of a range", fmt.Sprintf(`DELETE FROM audit_event WHERE seq = %d`, boundary+1), boundary + 1, audit.KindDeleted},
		{"deleted tail", `DELETE FROM audit_event WHERE seq > 20000`, 20001, audit.KindTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "audit.db")
			data, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			keys := newMemKeys()
			for k, v := range srcKeys.m {
				keys.m[k] = v
			}
			if tt.sql != "" {
				outside(t, path, tt.sql)
			}
			db := openTest(t, path, keys, Options{})
			rep, err := db.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK != (tt.kind == audit.KindNone) || rep.FirstBad != tt.row || rep.Kind != tt.kind {
				t.Fatalf("Verify = %+v, want first bad row %d %q", rep, tt.row, tt.kind)
			}
		})
	}
}
