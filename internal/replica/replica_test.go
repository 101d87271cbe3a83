package replica_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"scrdesk/internal/replica"
	"scrdesk/internal/store"
)

func TestRolesAndTriggers(t *testing.T) {
	srv := central(t)
	ctx := context.Background()
	a := newWorkstation(t, "COUNTER-1")
	a.record(t, 3)
	stop := run(a.worker(t, srv, "ws1", nil))
	defer stop()
	waitFor(t, "rows", 10*time.Second, func() bool { n, _ := centralCount(t, srv, a.db.InstanceID()); return n == 3 })

	as := func(user string) *pgx.Conn {
		c, err := pgx.Connect(ctx, srv.DSN(user, ""))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(ctx) })
		return c
	}
	refused := func(c *pgx.Conn, who, sql string, args ...any) {
		t.Helper()
		_, err := c.Exec(ctx, sql, args...)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" {
			t.Errorf("%s: %s: want refused (42501), got %v", who, sql, err)
		}
	}
	inst := a.db.InstanceID()
	ws, sgp, owner := as("ws1"), as("sgp"), srv.Conn()
	for _, q := range []string{
		`UPDATE scrdesk.audit_event SET body = '{}' WHERE instance_id = $1`,
		`DELETE FROM scrdesk.audit_event WHERE instance_id = $1`,
		`UPDATE scrdesk.chain_head SET seq = 1 WHERE instance_id = $1`,
		`DELETE FROM scrdesk.chain_head WHERE instance_id = $1`,
		`DELETE FROM scrdesk.workstation WHERE instance_id = $1`,
		`UPDATE scrdesk.workstation SET public_key = public_key WHERE instance_id = $1`,
	} {
		refused(ws, "workstation", q, inst)
		refused(sgp, "SGP", q, inst)
		refused(owner, "owner (trigger)", q, inst)
	}
	for _, q := range []string{`TRUNCATE scrdesk.audit_event CASCADE`, `TRUNCATE scrdesk.chain_head`} {
		refused(ws, "workstation", q)
		refused(sgp, "SGP", q)
		refused(owner, "owner (trigger)", q)
	}
	// Workstations may only insert: they cannot read the log. They read back sequence numbers
	// and links only (hashes, no patient data), to tell their own retry from a planted entry.
	refused(ws, "workstation", `SELECT body FROM scrdesk.audit_event`)
	refused(ws, "workstation", `SELECT mac FROM scrdesk.audit_event`)
	refused(ws, "workstation", `SELECT * FROM scrdesk.audit_event`)
	refused(ws, "workstation", `SELECT count(*) FROM scrdesk.chain_head`)
	// SGPs read but cannot insert.
	var n int
	if err := sgp.QueryRow(ctx, `SELECT count(*) FROM scrdesk.audit_event`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("SGP reads %d rows, %v", n, err)
	}
	refused(sgp, "SGP", `INSERT INTO scrdesk.audit_event (instance_id, seq, body, mac, link) VALUES ($1, 99, '{}', '', '')`, inst)
	// PUBLIC has nothing.
	srv.Exec(`CREATE ROLE nobody_special LOGIN`)
	refused(as("nobody_special"), "another login", `SELECT count(*) FROM scrdesk.audit_event`)
	if n2, d := centralCount(t, srv, inst); n2 != 3 || d != 3 {
		t.Fatalf("after the refused changes: %d rows (%d distinct)", n2, d)
	}
}

func TestTwoWorkstationsReplicateAtOnce(t *testing.T) {
	srv := central(t)
	a, b := newWorkstation(t, "COUNTER-1"), newWorkstation(t, "COUNTER-2")
	a.bulk(t, 3000)
	b.bulk(t, 2000)
	wa := a.worker(t, srv, "ws1", func(c *replica.Config) { c.Batch = 250 })
	wb := b.worker(t, srv, "ws2", func(c *replica.Config) { c.Batch = 250 })
	stopA, stopB := run(wa), run(wb)
	// Both counters keep working while they catch up.
	var wg sync.WaitGroup
	for _, w := range []*workstation{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); w.record(t, 40) }()
	}
	wg.Wait()
	caughtUp(t, a, wa, 60*time.Second)
	caughtUp(t, b, wb, 60*time.Second)
	stopA()
	stopB()
	for _, w := range []*workstation{a, b} {
		last, _ := w.db.LastSeq(context.Background())
		if n, d := centralCount(t, srv, w.db.InstanceID()); n != last || d != last {
			t.Errorf("%s: central holds %d rows (%d distinct), local %d", w.name, n, d, last)
		}
	}
	rep := verify(t, srv, replica.VerifyOptions{ODSCode: "FA123"})
	if !rep.OK() || len(rep.Workstations) != 2 || rep.Rows != 3040+2040 {
		t.Fatalf("verify: %s", rep.Text())
	}
	if !strings.Contains(rep.Text(), "COUNTER-2") || !strings.Contains(rep.Text(), "Verified: 5080 entries from 2 workstations") {
		t.Errorf("report text: %s", rep.Text())
	}
	if st := wa.Status(); !strings.HasPrefix(st.Text(time.Now()), "central audit log: replicated to entry 3,040, ") {
		t.Errorf("status text %q", st.Text(time.Now()))
	}
}

