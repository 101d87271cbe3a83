//go:build gui

package e2e

// Timing the real window from outside. A second X client (xwatch, github.com/jezek/xgb) on the
// app's private Xvfb subscribes to X Damage on the app's window (raw rectangles: an event for
// every drawing, none merged), sends the key itself through XTEST (the start time is taken just
// before the key press is written to the server) and, after each damage event, grabs a few
// small blocks of the window (a probe: where the screen before the key and the expected screen
// differ most) to tell which drawing was the one that showed the expected screen.
//
// How the frame is decided. X orders everything by request: every event carries the sequence
// number of the last request of this connection the server had processed when it made the
// event, and the server handles requests one at a time. So
//   - a damage event numbered before the key press was drawn before the key was seen: ignored;
//   - an image from GetImage number s holds exactly the drawing of the damage events numbered
//     before s, and none of the later ones.
// measure grabs the probe after every damage event (one grab in flight at a time, another at
// once if more damage came meanwhile; a grab takes a millisecond or two, so each image holds
// one drawing almost always) and compares it with the expected screen. The frame that showed
// the change is in the first image from which every later image matches; the time reported is
// that of the first damage event that image holds and its predecessor does not (the last one
// is reported too, as an upper bound, and how often the two differ). The measurement ends when
// the probe has matched for quietFor and the whole window then looks like the expected screen
// (under 1% of sampled pixels differ); the benchmark then also waits for the audit row the
// change must write. Nothing waits for the window to go quiet: it may never (see
// realwindow_bench_test.go).
//
// Set SCRDESK_REALBENCH_DEBUG=1 to log every measurement's damage events and images.

import (
	"fmt"
	"image"
	"image/color"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/damage"
	"github.com/jezek/xgb/xproto"
	"github.com/jezek/xgb/xtest"
)

// Keysyms the benchmarks press (X11 keysymdef.h).
const (
	ksAltL   xproto.Keysym = 0xffe9
	ksReturn xproto.Keysym = 0xff0d
	ksEscape xproto.Keysym = 0xff1b
	ks1      xproto.Keysym = 0x0031
)

// quietFor is how long the window must keep showing a screen to count as showing it: the
// expected one at the end of a measurement, any one in steady. A focused entry's caret fades for
// about 100 ms in every 500 ms; steady does not count that as a change.
const quietFor = 300 * time.Millisecond

// xwatch is the benchmark's own X client beside the app, watching the app's window.
type xwatch struct {
	tb     testing.TB
	conn   *xgb.Conn
	root   xproto.Window
	win    xproto.Window
	keys   map[xproto.Keysym]xproto.Keycode
	events chan damageAt
}

// damageAt is one damage event on the window: when this client read it, and its sequence number.
type damageAt struct {
	at  time.Time
	seq uint16
}

// watchWindow connects to display, subscribes to damage on window id (as xdotool prints it) at
// the raw-rectangles level (an event for every drawing, none merged), and starts reading.
func watchWindow(tb testing.TB, display, id string) *xwatch {
	tb.Helper()
	n, err := strconv.ParseUint(id, 10, 32)
	if err != nil {
		tb.Fatalf("window id %q: %v", id, err)
	}
	conn, err := xgb.NewConnDisplay(display) // (its log, e.g. "Could not get authority info", is off: grab_test.go)
	if err != nil {
		tb.Fatalf("connect to %s: %v", display, err)
	}
	tb.Cleanup(conn.Close)
	x := &xwatch{tb: tb, conn: conn, win: xproto.Window(n), root: xproto.Setup(conn).DefaultScreen(conn).Root,
		events: make(chan damageAt, 1<<16)}
	if err := damage.Init(conn); err != nil {
		tb.Fatalf("X Damage: %v", err)
	}
	if _, err := damage.QueryVersion(conn, 1, 1).Reply(); err != nil {
		tb.Fatalf("X Damage version: %v", err)
	}
	if err := xtest.Init(conn); err != nil {
		tb.Fatalf("XTEST: %v", err)
	}
	if _, err := xtest.GetVersion(conn, 2, 2).Reply(); err != nil {
		tb.Fatalf("XTEST version: %v", err)
	}
	x.keys = keymap(tb, conn)
	did, err := damage.NewDamageId(conn)
	if err != nil {
		tb.Fatal(err)
	}
	if err := damage.CreateChecked(conn, did, xproto.Drawable(x.win), damage.ReportLevelRawRectangles).Check(); err != nil {
		tb.Fatalf("damage on window %s: %v", id, err)
	}
	go func() {
		for {
			ev, err := conn.WaitForEvent()
			if ev == nil && err == nil {
				close(x.events)
				return
			}
			if d, ok := ev.(damage.NotifyEvent); ok {
				select {
				case x.events <- damageAt{at: time.Now(), seq: d.Sequence}:
				default: // full: nothing drained for minutes (measure drains before it starts)
				}
			}
		}
	}()
	return x
}

