//go:build gui

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConfigReachesTheRunningWindow: with the window open, `scrdesk --config FILE` hands the
// file to it over the instance socket. A good file is applied and kept (exit 0, the answer
// names what changed, the change audited with its old and new value); a bad one is refused
// with the reason (exit 2) and nothing changes; one window all along.
func TestConfigReachesTheRunningWindow(t *testing.T) {
	ownDisplay(t)
	bin, dir := binary(t), t.TempDir()
	first := start(t, bin, "--demo", "--data-dir", dir)
	waitWindow(t, first, "SCR Desk", 90*time.Second)
	waitAudit(t, bin, dir, "application-start", 1, 60*time.Second)

	good := filepath.Join(t.TempDir(), "good.json")
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(good, []byte(`{"pharmacy_name": "Station Road Pharmacy", "ods_code": "FQ999", "idle_lock_minutes": 7}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"ods_code": "fq-999"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--demo", "--data-dir", dir, "--config", good).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SCR Desk is already running: it applied the settings file "+good+". Saved and applied (") ||
		!strings.Contains(string(out), "ods code") {
		t.Fatalf("good file: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "--demo", "--data-dir", dir, "--config", bad).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 ||
		!strings.Contains(string(out), "refused the settings file "+bad+"; nothing was changed. Please correct the settings: The ODS code must be") {
		t.Fatalf("bad file: %v\n%s", err, out)
	}
	export, err := exec.Command(bin, "audit", "export", "--format", "jsonl", "--action", "settings-changed", "--data-dir", dir).Output()
	if err != nil {
		t.Fatal(err)
	}
	rows := string(export)
	if !strings.Contains(rows, `"field":"ods_code"`) || !strings.Contains(rows, `"new":"FQ999"`) || strings.Contains(rows, "fq-999") {
		t.Errorf("settings-changed rows:\n%s", rows)
	}
	if n := len(windows("SCR Desk")); n != 1 {
		t.Errorf("%d SCR Desk windows, want 1", n)
	}
	select {
	case err := <-first.exited:
		t.Fatalf("the window exited: %v\n%s", err, first.out)
	default:
	}
}
