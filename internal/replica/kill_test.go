package replica_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"scrdesk/internal/replica"
	"scrdesk/internal/secrets"
	"scrdesk/internal/store"
)

// TestHelperReplicate is not a test: it is the workstation process TestKilledMidBatch kills.
func TestHelperReplicate(t *testing.T) {
	dir, dsn := os.Getenv("SCRDESK_REPLICA_HELPER_DIR"), os.Getenv("SCRDESK_REPLICA_HELPER_DSN")
	if dir == "" {
		t.Skip("helper process only")
	}
	keys := secrets.File(filepath.Join(dir, "secrets.json"))
	db, err := store.Open(context.Background(), filepath.Join(dir, "scrdesk.db"), keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	key, err := replica.SigningKey(keys, db.InstanceID())
	if err != nil {
		t.Fatal(err)
	}
	wk := replica.New(replica.Config{DSN: dsn, Workstation: "COUNTER-1", ODSCode: "FA123", Batch: 200, HeadRows: 1000}, db, key)
	wk.Run(context.Background()) // until killed
}

func TestKilledMidBatch(t *testing.T) {
	srv := central(t)
	ctx := context.Background()
	a := newWorkstation(t, "COUNTER-1")
	a.bulk(t, 40000)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperReplicate$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SCRDESK_REPLICA_HELPER_DIR="+a.dir, "SCRDESK_REPLICA_HELPER_DSN="+srv.DSN("ws1", ""))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// Wait until it is well under way and inside a transaction, then kill it (SIGKILL: no
	// clean-up of any kind).
	waitFor(t, "the helper to be mid-batch", 60*time.Second, func() bool {
		n, _ := centralCount(t, srv, a.db.InstanceID())
		if n < 2000 {
			return false
		}
		var open int
		c, err := pgx.Connect(ctx, srv.SuperDSN())
		if err != nil {
			return false
		}
		_ = c.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE usename = 'ws1' AND xact_start IS NOT NULL`).Scan(&open)
		c.Close(ctx)
		return open > 0
	})
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	before, _ := centralCount(t, srv, a.db.InstanceID())
	cur, _ := a.db.LoadReplicaCursor(ctx)
	if before >= 40000 || cur.Seq > before {
		t.Fatalf("killed too late or the cursor ran ahead of the server: central %d, cursor %d", before, cur.Seq)
	}
	// The workstation starts again and finishes.
	wk := a.worker(t, srv, "ws1", nil)
	stop := run(wk)
	caughtUp(t, a, wk, 60*time.Second)
	stop()
	if n, d := centralCount(t, srv, a.db.InstanceID()); n != 40000 || d != 40000 {
		t.Fatalf("central holds %d rows (%d distinct), want 40000", n, d)
	}
	if rep := verify(t, srv, replica.VerifyOptions{}); !rep.OK() {
		t.Fatalf("verify: %s", rep.Text())
	}
	t.Logf("killed with %d rows on the server (cursor %d); resumed to 40000", before, cur.Seq)
}
