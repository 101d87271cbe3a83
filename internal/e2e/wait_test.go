//go:build gui

package e2e

// Waiting on conditions, not clocks. A real-window test never sleeps for a fixed time and hopes:
// it polls for the state it needs (a window's geometry, a pixel region that changed and settled,
// a row in the audit log) and fails with what it last saw when the state does not come. The
// helpers here are for every test in this package.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pollEvery is how often the helpers look again. An X screenshot takes 50-200 ms under Xvfb, so
// looking more often than this gains nothing.
const pollEvery = 50 * time.Millisecond

// eventually calls cond until it reports true or timeout passes, then fails the test, saying
// what was awaited and the last thing cond reported. It returns how long the wait took.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() (ok bool, last string)) time.Duration {
	t.Helper()
	return eventuallyEvery(t, pollEvery, timeout, what, cond)
}

// eventuallyEvery is eventually, looking again every interval.
func eventuallyEvery(t testing.TB, interval, timeout time.Duration, what string, cond func() (ok bool, last string)) time.Duration {
	t.Helper()
	t0 := time.Now()
	deadline := t0.Add(timeout)
	last := ""
	for {
		ok, l := cond()
		if ok {
			return time.Since(t0)
		}
		last = l
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s; last seen: %s", timeout, what, last)
		}
		time.Sleep(interval)
	}
}

// geometry is a window's position and size on the screen, as xdotool reports them.
type geometry struct{ X, Y, W, H int }

// windowGeometry asks xdotool where window id is and how big it is.
func windowGeometry(id string) (geometry, error) {
	out, err := exec.Command("xdotool", "getwindowgeometry", "--shell", id).Output()
	if err != nil {
		return geometry{}, err
	}
	var g geometry
	for _, line := range strings.Fields(string(out)) {
		k, v, _ := strings.Cut(line, "=")
		n, _ := strconv.Atoi(v)
		switch k {
		case "X":
			g.X = n
		case "Y":
			g.Y = n
		case "WIDTH":
			g.W = n
		case "HEIGHT":
			g.H = n
		}
	}
	return g, nil
}

// waitGeometry waits until window id's geometry satisfies ok (e.g. the window reached its
// intended size after the window manager or Fyne resized it) and returns it.
func waitGeometry(t testing.TB, id string, timeout time.Duration, what string, ok func(geometry) bool) geometry {
	t.Helper()
	var g geometry
	eventually(t, timeout, "window "+id+" "+what, func() (bool, string) {
		var err error
		g, err = windowGeometry(id)
		if err != nil {
			return false, err.Error()
		}
		return ok(g), fmt.Sprintf("%+v", g)
	})
	return g
}

// capture takes a screenshot of the whole screen (of $DISPLAY) without saving it.
func capture() (image.Image, error) {
	return grabScreen(os.Getenv("DISPLAY"))
}

// whole is a region meaning the whole screen.
var whole = image.Rectangle{}

// minChanged is how many sampled pixels (every third, both ways) must differ for a picture to
// count as changed: a blinking text cursor or one typed character is fewer; a new screen, a
// dialog or a record is many more.
const minChanged = 60

// differs reports whether a and b differ in more than minChanged sampled pixels of region r (the
// whole image when r is empty).
func differs(a, b image.Image, r image.Rectangle) bool {
	return changed(a, b, r) > minChanged
}

// changed counts the sampled pixels (every third, both ways) of region r that differ between a
// and b; images of different sizes differ everywhere.
func changed(a, b image.Image, r image.Rectangle) int {
	if a.Bounds() != b.Bounds() {
		return a.Bounds().Dx() * a.Bounds().Dy()
	}
	if r.Empty() {
		r = a.Bounds()
	}
	r = r.Intersect(a.Bounds())
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y += 3 {
		for x := r.Min.X; x < r.Max.X; x += 3 {
			if !sameColour(a, b, x, y) {
				n++
			}
		}
	}
	return n
}