// keymap maps each keysym to the first keycode that gives it unshifted.
func keymap(tb testing.TB, conn *xgb.Conn) map[xproto.Keysym]xproto.Keycode {
	tb.Helper()
	s := xproto.Setup(conn)
	r, err := xproto.GetKeyboardMapping(conn, s.MinKeycode, byte(s.MaxKeycode-s.MinKeycode+1)).Reply()
	if err != nil {
		tb.Fatalf("keyboard mapping: %v", err)
	}
	m := map[xproto.Keysym]xproto.Keycode{}
	per := int(r.KeysymsPerKeycode)
	for i := 0; i*per < len(r.Keysyms); i++ {
		ks := r.Keysyms[i*per]
		if _, ok := m[ks]; !ok && ks != 0 {
			m[ks] = xproto.Keycode(int(s.MinKeycode) + i)
		}
	}
	return m
}

func (x *xwatch) keycode(ks xproto.Keysym) xproto.Keycode {
	x.tb.Helper()
	kc, ok := x.keys[ks]
	if !ok {
		x.tb.Fatalf("no keycode for keysym %#x", ks)
	}
	return kc
}

// press holds mods, presses and releases key, releases mods, all through XTEST. It returns the
// time just before the key's press was sent and that request's sequence number: the server
// sees the key after it.
func (x *xwatch) press(key xproto.Keysym, mods ...xproto.Keysym) (time.Time, uint16) {
	x.tb.Helper()
	fake := func(typ byte, ks xproto.Keysym) uint16 {
		return xtest.FakeInput(x.conn, typ, byte(x.keycode(ks)), 0, x.root, 0, 0, 0).Sequence
	}
	for _, m := range mods {
		fake(xproto.KeyPress, m)
	}
	t0 := time.Now()
	seq := fake(xproto.KeyPress, key)
	fake(xproto.KeyRelease, key)
	for i := len(mods) - 1; i >= 0; i-- {
		fake(xproto.KeyRelease, mods[i])
	}
	return t0, seq
}

// shot is the whole window's pixels (ZPixmap, 4 bytes a pixel, BGRX).
type shot struct {
	w, h int
	px   []byte
}

// now grabs the whole window.
func (x *xwatch) now() shot {
	x.tb.Helper()
	g, err := xproto.GetGeometry(x.conn, xproto.Drawable(x.win)).Reply()
	if err != nil {
		x.tb.Fatalf("window geometry: %v", err)
	}
	r, err := xproto.GetImage(x.conn, xproto.ImageFormatZPixmap, xproto.Drawable(x.win), 0, 0, g.Width, g.Height, 0xffffffff).Reply()
	if err != nil {
		x.tb.Fatalf("grab the window: %v", err)
	}
	s := shot{w: int(g.Width), h: int(g.Height), px: r.Data}
	if len(s.px) < s.w*s.h*4 {
		x.tb.Fatalf("GetImage: %d bytes for %dx%d (not 32 bits a pixel)", len(s.px), s.w, s.h)
	}
	return s
}

// drain forgets the damage seen so far.
func (x *xwatch) drain() {
	for {
		select {
		case <-x.events:
		default:
			return
		}
	}
}

// steady waits until the window's pixels have stayed the same (under 0.2% of the sampled
// pixels differ: a caret's fade is less) for quietFor, at most timeout, and returns the window
// then. It looks at the pixels, not at the damage: a window may repaint the same picture
// without end (see realwindow_bench_test.go).
func (x *xwatch) steady(timeout time.Duration, what string) shot {
	x.tb.Helper()
	deadline := time.Now().Add(timeout)
	base := x.now()
	since := time.Now()
	for time.Now().Before(deadline) {
		time.Sleep(quietFor / 4)
		s := x.now()
		if s.differ(base) >= 0.002 {
			base, since = s, time.Now()
			continue
		}
		if time.Since(since) >= quietFor {
			return s
		}
	}
	save(x.tb, "realbench-busy", x.now().image())
	x.tb.Fatalf("the window never stopped changing within %v (%s)", timeout, what)
	return shot{}
}

// probe is a few small blocks of the window where the screen before the input and the
// expected one differ most: grabbing them after every damage event costs the X server and the
// app little (a whole 1280x800 window is 4 MB, a block 16 KB), so the benchmark watches every
// frame without slowing the frames it watches. The whole window is compared once the blocks
// have matched.
type probe struct {
	rects []xproto.Rectangle
	want  [][]byte // the expected screen's pixels in each block
}

// Probe blocks: the window cut into a grid of blockW x blockH, at most probeBlocks of them, no
// two touching, each with at least a quarter of its pixels changed.
const (
	blockW, blockH = 64, 40
	probeBlocks    = 4
)

