//go:build gui

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
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

// The counter acceptance suite: the built binary in a real X server of its own (Xvfb) at a
// common counter screen (1280x800), a large one (1920x1080) and 1280x800 at text scale 1.5,
// driven from the keyboard with xdotool as a pharmacist would. It walks every row of README.md's
// keyboard table, the long-name patient (the window must never be wider or taller than the
// screen: xdotool getwindowgeometry), the record of more than 200 medicines to its end by
// keyboard (its table's header row pinned over the top once scrolled), emergency access by keyboard alone, the expired card and the role at another
// organisation. Every step waits on a condition (an audit row, the window's pixels changing, its
// geometry), never a fixed sleep; each keeps a screenshot in build/screenshots/counter-<size>/
// for a person to review (README.md's screenshots are copied from the 1280x800 run).
//
//	scripts/with-xvfb.sh go test -tags gui -run Counter ./internal/e2e/
func TestCounter(t *testing.T) {
	requireDisplay(t)
	if _, err := exec.LookPath("Xvfb"); err != nil {
		if os.Getenv("SCRDESK_REQUIRE_GUI") == "1" {
			t.Fatal("Xvfb is not installed")
		}
		t.Skip("Xvfb is not installed")
	}
	for _, c := range []struct {
		name  string
		w, h  int
		scale float64
	}{
		{"1280x800", 1280, 800, 1},
		{"1920x1080", 1920, 1080, 1},
		{"1280x800-text1.5", 1280, 800, 1.5},
	} {
		t.Run(c.name, func(t *testing.T) {
			counterRun(t, c.name, c.w, c.h, c.scale)
		})
	}
}

// Demo card keys (the Demo menu): the order of staff.DemoUsers.
const (
	keyPharmacist = "alt+1"
	keyTechnician = "alt+2"
	keyExpired    = "alt+6"
)

