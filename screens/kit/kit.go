// Package kit holds the few widgets every SCR Desk screen shares, made for a counter used from
// the keyboard:
//
//   - Button: a widget.Button with a focus ring that is seen on every importance (Fyne's own
//     focus is a faint blend, invisible on a blue button), that Enter presses as well as Space,
//     and that passes every other key to the window (Canvas.OnTypedKey), so that Page Down
//     scrolls the record and Escape closes the patient whatever button has the focus.
//   - Label: a one-line label that ellipsizes instead of widening the window, with the full
//     text shown on hover and kept as its accessible name.
//   - FollowFocus: a scroll that keeps the focused control in view (Tab and Shift+Tab move the
//     scroll with the focus), with the Entry, Select and Check that tell it when they gain the
//     focus (Button does too).
//   - Contrast, Over and Tint: WCAG 2.x contrast arithmetic, for the theme's contrast test and
//     for tinted backgrounds that must keep text readable.
//
// Call everything on the UI goroutine.
package kit

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// FocusRing is the colour of the focus ring: black, which has at least 3:1 contrast (WCAG
// 1.4.11) against the white background and against every button colour of the theme (the
// contrast test checks it).
var FocusRing = color.NRGBA{A: 0xFF}

// FocusRingWidth is the ring's stroke width in Fyne units.
const FocusRingWidth = 3

// Button is a push button with a visible focus ring, pressed by Space or Enter, that passes
// every other key to its window.
type Button struct {
	widget.Button
	focused bool
	ring    *canvas.Rectangle
	reveal  func() // set by FollowFocus
}

// NewButton returns a button; text should name its key, e.g. "Lock (Ctrl+L)".
func NewButton(text string, icon fyne.Resource, tapped func()) *Button {
	b := &Button{}
	b.Text, b.Icon, b.OnTapped = text, icon, tapped
	b.ExtendBaseWidget(b)
	return b
}

// CreateRenderer wraps the button's renderer with the focus ring.
func (b *Button) CreateRenderer() fyne.WidgetRenderer {
	b.ExtendBaseWidget(b)
	r := b.Button.CreateRenderer()
	b.ring = canvas.NewRectangle(color.Transparent)
	b.ring.StrokeColor = FocusRing
	b.ring.StrokeWidth = FocusRingWidth
	b.ring.CornerRadius = theme.Size(theme.SizeNameInputRadius)
	b.ring.Hidden = !b.focused
	return &ringRenderer{WidgetRenderer: r, ring: b.ring, focused: func() bool { return b.focused }}
}

// FocusGained shows the ring.
func (b *Button) FocusGained() {
	b.focused = true
	b.Button.FocusGained()
	reveal(b.reveal)
}

// FocusLost hides the ring.
func (b *Button) FocusLost() {
	b.focused = false
	b.Button.FocusLost()
}

// Focused reports whether the button has the keyboard focus (and so shows its ring).
func (b *Button) Focused() bool { return b.focused }

// TypedKey presses the button on Space or Enter and hands every other key to the window.
func (b *Button) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeySpace, fyne.KeyReturn, fyne.KeyEnter:
		b.Button.TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
		return
	}
	PassKey(b, ev)
}

// TypedRune hands typed characters to the window (a button takes none), so that the answer
// keys of a question work while one of its buttons has the focus.
func (b *Button) TypedRune(r rune) { PassRune(b, r) }

// ReadList is a list whose rows are read, not chosen: the record, the alert strip. A click in
// it gives it the keyboard focus (Fyne focuses a tapped list), so it passes every key and
// character on to the window: the window's keys (Escape, Page Up/Down, Home, End, the arrows)
// work wherever the focus is, and a tapped row is not left selected. A plain widget.List there
// kept Escape (a click on the alert strip while an alert waited, and Escape no longer closed
// the patient).
type ReadList struct{ widget.List }

// NewReadList makes a ReadList; its functions can also be set afterwards (before it is shown).
func NewReadList(length func() int, create func() fyne.CanvasObject, update func(widget.ListItemID, fyne.CanvasObject)) *ReadList {
	l := &ReadList{}
	l.Length, l.CreateItem, l.UpdateItem = length, create, update
	l.OnSelected = func(id widget.ListItemID) { l.Unselect(id) }
	l.ExtendBaseWidget(l)
	return l
}

