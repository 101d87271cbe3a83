package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"scrdesk/internal/audit"
)

// TestDueRefusesUnauthenticatedAlerts: on a real SQLite file, an outbox row planted without an
// alert-queued row, one pointing at another alert's queued row, and one whose payload was
// edited after queueing are never handed out by Due; each is marked failed (so it stays
// visible) with a serious-failure alert-failed row. A genuine alert is due, with the user and
// role from its queued row.
func TestDueRefusesUnauthenticatedAlerts(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "o.db")
	db := openTest(t, path, newMemKeys(), Options{Now: clk.Now})
	ev := testEvent(3)
	good, entry, err := db.Enqueue(ctx, []byte(`{"n":1}`), ev)
	if err != nil {
		t.Fatal(err)
	}
	if entry.Detail["payload_sha256"] != payloadHash([]byte(`{"n":1}`)) {
		t.Fatalf("queued row detail %v", entry.Detail)
	}
	edited, _, err := db.Enqueue(ctx, []byte(`{"n":2}`), ev)
	if err != nil {
		t.Fatal(err)
	}
	x, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	now := clk.Now().UnixMilli()
	for _, q := range []string{
		`UPDATE alert_outbox SET payload = '{"n":2,"nhs":"9000000009"}' WHERE id = ` + itoa64(edited.ID),
		// Forged: no alert-queued row at all.
		`INSERT INTO alert_outbox (id, created_ms, payload, next_ms, audit_seq) VALUES (10, ?, '{"n":10}', ?, 0)`,
		// Forged: borrows the genuine alert's queued row.
		`INSERT INTO alert_outbox (id, created_ms, payload, next_ms, audit_seq) VALUES (11, ?, '{"n":1}', ?, ` + itoa64(good.AuditSeq) + `)`,
	} {
		args := []any{}
		if strings.Contains(q, "?") {
			args = []any{now, now}
		}
		if _, err := x.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	due, err := db.Due(ctx, clk.Now(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].ID != good.ID || due[0].QueuedBy != ev.UserID || due[0].QueuedURID != ev.URID {
		t.Fatalf("Due = %+v, want only the genuine alert with its user and role", due)
	}
	failed, err := db.List(ctx, AlertFailed, 10)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int64]bool{}
	for _, a := range failed {
		ids[a.ID] = true
		if !strings.HasPrefix(a.LastError, "refused: ") {
			t.Errorf("alert %d failed with %q", a.ID, a.LastError)
		}
	}
	if len(failed) != 3 || !ids[edited.ID] || !ids[10] || !ids[11] {
		t.Fatalf("failed alerts %+v", failed)
	}
	n := 0
	es, _, err := db.Query(ctx, audit.Filter{}, audit.Cursor{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Action == audit.ActionAlertFailed && e.Outcome == audit.OutcomeSeriousFailure && strings.Contains(e.Reason, "Privacy alert not sent") {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d serious alert-failed rows, want 3", n)
	}
	// Refused once: a second look hands out the genuine one only and records nothing more.
	if due, _ := db.Due(ctx, clk.Now(), 10); len(due) != 1 {
		t.Errorf("second Due = %+v", due)
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// TestDueBesideTheWriterKeepsTheChain: the outbox checks each due alert's queued row while the
// window goes on recording. The check once shared the writer's HMAC state: a check between the
// writer's Reset and Sum stored a row with a wrong MAC (the race detector caught it in app's
// outage test), and the log then failed verification, the alert refused as "does not verify".
// Every row written beside the checks must verify, and the alert must stay due.
func TestDueBesideTheWriterKeepsTheChain(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, filepath.Join(t.TempDir(), "o.db"), newMemKeys(), Options{})
	a, _, err := db.Enqueue(ctx, []byte(`{"n":1}`), testEvent(3))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		for i := 0; i < 300; i++ {
			if _, err := db.Record(ctx, testEvent(i)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	checks := 0
	for writing := true; writing; checks++ {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			writing = false
		default:
		}
		due, err := db.Due(ctx, time.Now().Add(time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) != 1 || due[0].ID != a.ID {
			t.Fatalf("after %d checks beside the writer, Due = %+v: the genuine alert was refused", checks, due)
		}
	}
	rep, err := db.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("after %d checks beside 300 rows, verify: %+v", checks, rep)
	}
}
