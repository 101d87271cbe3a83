package replica_test

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"scrdesk/internal/audit"
	"scrdesk/internal/replica"
	"scrdesk/internal/replica/pgtest"
	"scrdesk/internal/secrets"
	"scrdesk/internal/store"
)

// central starts a private PostgreSQL with the central schema and three logins: ws1 and ws2
// (scrdesk_writer) and sgp (scrdesk_reader).
func central(t testing.TB) *pgtest.Server {
	t.Helper()
	srv := pgtest.Start(t)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, srv.SuperDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if err := replica.ApplySchema(ctx, c); err != nil {
		t.Fatal(err)
	}
	// Applying it twice changes nothing (IT support may run it again after an upgrade).
	if err := replica.ApplySchema(ctx, c); err != nil {
		t.Fatalf("schema is not idempotent: %v", err)
	}
	srv.Exec(`CREATE ROLE ws1 LOGIN IN ROLE scrdesk_writer; CREATE ROLE ws2 LOGIN IN ROLE scrdesk_writer;
		CREATE ROLE sgp LOGIN IN ROLE scrdesk_reader`)
	return srv
}

// workstation is one counter: its own data folder, its own key file (the keyring's fallback),
// its own log.
type workstation struct {
	name string
	dir  string
	keys secrets.Store
	db   *store.DB
	key  ed25519.PrivateKey
}

func newWorkstation(t testing.TB, name string) *workstation {
	t.Helper()
	dir := t.TempDir()
	w := &workstation{name: name, dir: dir, keys: secrets.File(filepath.Join(dir, "secrets.json"))}
	w.open(t)
	return w
}

func (w *workstation) open(t testing.TB) {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(w.dir, "scrdesk.db"), w.keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w.db = db
	w.key, err = replica.SigningKey(w.keys, db.InstanceID())
	if err != nil {
		t.Fatal(err)
	}
}

func (w *workstation) record(t testing.TB, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if _, err := w.db.Record(context.Background(), event(w.name, i)); err != nil {
			t.Fatal(err)
		}
	}
}

func event(ws string, i int) audit.Event {
	return audit.Event{Action: audit.ActionSCRRead, Outcome: audit.OutcomeSuccess, Workstation: ws, ODSCode: "FA123",
		UserID: fmt.Sprintf("5552542%05d", i%7), UserName: "Test Pharmacist", RoleCode: "S8000:G8000:R8003",
		NHSNumber: "9990000107", Detail: map[string]string{"i": strconv.Itoa(i)}}
}

// bulk appends n rows fast (one transaction, no fsync per row) with a real HMAC chain, as if
// the workstation had recorded them over weeks.
func (w *workstation) bulk(t testing.TB, n int) {
	t.Helper()
	ctx := context.Background()
	inst := w.db.InstanceID()
	last, err := w.db.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w.db.Close()
	enc, err := w.keys.Get("audit-key:" + inst)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := base64.StdEncoding.DecodeString(enc)
	chain, _ := audit.NewChain(key)
	path := filepath.Join(w.dir, "scrdesk.db")
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=synchronous(OFF)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var prev []byte
	if last > 0 {
		if err := raw.QueryRow(`SELECT mac FROM audit_event WHERE seq = ?`, last).Scan(&prev); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := raw.Begin()
	if err != nil {
		t.Fatal(err)
	}
	stmt, err := tx.Prepare(`INSERT INTO audit_event (seq, body, mac) VALUES (?, ?, ?)`)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Add(-30 * 24 * time.Hour).Truncate(time.Millisecond)
	for i := 0; i < n; i++ {
		seq := last + int64(i) + 1
		e := audit.Entry{Seq: seq, ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", seq), Time: t0.Add(time.Duration(seq) * time.Second),
			Event: event(w.name, int(seq))}
		body := audit.Encode(e)
		mac := append([]byte(nil), chain.MAC(prev, seq, body)...)
		if _, err := stmt.Exec(seq, string(body), mac); err != nil {
			t.Fatal(err)
		}
		prev = mac
	}
	stmt.Close()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if err := w.keys.Set("audit-checkpoint:"+inst, fmt.Sprintf("%d:%x", last+int64(n), prev)); err != nil {
		t.Fatal(err)
	}
	w.open(t)
}

func (w *workstation) worker(t testing.TB, srv *pgtest.Server, user string, tune func(*replica.Config)) *replica.Worker {
	cfg := replica.Config{DSN: srv.DSN(user, ""), Workstation: w.name, ODSCode: "FA123",
		Log:       slog.New(slog.NewTextHandler(testWriter{t}, nil)),
		HeadEvery: 200 * time.Millisecond, Poll: 20 * time.Millisecond, MaxBackoff: 300 * time.Millisecond}
	if tune != nil {
		tune(&cfg)
	}
	return replica.New(cfg, w.db, w.key)
}

// run starts the worker; the returned stop ends it and waits.
func run(wk *replica.Worker) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { wk.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// caughtUp waits until the worker replicated every local row and signed a head over them.
func caughtUp(t testing.TB, w *workstation, wk *replica.Worker, d time.Duration) {
	t.Helper()
	waitFor(t, w.name+" to catch up", d, func() bool {
		last, _ := w.db.LastSeq(context.Background())
		st := wk.Status()
		return st.Connected && st.Cursor == last && st.SignedSeq == last
	})
}

func centralCount(t testing.TB, srv *pgtest.Server, inst string) (rows, distinct int64) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, srv.SuperDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	err = c.QueryRow(ctx, `SELECT count(*), count(DISTINCT seq) FROM scrdesk.audit_event WHERE instance_id = $1`, inst).
		Scan(&rows, &distinct)
	if err != nil {
		t.Fatal(err)
	}
	return
}

func verify(t testing.TB, srv *pgtest.Server, opt replica.VerifyOptions) replica.CentralReport {
	t.Helper()
	return verifyDB(t, srv, "", opt)
}

func verifyDB(t testing.TB, srv *pgtest.Server, db string, opt replica.VerifyOptions) replica.CentralReport {
	t.Helper()
	rep, err := replica.VerifyCentral(context.Background(), srv.DSN("sgp", db), opt)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }
