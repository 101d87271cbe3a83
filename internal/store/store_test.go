package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/settings"
)

// memKeys is an in-memory KeySource.
type memKeys struct {
	mu sync.Mutex
	m  map[string]string
}

func newMemKeys() *memKeys { return &memKeys{m: map[string]string{}} }

func (k *memKeys) Get(key string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[key]
	if !ok {
		return "", fmt.Errorf("%q: %w", key, fs.ErrNotExist)
	}
	return v, nil
}

func (k *memKeys) Set(key, value string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[key] = value
	return nil
}

func (k *memKeys) Delete(key string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, key)
	return nil
}

// fakeClock steps forward 1 ms per reading unless set.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func openTest(t testing.TB, path string, keys KeySource, opts Options) *DB {
	t.Helper()
	db, err := OpenWith(context.Background(), path, keys, nil, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var users = []string{"555254239107", "555254240100", "555254241102"}

// testEvent makes the i-th event of a varied stream.
func testEvent(i int) audit.Event {
	acts := []audit.Action{audit.ActionSCRRead, audit.ActionPatientRead, audit.ActionLogin,
		audit.ActionEmergency, audit.ActionPatientSearch}
	outs := []audit.Outcome{audit.OutcomeSuccess, audit.OutcomeSuccess, audit.OutcomeMinorFailure}
	e := audit.Event{
		Action: acts[i%len(acts)], Outcome: outs[i%len(outs)],
		Workstation: "counter-1", ODSCode: "FA123",
		UserID: users[i%len(users)], UserName: "Pharmacist Ünïcode " + fmt.Sprint(i%len(users)),
		URID: "555254240100", RoleCode: "S8000:G8000:R8003",
		RequestIDs: []string{fmt.Sprintf("60e0b220-8136-4ca5-ae46-%012d", i)},
		Detail:     map[string]string{"i": fmt.Sprint(i), "quote": `a"b,c:d`},
	}
	if e.Action != audit.ActionLogin && e.Action != audit.ActionPatientSearch {
		e.NHSNumber = fmt.Sprintf("99900000%02d", i%7)
	}
	if e.Action == audit.ActionEmergency {
		e.Reason = "patient unconscious, needs allergy check; 'quoted' \n newline"
	}
	return e
}

func TestOpenCreatesOwnerOnlyFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes do not apply on Windows")
	}
	dir := filepath.Join(t.TempDir(), "a dir with spaces", "data")
	path := filepath.Join(dir, "scrdesk.db")
	db := openTest(t, path, newMemKeys(), Options{})
	if _, err := db.Record(context.Background(), testEvent(0)); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]fs.FileMode{dir: 0o700, path: 0o600, path + "-wal": 0o600} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, st.Mode().Perm(), want)
		}
	}
}

func TestPragmasOnEveryConnection(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "p.db"), newMemKeys(), Options{})
	ctx := context.Background()
	// Hold several connections at once so the pool must open more than one.
	var conns []*sql.Conn
	for range 3 {
		c, err := db.sql.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		var mode string
		var syncv, fk, busy int
		if err := c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&syncv)
		c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk)
		c.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy)
		if mode != "wal" || syncv != 2 || fk != 1 || busy <= 0 {
			t.Errorf("conn %d: journal_mode=%s synchronous=%d foreign_keys=%d busy_timeout=%d", i, mode, syncv, fk, busy)
		}
		c.Close()
	}
}

