//go:build gui

package e2e

// Screens read straight from the X server. Every wait in this package looks at the screen again
// and again; it used to run ImageMagick's import, which encoded each screen as a PNG that the
// test then decoded, and read every pixel through image.Image's At (a colour interface, an
// allocation a pixel): with the race detector, the test process spent more CPU than the window
// it drove, on a 2-core machine. grabScreen asks the server for the root window's pixels with
// one GetImage request on a connection kept per display, and rgbAt reads them from the bytes.

import (
	"fmt"
	"image"
	"io"
	"sync"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// settleGap is the least time between the two looks at the screen that must agree for it to
// count as settled. A look took 100-200 ms with import; reading the pixels takes a few, and two
// looks a few milliseconds apart could both fall before the next frame is drawn.
const settleGap = 150 * time.Millisecond

// xgb logs a read error when a connection ends, as every one here does when its server stops.
func init() { xgb.Logger.SetOutput(io.Discard) }

var grabs struct {
	sync.Mutex
	conns map[string]*xgb.Conn
}

// grabScreen is the whole screen of X display (":N") as RGBA pixels.
func grabScreen(display string) (*image.RGBA, error) {
	grabs.Lock()
	defer grabs.Unlock()
	c := grabs.conns[display]
	if c == nil {
		var err error
		c, err = xgb.NewConnDisplay(display)
		if err != nil {
			return nil, fmt.Errorf("connect to X display %s: %w", display, err)
		}
		if grabs.conns == nil {
			grabs.conns = map[string]*xgb.Conn{}
		}
		grabs.conns[display] = c
	}
	scr := xproto.Setup(c).DefaultScreen(c)
	w, h := int(scr.WidthInPixels), int(scr.HeightInPixels)
	type reply struct {
		r   *xproto.GetImageReply
		err error
	}
	got := make(chan reply, 1)
	go func() {
		r, err := xproto.GetImage(c, xproto.ImageFormatZPixmap, xproto.Drawable(scr.Root), 0, 0, uint16(w), uint16(h), 0xffffffff).Reply()
		got <- reply{r, err}
	}()
	var r reply
	select {
	case r = <-got:
	case <-time.After(20 * time.Second): // a server gone away: xgb never answers the request
		r.err = fmt.Errorf("no answer in 20 s")
	}
	if r.err == nil && len(r.r.Data) < w*h*4 {
		r.err = fmt.Errorf("%d bytes for %dx%d (not 32 bits a pixel)", len(r.r.Data), w, h)
	}
	if r.err != nil {
		c.Close()
		delete(grabs.conns, display)
		return nil, fmt.Errorf("read the screen of X display %s: %w", display, r.err)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	p, d := img.Pix, r.r.Data
	for i := 0; i < len(p); i += 4 { // ZPixmap at depth 24 is B, G, R, unused
		p[i], p[i+1], p[i+2], p[i+3] = d[i+2], d[i+1], d[i], 0xff
	}
	return img, nil
}

// forgetDisplay closes the kept connection to display, before its server stops (a later server
// may be given the same display number).
func forgetDisplay(display string) {
	grabs.Lock()
	defer grabs.Unlock()
	if c := grabs.conns[display]; c != nil {
		c.Close()
		delete(grabs.conns, display)
	}
}

// rgbAt is the colour at x, y of img, from the pixel bytes for the *image.RGBA screens this
// package grabs, through At for any other image.
func rgbAt(img image.Image, x, y int) (r, g, b uint8) {
	if m, ok := img.(*image.RGBA); ok {
		i := m.PixOffset(x, y)
		return m.Pix[i], m.Pix[i+1], m.Pix[i+2]
	}
	cr, cg, cb, _ := img.At(x, y).RGBA()
	return uint8(cr >> 8), uint8(cg >> 8), uint8(cb >> 8)
}

// sameColour reports whether a and b have the same colour at x, y.
func sameColour(a, b image.Image, x, y int) bool {
	r1, g1, b1 := rgbAt(a, x, y)
	r2, g2, b2 := rgbAt(b, x, y)
	return r1 == r2 && g1 == g2 && b1 == b2
}