func TestServerStoppedMidStreamAndRestarted(t *testing.T) {
	srv := central(t)
	a := newWorkstation(t, "COUNTER-1")
	a.bulk(t, 20000)
	wk := a.worker(t, srv, "ws1", func(c *replica.Config) { c.Batch = 100 })
	stop := run(wk)
	defer stop()
	waitFor(t, "replication under way", 30*time.Second, func() bool { return wk.Status().Cursor > 500 })
	srv.Stop()
	waitFor(t, "offline", 10*time.Second, func() bool { return !wk.Status().Connected })
	a.record(t, 5) // the counter is not blocked
	st := wk.Status()
	if st.Cursor >= 20005 || st.OfflineSince.IsZero() {
		t.Fatalf("status while away: %+v", st)
	}
	waitFor(t, "waiting count", 5*time.Second, func() bool { return wk.Status().Waiting == 20005-wk.Status().Cursor })
	text := wk.Status().Text(time.Now())
	if !strings.HasPrefix(text, "central audit log offline since ") || !strings.Contains(text, " entries waiting") {
		t.Errorf("status text while away: %q", text)
	}
	time.Sleep(700 * time.Millisecond) // a few backoff rounds against a closed port
	srv.Restart()
	caughtUp(t, a, wk, 60*time.Second)
	if n, d := centralCount(t, srv, a.db.InstanceID()); n != 20005 || d != 20005 {
		t.Fatalf("central holds %d rows (%d distinct), want 20005", n, d)
	}
	if rep := verify(t, srv, replica.VerifyOptions{}); !rep.OK() || rep.Rows != 20005 {
		t.Fatalf("verify: %s", rep.Text())
	}
}

func TestCursorRolledBack(t *testing.T) {
	srv := central(t)
	ctx := context.Background()
	a := newWorkstation(t, "COUNTER-1")
	a.bulk(t, 1500)
	wk := a.worker(t, srv, "ws1", func(c *replica.Config) { c.Batch = 200 })
	stop := run(wk)
	caughtUp(t, a, wk, 30*time.Second)
	stop()
	for _, back := range []store.ReplicaCursor{{}, {Seq: 0, Link: []byte{}}} {
		// A cursor restored from an old backup (or lost: the zero cursor): everything is sent
		// again and the central table ignores what it holds.
		if err := a.db.SaveReplicaCursor(ctx, back); err != nil {
			t.Fatal(err)
		}
		a.record(t, 2)
		wk = a.worker(t, srv, "ws1", func(c *replica.Config) { c.Batch = 200 })
		stop = run(wk)
		caughtUp(t, a, wk, 30*time.Second)
		stop()
	}
	if n, d := centralCount(t, srv, a.db.InstanceID()); n != 1504 || d != 1504 {
		t.Fatalf("central holds %d rows (%d distinct), want 1504", n, d)
	}
	if rep := verify(t, srv, replica.VerifyOptions{}); !rep.OK() {
		t.Fatalf("verify: %s", rep.Text())
	}
}

func TestStatusText(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		st   replica.Status
		want string
	}{
		{replica.Status{}, "central audit log: not set up"},
		{replica.Status{Enabled: true}, "central audit log: connecting"},
		{replica.Status{Enabled: true, Connected: true, Cursor: 1204311, LastOK: now.Add(-3 * time.Second)}, "central audit log: replicated to entry 1,204,311, 3 s ago"},
		{replica.Status{Enabled: true, Connected: true, Cursor: 10, Waiting: 1}, "central audit log: replicated to entry 10, 1 entry waiting"},
		{replica.Status{Enabled: true, OfflineSince: time.Date(2026, 12, 1, 9, 14, 0, 0, time.UTC), Waiting: 212}, "central audit log offline since 09:14, 212 entries waiting"},
		{replica.Status{Enabled: true, OfflineSince: time.Date(2026, 11, 10, 9, 14, 0, 0, time.UTC), Waiting: 99999}, "central audit log offline since 10 Nov 09:14, 99,999 entries waiting"},
	} {
		if got := c.st.Text(now); got != c.want {
			t.Errorf("%+v: %q, want %q", c.st, got, c.want)
		}
	}
}

// TestPlantedRowIsNotTakenAsReplicated: someone with database access puts an entry at this
// workstation's next sequence number before it is sent. The insert's ON CONFLICT leaves the
// planted entry; the worker sees its own entry was not stored, says so in its status, and does
// not move its cursor past it (the entry is never counted as replicated). A retry of a batch the
// server already holds (the cursor rolled back) still goes through (TestCursorRolledBack).
func TestPlantedRowIsNotTakenAsReplicated(t *testing.T) {
	srv := central(t)
	a := newWorkstation(t, "COUNTER-1")
	a.bulk(t, 100)
	wk := a.worker(t, srv, "ws1", nil)
	stop := run(wk)
	caughtUp(t, a, wk, 30*time.Second)
	stop()
	srv.Exec(`INSERT INTO scrdesk.audit_event (instance_id, seq, body, mac, link) VALUES ($1, 101, '{"planted":true}', '\x00', '\x00')`,
		a.db.InstanceID())
	a.record(t, 3)
	wk = a.worker(t, srv, "ws1", nil)
	stop = run(wk)
	defer stop()
	waitFor(t, "the conflict in the status", 30*time.Second, func() bool {
		return strings.Contains(wk.Status().Problem, "different entry 101")
	})
	time.Sleep(300 * time.Millisecond) // retries: still refused
	if st := wk.Status(); st.Connected || st.Cursor > 100 {
		t.Fatalf("status %+v: past the planted entry", st)
	}
	if c, err := a.db.LoadReplicaCursor(context.Background()); err != nil || c.Seq != 100 {
		t.Fatalf("saved cursor %+v (%v), want 100", c, err)
	}
}