func counterRun(t *testing.T, name string, sw, sh int, scale float64) {
	x := startXvfb(t, sw, sh)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "settings.json")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, `{"pharmacy_name": "Demo Pharmacy, Leeds", "ods_code": "FA123", "workstation_name": "COUNTER-1", "text_scale": %g}`, scale), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startEnv(t, x.env(), binary(t), "--demo", "--data-dir", dir, "--config", cfg, "--log-level", "debug")

	d := &driver{t: t, x: x, dir: dir, shots: filepath.Join(repoRoot(), "build", "screenshots", "counter-"+name), p: p}
	if err := os.MkdirAll(d.shots, 0o755); err != nil {
		t.Fatal(err)
	}
	d.win = d.waitWindow()
	d.waitAudit("application-start", "", 60*time.Second)
	d.waitLockScreen("01-lock")
	d.fits("the lock screen")

	// Lock screen -> passcode -> signed in: Alt+1 inserts the pharmacist's demo card.
	d.cardIn(keyPharmacist)
	d.typeText("123456")
	d.untilFocus("NHS number", func() { d.key("Return") }) // signed in: the search screen drawn
	d.waitAudit("login", "", 30*time.Second)
	signedIn := d.settle("02-signed-in")
	d.fits("signed in")

	// The long non-ASCII name: the window stays inside the screen.
	d.typeText("9990001227")
	d.key("Return")
	d.waitAudit("scr-consent-read", "", 30*time.Second)
	d.waitAsked()
	asked := d.settle("03-long-name-question")
	d.fits("the long-name patient's permission question")
	d.answer("1", "scr-read", "")
	d.settle("04-long-name-record")
	d.fits("the long-name patient's record")
	_ = asked

	// Escape closes the patient, even after a click inside the record: a third across the
	// window and half-way down, in the record whatever the screen (the window is not the
	// screen's size at 1920x1080: two thirds down the screen was the foot of the window there,
	// the alert strip while an alert waited, whose list kept Escape until it passed keys on).
	geo := d.geometry()
	d.click(geo["X"]+geo["WIDTH"]/3, geo["Y"]+geo["HEIGHT"]/2)
	d.key("Escape")
	d.waitSimilar(signedIn, "the search screen after Escape in the record")

	// The record of more than 200 medicines, to its end by keyboard.
	d.typeText("9990001154")
	d.key("Return")
	d.waitAudit("scr-consent-read", "9990001154", 30*time.Second)
	d.answer("1", "scr-read", "9990001154")
	d.settle("05-long-record-top")
	d.fits("the 200-medicine record")
	for i, k := range []string{"Next", "Next", "Down", "Up", "Prior"} { // Page Down twice, Down, Up, Page Up
		before := d.settle(fmt.Sprintf("05-long-record-%d-before-%s", i, k))
		d.key(k)
		d.waitChange(before, "the record after "+k)
	}
	beforeEnd := d.settle("05-long-record-5-before-End") // not top: Page Up above left it a line down
	d.key("End")
	d.waitChange(beforeEnd, "the record after End")
	end := d.settle("06-long-record-end")
	// Some pages up from the end the last (repeat medication, 100 rows) table's rows are at the
	// top, whatever the screen and text size (a page is shorter at text scale 1.5, and the end
	// itself is past the table there): its header row is pinned over them, so a line up moves
	// the rows under the pin and not the pin.
	from := end
	pinned := false
	for page := 1; page <= 4 && !pinned; page++ {
		d.key("Prior")
		d.waitChange(from, "the record a page further up from the end")
		pageUp := d.settle(fmt.Sprintf("06b-long-record-end-up-%d-pages", page))
		d.key("Up")
		d.waitChange(pageUp, "the record a line further up")
		from = d.settle(fmt.Sprintf("06c-long-record-end-up-%d-pages-and-a-line", page))
		pinned = hasPinnedHeader(pageUp, from)
	}
	if !pinned {
		d.shot("no-pinned-header")
		t.Errorf("the 200-medicine record, one to four pages up from its end and a line further: no table header row pinned over the top of the record")
	}
	d.key("End")
	d.waitSimilar(end, "the record's end again")
	before := end
	d.key("Next") // already at the end: nothing moves
	d.key("Home")
	d.waitChange(before, "the record after Home")
	d.settle("07-long-record-home")
	// Tab to a button: the keys still scroll the record.
	d.key("Tab")
	focused := d.settle("08-focus-ring")
	d.key("End")
	d.waitChange(focused, "the record after End with a button focused")
	d.key("Escape")
	d.waitSimilar(signedIn, "the search screen after Escape with a button focused")

	// Emergency access by keyboard alone: 2 focuses the reason; Escape goes back one step.
	d.typeText("9990000107")
	d.key("Return")
	d.waitAudit("scr-consent-read", "9990000107", 30*time.Second)
	d.waitAsked()
	d.asked = logRecords(d.dir, stageRecord("question"))
	d.waitColour(amber, "the permission question (its amber emergency button)")
	question := d.settle("09-question")
	d.untilFocus("emergency reason", func() { d.key("2") }) // 2 gives the reason the keyboard
	reason := d.waitChange(question, "the emergency reason")
	untilLog(d.t, d.dir, stageRecord("question"), func() { d.key("Escape") })
	d.waitChange(reason, "the question again after Escape on the reason")
	d.waitColour(amber, "the question again (its amber emergency button)")
	d.asked = logRecords(d.dir, stageRecord("question"))
	again := d.settle("09b-question-again")
	d.untilFocus("emergency reason", func() { d.key("2") })
	d.waitChange(again, "the emergency reason again")
	d.typeText("Patient collapsed at the counter; unable to consent")
	d.settle("10-emergency-reason")
	untilLog(d.t, d.dir, stageRecord("record"), func() { d.key("shift+Return") })
	d.waitAudit("emergency-access", "9990000107", 30*time.Second)
	d.waitAudit("scr-read", "9990000107", 30*time.Second)
	d.settle("11-emergency-record")
	d.key("Escape")
	d.waitSimilar(signedIn, "the search screen after the emergency record")

	// Ctrl+L locks whatever has the focus; Enter unlocks with the passcode.
	d.key("ctrl+l")
	d.waitAudit("lock-manual", "", 20*time.Second)
	d.settle("12-locked")
	d.untilFocus("passcode", func() { d.key("Return") })
	d.settle("13-unlock")
	d.typeText("123456")
	d.key("Return")
	d.waitAudit("unlock", "", 30*time.Second)
	d.settle("14-unlocked")

	// Ctrl+Shift+L signs out; the message says so plainly.
	d.key("ctrl+shift+l")
	d.waitAudit("logout", "", 20*time.Second)
	out1 := d.settle("15-signed-out")
	d.key(keyPharmacist) // take the card out
	d.waitChange(out1, "the lock screen after the card left")

	// The expired card: told so, and no button that cannot work (Enter does nothing).
	waiting := d.capture()
	d.key(keyExpired)
	d.waitAuditReason("login", "certificate expired", 30*time.Second)
	expired := d.waitChange(waiting, "the expired card's message")
	d.settle("16-expired-card")
	logins := d.count("login")
	d.key("Return")
	d.key(keyExpired) // out again
	d.waitChange(expired, "the lock screen after the expired card left")
	if n := d.count("login"); n != logins {
		t.Errorf("Enter on the expired card tried to sign in again (%d login rows, was %d)", n, logins)
	}

	// A role at another organisation: asked, in words naming both, and audited when confirmed.
	d.cardIn(keyTechnician)
	d.typeText("234567")
	d.key("Return")
	d.waitChangeFrom("the role list", 30*time.Second)
	// The roles listed, not "Loading your roles…" (on a busy machine that screen settles too,
	// and an End pressed there is rightly ignored: Enter then chose the first role), then
	// settled (the list takes the focus and draws its ring as it shows): a change against the
	// first frame of the list is not yet the End key's.
	d.waitColourWithin(selectionBlue, 3, "the role list (its highlighted first role)")
	roles := d.settle("17-roles")
	d.key("End") // the last role offered: Riverside Pharmacy, York (FX456)
	york := d.waitChange(roles, "the York role highlighted")
	d.key("Return")
	d.waitChange(york, "the other-organisation question")
	d.settle("18-other-organisation")
	d.fits("the other-organisation question")
	d.key("Return") // Use this role
	d.waitAuditReason("role-selected", "FX456", 30*time.Second)
	d.settle("19-york-role")
	d.fits("signed in under the York role")

	p.stop()
	if v, err := exec.Command(binary(t), "audit", "verify", "--data-dir", dir).CombinedOutput(); err != nil {
		t.Errorf("audit verify: %v\n%s", err, v)
	}
}

