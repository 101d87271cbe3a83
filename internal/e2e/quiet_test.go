//go:build gui

package e2e

import (
	"testing"
	"time"
)

// TestWindowQuietAfterAPatient: once a patient has been opened and the screen locked, the
// window draws nothing more until something changes. The screens' infinite progress bars
// (searching, checking the record) kept animating off screen (Fyne's ProgressBarInfinite.Hide
// does not stop the animation, and a Stop after it did nothing; the consent screen's Clear even
// started it), so the window repainted itself whole 15 to 50 times a second for as long as SCR
// Desk ran: a counter PC's CPU spent on nothing, and every input waiting behind a frame. The X
// Damage events are counted over two seconds (counting frames over a span is the measurement
// here, not a wait) with the record open and on the lock screen: neither has anything that moves.
func TestWindowQuietAfterAPatient(t *testing.T) {
	rw := startRealWindow(t)
	const nhs = "9990000107" // asks permission: searching, checking, opening all show a bar
	rw.d.typeText(nhs)
	rw.d.key("Return")
	rw.d.waitAudit("scr-consent-read", nhs, 30*time.Second)
	rw.d.answer("1", "scr-read", nhs)
	rw.keep("quiet-record", rw.settledAfterAudit("the record"))
	quiet(t, rw, "the window with the record open") // the search and question bars, out of view
	rw.d.key("ctrl+l")
	rw.d.waitAudit("lock-manual", "", 30*time.Second)
	rw.keep("quiet-locked", rw.settledAfterAudit("the lock screen"))
	quiet(t, rw, "the locked window")
}

// quiet counts the window's X Damage events over two seconds: at most a few (nothing on the
// screen moves).
func quiet(t *testing.T, rw *realWindow, what string) {
	t.Helper()
	rw.x.drain()
	const span = 2 * time.Second
	end := time.After(span)
	frames := 0
	for counting := true; counting; {
		select {
		case <-rw.x.events:
			frames++
		case <-end:
			counting = false
		}
	}
	if frames > 4 {
		t.Errorf("%s drew %d times in %v with nothing on it changing", what, frames, span)
	}
	t.Logf("%s drew %d times in %v", what, frames, span)
}
