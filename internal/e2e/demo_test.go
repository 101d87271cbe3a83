//go:build gui

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
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
	requireDisplay(t)
	dir := t.TempDir()
	p := start(t, binary(t), "--demo", "--data-dir", dir)
	waitWindow(t, p, "SCR Desk", 90*time.Second)
	time.Sleep(2 * time.Second) // the audit log and the sandbox open behind the window

	lockShot := screenshot(t, "demo-0-lock")
	xdo(t, "mousemove", pharmacistX, pharmacistY, "click", "1")
	time.Sleep(2 * time.Second)
	passShot := screenshot(t, "demo-1-passcode")
	if same(lockShot, passShot) {
		t.Fatal("inserting the demo card changed nothing on screen")
	}
	xdo(t, "type", "--delay", "60", "123456")
	xdo(t, "key", "Return")
	time.Sleep(3 * time.Second)
	signedIn := screenshot(t, "signed-in")

	xdo(t, "type", "--delay", "40", "9990000107") // a sandbox test patient whose consent is Ask
	xdo(t, "key", "Return")
	time.Sleep(3 * time.Second)
	asked := screenshot(t, "demo-2-permission")
	if same(signedIn, asked) {
		t.Fatal("the NHS number search changed nothing on screen")
	}
	xdo(t, "key", "1") // "Yes, the patient has given permission"
	time.Sleep(3 * time.Second)
	record := screenshot(t, "record")
	if same(asked, record) {
		t.Fatal("answering the permission question changed nothing on screen")
	}

	xdo(t, "mousemove", pharmacistX, pharmacistY, "click", "1") // Remove the card
	time.Sleep(2 * time.Second)
	locked := screenshot(t, "locked")
	if same(record, locked) {
		t.Fatal("removing the card changed nothing on screen")
	}

	// The same card again: the passcode resumes; then Ctrl+L locks while the NHS number field
	// has the focus.
	xdo(t, "mousemove", pharmacistX, pharmacistY, "click", "1")
	time.Sleep(2 * time.Second)
	xdo(t, "type", "--delay", "60", "123456")
	xdo(t, "key", "Return")
	time.Sleep(3 * time.Second)
	resumed := screenshot(t, "demo-3-resumed")
	xdo(t, "key", "ctrl+l")
	time.Sleep(2 * time.Second)
	if same(resumed, screenshot(t, "demo-4-ctrl-l")) {
		t.Fatal("Ctrl+L changed nothing on screen")
	}
	p.stop()

	// What the audit log says happened.
	out, err := exec.Command(binary(t), "audit", "export", "--format", "jsonl", "--data-dir", dir).Output()
	if err != nil {
		t.Fatalf("audit export: %v", err)
	}
	var acts []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var row struct {
			Action string `json:"action"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err == nil {
			acts = append(acts, row.Action)
		}
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
	if v, err := exec.Command(binary(t), "audit", "verify", "--data-dir", dir).CombinedOutput(); err != nil {
		t.Errorf("audit verify after the demo: %v\n%s", err, strings.TrimSpace(string(v)))
	}
}

// same reports whether two screenshots are identical (sampled).
func same(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y += 3 {
		for x := r.Min.X; x < r.Max.X; x += 3 {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 {
				return false
			}
		}
	}
	return true
}
