//go:build gui

package e2e

import (
	"testing"
	"time"
)

// TestDemoEmergencyRecordBanner opens, by emergency access in a real window, the sandbox patient
// whose record has allergies, spanning table cells and two reasonable-adjustment flags
// (999 000 1812), and keeps the screenshot docs/screenshots/record-emergency.png is made from:
// the banner carries the allergy line, the emergency marking and the reasonable adjustments.
// The audit log must show the adjustments read and the emergency access before the record.
func TestDemoEmergencyRecordBanner(t *testing.T) {
	ownDisplay(t)
	dir := t.TempDir()
	bin := binary(t)
	p := start(t, bin, "--demo", "--data-dir", dir, "--log-level", "debug")
	waitWindow(t, p, "SCR Desk", 90*time.Second)
	waitAudit(t, bin, dir, "application-start", 1, 60*time.Second)
	waitLogRecord(t, dir, `msg="screen shown" screen=lock`, 60*time.Second)
	lockShot := waitSettled(t, nil, whole, 30*time.Second, "the lock screen to be painted")

	untilLog(t, dir, focusRecord("passcode"), func() { xdo(t, "mousemove", pharmacistX, pharmacistY, "click", "1") })
	passShot := waitSettled(t, lockShot, whole, 30*time.Second, "the passcode screen")
	untilLog(t, dir, focusRecord("NHS number"), func() { // signed in: the search screen has the keyboard
		xdo(t, "type", "--delay", "60", "123456")
		xdo(t, "key", "Return")
	})
	waitAudit(t, bin, dir, "login", 1, 60*time.Second)
	signedIn := waitSettled(t, passShot, whole, 30*time.Second, "the signed-in screen")

	untilLog(t, dir, stageRecord("question"), func() {
		xdo(t, "type", "--delay", "40", "9990001812")
		xdo(t, "key", "Return")
	})
	waitAudit(t, bin, dir, "scr-consent-read", 1, 60*time.Second)
	waitAudit(t, bin, dir, "reasonable-adjustments-read", 1, 60*time.Second)
	asked := save(t, "demo-emergency-1-asked", waitSettled(t, signedIn, whole, 30*time.Second, "the permission question with the adjustments"))

	untilLog(t, dir, stageRecord("emergency"), func() { xdo(t, "key", "2") }) // the patient cannot be asked: emergency access
	reason := save(t, "demo-emergency-2-reason", waitSettled(t, asked, whole, 30*time.Second, "the emergency reason field"))
	// In the real window the reason field does not get the focus after "2" (it does under the
	// Fyne test driver: app.TestEmergencyReasonByKeyboard); click it as a person would.
	xdo(t, "mousemove", "450", "431", "click", "1") // below the status bar's two lines beside the demo panel
	xdo(t, "type", "--delay", "20", "Patient collapsed at the counter; checking allergies for the paramedics")
	reason = save(t, "demo-emergency-3-typed", waitSettled(t, reason, whole, 30*time.Second, "the reason typed"))
	untilLog(t, dir, stageRecord("record"), func() { xdo(t, "key", "shift+Return") })
	waitAudit(t, bin, dir, "scr-read", 1, 60*time.Second)
	save(t, "record-emergency", waitSettled(t, reason, whole, 30*time.Second, "the record opened by emergency access"))
	p.stop()

	acts, err := auditActions(bin, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"login", "patient-read", "reasonable-adjustments-read", "emergency-access", "alert-queued", "scr-read"}
	i := 0
	for _, a := range acts {
		if i < len(want) && a == want[i] {
			i++
		}
	}
	if i != len(want) {
		t.Errorf("audit actions %v do not contain %v in order", acts, want)
	}
}
