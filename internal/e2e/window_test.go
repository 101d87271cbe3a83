//go:build gui

package e2e

import (
	"testing"
	"time"
)

// TestWindowShown starts the built binary in demo mode and checks that a non-blank window
// titled "SCR Desk" is shown.
func TestWindowShown(t *testing.T) {
	requireDisplay(t)
	p := start(t, binary(t), "--demo", "--data-dir", t.TempDir())
	id := waitWindow(t, p, "SCR Desk", 90*time.Second)
	if got := xdo(t, "getwindowname", id); got != "SCR Desk" {
		t.Errorf("window title %q, want SCR Desk", got)
	}
	time.Sleep(1500 * time.Millisecond) // let the first frames paint
	img := screenshot(t, "lock-screen")
	if n := distinctColours(img, 20); n < 5 {
		t.Errorf("screenshot has %d colours: the window looks blank", n)
	}
}

// TestSecondLaunchLeavesOneWindow starts SCR Desk twice on the same data folder: the second
// launch must exit successfully and leave exactly one window.
func TestSecondLaunchLeavesOneWindow(t *testing.T) {
	requireDisplay(t)
	dir := t.TempDir()
	first := start(t, binary(t), "--demo", "--data-dir", dir)
	waitWindow(t, first, "SCR Desk", 90*time.Second)
	second := start(t, binary(t), "--demo", "--data-dir", dir)
	select {
	case err := <-second.exited:
		if err != nil {
			t.Fatalf("second launch failed: %v\n%s", err, second.out)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("second launch still running after 30 s\n%s", second.out)
	}
	time.Sleep(time.Second)
	if n := len(windows("SCR Desk")); n != 1 {
		t.Errorf("%d SCR Desk windows after a second launch, want 1", n)
	}
	select {
	case err := <-first.exited:
		t.Fatalf("first instance exited: %v", err)
	default:
	}
}