// newProbe picks the blocks from the window before the input and the expected screen.
func newProbe(tb testing.TB, before, want shot) probe {
	tb.Helper()
	if before.w != want.w || before.h != want.h {
		tb.Fatalf("the window changed size (%dx%d, then %dx%d)", before.w, before.h, want.w, want.h)
	}
	type block struct{ x, y, n int }
	var blocks []block
	for y := 0; y+blockH <= want.h; y += blockH {
		for x := 0; x+blockW <= want.w; x += blockW {
			n := 0
			for j := y; j < y+blockH; j++ {
				for i := x; i < x+blockW; i++ {
					if !samePixel(before.px, want.px, (j*want.w+i)*4) {
						n++
					}
				}
			}
			if n*4 >= blockW*blockH {
				blocks = append(blocks, block{x, y, n})
			}
		}
	}
	slices.SortStableFunc(blocks, func(a, b block) int { return b.n - a.n })
	var p probe
	for _, b := range blocks {
		near := false
		for _, r := range p.rects {
			if abs(int(r.X)-b.x) <= blockW && abs(int(r.Y)-b.y) <= blockH {
				near = true
			}
		}
		if near {
			continue
		}
		r := xproto.Rectangle{X: int16(b.x), Y: int16(b.y), Width: blockW, Height: blockH}
		p.rects = append(p.rects, r)
		p.want = append(p.want, want.block(r))
		if len(p.rects) == probeBlocks {
			break
		}
	}
	if len(p.rects) == 0 {
		tb.Fatal("the expected screen hardly differs from the one before the input: nothing to watch")
	}
	return p
}

// probeShot is the probe's blocks as of request seq (the first of its requests; see measure).
type probeShot struct {
	seq    uint16
	at     time.Time
	blocks [][]byte
	err    error
}

// grabProbe asks for the probe's blocks and returns at once; they arrive on the channel.
func (x *xwatch) grabProbe(p probe) <-chan probeShot {
	cookies := make([]xproto.GetImageCookie, len(p.rects))
	for i, r := range p.rects {
		cookies[i] = xproto.GetImage(x.conn, xproto.ImageFormatZPixmap, xproto.Drawable(x.win), r.X, r.Y, r.Width, r.Height, 0xffffffff)
	}
	ch := make(chan probeShot, 1)
	s := probeShot{seq: cookies[0].Sequence}
	go func() {
		for i, c := range cookies {
			r, err := c.Reply()
			if err == nil && len(r.Data) < int(p.rects[i].Width)*int(p.rects[i].Height)*4 {
				err = fmt.Errorf("GetImage: %d bytes for a %dx%d block", len(r.Data), p.rects[i].Width, p.rects[i].Height)
			}
			if err != nil {
				s.err = err
				break
			}
			s.blocks = append(s.blocks, r.Data)
		}
		s.at = time.Now()
		ch <- s
	}()
	return ch
}

// matches reports whether every block of s is the expected one (under 2% of its pixels differ).
func (p probe) matches(s probeShot) bool {
	for i, b := range s.blocks {
		n := 0
		for j := 0; j+3 < len(p.want[i]); j += 4 {
			if !samePixel(b, p.want[i], j) {
				n++
			}
		}
		if n*50 >= len(p.want[i])/4 {
			return false
		}
	}
	return true
}

// frame is one measurement: from the input to the first damage of the frame that showed the
// expected screen.
type frame struct {
	toFrame time.Duration // input -> the first damage event the deciding image holds
	upper   time.Duration // input -> the last one: the frame was drawn between the two
	shared  int           // damage events the deciding image holds beside the first
}

// seqBefore reports whether sequence number a came before b (they wrap at 2^16).
func seqBefore(a, b uint16) bool { return int16(a-b) < 0 }