func TestRecordReturnsCommittedRow(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	keys := newMemKeys()
	db := openTest(t, path, keys, Options{})
	var got []audit.Entry
	for i := range 20 {
		e, err := db.Record(ctx, testEvent(i))
		if err != nil {
			t.Fatal(err)
		}
		if e.Seq != int64(i+1) || len(e.MAC) != audit.MACSize || e.ID == "" {
			t.Fatalf("entry %d: %+v", i, e)
		}
		got = append(got, e)
	}
	// A second, independent connection sees every row just recorded.
	other, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var n int
	if err := other.QueryRow("SELECT count(*) FROM audit_event").Scan(&n); err != nil || n != 20 {
		t.Fatalf("other connection sees %d rows (%v)", n, err)
	}
	e, err := db.Entry(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	if e.ID != got[3].ID || e.UserName != got[3].UserName || e.Detail["quote"] != `a"b,c:d` ||
		!e.Time.Equal(got[3].Time) || e.Time.Location() != time.UTC {
		t.Fatalf("read back %+v, want %+v", e, got[3])
	}
	rep, err := db.Verify(ctx)
	if err != nil || !rep.OK || rep.Rows != 20 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}

func TestRecordRejectsInvalidEvent(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "v.db"), newMemKeys(), Options{})
	_, err := db.Record(context.Background(), audit.Event{Action: "bogus", Outcome: audit.OutcomeSuccess})
	if !errors.Is(err, audit.ErrInvalidEvent) {
		t.Fatalf("Record = %v", err)
	}
	if UserMessage(err) == "" {
		t.Fatal("no user message")
	}
}

func TestRecordCancelledContextRecordsNothing(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "c.db"), newMemKeys(), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.Record(ctx, testEvent(0)); !errors.Is(err, ErrNotRecorded) {
		t.Fatalf("Record = %v", err)
	}
	if n, _ := db.Count(context.Background(), audit.Filter{}); n != 0 {
		t.Fatalf("%d rows", n)
	}
}

func TestOddTextRoundTrips(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, filepath.Join(t.TempDir(), "c.db"), newMemKeys(), Options{})
	odd := []string{"", "plain", "ünïcödé ✓ 😀", "comma,colon:quote\"", "line\nbreak\ttab", strings.Repeat("x", 200), "\x01ctl", "<script>&amp;"}
	var want []audit.Entry
	for i, s := range odd {
		e := testEvent(i)
		e.UserName, e.Reason, e.Workstation = s, s, s
		e.Detail = map[string]string{s: s}
		got, err := db.Record(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, got)
	}
	for _, w := range want {
		e, err := db.Entry(ctx, w.Seq)
		if err != nil {
			t.Fatal(err)
		}
		if e.UserName != w.UserName || e.Reason != w.Reason || e.Workstation != w.Workstation ||
			e.Detail[w.UserName] != w.UserName || string(e.MAC) != string(w.MAC) {
			t.Fatalf("row %d read back as %+v, want %+v", w.Seq, e, w)
		}
	}
	// The virtual columns the indexes use agree with the body.
	var n int
	if err := db.sql.QueryRow(`SELECT count(*) FROM audit_event WHERE user_id = ? AND time_ms > 0 AND action <> ''`, users[0]).Scan(&n); err != nil || n == 0 {
		t.Fatalf("virtual columns: %d, %v", n, err)
	}
	if rep, err := db.Verify(ctx); err != nil || !rep.OK {
		t.Fatalf("Verify = %+v %v", rep, err)
	}
}

func TestTriggersRefuseUpdateAndDelete(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "t.db"), newMemKeys(), Options{})
	if _, err := db.Record(context.Background(), testEvent(0)); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, sql string }{
		{"update", `UPDATE audit_event SET body = json_set(body, '$.r', 'x') WHERE seq = 1`},
		{"delete", `DELETE FROM audit_event WHERE seq = 1`},
		{"delete all", `DELETE FROM audit_event`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.sql.Exec(tt.sql)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Fatalf("%s: err = %v, want refusal", tt.sql, err)
			}
		})
	}
}

// TestClockStepsBack: a reading earlier than the row before it is kept as it was, flagged with
// how far behind it is; rows stay in sequence order and the chain verifies.
func TestClockStepsBack(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	db := openTest(t, filepath.Join(t.TempDir(), "k.db"), newMemKeys(), Options{Now: clk.Now})
	a, _ := db.Record(ctx, testEvent(0))
	clk.Set(a.Time.Add(-time.Hour))
	b, err := db.Record(ctx, testEvent(1))
	if err != nil {
		t.Fatal(err)
	}
	if !b.Time.Equal(a.Time.Add(-time.Hour).Add(time.Millisecond)) || b.Detail[DetailClockBehind] != "3599999" || b.Seq != a.Seq+1 {
		t.Fatalf("the row after the step: %v (%v) after %v, want the reading and its flag", b.Time, b.Detail, a.Time)
	}
	if rep, _ := db.Verify(ctx); !rep.OK {
		t.Fatalf("Verify = %+v", rep)
	}
}