// xserver is a private Xvfb display.
type xserver struct {
	display string
	cmd     *exec.Cmd
}

func (x *xserver) env() []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "DISPLAY=") {
			env = append(env, e)
		}
	}
	return append(env, "DISPLAY="+x.display)
}

// startXvfb starts a private X server of w x h. Xvfb picks a free display itself
// (-displayfd) and says which, so tests and runs started together never share one. -noreset:
// without it the server resets when its last client leaves (the probe below), and a window
// opening during that reset is refused ("Failed to detect any supported platform" from GLFW;
// CI failed on it twice, and 6 of 40 starts under load did it here, 0 of 40 with -noreset).
func startXvfb(t testing.TB, w, h int) *xserver {
	t.Helper()
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	x := &xserver{}
	x.cmd = exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", w, h), "-nolisten", "tcp", "-noreset")
	x.cmd.ExtraFiles = []*os.File{wr}
	if err := x.cmd.Start(); err != nil {
		wr.Close()
		t.Fatal(err)
	}
	wr.Close()
	t.Cleanup(func() { _ = x.cmd.Process.Kill(); _ = x.cmd.Wait() })
	got := make(chan string, 1)
	go func() {
		b := make([]byte, 32)
		n, _ := r.Read(b)
		got <- strings.TrimSpace(string(b[:n]))
	}()
	select {
	case n := <-got:
		if n == "" {
			t.Fatal("Xvfb did not say which display it took")
		}
		x.display = ":" + n
		t.Cleanup(func() { forgetDisplay(x.display) }) // runs before the server is killed
	case <-time.After(30 * time.Second):
		t.Fatal("Xvfb did not start within 30 s")
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		probe := exec.Command("xdotool", "getdisplaygeometry")
		probe.Env = x.env()
		if probe.Run() == nil { // the server answers, not just its socket exists
			return x
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("Xvfb %s did not answer", x.display)
	return nil
}

// driver drives one SCR Desk window on one X server.
type driver struct {
	t     testing.TB
	x     *xserver
	p     *proc
	dir   string
	shots string
	win   string
	n     int
	asked int // permission questions answered (answer)
}

func (d *driver) xdo(args ...string) string {
	d.t.Helper()
	cmd := exec.Command("xdotool", args...)
	cmd.Env = d.x.env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		d.t.Fatalf("xdotool %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func (d *driver) waitWindow() string {
	d.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		cmd := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^SCR Desk$")
		cmd.Env = d.x.env()
		if out, err := cmd.Output(); err == nil && len(strings.Fields(string(out))) > 0 {
			return strings.Fields(string(out))[0]
		}
		select {
		case err := <-d.p.exited:
			d.t.Fatalf("SCR Desk exited: %v\n%s", err, d.p.out)
		case <-time.After(50 * time.Millisecond):
		}
	}
	d.t.Fatalf("no window\n%s", d.p.out)
	return ""
}

func (d *driver) key(k string) {
	d.t.Helper()
	d.xdo("key", "--clearmodifiers", k)
}

func (d *driver) typeText(s string) {
	d.t.Helper()
	d.xdo("type", "--delay", "30", s)
}

func (d *driver) click(x, y int) {
	d.t.Helper()
	d.xdo("mousemove", strconv.Itoa(x), strconv.Itoa(y), "click", "1")
}

// waitLockScreen waits, after the window's start, for its debug record that the lock screen is
// shown and then for the screen to settle: keys pressed before (at "Starting SCR Desk…", drawn
// while the audit log opens) are not the lock screen's. The window runs with --log-level debug.
func (d *driver) waitLockScreen(name string) image.Image {
	d.t.Helper()
	waitLogRecord(d.t, d.dir, `msg="screen shown" screen=lock`, 60*time.Second)
	return d.settle(name)
}

// cardIn presses key, which puts a demo card in, and waits until the passcode field has the
// keyboard. Typed sooner, the digits would go to the lock screen's "Reading your smartcard…",
// which takes none (a person sees the field before typing).
func (d *driver) cardIn(key string) {
	d.t.Helper()
	d.untilFocus("passcode", func() { d.key(key) })
}

// untilFocus does act, then waits for the window's next debug record that field ("passcode",
// "NHS number", "role", "emergency reason") took the keyboard: written in the UI update that
// draws it. The window must run with --log-level debug.
func (d *driver) untilFocus(field string, act func()) {
	d.t.Helper()
	untilLog(d.t, d.dir, focusRecord(field), act)
}

// stageRecord is the shell's debug record that the patient part of the counter shows stage
// (search, checking, question, emergency, opening, record, ...): it is written in the UI update
// that draws it.
func stageRecord(stage string) string { return `msg="patient stage shown" stage=` + stage }

// focusRecord is the debug log's record that field took the keyboard.
func focusRecord(field string) string {
	if strings.ContainsRune(field, ' ') {
		field = strconv.Quote(field)
	}
	return `msg="keyboard focus" field=` + field
}

// untilLog does act, then waits for one more record ending with text in the debug log of the
// window on data folder dir than there was before.
func untilLog(t testing.TB, dir, text string, act func()) {
	t.Helper()
	n := logRecords(dir, text)
	act()
	eventually(t, 30*time.Second, "the debug log's record "+text, func() (bool, string) {
		m := logRecords(dir, text)
		return m > n, fmt.Sprintf("%d such records, %d before", m, n)
	})
}

// logRecords counts the records of the debug log of the window on data folder dir that end
// with text.
func logRecords(dir, text string) int {
	b, _ := os.ReadFile(filepath.Join(dir, "state", "scrdesk.log"))
	return strings.Count(string(b), text+"\n")
}

// waitLogRecord waits for a record of the debug log of the window on data folder dir that ends
// with text.
func waitLogRecord(t testing.TB, dir, text string, timeout time.Duration) {
	t.Helper()
	eventually(t, timeout, "the debug log's record "+text, func() (bool, string) {
		return logRecords(dir, text) > 0, "none yet"
	})
}

// fits checks, by the window's own geometry, that the window is no larger than the screen.
func (d *driver) fits(what string) {
	d.t.Helper()
	geo := d.geometry()
	sw, sh := 0, 0
	fmt.Sscanf(d.xdo("getdisplaygeometry"), "%d %d", &sw, &sh)
	if geo["WIDTH"] == 0 || geo["WIDTH"] > sw || geo["HEIGHT"] > sh || geo["X"]+geo["WIDTH"] > sw || geo["Y"]+geo["HEIGHT"] > sh {
		d.shot("overflow")
		d.t.Errorf("%s: window %dx%d at %d,%d does not fit the %dx%d screen", what, geo["WIDTH"], geo["HEIGHT"], geo["X"], geo["Y"], sw, sh)
	}
}

// geometry is the window's X, Y, WIDTH and HEIGHT, from xdotool.
func (d *driver) geometry() map[string]int {
	d.t.Helper()
	geo := map[string]int{}
	for _, line := range strings.Split(d.xdo("getwindowgeometry", "--shell", d.win), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			geo[k], _ = strconv.Atoi(v)
		}
	}
	return geo
}

// capture takes the whole screen.
func (d *driver) capture() image.Image {
	d.t.Helper()
	img, err := grabScreen(d.x.display)
	if err != nil {
		d.t.Fatal(err)
	}
	return img
}

// shot saves the screen as NAME.png in the run's folder.
func (d *driver) shot(name string) image.Image {
	d.t.Helper()
	img := d.capture()
	f, err := os.Create(filepath.Join(d.shots, name+".png"))
	if err != nil {
		d.t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		d.t.Fatal(err)
	}
	return img
}

// settle waits until two captures in a row are the same (the frame is drawn, animations
// aside), then keeps it as a screenshot.
func (d *driver) settle(name string) image.Image {
	d.t.Helper()
	prev := d.capture()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(settleGap)
		next := d.capture()
		if diff(prev, next) < 0.002 {
			break
		}
		prev = next
	}
	return d.shot(name)
}

