package kit

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Fyne 2.8's scroll container does not follow the keyboard focus (fyne-io/fyne#3029, open):
// Tab moves the focus to a control below the visible part and the scroll stays where it is, so
// a keyboard user types into a field they cannot see. Fyne tells no one when the focus moves
// but the control itself (FocusGained), so the controls below gain the focus and then reveal
// themselves in the scroll that FollowFocus gave them.

// FollowFocus makes s scroll, whenever one of its controls gains the keyboard focus (Tab,
// Shift+Tab, a click on a control half out of view), so that the control is wholly in view:
// every Entry, Select, Check and Button of this package in s's content, found through
// containers (not inside other widgets or nested scrolls). Call after the content is built
// (again if controls are added later), on the UI goroutine.
func FollowFocus(s *container.Scroll) {
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch o := o.(type) {
		case follower:
			o.onFocus(func() { Reveal(s, o) })
		case *fyne.Container:
			for _, ch := range o.Objects {
				walk(ch)
			}
		}
	}
	walk(s.Content)
}

// follower is a control that can say when it gains the focus.
type follower interface {
	fyne.CanvasObject
	onFocus(func())
}

// Reveal scrolls s vertically the least that brings all of o (an object in s's content) into
// view, with a padding's margin where there is room; an object taller than the view shows its
// top. Nothing moves when o is already in view, or is not on a canvas. Call on the UI
// goroutine, once s and o are laid out.
func Reveal(s *container.Scroll, o fyne.CanvasObject) {
	a := fyne.CurrentApp()
	if a == nil || s.Content == nil || a.Driver().CanvasForObject(o) == nil {
		return
	}
	d := a.Driver()
	top := d.AbsolutePositionForObject(o).Y - d.AbsolutePositionForObject(s).Y
	bottom := top + o.Size().Height
	view := s.Size().Height
	margin := theme.Padding()
	y := s.Offset.Y
	switch {
	case top < 0 || bottom-top > view:
		y += top - margin
	case bottom > view:
		y += bottom - view + margin
	default:
		return
	}
	y = min(max(y, 0), max(s.Content.Size().Height-view, 0))
	if y != s.Offset.Y {
		s.ScrollToOffset(fyne.NewPos(s.Offset.X, y))
	}
}

// Entry is a widget.Entry that reveals itself in its FollowFocus scroll as it gains the focus.
type Entry struct {
	widget.Entry
	reveal func()
}

// NewEntry returns a one-line entry, as widget.NewEntry does.
func NewEntry() *Entry {
	e := &Entry{}
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip) // widget.NewEntry's
	e.ExtendBaseWidget(e)
	return e
}

// FocusGained is part of fyne.Focusable.
func (e *Entry) FocusGained() {
	e.Entry.FocusGained()
	reveal(e.reveal)
}

func (e *Entry) onFocus(f func()) { e.reveal = f }

// Select is a widget.Select that reveals itself in its FollowFocus scroll as it gains the focus.
type Select struct {
	widget.Select
	reveal func()
}

// NewSelect returns a select of options, as widget.NewSelect does.
func NewSelect(options []string, changed func(string)) *Select {
	s := &Select{}
	s.Options, s.OnChanged = options, changed
	s.PlaceHolder = widget.NewSelect(nil, nil).PlaceHolder // the translated "(Select one)"
	s.ExtendBaseWidget(s)
	return s
}

// FocusGained is part of fyne.Focusable.
func (s *Select) FocusGained() {
	s.Select.FocusGained()
	reveal(s.reveal)
}

func (s *Select) onFocus(f func()) { s.reveal = f }

// Check is a widget.Check that reveals itself in its FollowFocus scroll as it gains the focus.
type Check struct {
	widget.Check
	reveal func()
}

// NewCheck returns a check box, as widget.NewCheck does.
func NewCheck(label string, changed func(bool)) *Check {
	c := &Check{}
	c.Text, c.OnChanged = label, changed
	c.ExtendBaseWidget(c)
	return c
}

// FocusGained is part of fyne.Focusable.
func (c *Check) FocusGained() {
	c.Check.FocusGained()
	reveal(c.reveal)
}

func (c *Check) onFocus(f func()) { c.reveal = f }

func (b *Button) onFocus(f func()) { b.reveal = f }

func reveal(f func()) {
	if f != nil {
		f()
	}
}
