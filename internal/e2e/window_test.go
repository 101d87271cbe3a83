//go:build gui

package e2e

import (
	"image"
	"testing"
	"time"
)

// TestWindowShown starts the built binary in demo mode and checks that a non-blank window
// titled "SCR Desk" is shown.
func TestWindowShown(t *testing.T) {
	ownDisplay(t)
	p := start(t, binary(t), "--demo", "--data-dir", t.TempDir())
	id := waitWindow(t, p, "SCR Desk", 90*time.Second)
	if got := xdo(t, "getwindowname", id); got != "SCR Desk" {
		t.Errorf("window title %q, want SCR Desk", got)
	}
	g := waitGeometry(t, id, 30*time.Second, "at its 1280x800 size", func(g geometry) bool { return g.W >= 1280 && g.H >= 800 })
	// The first frames are painted when the window's own region shows the lock screen: more
	// than a few colours, and settled.
	r := image.Rect(g.X, g.Y, g.X+g.W, g.Y+g.H)
	waitRegion(t, r, 30*time.Second, "the window to be painted", func(img image.Image, r image.Rectangle) bool {
		return distinctColours(sub(img, r), 20) >= 5
	})
	save(t, "lock-screen", waitSettled(t, nil, r, 30*time.Second, "the lock screen to settle"))
}

// TestSecondLaunchLeavesOneWindow starts SCR Desk twice on the same data folder: the second
// launch must exit successfully and leave exactly one window.
func TestSecondLaunchLeavesOneWindow(t *testing.T) {
	ownDisplay(t)
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
	// The second launch asks the first to raise its window and exits; a window it had shown
	// (it must not) could take a moment to be mapped, so look for a while, not once.
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if n := len(windows("SCR Desk")); n != 1 {
			t.Fatalf("%d SCR Desk windows after a second launch, want 1", n)
		}
		time.Sleep(pollEvery)
	}
	select {
	case err := <-first.exited:
		t.Fatalf("first instance exited: %v", err)
	default:
	}
}