// waitChange waits until the screen differs from before and returns the new screen.
func (d *driver) waitChange(before image.Image, what string) image.Image {
	d.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		now := d.capture()
		if diff(before, now) > 0.002 {
			return now
		}
		time.Sleep(pollEvery)
	}
	d.shot("timeout")
	d.t.Fatalf("timed out waiting for %s: the screen did not change\n%s", what, d.tail())
	return nil
}

// waitChangeFrom waits until the screen changes from what it is now, within timeout.
func (d *driver) waitChangeFrom(what string, timeout time.Duration) image.Image {
	d.t.Helper()
	return d.waitChange(d.capture(), what)
}

// waitSimilar waits until the screen looks like want again (small differences allowed: a
// blinking caret, the alert list).
func (d *driver) waitSimilar(want image.Image, what string) {
	d.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if diff(want, d.capture()) < 0.03 {
			return
		}
		time.Sleep(pollEvery)
	}
	d.shot("timeout")
	d.t.Fatalf("timed out waiting for %s\n%s", what, d.tail())
}

// tail is the end of SCR Desk's output and of its log (which names no patient: the screens
// shown and the fields focused, at --log-level debug), for a failure message.
func (d *driver) tail() string {
	s := d.p.out.String()
	if len(s) > 3000 {
		s = s[len(s)-3000:]
	}
	b, _ := os.ReadFile(filepath.Join(d.dir, "state", "scrdesk.log"))
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return s + "\nthe end of its log:\n" + strings.Join(lines[max(len(lines)-15, 0):], "\n")
}