// TypedKey hands the key to the window.
func (l *ReadList) TypedKey(ev *fyne.KeyEvent) { PassKey(l, ev) }

// TypedRune hands the character to the window.
func (l *ReadList) TypedRune(r rune) { PassRune(l, r) }

// PassRune hands r to the window canvas's rune handler of o.
func PassRune(o fyne.CanvasObject, r rune) {
	a := fyne.CurrentApp()
	if a == nil {
		return
	}
	if c := a.Driver().CanvasForObject(o); c != nil {
		if f := c.OnTypedRune(); f != nil {
			f(r)
		}
	}
}

// PassKey hands ev to the window canvas's key handler of o, as if nothing had the focus: the
// way a focused widget gives the window the keys it does not use itself.
func PassKey(o fyne.CanvasObject, ev *fyne.KeyEvent) {
	a := fyne.CurrentApp()
	if a == nil {
		return
	}
	if c := a.Driver().CanvasForObject(o); c != nil {
		if f := c.OnTypedKey(); f != nil {
			f(ev)
		}
	}
}

type ringRenderer struct {
	fyne.WidgetRenderer
	ring    *canvas.Rectangle
	focused func() bool
}

func (r *ringRenderer) Layout(s fyne.Size) {
	r.WidgetRenderer.Layout(s)
	r.ring.Move(fyne.NewPos(0, 0))
	r.ring.Resize(s)
}

func (r *ringRenderer) Objects() []fyne.CanvasObject {
	return append(r.WidgetRenderer.Objects(), r.ring)
}

func (r *ringRenderer) Refresh() {
	r.WidgetRenderer.Refresh()
	r.ring.Hidden = !r.focused()
	r.ring.Refresh()
}

// Label is a one-line label that ellipsizes rather than widening the window. Its full text is
// its accessible name (widget.Label's) and shows in a small pop-up while the pointer is over it.
type Label struct {
	widget.Label
	tip *widget.PopUp
}

// NewLabel returns an ellipsizing label.
func NewLabel(text string) *Label {
	l := &Label{}
	l.Text = text
	l.Truncation = fyne.TextTruncateEllipsis
	l.ExtendBaseWidget(l)
	return l
}

// Truncated reports whether the label is too narrow for its text (so the ellipsis shows).
func (l *Label) Truncated() bool {
	if l.Wrapping != fyne.TextWrapOff && l.Truncation == fyne.TextTruncateOff {
		return false // a wrapping label shows its whole text
	}
	return l.TextWidth() > l.Size().Width+0.5
}

// TextWidth is the width the label needs to show its whole text on one line.
func (l *Label) TextWidth() float32 {
	if l.Text == "" {
		return 0
	}
	size := theme.TextSize()
	if l.SizeName != "" {
		size = theme.Size(l.SizeName)
	}
	return fyne.MeasureText(l.Text, size, l.TextStyle).Width + 2*theme.Size(theme.SizeNameInnerPadding)
}

// MouseIn shows the full text when it is cut short.
func (l *Label) MouseIn(ev *desktop.MouseEvent) {
	if !l.Truncated() || l.Text == "" {
		return
	}
	a := fyne.CurrentApp()
	if a == nil {
		return
	}
	c := a.Driver().CanvasForObject(l)
	if c == nil {
		return
	}
	full := widget.NewLabel(l.Text)
	full.TextStyle = l.TextStyle
	full.Wrapping = fyne.TextWrapWord
	l.hideTip()
	l.tip = widget.NewPopUp(full, c)
	pos := a.Driver().AbsolutePositionForObject(l)
	w := min(fyne.MeasureText(l.Text, theme.TextSize(), l.TextStyle).Width+4*theme.Padding(), c.Size().Width-2*theme.Padding())
	full.Resize(fyne.NewSize(w, full.MinSize().Height))
	l.tip.Resize(fyne.NewSize(w, full.MinSize().Height))
	x := min(pos.X, c.Size().Width-w-theme.Padding())
	l.tip.ShowAtPosition(fyne.NewPos(max(x, 0), pos.Y+l.Size().Height))
}

// MouseMoved is part of desktop.Hoverable.
func (l *Label) MouseMoved(*desktop.MouseEvent) {}

// MouseOut hides the full text.
func (l *Label) MouseOut() { l.hideTip() }

