//go:build gui

package e2e

import (
	"image"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The demo panel's first card button (Pharmacist: Insert, then Remove) in the 1280x800 window
// that Xvfb shows at the origin.
const pharmacistX, pharmacistY = "1230", "141"

// TestDemoSignInRecordLock runs `scrdesk --demo` in a real window, inserts the demo
// pharmacist's card from the demo panel, types the passcode with xdotool, opens a test patient's
// record by NHS number (answering the permission question with the keyboard), then removes the
// card: screenshots of the signed-in screen, the record and the lock screen are kept in
// build/screenshots/ (README.md shows them). The audit log is then read with `scrdesk audit
// export` to check that what the screenshots show really happened, in order.
func TestDemoSignInRecordLock(t *testing.T) {
	ownDisplay(t)
	dir := t.TempDir()
	bin := binary(t)
	p := start(t, bin, "--demo", "--data-dir", dir, "--log-level", "debug")
	waitWindow(t, p, "SCR Desk", 90*time.Second)
	// The controller records application-start once the audit log, the sandbox and the demo
	// reader are open behind the window: only then does the demo panel do anything.
	waitAudit(t, bin, dir, "application-start", 1, 60*time.Second)
	waitLogRecord(t, dir, `msg="screen shown" screen=lock`, 60*time.Second)
	lockShot := save(t, "demo-0-lock", waitSettled(t, nil, whole, 30*time.Second, "the lock screen to be painted"))

	// step does what a person does, waits for the audit row it must cause (if any), then for the
	// screen to change from before and settle, and keeps that screenshot.
	step := func(name string, before image.Image, action string, n int, what string, do func()) image.Image {
		t.Helper()
		do()
		if action != "" {
			waitAudit(t, bin, dir, action, n, 60*time.Second)
		}
		return save(t, name, waitSettled(t, before, whole, 30*time.Second, what))
	}
	click := func() { xdo(t, "mousemove", pharmacistX, pharmacistY, "click", "1") }
	cardIn := func() { untilLog(t, dir, focusRecord("passcode"), click) } // typed sooner, the passcode is lost
	passcode := func() {                                                  // signed in (or unlocked) when the search screen's NHS number field has the keyboard
		untilLog(t, dir, focusRecord("NHS number"), func() {
			xdo(t, "type", "--delay", "60", "123456")
			xdo(t, "key", "Return")
		})
	}

	passShot := step("demo-1-passcode", lockShot, "", 0, "the passcode screen after the demo card went in", cardIn)
	signedIn := step("signed-in", passShot, "login", 1, "the signed-in screen after the passcode", passcode)
	// Each waits for the shell's record that the question, then the record, is drawn: the
	// consent row is written before the question is drawn, and on a loaded machine a key
	// pressed at "Checking…" was lost.
	asked := step("demo-2-permission", signedIn, "scr-consent-read", 1, "the permission question after the NHS number search", func() {
		untilLog(t, dir, stageRecord("question"), func() {
			xdo(t, "type", "--delay", "40", "9990000107") // a sandbox test patient whose consent is Ask
			xdo(t, "key", "Return")
		})
	})
	record := step("record", asked, "scr-read", 1, "the record after permission was given", func() {
		untilLog(t, dir, stageRecord("record"), func() { xdo(t, "key", "1") }) // "Yes, the patient has given permission"
	})
	locked := step("locked", record, "lock-card-removed", 1, "the lock screen after the card came out", click)

	// The same card again: the passcode resumes; then Ctrl+L locks while the NHS number field
	// has the focus.
	again := step("demo-3-passcode-again", locked, "", 0, "the passcode screen after the same card went back in", cardIn)
	resumed := step("demo-3-resumed", again, "unlock", 1, "the resumed session after the passcode", passcode)
	step("demo-4-ctrl-l", resumed, "lock-manual", 1, "the lock screen after Ctrl+L", func() { xdo(t, "key", "ctrl+l") })
	p.stop()

	// What the audit log says happened, in order.
	acts, err := auditActions(bin, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"login", "patient-search", "patient-read", "scr-consent-read", "permission-given", "scr-read", "lock-card-removed", "unlock", "lock-manual"}
	i := 0
	for _, a := range acts {
		if i < len(want) && a == want[i] {
			i++
		}
	}
	if i != len(want) {
		t.Errorf("audit actions %v do not contain %v in order", acts, want)
	}
	if v, err := exec.Command(bin, "audit", "verify", "--data-dir", dir).CombinedOutput(); err != nil {
		t.Errorf("audit verify after the demo: %v\n%s", err, strings.TrimSpace(string(v)))
	}
}