// headerGrey is the background of a table's header row (Fyne's light input background), and so
// of the header row pinned over the top of the record.
var headerGrey = [3]uint8{0xF3, 0xF3, 0xF3}

// hasPinnedHeader reports whether a table's header row is pinned over the top of the record in a and
// b, two screens of the same table scrolled a few rows apart. In the left half of the screen
// (clear of the scroll bar and the demo panel) the first line where they differ is the first
// row below the pin; just above it (within 60 lines) both must show at least 20 lines mostly of
// the header row's grey. Without the pin the first line that differs is the list's top, and
// above it is the record header, white.
func hasPinnedHeader(a, b image.Image) bool {
	r := a.Bounds()
	// The left half of the window (at the origin, at most 1280 px wide on any screen here): the
	// record's columns, never its scroll bar or the demo panel.
	x0, x1 := r.Min.X+12, r.Min.X+min(r.Dx(), 1280)/2
	same := func(x, y int) bool { return sameColour(a, b, x, y) }
	grey := func(img image.Image, y int) bool {
		n := 0
		for x := x0; x < x1; x++ {
			if cr, cg, cb := rgbAt(img, x, y); cr == headerGrey[0] && cg == headerGrey[1] && cb == headerGrey[2] {
				n++
			}
		}
		return n*2 >= x1-x0
	}
	first := -1
	for y := r.Min.Y; y < r.Max.Y && first < 0; y++ {
		for x := x0; x < x1; x++ {
			if !same(x, y) {
				first = y
				break
			}
		}
	}
	lines := 0
	for y := first - 1; first > 0 && y >= max(first-60, r.Min.Y); y-- {
		if grey(a, y) && grey(b, y) {
			lines++
		}
	}
	return first >= 0 && lines >= 20
}

