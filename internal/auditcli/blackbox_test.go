package auditcli

// Black-box tests: the built scrdesk binary, a data folder in t.TempDir(), and an attacker who
// can change the folder's database file (with a SQLite connection of their own) but not the
// keyring. The keyring here is the owner-only key file, moved out of the data folder with
// SCRDESK_KEY_FILE so that "the files" and "the keyring" are apart as they are on a real
// workstation. Each attack must be detected by `scrdesk audit verify` with the right words.

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"scrdesk/internal/audit"
	"scrdesk/internal/secrets"
	"scrdesk/internal/settings"
	"scrdesk/internal/store"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// scrdeskBinary returns SCRDESK_BINARY, or builds the binary once into a temporary folder.
func scrdeskBinary(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("SCRDESK_BINARY"); b != "" {
		// Read it, so that go test's cache keeps a result only while this binary is unchanged
		// (what a test runs in another process is invisible to the cache otherwise).
		if _, err := os.ReadFile(b); err != nil {
			t.Fatalf("SCRDESK_BINARY: %v", err)
		}
		return b
	}
	binOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		dir, err := os.MkdirTemp("", "scrdesk-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "scrdesk")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			binErr = err
			binPath = string(out)
		}
	})
	if binErr != nil {
		t.Fatalf("go build: %v\n%s", binErr, binPath)
	}
	return binPath
}

// workstation is one data folder and its keyring (the key file, kept elsewhere).
type workstation struct {
	t       *testing.T
	data    string
	keyFile string
}

func newWorkstation(t *testing.T) *workstation {
	t.Helper()
	root := t.TempDir()
	w := &workstation{t: t, data: filepath.Join(root, "data"), keyFile: filepath.Join(root, "keyring", "secrets.json")}
	if err := os.MkdirAll(filepath.Dir(w.keyFile), 0o700); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *workstation) db() string { return filepath.Join(w.data, "scrdesk.db") }

// run runs scrdesk with args against the workstation and returns its exit code and output.
func (w *workstation) run(args ...string) (int, string) {
	w.t.Helper()
	cmd := exec.Command(scrdeskBinary(w.t), append([]string{"--data-dir", w.data}, args...)...)
	cmd.Env = append(filteredEnv(), "HOME="+filepath.Dir(w.data), secrets.KeyFileEnv+"="+w.keyFile)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatalf("scrdesk %v: %v", args, err)
	}
	return code, out.String()
}

// filteredEnv is the environment without a D-Bus session, so the key file is the keyring.
func filteredEnv() []string {
	var out []string
	for _, e := range os.Environ() {
		if strings.HasPrefix(e, "DBUS_SESSION_BUS_ADDRESS=") || strings.HasPrefix(e, "XDG_RUNTIME_DIR=") ||
			strings.HasPrefix(e, "HOME=") || strings.HasPrefix(e, secrets.KeyFileEnv+"=") {
			continue
		}
		out = append(out, e)
	}
	return out
}

// rows makes the binary write n rows (each `audit export` records itself first).
func (w *workstation) rows(n int) {
	w.t.Helper()
	for range n {
		if code, out := w.run("audit", "export", "--out", os.DevNull); code != 0 {
			w.t.Fatalf("export: %d %s", code, out)
		}
	}
}

// open opens the workstation's store in-process (for setting up settings and alerts the way
// the app does; never for attacking).
func (w *workstation) open() *store.DB {
	w.t.Helper()
	db, err := store.Open(context.Background(), w.db(), secrets.File(w.keyFile), nil)
	if err != nil {
		w.t.Fatal(err)
	}
	return db
}