func (l *Label) hideTip() {
	if l.tip != nil {
		l.tip.Hide()
		l.tip = nil
	}
}

// Luminance is the WCAG relative luminance of c (alpha ignored).
func Luminance(c color.Color) float64 {
	r, g, b, _ := color.NRGBAModel.Convert(c).RGBA()
	lin := func(v uint32) float64 {
		s := float64(v>>8) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// Contrast is the WCAG contrast ratio of two opaque colours (1 to 21).
func Contrast(a, b color.Color) float64 {
	la, lb := Luminance(a), Luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// Over composites c (with its alpha) over the opaque colour bg, as the screen shows it.
func Over(c, bg color.Color) color.NRGBA {
	f := color.NRGBAModel.Convert(c).(color.NRGBA)
	b := color.NRGBAModel.Convert(bg).(color.NRGBA)
	a := float64(f.A) / 255
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*a + float64(y)*(1-a))) }
	return color.NRGBA{R: mix(f.R, b.R), G: mix(f.G, b.G), B: mix(f.B, b.B), A: 0xFF}
}

// Tint is c at alpha a (0-255), for a tinted background.
func Tint(c color.Color, a uint8) color.NRGBA {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	n.A = a
	return n
}

// The tints the record uses behind its rows, here so that the contrast test checks the very
// colours drawn.
const (
	AllergyHeadingTint = 0x24 // allergy section heading: error colour at this alpha
	AllergyRowTint     = 0x12 // allergy table rows
	StatementTint      = 0x30 // a statement that must stand out: warning colour at this alpha
)

// Column lays one object out centred in at most maxWidth, at the height it needs at that width
// (centred vertically when there is room): a screen's text wraps in a readable column instead
// of widening the window.
func Column(maxWidth float32, o fyne.CanvasObject) *fyne.Container {
	return container.New(&column{max: maxWidth}, o)
}

type column struct{ max float32 }

func (c *column) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		w := min(size.Width, c.max)
		o.Resize(fyne.NewSize(w, o.MinSize().Height))
		h := o.MinSize().Height
		o.Move(fyne.NewPos((size.Width-w)/2, max((size.Height-h)/2, 0)))
		o.Resize(fyne.NewSize(w, max(h, 0)))
	}
}

func (c *column) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		m := o.MinSize()
		s = s.Max(fyne.NewSize(min(m.Width, c.max), m.Height))
	}
	return s
}

// Lines stacks objects top to bottom with no gap, each at the full width and at the height it
// needs at that width. Unlike a VBox it sets every child's width before measuring it (hidden
// children too, so one shown later is measured at the width it will have): a wrapping label
// is never given the height of its one-line self and drawn over the line below it.
// MinSize is the children's heights at the widths last laid out, so after the container's own
// layout has run once, re-laying out its parent gives it the height it really needs.
func Lines(objs ...fyne.CanvasObject) *fyne.Container {
	return container.New(lines{}, objs...)
}

type lines struct{}

func (lines) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	y := float32(0)
	for _, o := range objs {
		o.Resize(fyne.NewSize(size.Width, o.Size().Height)) // the width first: a label re-wraps
		if !o.Visible() {
			continue
		}
		h := o.MinSize().Height
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(size.Width, h))
		y += h
	}
}

func (lines) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		m := o.MinSize()
		s.Width = max(s.Width, m.Width)
		s.Height += m.Height
	}
	return s
}

// TextArea is a multi-line, wrapping entry that leaves Tab and Shift+Tab to move the focus: a
// plain multi-line entry takes Tab as a character, so the keyboard could not leave it (a
// keyboard walk was held in a case's note field, and its Close buttons could only be clicked).
type TextArea struct {
	widget.Entry
	// OnEscape, when set, is called for Escape (a plain entry keeps Escape to itself).
	OnEscape func()
}

// NewTextArea returns an empty TextArea.
func NewTextArea() *TextArea {
	e := &TextArea{}
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapWord
	e.ExtendBaseWidget(e)
	return e
}

// AcceptsTab is false: Tab moves the focus on (fyne.Tabbable).
func (e *TextArea) AcceptsTab() bool { return false }

// TypedKey sends Escape to OnEscape (when set) and everything else to the entry.
func (e *TextArea) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape && e.OnEscape != nil {
		e.OnEscape()
		return
	}
	e.Entry.TypedKey(k)
}
