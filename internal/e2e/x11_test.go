//go:build gui

package e2e

import (
	"bytes"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// requireDisplay skips (or, with SCRDESK_REQUIRE_GUI=1, fails) when there is no X server or
// xdotool.
func requireDisplay(t testing.TB) {
	t.Helper()
	missing := ""
	if os.Getenv("DISPLAY") == "" {
		missing = "no DISPLAY (run under scripts/with-xvfb.sh)"
	}
	for _, tool := range []string{"xdotool"} {
		if _, err := exec.LookPath(tool); err != nil && missing == "" {
			missing = tool + " is not installed"
		}
	}
	if missing == "" {
		return
	}
	if os.Getenv("SCRDESK_REQUIRE_GUI") == "1" {
		t.Fatal(missing)
	}
	t.Skip(missing)
}

// ownDisplay gives the test an X server of its own at the counter size (1280x800) and points
// DISPLAY at it for the test: a window left by an earlier test, or a shared server worn out by
// a long run, cannot pass or fail this one (the shared display twice refused a first window at
// the end of a full run, and a window of another test would satisfy waitWindow).
func ownDisplay(t *testing.T) {
	t.Helper()
	requireDisplay(t)
	x := startXvfb(t, 1280, 800)
	t.Setenv("DISPLAY", x.display)
}

// repoRoot is the repository's top folder (this package is internal/e2e).
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// binary returns the SCR Desk binary to test: SCRDESK_BINARY, or build/scrdesk, which it
// builds when missing.
func binary(t testing.TB) string {
	t.Helper()
	if b := os.Getenv("SCRDESK_BINARY"); b != "" {
		// Stat it, so that go test's cache keeps a result only while this binary is unchanged
		// (what the test runs in another process is invisible to the cache otherwise), and read
		// what the window reads of its environment and home, for the same reason.
		if _, err := os.Stat(b); err != nil {
			t.Fatalf("SCRDESK_BINARY: %v", err)
		}
		for _, v := range []string{"SCRDESK_KEY_FILE", "FYNE_SCALE", "FYNE_THEME", "FYNE_FONT", "TZ", "LANG", "HOME", "XDG_CONFIG_HOME"} {
			_ = os.Getenv(v)
		}
		if home, err := os.UserHomeDir(); err == nil {
			_, _ = os.Stat(filepath.Join(home, ".config", "fyne", "settings.json"))
		}
		return b
	}
	b := filepath.Join(repoRoot(), "build", "scrdesk")
	if _, err := os.Stat(b); err != nil {
		cmd := exec.Command("go", "build", "-o", b, ".")
		cmd.Dir = repoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build: %v\n%s", err, out)
		}
	}
	return b
}

// readInputs reads the repository files (folders: every file in them) that a command the test
// runs will read, so that go test's cache sees them change, as it sees what the test itself
// opens.
func readInputs(t testing.TB, paths ...string) {
	t.Helper()
	for _, p := range paths {
		err := filepath.WalkDir(filepath.Join(repoRoot(), p), func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			_, err = os.ReadFile(path)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// proc is a started GUI process.
type proc struct {
	cmd    *exec.Cmd
	out    *outBuffer
	exited chan error
}

// outBuffer is a process's output, safe to read while the process still writes it.
type outBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *outBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is what was written so far.
func (b *outBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// start starts bin with args in this process's environment (its DISPLAY) and stops it when the
// test ends, printing its output if the test failed.
func start(t testing.TB, bin string, args ...string) *proc {
	t.Helper()
	return startEnv(t, nil, bin, args...)
}

// startEnv is start with the environment env (nil: this process's), e.g. a private X server's
// (xserver.env).
func startEnv(t testing.TB, env []string, bin string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var out outBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, out: &out, exited: make(chan error, 1)}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() { // after the stop below (cleanups run last first): the output is complete
		if t.Failed() {
			t.Logf("%s %s printed:\n%s", filepath.Base(bin), strings.Join(args, " "), out.String())
		} else if strings.Contains(out.String(), "Error in Fyne call thread") {
			// Fyne names a call made off its UI goroutine: a data race on the screens. Logged,
			// not yet failed: CI's output showed a burst of them once (screens/governance,
			// demopanel, shell.render) in a run that failed for another reason, and their
			// cause is not found yet (see the session note).
			t.Logf("%s %s touched the window off Fyne's UI goroutine:\n%s", filepath.Base(bin), strings.Join(args, " "), fyneThreadErrors(out.String()))
		}
	})
	t.Cleanup(func() { p.stop() })
	return p
}

// fyneThreadErrors lists, once each, the places Fyne's thread check named in out.
func fyneThreadErrors(out string) string {
	seen := map[string]bool{}
	var places []string
	for _, line := range strings.Split(out, "\n") {
		if _, from, ok := strings.Cut(line, "From: "); ok && !seen[from] {
			seen[from] = true
			places = append(places, from)
		}
	}
	return strings.Join(places, "\n")
}

func (p *proc) stop() {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// windows lists the visible windows whose name matches name exactly.
func windows(name string) []string {
	out, err := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^"+name+"$").Output()
	if err != nil {
		return nil
	}
	return strings.Fields(string(out))
}

// waitWindow waits for a visible window named name of process p (by its _NET_WM_PID, so
// another process's window never counts) and returns its id.
func waitWindow(t testing.TB, p *proc, name string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		out, _ := exec.Command("xdotool", "search", "--onlyvisible", "--pid", strconv.Itoa(p.cmd.Process.Pid), "--name", "^"+name+"$").Output()
		if ids := strings.Fields(string(out)); len(ids) > 0 {
			return ids[0]
		}
		select {
		case err := <-p.exited:
			t.Fatalf("process exited before its window was shown: %v\n%s", err, p.out)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no visible window %q after %v\n%s", name, timeout, p.out)
	return ""
}

// screenshot saves the whole screen (of $DISPLAY) as build/screenshots/NAME.png and returns
// the image.
func screenshot(t testing.TB, name string) image.Image {
	t.Helper()
	img, err := capture()
	if err != nil {
		t.Fatal(err)
	}
	return save(t, name, img)
}

// distinctColours counts the distinct colours in img, up to limit.
func distinctColours(img image.Image, limit int) int {
	seen := map[[3]uint8]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl := rgbAt(img, x, y)
			seen[[3]uint8{r, g, bl}] = true
			if len(seen) >= limit {
				return len(seen)
			}
		}
	}
	return len(seen)
}

// xdo runs xdotool with args.
func xdo(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("xdotool", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("xdotool %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// rssKB reads a process's resident memory in KiB from /proc.
func rssKB(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				return strconv.Atoi(f[1])
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS for %d", pid)
}