// TestClockForwardJumpDoesNotPinLaterRows: the clock jumps years ahead for one row, then is put
// right. The rows after carry their own readings (not the jump's time), the first of them says
// how far behind it was; time-range queries and counts still find exactly the rows of each
// range, newest by sequence first; a range holding only the jump finds only it.
func TestClockForwardJumpDoesNotPinLaterRows(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	clk := &fakeClock{t: t0}
	db := openTest(t, filepath.Join(t.TempDir(), "j.db"), newMemKeys(), Options{Now: clk.Now})
	rec := func(at time.Time, i int) audit.Entry {
		t.Helper()
		clk.Set(at.Add(-time.Millisecond)) // fakeClock adds 1 ms per reading
		e, err := db.Record(ctx, testEvent(i))
		if err != nil {
			t.Fatal(err)
		}
		if !e.Time.Equal(at) {
			t.Fatalf("row %d at %v, want the reading %v", e.Seq, e.Time, at)
		}
		return e
	}
	r1 := rec(t0, 0)
	// Queries before any step take the fast path; they must agree with the slow one after.
	jump := t0.AddDate(4, 0, 0)
	r2 := rec(jump, 1)
	r3 := rec(t0.Add(time.Minute), 2)
	r4 := rec(t0.Add(2*time.Minute), 3)
	if r3.Detail[DetailClockBehind] == "" || r4.Detail[DetailClockBehind] != "" {
		t.Fatalf("flags: %v, %v (only the first row after the jump is behind the row before it)", r3.Detail, r4.Detail)
	}
	seqs := func(f audit.Filter) []int64 {
		t.Helper()
		es, _, err := db.Query(ctx, f, audit.Cursor{}, 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, e := range es {
			out = append(out, e.Seq)
		}
		n, err := db.Count(ctx, f)
		if err != nil || n != int64(len(out)) {
			t.Fatalf("Count %d (%v), Query %d rows", n, err, len(out))
		}
		return out
	}
	today := audit.Filter{From: t0, To: t0.Add(time.Hour)}
	if got := seqs(today); !slices.Equal(got, []int64{r4.Seq, r3.Seq, r1.Seq}) {
		t.Errorf("today's rows %v, want %d, %d, %d (newest by sequence first, the jumped row not among them)", got, r4.Seq, r3.Seq, r1.Seq)
	}
	if got := seqs(audit.Filter{From: jump.Add(-time.Hour), To: jump.Add(time.Hour)}); !slices.Equal(got, []int64{r2.Seq}) {
		t.Errorf("the jump's hour holds %v, want only %d", got, r2.Seq)
	}
	if got := seqs(audit.Filter{From: t0.Add(30 * time.Second)}); !slices.Equal(got, []int64{r4.Seq, r3.Seq, r2.Seq}) {
		t.Errorf("from 09:00:30 on: %v, want %d, %d, %d", got, r4.Seq, r3.Seq, r2.Seq)
	}
	today.UserID = r3.UserID
	if got := seqs(today); !slices.Contains(got, r3.Seq) || slices.Contains(got, r2.Seq) {
		t.Errorf("today's rows of one user: %v", got)
	}
	var each []int64
	if err := db.Each(ctx, audit.Filter{From: t0, To: t0.Add(time.Hour)}, func(e audit.Entry) error {
		each = append(each, e.Seq)
		return nil
	}); err != nil || !slices.Equal(each, []int64{r1.Seq, r3.Seq, r4.Seq}) {
		t.Errorf("Each over today: %v (%v)", each, err)
	}
	if rep, _ := db.Verify(ctx); !rep.OK {
		t.Fatalf("Verify = %+v", rep)
	}
}

// TestClockJumpFlagged: within one process, a wall clock that moves apart from the monotonic
// clock between two rows is flagged with the signed size of the jump; ordinary drift is not.
func TestClockJumpFlagged(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	wall := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	var mono time.Duration
	step := func(w, m time.Duration) {
		mu.Lock()
		wall, mono = wall.Add(w), mono+m
		mu.Unlock()
	}
	db := openTest(t, filepath.Join(t.TempDir(), "m.db"), newMemKeys(), Options{
		Now:  func() time.Time { mu.Lock(); defer mu.Unlock(); return wall },
		Mono: func() time.Duration { mu.Lock(); defer mu.Unlock(); return mono },
	})
	rec := func() audit.Entry {
		t.Helper()
		e, err := db.Record(ctx, testEvent(0))
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	// Rows given their own times (the demo's synthetic log) are not readings: the next row
	// recorded is not taken for a jump.
	if err := db.AppendBatch(ctx, []audit.Entry{{Time: wall.Add(-48 * time.Hour), Event: testEvent(1)}}); err != nil {
		t.Fatal(err)
	}
	if e := rec(); e.Detail[DetailClockJump] != "" {
		t.Errorf("the row after a batch flagged as a jump: %v", e.Detail)
	}
	step(10*time.Second, 10*time.Second+500*time.Millisecond) // drift within the tolerance
	if e := rec(); e.Detail[DetailClockJump] != "" {
		t.Errorf("half a second's drift flagged: %v", e.Detail)
	}
	step(3*time.Hour, time.Second) // the wall clock jumps forward
	if e := rec(); e.Detail[DetailClockJump] != "10799000" {
		t.Errorf("forward jump: %v, want clock_jump_ms 10799000", e.Detail)
	}
	step(-3*time.Hour+time.Second, time.Second) // and is put right
	e := rec()
	if e.Detail[DetailClockJump] != "-10800000" || e.Detail[DetailClockBehind] == "" {
		t.Errorf("the clock put right: %v, want clock_jump_ms -10800000 and clock_behind_ms", e.Detail)
	}
	if e.Time.After(wall) || e.Time.Before(wall) {
		t.Errorf("the row after the correction at %v, want the reading %v", e.Time, wall)
	}
}

func TestKeyPersistsAcrossOpens(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	keys := newMemKeys()
	db, err := Open(ctx, path, keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := db.Record(ctx, testEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	db = openTest(t, path, keys, Options{})
	if _, err := db.Record(ctx, testEvent(5)); err != nil {
		t.Fatal(err)
	}
	if rep, err := db.Verify(ctx); err != nil || !rep.OK || rep.Rows != 6 || rep.CheckpointSeq != 6 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}

func TestSettingsSaveAuditsEachChange(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, filepath.Join(t.TempDir(), "s.db"), newMemKeys(), Options{})
	s, err := db.LoadSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := settings.Diff(settings.Defaults(), s); len(d) != 0 {
		t.Fatalf("fresh settings differ from defaults: %+v", d)
	}
	who := audit.Event{UserID: users[0], UserName: "IT Support", Workstation: "counter-1", ODSCode: "FA123"}
	s.IdleLockMinutes = 10
	s.ODSCode = "FA123"
	if err := db.SaveSettings(ctx, s, who); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveSettings(ctx, s, who); err != nil { // unchanged: no new rows
		t.Fatal(err)
	}
	bad := s
	bad.IdleLockMinutes = 0
	var ve settings.ValidationError
	if err := db.SaveSettings(ctx, bad, who); !errors.As(err, &ve) {
		t.Fatalf("invalid settings saved: %v", err)
	}
	got, err := db.LoadSettings(ctx)
	if err != nil || got.IdleLockMinutes != 10 || got.ODSCode != "FA123" {
		t.Fatalf("LoadSettings = %+v, %v", got, err)
	}
	es, _, err := db.Query(ctx, audit.Filter{Action: audit.ActionSettingsChanged}, audit.Cursor{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 {
		t.Fatalf("%d settings rows, want 2: %+v", len(es), es)
	}
	seen := map[string][2]string{}
	for _, e := range es {
		if e.UserID != users[0] {
			t.Errorf("row not attributed: %+v", e)
		}
		seen[e.Detail["field"]] = [2]string{e.Detail["old"], e.Detail["new"]}
	}
	if seen["idle_lock_minutes"] != [2]string{"5", "10"} || seen["ods_code"] != [2]string{"", "FA123"} {
		t.Fatalf("changes recorded: %v", seen)
	}
	// Secrets never reach SQLite: the settings document has no field for them.
	var doc string
	db.sql.QueryRow(`SELECT doc FROM settings`).Scan(&doc)
	for _, word := range []string{"password", "token", "secret"} {
		if strings.Contains(strings.ToLower(doc), word) {
			t.Errorf("settings document mentions %q", word)
		}
	}
}

func TestLastRole(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, filepath.Join(t.TempDir(), "l.db"), newMemKeys(), Options{})
	if r, err := db.LastRole(ctx, users[0]); err != nil || r != "" {
		t.Fatalf("LastRole = %q, %v", r, err)
	}
	for _, urid := range []string{"111", "222"} {
		if err := db.SetLastRole(ctx, users[0], urid); err != nil {
			t.Fatal(err)
		}
	}
	if r, _ := db.LastRole(ctx, users[0]); r != "222" {
		t.Fatalf("LastRole = %q", r)
	}
}

func TestOutbox(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	db := openTest(t, filepath.Join(t.TempDir(), "o.db"), newMemKeys(), Options{Now: clk.Now})
	ev := testEvent(3) // emergency access
	if _, _, err := db.Enqueue(ctx, []byte(`not json`), ev); err == nil {
		t.Fatal("bad payload queued")
	}
	a, entry, err := db.Enqueue(ctx, []byte(`{"resourceType":"AuditEvent"}`), ev)
	if err != nil {
		t.Fatal(err)
	}
	if entry.Action != audit.ActionAlertQueued || a.AuditSeq != entry.Seq || a.State != AlertQueued {
		t.Fatalf("Enqueue = %+v %+v", a, entry)
	}
	b, _, err := db.Enqueue(ctx, []byte(`{"n":2}`), ev)
	if err != nil {
		t.Fatal(err)
	}
	due, err := db.Due(ctx, clk.Now(), 10)
	if err != nil || len(due) != 2 || due[0].ID != a.ID {
		t.Fatalf("Due = %+v, %v", due, err)
	}
	if err := db.MarkRetry(ctx, a.ID, clk.Now().Add(time.Minute), "503 from the Spine"); err != nil {
		t.Fatal(err)
	}
	due, _ = db.Due(ctx, clk.Now(), 10)
	if len(due) != 1 || due[0].ID != b.ID {
		t.Fatalf("after retry Due = %+v", due)
	}
	if _, err := db.MarkSent(ctx, b.ID, ev); err != nil {
		t.Fatal(err)
	}
	if _, err := db.MarkSent(ctx, b.ID, ev); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second MarkSent = %v", err)
	}
	if _, err := db.MarkFailed(ctx, a.ID, "400 invalid", ev); err != nil {
		t.Fatal(err)
	}
	all, _ := db.List(ctx, "", 10)
	states := map[int64]AlertState{}
	for _, x := range all {
		states[x.ID] = x.State
	}
	if states[a.ID] != AlertFailed || states[b.ID] != AlertSent {
		t.Fatalf("states %v", states)
	}
	failed, _ := db.List(ctx, AlertFailed, 10)
	if len(failed) != 1 || failed[0].Attempts != 2 || failed[0].LastError != "400 invalid" {
		t.Fatalf("failed = %+v", failed)
	}
	for _, act := range []audit.Action{audit.ActionAlertQueued, audit.ActionAlertSent, audit.ActionAlertFailed} {
		if n, _ := db.Count(ctx, audit.Filter{Action: act}); n == 0 {
			t.Errorf("no %s row", act)
		}
	}
	if rep, _ := db.Verify(ctx); !rep.OK {
		t.Fatalf("Verify = %+v", rep)
	}
}

func TestUserMessages(t *testing.T) {
	for _, err := range []error{ErrDiskFull, ErrKeyMissing, ErrKeyReplaced, ErrNotRecorded, errors.New("x")} {
		if m := UserMessage(fmt.Errorf("wrapped: %w", err)); m == "" || strings.Contains(m, "wrapped") {
			t.Errorf("%v: message %q", err, m)
		}
	}
}