// amber is the theme's warning colour (screens.WarningAmber): the emergency button.
var amber = [3]uint8{0x8F, 0x4A, 0x00}

// selectionBlue is the theme's selection colour (NHS blue at alpha 0x3F) over the white
// window: the highlighted row of the role list.
var selectionBlue = [3]uint8{192, 215, 237}

// waitColour waits until at least 500 pixels of colour c show.
func (d *driver) waitColour(c [3]uint8, what string) {
	d.t.Helper()
	d.waitColourWithin(c, 0, what)
}

// waitColourWithin waits until at least 500 pixels within tol of colour c (on each channel)
// show: for a blended colour, whose rounding the driver does not fix.
func (d *driver) waitColourWithin(c [3]uint8, tol int, what string) {
	d.t.Helper()
	near := func(a, b uint8) bool { return abs(int(a)-int(b)) <= tol }
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		img := d.capture()
		n := 0
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y += 2 {
			for x := b.Min.X; x < b.Max.X; x += 2 {
				r, g, bl := rgbAt(img, x, y)
				if near(r, c[0]) && near(g, c[1]) && near(bl, c[2]) {
					n++
				}
			}
		}
		if n*4 >= 500 {
			return
		}
		time.Sleep(pollEvery)
	}
	d.shot("timeout")
	d.t.Fatalf("timed out waiting for %s\n%s", what, d.tail())
}