// waitSettled waits until region r of the screen has changed from before (nil: any picture
// will do) and then stayed the same across two captures settleGap apart: the new state is
// painted, not half-way through a frame. Changes of minChanged pixels or fewer (a blinking
// cursor) count as no change either way. It returns the settled screen.
func waitSettled(t testing.TB, before image.Image, r image.Rectangle, timeout time.Duration, what string) image.Image {
	t.Helper()
	var prev, cur image.Image
	eventuallyEvery(t, settleGap, timeout, what, func() (bool, string) {
		img, err := capture()
		if err != nil {
			return false, err.Error()
		}
		prev, cur = cur, img
		if before != nil && !differs(before, cur, r) {
			return false, "the screen has not changed"
		}
		if prev == nil || differs(prev, cur, r) {
			return false, "the screen is still changing"
		}
		return true, ""
	})
	return cur
}

// waitRegion waits until the pixels of region r satisfy ok, e.g. "the panel is not all one
// colour", and returns the screen it saw.
func waitRegion(t testing.TB, r image.Rectangle, timeout time.Duration, what string, ok func(image.Image, image.Rectangle) bool) image.Image {
	t.Helper()
	var img image.Image
	eventually(t, timeout, what, func() (bool, string) {
		var err error
		img, err = capture()
		if err != nil {
			return false, err.Error()
		}
		return ok(img, r), fmt.Sprintf("region %v not yet as wanted", r)
	})
	return img
}

// sub is the part of img inside r (all of img when it cannot be cut).
func sub(img image.Image, r image.Rectangle) image.Image {
	if s, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		return s.SubImage(r)
	}
	return img
}

// save writes img as build/screenshots/NAME.png (README.md shows some of these) and returns it.
func save(t testing.TB, name string, img image.Image) image.Image {
	t.Helper()
	dir := filepath.Join(repoRoot(), "build", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return img
}

// auditActions reads the audit log in dataDir with `scrdesk audit export` (which reads while
// the app writes: the log is SQLite in WAL mode) and returns the actions in order.
func auditActions(bin, dataDir string) ([]string, error) {
	out, err := exec.Command(bin, "audit", "export", "--format", "jsonl", "--data-dir", dataDir).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("audit export: %w: %s", err, bytes.TrimSpace(ee.Stderr))
		}
		return nil, fmt.Errorf("audit export: %w", err)
	}
	var acts []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var row struct {
			Action string `json:"action"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err == nil && row.Action != "" {
			acts = append(acts, row.Action)
		}
	}
	return acts, sc.Err()
}

// waitAudit waits until the audit log in dataDir holds at least n rows with action, and returns
// all actions seen. Each look is an export, which the log itself records (audit-exported), so
// it looks every 200 ms, not every pollEvery.
func waitAudit(t testing.TB, bin, dataDir, action string, n int, timeout time.Duration) []string {
	t.Helper()
	var acts []string
	eventuallyEvery(t, 200*time.Millisecond, timeout, fmt.Sprintf("%d audit row(s) %q", n, action), func() (bool, string) {
		var err error
		acts, err = auditActions(bin, dataDir)
		if err != nil {
			return false, err.Error()
		}
		c := 0
		for _, a := range acts {
			if a == action {
				c++
			}
		}
		if len(acts) > 40 { // the demo's seeded log holds thousands: the newest say what happened
			return c >= n, fmt.Sprintf("the last 40 of %d actions %v", len(acts), acts[len(acts)-40:])
		}
		return c >= n, fmt.Sprintf("actions %v", acts)
	})
	return acts
}

// waitExit waits for p to exit and returns its error, failing the test after timeout.
func waitExit(t testing.TB, p *proc, timeout time.Duration) error {
	t.Helper()
	select {
	case err := <-p.exited:
		return err
	case <-time.After(timeout):
		t.Fatalf("still running after %v\n%s", timeout, p.out)
		return nil
	}
}
