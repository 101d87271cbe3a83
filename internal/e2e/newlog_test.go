//go:build gui

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSGPStartsANewLogInTheWindow: the demo's audit log file is deleted while the keyring (or
// its file) still knows its checkpoint. The real window, driven by keyboard only, then says so on
// the lock screen; the demo SGP signs in (Alt+3, passcode, Enter for her SGP role), Home offers
// a new log, N puts the cursor in the reason field, the reason is typed and Enter starts it.
// The window starts again over the new log (the same process): `scrdesk audit verify` passes
// and names the break, the new log's first row is the SGP's, with her reason, and she can sign
// in again and her login is recorded.
func TestSGPStartsANewLogInTheWindow(t *testing.T) {
	ownDisplay(t)
	dir := t.TempDir()
	bin := binary(t)
	first := start(t, bin, "--demo", "--data-dir", dir)
	waitWindow(t, first, "SCR Desk", 90*time.Second)
	waitAudit(t, bin, dir, "application-start", 1, 60*time.Second)
	first.stop()
	logFile := filepath.Join(dir, "state", "scrdesk.log")
	if err := os.Remove(logFile); err != nil { // so that the next "started" is the second window's
		t.Fatal(err)
	}
	for _, s := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(filepath.Join(dir, "scrdesk.db"+s)); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}

	p := start(t, bin, "--demo", "--data-dir", dir, "--log-level", "debug")
	waitWindow(t, p, "SCR Desk", 90*time.Second)
	waitStarted(t, p, logFile, 90*time.Second) // past "Starting SCR Desk…": the lock screen
	lock := save(t, "new-log-0-lock", waitSettled(t, nil, whole, 30*time.Second, "the lock screen saying the log was removed"))
	untilLog(t, dir, focusRecord("passcode"), func() { xdo(t, "key", "alt+3") }) // the demo SGP's card
	_ = lock
	// Each key once the screen that takes it has the keyboard (the shell's debug records): on
	// a loaded machine the role's Enter was pressed before the role list had it, and the
	// reason was then typed into the role screen.
	untilLog(t, dir, focusRecord("role"), func() {
		xdo(t, "type", "--delay", "60", "345678")
		xdo(t, "key", "Return")
	})
	untilLog(t, dir, `msg="governance page shown" page=home`, func() { xdo(t, "key", "Return") }) // her first role: SCR Governance Person
	home := save(t, "new-log-1-home", waitSettled(t, nil, whole, 30*time.Second, "Home offering a new log"))
	xdo(t, "key", "n")
	xdo(t, "type", "--delay", "30", "E2E: log file deleted")
	typed := waitSettled(t, home, whole, 30*time.Second, "the reason typed")
	xdo(t, "key", "Return")
	// The window closes its services, starts the new log and opens again; the new log's
	// application-start row says its services (the demo reader among them) are open. On a
	// loaded machine "Starting a new audit log…" stayed long enough to pass for settled, and
	// the demo card's key below went to the window still closing.
	waitAudit(t, bin, dir, "application-start", 1, 90*time.Second)
	after := save(t, "new-log-2-restarted", waitSettled(t, typed, whole, 60*time.Second, "the window over the new log"))

	// The new log verifies and names the break; its first row is the SGP's, with the reason.
	var out []byte
	eventually(t, 60*time.Second, "audit verify to pass over the new log", func() (bool, string) {
		var err error
		out, err = exec.Command(bin, "audit", "verify", "--data-dir", dir).CombinedOutput()
		return err == nil, string(out)
	})
	if !strings.Contains(string(out), "previous log") {
		t.Errorf("verify does not name the break:\n%s", out)
	}
	exp, err := exec.Command(bin, "audit", "export", "--format", "jsonl", "--data-dir", dir).Output()
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(exp))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var row map[string]any
	if !sc.Scan() || json.Unmarshal(sc.Bytes(), &row) != nil {
		t.Fatalf("no first row in the new log:\n%s", exp)
	}
	if row["action"] != "audit-log-started" || row["user_name"] != "Grace Okafor" || row["reason"] != "E2E: log file deleted" {
		t.Errorf("first row of the new log: %v", row)
	}

	// She signs in again over the new log: the new window's demo reader starts empty.
	// Each key only once its field has the keyboard (the shell's debug records): typed at
	// "Reading your smartcard…" the passcode was lost on a loaded machine.
	untilLog(t, dir, focusRecord("passcode"), func() { xdo(t, "key", "alt+3") })
	save(t, "new-log-3-passcode", waitSettled(t, after, whole, 30*time.Second, "the passcode screen again"))
	untilLog(t, dir, focusRecord("role"), func() {
		xdo(t, "type", "--delay", "60", "345678")
		xdo(t, "key", "Return")
	})
	xdo(t, "key", "Return")
	waitAudit(t, bin, dir, "login", 1, 60*time.Second)
}