// diff is the share of sampled pixels that differ between two screens.
func diff(a, b image.Image) float64 {
	if a.Bounds() != b.Bounds() {
		return 1
	}
	r := a.Bounds()
	n, changed := 0, 0
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			n++
			if !sameColour(a, b, x, y) {
				changed++
			}
		}
	}
	return float64(changed) / float64(n)
}

type auditRow struct {
	Action    string `json:"action"`
	Reason    string `json:"reason"`
	NHSNumber string `json:"nhs_number"`
}

func (d *driver) rows() []auditRow {
	out, err := exec.Command(binary(d.t), "audit", "export", "--format", "jsonl", "--data-dir", d.dir).Output()
	if err != nil {
		return nil
	}
	var rows []auditRow
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r auditRow
		if json.Unmarshal(sc.Bytes(), &r) == nil {
			rows = append(rows, r)
		}
	}
	return rows
}

func (d *driver) count(action string) int {
	n := 0
	for _, r := range d.rows() {
		if r.Action == action {
			n++
		}
	}
	return n
}

// waitAudit waits for one more audit row with action (and NHS number, if given) than there
// were at the previous wait for the same action.
func (d *driver) waitAudit(action, nhs string, timeout time.Duration) {
	d.t.Helper()
	d.waitRow(action+"|"+nhs, action, func(r auditRow) bool { return nhs == "" || r.NHSNumber == nhs }, timeout)
}

func (d *driver) waitAuditReason(action, reason string, timeout time.Duration) {
	d.t.Helper()
	d.waitRow(action+"|reason:"+reason, action, func(r auditRow) bool { return strings.Contains(r.Reason, reason) }, timeout)
}

var seen = map[string]int{}

// answer answers the permission question with key once it is drawn (one more of the shell's
// "question" records than this driver has answered: its audit row is written before it is
// drawn, and a key pressed at "Checking…" is lost), then waits for the audit row action (for
// nhs) and, for a record, for the record drawn.
func (d *driver) answer(key, action, nhs string) {
	d.t.Helper()
	d.waitAsked()
	d.asked = logRecords(d.dir, stageRecord("question"))
	shown := stageRecord("record")
	records := logRecords(d.dir, shown)
	d.key(key)
	d.waitRow(action+"|"+nhs, action, func(r auditRow) bool { return nhs == "" || r.NHSNumber == nhs }, 30*time.Second)
	if action == "scr-read" {
		eventually(d.t, 30*time.Second, "the record drawn", func() (bool, string) {
			return logRecords(d.dir, shown) > records, d.tail()
		})
	}
}

// waitAsked waits for a permission question drawn that this driver has not answered yet.
func (d *driver) waitAsked() {
	d.t.Helper()
	asked := stageRecord("question")
	eventually(d.t, 30*time.Second, "the permission question drawn", func() (bool, string) {
		n := logRecords(d.dir, asked)
		return n > d.asked, fmt.Sprintf("%d questions drawn, %d answered\n%s", n, d.asked, d.tail())
	})
}

func (d *driver) waitRow(label, action string, ok func(auditRow) bool, timeout time.Duration) {
	d.t.Helper()
	if !d.tryRow(label, action, ok, timeout) {
		d.shot("timeout")
		d.t.Fatalf("timed out waiting for an audit row %q\n%s", action, d.tail())
	}
}

func (d *driver) tryRow(label, action string, ok func(auditRow) bool, timeout time.Duration) bool {
	d.t.Helper()
	key := d.dir + "|" + label
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		n := 0
		for _, r := range d.rows() {
			if r.Action == action && ok(r) {
				n++
			}
		}
		if n > seen[key] {
			seen[key] = n
			return true
		}
		select {
		case err := <-d.p.exited:
			d.t.Fatalf("SCR Desk exited: %v\n%s", err, d.p.out)
		case <-time.After(300 * time.Millisecond):
		}
	}
	return false
}