// measure sends the input (input returns its time and sequence number, as press does), then
// follows the window's damage and the probe's blocks until they show want (the expected
// screen, before being the window just before the input) and keep showing it for quietFor,
// and the whole window then looks like want; at most timeout. See the top of this file for how
// the frame is decided.
//
// A probe image is several GetImage requests, sent together; it is dated by the first. A frame
// drawn between them leaves the image mixed (no match); the next image then holds it, and
// since intervals start at the previous image's first request, the frame's damage is counted
// in the interval of the image that matched.
func (x *xwatch) measure(what string, input func() (time.Time, uint16), before, want shot, timeout time.Duration) frame {
	x.tb.Helper()
	p := newProbe(x.tb, before, want)
	x.drain()
	t0, s0 := input()
	var events []damageAt
	var shots []probeShot
	var pending <-chan probeShot
	needGrab := false
	matchedAt := time.Time{} // when the run of matching images that the last one ends began
	deadline := time.After(timeout)
	tick := time.NewTicker(quietFor / 10)
	defer tick.Stop()
	for {
		select {
		case e := <-x.events:
			if seqBefore(e.seq, s0) {
				continue // drawn before the key reached the server
			}
			events = append(events, e)
			if pending == nil {
				pending = x.grabProbe(p)
			} else {
				needGrab = true
			}
		case s := <-pending:
			pending = nil
			if s.err != nil {
				x.tb.Fatalf("%s: grab the window: %v", what, s.err)
			}
			shots = append(shots, s)
			switch {
			case !p.matches(s):
				matchedAt = time.Time{}
			case matchedAt.IsZero():
				matchedAt = s.at
			}
			if needGrab || (len(events) > 0 && !seqBefore(events[len(events)-1].seq, s.seq)) {
				needGrab = false
				pending = x.grabProbe(p)
			}
		case <-tick.C:
			if pending != nil || matchedAt.IsZero() || time.Since(matchedAt) < quietFor {
				continue
			}
			if whole := x.now(); !whole.like(want) {
				matchedAt = time.Time{} // the blocks are right, the rest is not yet
				continue
			}
			return decide(x.tb, what, t0, s0, events, shots, p.matches)
		case <-deadline:
			save(x.tb, "realbench-timeout", x.now().image())
			x.tb.Fatalf("%s: the window did not show the expected screen within %v (%d damage events, %d images)", what, timeout, len(events), len(shots))
		}
	}
}

// decide finds, in shots (the last of which matches), the frame that showed the change.
func decide(tb testing.TB, what string, t0 time.Time, s0 uint16, events []damageAt, shots []probeShot, match func(probeShot) bool) frame {
	tb.Helper()
	first := len(shots) - 1
	for first > 0 && match(shots[first-1]) {
		first--
	}
	from := s0
	if first > 0 {
		from = shots[first-1].seq
	}
	var held []damageAt
	for _, e := range events {
		if !seqBefore(e.seq, from) && seqBefore(e.seq, shots[first].seq) {
			held = append(held, e)
		}
	}
	if len(held) == 0 {
		tb.Fatalf("%s: the image that first matched holds no damage after the input", what)
	}
	if os.Getenv("SCRDESK_REALBENCH_DEBUG") != "" {
		var ev, sh []string
		for _, e := range events {
			ev = append(ev, fmt.Sprintf("%d@%.1f", e.seq, ms(e.at.Sub(t0))))
		}
		for _, s := range shots {
			sh = append(sh, fmt.Sprintf("%d@%.1f:%v", s.seq, ms(s.at.Sub(t0)), match(s)))
		}
		tb.Logf("%s: input seq %d; damage %v; images %v; deciding image %d", what, s0, ev, sh, first)
	}
	return frame{
		toFrame: held[0].at.Sub(t0),
		upper:   held[len(held)-1].at.Sub(t0),
		shared:  len(held) - 1,
	}
}

// samePixel compares the pixel at byte offset i of a and b (BGRX; X is not looked at).
func samePixel(a, b []byte, i int) bool {
	return a[i] == b[i] && a[i+1] == b[i+1] && a[i+2] == b[i+2]
}

func abs(n int) int { return max(n, -n) }

// block is s's pixels inside r, row after row.
func (s shot) block(r xproto.Rectangle) []byte {
	out := make([]byte, 0, int(r.Width)*int(r.Height)*4)
	for y := int(r.Y); y < int(r.Y)+int(r.Height); y++ {
		i := (y*s.w + int(r.X)) * 4
		out = append(out, s.px[i:i+int(r.Width)*4]...)
	}
	return out
}

// differ is the share of sampled pixels (every third, both ways) that differ between a and b;
// images of different sizes differ everywhere.
func (a shot) differ(b shot) float64 {
	if a.w != b.w || a.h != b.h {
		return 1
	}
	n, d := 0, 0
	for y := 0; y < a.h; y += 3 {
		for x := 0; x < a.w; x += 3 {
			i := (y*a.w + x) * 4
			n++
			if a.px[i] != b.px[i] || a.px[i+1] != b.px[i+1] || a.px[i+2] != b.px[i+2] {
				d++
			}
		}
	}
	return float64(d) / float64(n)
}

// like reports whether s shows the same screen as ref: under 1% of the sampled pixels differ
// (a caret, a clock's digits); one screen against another differs in far more.
func (s shot) like(ref shot) bool { return s.differ(ref) < 0.01 }

// image is s as an image, to save for a person to look at.
func (s shot) image() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, s.w, s.h))
	for y := 0; y < s.h; y++ {
		for x := 0; x < s.w; x++ {
			i := (y*s.w + x) * 4
			img.Set(x, y, color.RGBA{R: s.px[i+2], G: s.px[i+1], B: s.px[i], A: 0xff})
		}
	}
	return img
}