// attack runs SQL on the database file from outside SCR Desk, as someone with a SQLite shell.
func attack(t *testing.T, path string, stmts ...string) {
	t.Helper()
	x, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for _, s := range stmts {
		if _, err := x.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// restoreTriggers is what a careful attacker appends: the append-only triggers, put back
// exactly as SCR Desk made them, so only the chain or the checkpoint can tell.
var restoreTriggers = []string{
	`CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN
	SELECT RAISE(ABORT, 'audit_event is append-only: rows cannot be changed');
END`,
	`CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN
	SELECT RAISE(ABORT, 'audit_event is append-only: rows cannot be deleted');
END`,
}

func cp(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func wantAll(t *testing.T, out string, words ...string) {
	t.Helper()
	for _, w := range words {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestBlackBoxAttacksDetected(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the scrdesk binary")
	}
	tests := []struct {
		name string
		// prepare runs before the attack (on a log of 7 rows: 6 exports and a verify);
		// attack changes the files.
		prepare func(t *testing.T, w *workstation) string
		attack  func(t *testing.T, w *workstation, saved string)
		words   []string
		newLog  bool // the way forward is `audit new-log`
	}{
		{name: "database deleted",
			attack: func(t *testing.T, w *workstation, _ string) {
				for _, s := range []string{"", "-wal", "-shm"} {
					os.Remove(w.db() + s)
				}
			},
			words:  []string{"The audit log was removed or replaced (last known: entry 7, at ", "The log file is missing.", "scrdesk audit new-log"},
			newLog: true},
		{name: "replaced by an empty database",
			attack: func(t *testing.T, w *workstation, _ string) {
				os.Remove(w.db())
				attack(t, w.db(), `PRAGMA user_version = 0`, `VACUUM`)
			},
			words:  []string{"The audit log was removed or replaced (last known: entry 7, at ", "The log file now holds no entries."},
			newLog: true},
		{name: "replaced by an older copy",
			prepare: func(t *testing.T, w *workstation) string {
				saved := filepath.Join(t.TempDir(), "older.db")
				cp(t, w.db(), saved) // after 6 rows
				w.rows(3)
				return saved
			},
			attack: func(t *testing.T, w *workstation, saved string) { cp(t, saved, w.db()) },
			words:  []string{"The audit log was removed or replaced (last known: entry 10, at ", "The log file is an older copy", "it ends at entry 7", "Entries from 8 on are missing"},
			newLog: true},
		{name: "replaced by another workstation's log",
			prepare: func(t *testing.T, w *workstation) string {
				other := newWorkstation(t)
				other.rows(12)
				return other.db()
			},
			attack: func(t *testing.T, w *workstation, saved string) { cp(t, saved, w.db()) },
			words:  []string{"The audit log was removed or replaced (last known: entry 7, at ", "holds a different log"},
			newLog: true},
		{name: "generated column redefined",
			attack: func(t *testing.T, w *workstation, _ string) {
				attack(t, w.db(), `PRAGMA writable_schema = ON`,
					`UPDATE sqlite_schema SET sql = replace(sql, 'json_extract(body, ''$.nhs'')', 'CASE WHEN seq % 2 = 0 THEN '''' ELSE json_extract(body, ''$.nhs'') END') WHERE name = 'audit_event'`)
			},
			words: []string{"The audit log's database has been changed outside SCR Desk: table audit_event has been redefined", "What to do:"}},
		{name: "index dropped and rebuilt over another expression",
			attack: func(t *testing.T, w *workstation, _ string) {
				attack(t, w.db(), `DROP INDEX audit_by_patient`,
					`CREATE INDEX audit_by_patient ON audit_event (nhs_number, seq) WHERE nhs_number <> '' AND seq < 3`)
			},
			words: []string{"index audit_by_patient has been redefined", "Subject Access Requests could hide or add entries"}},
		{name: "settings row edited",
			prepare: func(t *testing.T, w *workstation) string {
				db := w.open()
				s := settings.Defaults()
				s.IdleLockMinutes, s.ODSCode = 5, "FA123"
				if err := db.SaveSettings(context.Background(), s, audit.Event{UserName: "os:it"}); err != nil {
					t.Fatal(err)
				}
				db.Close()
				return ""
			},
			attack: func(t *testing.T, w *workstation, _ string) {
				attack(t, w.db(), `UPDATE settings SET doc = json_set(doc, '$.idle_lock_minutes', 120)`)
			},
			words: []string{"The settings have been changed outside SCR Desk: the settings no longer match those recorded at entry", "scrdesk --config FILE"}},
		{name: "outbox row marked sent",
			prepare: func(t *testing.T, w *workstation) string {
				db := w.open()
				ev := audit.Event{Outcome: audit.OutcomeSuccess, UserID: "555254239107", UserName: "Pat", NHSNumber: "9990000018"}
				if _, _, err := db.Enqueue(context.Background(), []byte(`{"alert":{"NHSNumber":"9990000018"}}`), ev); err != nil {
					t.Fatal(err)
				}
				db.Close()
				return ""
			},
			attack: func(t *testing.T, w *workstation, _ string) {
				attack(t, w.db(), `UPDATE alert_outbox SET state = 'sent'`)
			},
			words: []string{"Privacy alert 1 (queued at entry 8) is marked as sent, but the audit log has no record of it being sent", "national alert viewer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorkstation(t)
			w.rows(6)
			if code, out := w.run("audit", "verify"); code != 0 || !strings.Contains(out, "Verified: the audit log is intact") {
				t.Fatalf("verify before the attack: %d %s", code, out)
			}
			// The verify row is the 7th entry.
			var saved string
			if tt.prepare != nil {
				saved = tt.prepare(t, w)
			}
			_ = saved
			tt.attack(t, w, saved)
			code, out := w.run("audit", "verify")
			if code != ExitBad {
				t.Fatalf("verify after the attack = %d, want %d:\n%s", code, ExitBad, out)
			}
			wantAll(t, out, append([]string{"The audit log FAILED its check", "What happened:", "What to do:"}, tt.words...)...)
			code, jout := w.run("audit", "verify", "--json")
			if code != ExitBad || !strings.Contains(jout, `"ok": false`) || !strings.Contains(jout, `"findings"`) {
				t.Fatalf("verify --json = %d:\n%s", code, jout)
			}
			if !tt.newLog {
				return
			}
			// Nothing is recorded on top of a replaced log; exports say why.
			if code, out := w.run("audit", "export"); code == 0 || !strings.Contains(out, "removed or replaced") {
				t.Fatalf("export on a replaced log = %d %s", code, out)
			}
			if code, out := w.run("audit", "new-log"); code != ExitUsage {
				t.Fatalf("new-log without a reason = %d %s", code, out)
			}
			code, out = w.run("audit", "new-log", "--reason", "log found replaced; superintendent told")
			if code != 0 || !strings.Contains(out, "Started a new audit log") {
				t.Fatalf("new-log = %d %s", code, out)
			}
			code, out = w.run("audit", "verify")
			if code != 0 || !strings.Contains(out, "This log was started on") || !strings.Contains(out, "was found removed or replaced (last known: entry") {
				t.Fatalf("verify of the new log = %d %s", code, out)
			}
			if code, out := w.run("audit", "new-log", "--reason", "again"); code != ExitBad || !strings.Contains(out, "no new log is needed") {
				t.Fatalf("second new-log = %d %s", code, out)
			}
		})
	}
}

// TestBlackBoxCheckpointRefusedThenTailCut: the keyring stops accepting the checkpoint for 20
// rows, the attacker cuts the newest rows off, and verify still tells: first "not yet
// protected" while the keyring refuses, then, once it works again, the entries that were
// written unprotected. The keyring fails the way a read-only key file does: reads work,
// writes do not.
func TestBlackBoxCheckpointRefusedThenTailCut(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the scrdesk binary")
	}
	w := newWorkstation(t)
	w.rows(4)
	keyDir := filepath.Dir(w.keyFile)
	readOnly(t, keyDir, true)
	// 10 exports while the keyring refuses: each is an export row and a row noting the
	// entries still unprotected when it opened, 20 in all.
	w.rows(10)
	code, out := w.run("audit", "verify")
	if code != ExitBad {
		t.Fatalf("verify with the keyring refusing = %d:\n%s", code, out)
	}
	wantAll(t, out, "Entries 5 to 24 are not yet protected", "the last checkpoint is entry 4", "Ask IT support to check the system keyring")
	// The attacker cuts the newest 12 rows (the verify row among them).
	attack(t, w.db(), append([]string{`DROP TRIGGER audit_event_no_update`, `DROP TRIGGER audit_event_no_delete`,
		`DELETE FROM audit_event WHERE seq > 13`}, restoreTriggers...)...)
	code, out = w.run("audit", "verify")
	if code != ExitBad {
		t.Fatalf("verify after the cut = %d:\n%s", code, out)
	}
	wantAll(t, out, "Entries 5 to 14 are not yet protected", "if newer entries had been cut off it could not be seen")
	// The keyring works again: the gap goes on the record before the checkpoint covers it,
	// and verify keeps naming it.
	readOnly(t, keyDir, false)
	code, out = w.run("audit", "verify")
	if code != ExitBad {
		t.Fatalf("verify after the keyring came back = %d:\n%s", code, out)
	}
	wantAll(t, out, "Entries 5 to 15 were written while the keyring refused the audit log's checkpoint", "if newer entries were cut off in that time, it could not be seen")
	if strings.Contains(out, "are not yet protected") {
		t.Fatalf("still not protected after the keyring came back:\n%s", out)
	}
}

// readOnly makes dir refuse writes while reads still work, as a keyring that stops accepting
// writes does. Without root a chmod is enough; root ignores permissions, so the folder is
// bind-mounted read-only over itself (undone when the test ends).
func readOnly(t *testing.T, dir string, on bool) {
	t.Helper()
	if os.Geteuid() != 0 {
		mode := os.FileMode(0o700)
		if on {
			mode = 0o500
		}
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		return
	}
	if on {
		for _, args := range [][]string{{"--bind", dir, dir}, {"-o", "remount,bind,ro", dir}} {
			if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
				t.Skipf("cannot make the key folder read-only as root (mount %v: %v %s)", args, err, out)
			}
		}
		t.Cleanup(func() { exec.Command("umount", dir).Run() })
		return
	}
	if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
		t.Fatalf("umount: %v %s", err, out)
	}
}
