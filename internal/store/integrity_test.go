package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/settings"
)

// flakyKeys is a KeySource whose checkpoint writes can be made to fail, as a keyring that
// stops answering (or a read-only key file) does.
type flakyKeys struct {
	*memKeys
	mu   sync.Mutex
	fail bool
}

func (k *flakyKeys) setFail(v bool) { k.mu.Lock(); k.fail = v; k.mu.Unlock() }

func (k *flakyKeys) Set(key, value string) error {
	k.mu.Lock()
	fail := k.fail
	k.mu.Unlock()
	if fail && strings.HasPrefix(key, "audit-checkpoint:") {
		return errors.New("keyring: the collection is locked")
	}
	return k.memKeys.Set(key, value)
}

func record(t *testing.T, db *DB, n int) {
	t.Helper()
	for i := range n {
		if _, err := db.Record(context.Background(), testEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
}

func findingOf(rep audit.Report, k audit.Kind) *audit.Finding {
	for i := range rep.Findings {
		if rep.Findings[i].Kind == k {
			return &rep.Findings[i]
		}
	}
	return nil
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestLogRemovedOrReplaced: the keyring knows the log (instance id and checkpoint), so a
// deleted, emptied, older or different file is named, recording is refused, and only NewLog
// goes on, recording the break in the new log's first row.
func TestLogRemovedOrReplaced(t *testing.T) {
	tests := []struct {
		name  string
		swap  func(t *testing.T, path, older, other string)
		found string
	}{
		{"deleted", func(t *testing.T, p, _, _ string) {
			for _, s := range []string{"", "-wal", "-shm"} {
				os.Remove(p + s)
			}
		}, "missing"},
		{"replaced by an empty database", func(t *testing.T, p, _, _ string) {
			os.Remove(p)
			x, _ := sql.Open("sqlite", p)
			x.Exec(`CREATE TABLE t (x)`)
			x.Close()
		}, "empty"},
		{"replaced by an older copy", func(t *testing.T, p, older, _ string) { copyFile(t, older, p) }, "older"},
		{"replaced by another workstation's log", func(t *testing.T, p, _, other string) { copyFile(t, other, p) }, "different"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			path, older, other := filepath.Join(dir, "a.db"), filepath.Join(dir, "older.db"), filepath.Join(dir, "other.db")
			keys := newMemKeys()
			db, err := Open(ctx, path, keys, nil)
			if err != nil {
				t.Fatal(err)
			}
			record(t, db, 4)
			db.Close()
			copyFile(t, path, older)
			db, _ = Open(ctx, path, keys, nil)
			record(t, db, 6)
			db.Close()
			odb, _ := Open(ctx, other, newMemKeys(), nil)
			record(t, odb, 20)
			odb.Close()

			tt.swap(t, path, older, other)
			db = openTest(t, path, keys, Options{})
			b := db.Break()
			if b == nil || b.Found != tt.found || b.KnownSeq != 10 {
				t.Fatalf("Break = %+v, want found %q at entry 10", b, tt.found)
			}
			if !strings.Contains(b.Message(), "The audit log was removed or replaced (last known: entry 10, at ") {
				t.Fatalf("message %q", b.Message())
			}
			if _, err := db.Record(ctx, testEvent(0)); !errors.Is(err, ErrLogReplaced) {
				t.Fatalf("Record = %v, want ErrLogReplaced", err)
			}
			if msg := UserMessage(db.Problem()); !strings.Contains(msg, "removed or replaced") || !strings.Contains(msg, "new-log") {
				t.Fatalf("UserMessage = %q", msg)
			}
			rep, err := db.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || len(rep.Errors()) == 0 || !strings.Contains(rep.Message(), "The audit log was removed or replaced (last known: entry 10") {
				t.Fatalf("Verify = %+v\n%s", rep, rep.Message())
			}
			db.Close()

			// Opening again changes nothing: no quiet new start.
			db = openTest(t, path, keys, Options{})
			if db.Break() == nil {
				t.Fatal("second Open forgot the break")
			}
			db.Close()

			res, err := NewLog(ctx, path, keys, audit.Event{UserName: "os:itsupport", Workstation: "counter-1", Reason: "log found replaced"}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.First.Seq != 1 || res.First.Action != audit.ActionAuditNewLog || res.First.Detail["previous_checkpoint_seq"] != "10" ||
				res.First.Detail["found"] != tt.found || res.First.Detail["previous_instance"] != b.KnownInstance {
				t.Fatalf("first row %+v", res.First)
			}
			if tt.found != "missing" {
				if _, err := os.Stat(res.Kept); err != nil {
					t.Fatalf("file found was not kept: %v", err)
				}
			}
			db = openTest(t, path, keys, Options{})
			if db.Break() != nil || db.Instance() == b.KnownInstance {
				t.Fatalf("after NewLog: break %+v, instance %s", db.Break(), db.Instance())
			}
			record(t, db, 2)
			rep, err = db.Verify(ctx)
			if err != nil || !rep.OK || findingOf(rep, audit.KindNewLog) == nil {
				t.Fatalf("Verify after NewLog = %+v, %v", rep, err)
			}
			if _, err := NewLog(ctx, path, keys, audit.Event{UserName: "x"}, Options{}); !errors.Is(err, ErrNoBreak) {
				t.Fatalf("NewLog on a whole log = %v", err)
			}
		})
	}
}

// TestSchemaChangesDetected: open and verify compare the schema with the migrations'.
func TestSchemaChangesDetected(t *testing.T) {
	tests := []struct {
		name string
		sql  []string
		want string
	}{
		{"generated column redefined", []string{`PRAGMA writable_schema = ON`,
			`UPDATE sqlite_schema SET sql = replace(sql, 'json_extract(body, ''$.nhs'')', 'CASE WHEN seq % 2 = 0 THEN '''' ELSE json_extract(body, ''$.nhs'') END') WHERE name = 'audit_event'`},
			"table audit_event has been redefined"},
		{"index dropped and rebuilt over another expression", []string{`DROP INDEX audit_by_patient`,
			`CREATE INDEX audit_by_patient ON audit_event (nhs_number, seq) WHERE nhs_number <> '' AND seq % 2 = 1`},
			"index audit_by_patient has been redefined"},
		{"trigger dropped", []string{`DROP TRIGGER audit_event_no_delete`}, "trigger audit_event_no_delete is missing"},
		{"trigger added", []string{`CREATE TRIGGER hide AFTER INSERT ON audit_event BEGIN SELECT 1; END`}, "trigger hide is not part of SCR Desk"},
		{"table added", []string{`CREATE TABLE shadow (x)`}, "table shadow is not part of SCR Desk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "a.db")
			keys := newMemKeys()
			db := openTest(t, path, keys, Options{})
			record(t, db, 10)
			db.Close()
			x, _ := sql.Open("sqlite", path)
			for _, s := range tt.sql {
				if _, err := x.Exec(s); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			x.Close()
			db = openTest(t, path, keys, Options{})
			if err := db.Problem(); !errors.Is(err, ErrSchemaChanged) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Problem = %v, want %q", err, tt.want)
			}
			if _, err := db.Record(ctx, testEvent(1)); !errors.Is(err, ErrSchemaChanged) {
				t.Fatalf("Record = %v", err)
			}
			rep, err := db.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			f := findingOf(rep, audit.KindSchemaChanged)
			if rep.OK || f == nil || !strings.Contains(f.What, tt.want) || !strings.Contains(f.What, "changed outside SCR Desk") {
				t.Fatalf("Verify = %+v", rep)
			}
		})
	}
}

// TestExportRechecksBodies: an index that returns a row outside the filter is refused, not
// exported: a Subject Access Request cannot be given another patient's rows.
func TestExportRechecksBodies(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	keys := newMemKeys()
	db := openTest(t, path, keys, Options{})
	record(t, db, 30)
	db.Close()
	x, _ := sql.Open("sqlite", path)
	for _, s := range []string{`PRAGMA writable_schema = ON`,
		`UPDATE sqlite_schema SET sql = replace(sql, 'json_extract(body, ''$.nhs'')', 'coalesce(''9990000001'', json_extract(body, ''$.nhs''))') WHERE name = 'audit_event'`} {
		if _, err := x.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	x.Close()
	x, _ = sql.Open("sqlite", path)
	if _, err := x.Exec(`REINDEX audit_by_patient`); err != nil {
		t.Fatal(err)
	}
	x.Close()
	db = openTest(t, path, keys, Options{})
	err := db.Each(ctx, audit.Filter{NHSNumber: "9990000001"}, func(audit.Entry) error { return nil })
	if !errors.Is(err, ErrIndexMismatch) {
		t.Fatalf("Each over a rebuilt index = %v, want ErrIndexMismatch", err)
	}
	if _, _, err := db.Query(ctx, audit.Filter{NHSNumber: "9990000001"}, audit.Cursor{}, 50); !errors.Is(err, ErrIndexMismatch) {
		t.Fatalf("Query = %v", err)
	}
}

// TestCheckpointFailuresDegradeAndAreRecorded: failed checkpoint writes are retried, the
// store says since when protection is degraded, Verify reports the unprotected rows (after a
// tail cut too), and when the keyring works again the gap is recorded in the log.
// TestCheckpointAheadOfAStaleCountIsNotABreak: a second process opening the log while the
// window writes reads the row count, then the checkpoint, which the window may have moved on
// in between. That is not a cut-off log: the rows are read again before it is called one (it
// once made `scrdesk audit export` beside a running window fail with "shorter than its
// checkpoint"). A log really shorter than its checkpoint is still a break.
func TestCheckpointAheadOfAStaleCountIsNotABreak(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	keys := newMemKeys()
	db := openTest(t, path, keys, Options{})
	record(t, db, 10)
	if err := db.checkCheckpoint(ctx, 4); err != nil { // the count read before 6 more rows landed
		t.Fatal(err)
	}
	if b := db.Break(); b != nil {
		t.Fatalf("a stale row count was taken for a cut-off log: %+v", b)
	}
	db.Close()
	outside(t, path, `DELETE FROM audit_event WHERE seq > 6`)
	db = openTest(t, path, keys, Options{})
	if b := db.Break(); b == nil || b.Found != "older" || b.FileLastSeq != 6 {
		t.Fatalf("a log cut short of its checkpoint: Break = %+v", b)
	}
	db.Close()
}

func TestCheckpointFailuresDegradeAndAreRecorded(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	keys := &flakyKeys{memKeys: newMemKeys()}
	db := openTest(t, path, keys, Options{})
	record(t, db, 10)
	if db.Protection().Degraded {
		t.Fatal("degraded with a working keyring")
	}
	keys.setFail(true)
	record(t, db, 20)
	p := db.Protection()
	if !p.Degraded || p.Since.IsZero() || p.FromSeq != 11 || p.LastCheckpoint != 10 || p.Error == "" {
		t.Fatalf("Protection = %+v", p)
	}
	rep, err := db.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f := findingOf(rep, audit.KindNotProtected)
	if rep.OK || f == nil || f.Row != 11 || f.ToRow != 30 || !strings.Contains(f.What, "Entries 11 to 30 are not yet protected") || rep.DegradedSince.IsZero() {
		t.Fatalf("Verify = %+v", rep)
	}
	db.Close()
	// The tail is cut while the keyring still refuses: verify still fails closed.
	outside(t, path, `DELETE FROM audit_event WHERE seq > 20`)
	db = openTest(t, path, keys, Options{})
	rep, err = db.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f := findingOf(rep, audit.KindNotProtected); rep.OK || f == nil || f.Row != 11 {
		t.Fatalf("Verify after the cut = %+v", rep)
	}
	db.Close()
	// The keyring works again: the gap is recorded before the checkpoint covers it.
	keys.setFail(false)
	db = openTest(t, path, keys, Options{})
	rep, err = db.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f = findingOf(rep, audit.KindWasUnprotected)
	if rep.OK || f == nil || f.Severity != audit.SeverityError || f.Row != 11 || !strings.Contains(f.What, "Entries 11 to ") ||
		!strings.Contains(f.What, "keyring refused") {
		t.Fatalf("Verify after recovery = %+v", rep)
	}
	if findingOf(rep, audit.KindNotProtected) != nil {
		t.Fatalf("still not protected: %+v", rep)
	}

	// In one run: failures, then the keyring comes back.
	keys.setFail(true)
	record(t, db, 3)
	if !db.Protection().Degraded {
		t.Fatal("not degraded")
	}
	keys.setFail(false)
	if !db.Checkpoint(ctx) || db.Protection().Degraded {
		t.Fatalf("retry did not restore protection: %+v", db.Protection())
	}
	n, _ := db.Count(ctx, audit.Filter{Action: audit.ActionAuditUnprotected})
	// One when the cut log was opened with the keyring still refusing, one when it worked
	// again, one for the failures in this run.
	if n != 3 {
		t.Fatalf("%d unprotected-entries rows, want 3", n)
	}
}

// TestCheckpointUnreadableIsAnError: verify fails closed, never "no checkpoint".
func TestCheckpointUnreadableIsAnError(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	keys := newMemKeys()
	db := openTest(t, path, keys, Options{})
	record(t, db, 5)
	inst := db.Instance()
	db.Close()
	keys.Set("audit-checkpoint:"+inst, "garbage")
	db = openTest(t, path, keys, Options{})
	rep, err := db.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f := findingOf(rep, audit.KindCheckpointUnreadable); rep.OK || f == nil {
		t.Fatalf("Verify = %+v", rep)
	}
	if !db.Protection().Degraded {
		t.Fatal("an unreadable checkpoint must show as degraded protection")
	}
}

// TestSettingsTamperRefused: the settings document must be the one the last settings row
// recorded; otherwise it is refused (not replaced by defaults), and saving again puts it right.
func TestSettingsTamperRefused(t *testing.T) {
	ctx := context.Background()
	for _, tamper := range []string{
		`UPDATE settings SET doc = json_set(doc, '$.idle_lock_minutes', 60)`,
		`DELETE FROM settings`,
	} {
		t.Run(tamper[:6], func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.db")
			keys := newMemKeys()
			db := openTest(t, path, keys, Options{})
			s := settings.Defaults()
			s.IdleLockMinutes, s.ODSCode = 10, "FA123"
			who := audit.Event{UserName: "IT Support", Workstation: "counter-1"}
			if err := db.SaveSettings(ctx, s, who); err != nil {
				t.Fatal(err)
			}
			if _, err := db.LoadSettings(ctx); err != nil {
				t.Fatal(err)
			}
			db.Close()
			x, _ := sql.Open("sqlite", path)
			if _, err := x.Exec(tamper); err != nil {
				t.Fatal(err)
			}
			x.Close()
			db = openTest(t, path, keys, Options{})
			if _, err := db.LoadSettings(ctx); !errors.Is(err, ErrSettingsTampered) || !strings.Contains(UserMessage(err), "changed outside SCR Desk") {
				t.Fatalf("LoadSettings = %v", err)
			}
			rep, _ := db.Verify(ctx)
			if f := findingOf(rep, audit.KindSettingsChanged); rep.OK || f == nil {
				t.Fatalf("Verify = %+v", rep)
			}
			if err := db.SaveSettings(ctx, s, who); err != nil {
				t.Fatal(err)
			}
			got, err := db.LoadSettings(ctx)
			if err != nil || got.IdleLockMinutes != 10 {
				t.Fatalf("after saving again: %+v, %v", got, err)
			}
			if rep, _ := db.Verify(ctx); !rep.OK {
				t.Fatalf("Verify after saving again = %+v", rep)
			}
		})
	}
}

// TestOutboxReconciled: an alert marked sent (or removed) outside SCR Desk is found, and a sent
// alert's payload is purged.
func TestOutboxReconciled(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "o.db")
	keys := newMemKeys()
	db := openTest(t, path, keys, Options{})
	ev := testEvent(3)
	a, _, err := db.Enqueue(ctx, []byte(`{"nhs":"9990000018","reason":"unconscious"}`), ev)
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := db.Enqueue(ctx, []byte(`{"nhs":"9990000026"}`), ev)
	c, _, _ := db.Enqueue(ctx, []byte(`{"nhs":"9990000034"}`), ev)
	if _, err := db.MarkSent(ctx, a.ID, ev); err != nil {
		t.Fatal(err)
	}
	all, _ := db.List(ctx, AlertSent, 10)
	if len(all) != 1 || string(all[0].Payload) != `{}` {
		t.Fatalf("sent alert payload not purged: %+v", all)
	}
	if rep, _ := db.Verify(ctx); !rep.OK {
		t.Fatalf("Verify = %+v", rep)
	}
	db.Close()
	x, _ := sql.Open("sqlite", path)
	x.Exec(`UPDATE alert_outbox SET state = 'sent' WHERE id = ?`, b.ID)
	x.Exec(`DELETE FROM alert_outbox WHERE id = ?`, c.ID)
	x.Close()
	db = openTest(t, path, keys, Options{})
	rep, err := db.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var words []string
	for _, f := range rep.Findings {
		if f.Kind == audit.KindOutboxMismatch {
			words = append(words, f.What)
		}
	}
	all2 := strings.Join(words, "\n")
	if rep.OK || len(words) != 2 || !strings.Contains(all2, "is marked as sent, but the audit log has no record of it being sent") ||
		!strings.Contains(all2, "has been removed from the outbox") {
		t.Fatalf("findings:\n%s", all2)
	}
}

// gatedKeys holds checkpoint writes until released, as a slow keyring (or a writer caught
// between its commit and its checkpoint) would.
type gatedKeys struct {
	*memKeys
	entered chan struct{}
	release chan struct{}
}

func (k *gatedKeys) Set(key, value string) error {
	if strings.HasPrefix(key, "audit-checkpoint:") {
		select {
		case k.entered <- struct{}{}:
			<-k.release
		default:
		}
	}
	return k.memKeys.Set(key, value)
}

// TestOpenBesideAWriterRecordsNothingUnprotected: a second process (audit export beside the
// running window) opens the log while the window has committed a row and not yet saved its
// checkpoint. That row is in flight, not unprotected: the second Open waits for the checkpoint
// and writes no audit-unprotected-entries row. A row whose writer stopped before its checkpoint
// (nothing catches up) is still recorded.
func TestOpenBesideAWriterRecordsNothingUnprotected(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "w.db")
	keys := &gatedKeys{memKeys: newMemKeys(), entered: make(chan struct{}), release: make(chan struct{})}
	window := openTest(t, path, keys, Options{})
	if _, err := window.Record(ctx, testEvent(0)); err != nil { // the gate is not listening yet
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := window.Record(ctx, testEvent(1)); done <- err }()
	<-keys.entered // the row is committed; its checkpoint waits
	opened := make(chan *DB, 1)
	go func() {
		other, err := OpenWith(ctx, path, keys, nil, Options{})
		if err != nil {
			t.Error(err)
		}
		opened <- other
	}()
	time.Sleep(30 * time.Millisecond)
	close(keys.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	other := <-opened
	if other == nil {
		t.FailNow()
	}
	defer other.Close()
	n, err := other.Count(ctx, audit.Filter{Action: audit.ActionAuditUnprotected})
	if err != nil || n != 0 {
		t.Fatalf("%d audit-unprotected-entries rows (%v) for a row that was only in flight", n, err)
	}

	// A writer that stops between its row and its checkpoint: the next Open records it.
	stopped := &gatedKeys{memKeys: keys.memKeys, entered: make(chan struct{}), release: make(chan struct{})}
	w2 := openTest(t, path, stopped, Options{})
	go func() { _, _ = w2.Record(ctx, testEvent(2)) }()
	<-stopped.entered // committed, and its checkpoint never comes
	again, err := OpenWith(ctx, path, keys.memKeys, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if n, err := again.Count(ctx, audit.Filter{Action: audit.ActionAuditUnprotected}); err != nil || n != 1 {
		t.Fatalf("%d audit-unprotected-entries rows (%v) after a writer stopped before its checkpoint, want 1", n, err)
	}
	close(stopped.release)
}

// TestEmptiedClockIndexDetected: the index of rows whose time is behind the row before is built
// empty and its text put back (so the schema reads as the migrations'). Time-range queries
// would take the fast path past those rows; Verify counts the flagged rows in the table and in
// the index and says the database was changed.
func TestEmptiedClockIndexDetected(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	keys := newMemKeys()
	clk := &fakeClock{t: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)}
	db := openTest(t, path, keys, Options{Now: clk.Now})
	record(t, db, 3)
	clk.Set(clk.t.Add(-time.Hour)) // the clock steps back: the next row is flagged
	record(t, db, 3)
	// A row whose body holds the key's text as a value, not the key: not flagged.
	if _, err := db.Record(ctx, audit.Event{Action: audit.ActionAppStart, Outcome: audit.OutcomeSuccess,
		Detail: map[string]string{"note": "clock_behind_ms"}}); err != nil {
		t.Fatal(err)
	}
	// Verify's walk runs as one range below parallelWalkMin rows and as several above it: the
	// index is checked either way.
	defer func(n int64) { parallelWalkMin = n }(parallelWalkMin)
	for _, min := range []int64{parallelWalkMin, 1} {
		parallelWalkMin = min
		if rep, err := db.Verify(ctx); err != nil || !rep.OK {
			t.Fatalf("before (parallel from %d rows): %+v %v", min, rep, err)
		}
	}
	db.Close()
	x, _ := sql.Open("sqlite", path)
	var orig string
	if err := x.QueryRow(`SELECT sql FROM sqlite_schema WHERE name = 'audit_clock_behind'`).Scan(&orig); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`DROP INDEX audit_clock_behind`,
		`CREATE INDEX audit_clock_behind ON audit_event (seq) WHERE json_extract(body, '$.d.nothing') IS NOT NULL`,
		`PRAGMA writable_schema = ON`,
		`UPDATE sqlite_schema SET sql = '` + strings.ReplaceAll(orig, "'", "''") + `' WHERE name = 'audit_clock_behind'`} {
		if _, err := x.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	x.Close()
	db = openTest(t, path, keys, Options{Now: clk.Now})
	for _, min := range []int64{200_000, 1} {
		parallelWalkMin = min
		rep, err := db.Verify(ctx)
		if err != nil {
			t.Fatal(err)
		}
		f := findingOf(rep, audit.KindSchemaChanged)
		if rep.OK || f == nil || !strings.Contains(f.What, "audit_clock_behind lists 0 of the 1") {
			t.Fatalf("Verify (parallel from %d rows) = %+v", min, rep)
		}
	}
}

// TestVerifyBesideAWriterIsNotACutOff: Verify counts the rows, then the window appends and
// checkpoints, then Verify reads the checkpoint: ahead of its count. That is not a cut-off log
// (it once made the SGP's Home say "The audit log was removed or replaced" in the real window
// while the workspace wrote its own rows); a log really shorter than its checkpoint still is.
func TestVerifyBesideAWriterIsNotACutOff(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v.db")
	keys := newMemKeys()
	db := openTest(t, path, keys, Options{})
	record(t, db, 10)
	window := openTest(t, path, keys, Options{})
	verifyCounted = func() { record(t, window, 2) }
	rep, err := db.Verify(ctx)
	verifyCounted = nil
	if err != nil {
		t.Fatal(err)
	}
	if f := findingOf(rep, audit.KindTruncated); f != nil {
		t.Fatalf("rows appended during verify taken for a cut-off log: %+v", f)
	}
	window.Close()
	db.Close()
	outside(t, path, `DELETE FROM audit_event WHERE seq > 8`)
	db = openTest(t, path, keys, Options{})
	rep, err = db.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK {
		t.Fatalf("a log cut short of its checkpoint verified: %+v", rep)
	}
}
