package kit

import (
	"fmt"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// inView reports whether o lies wholly inside the visible part of s.
func inView(s *container.Scroll, o fyne.CanvasObject) bool {
	d := fyne.CurrentApp().Driver()
	top := d.AbsolutePositionForObject(o).Y - d.AbsolutePositionForObject(s).Y
	return top >= 0 && top+o.Size().Height <= s.Size().Height+0.5
}

// TestFollowFocusKeepsTheFocusedControlInView: a scroll of twenty rows of every kind of
// control, four rows high, under a button outside it. Tab through all of them and back with
// Shift+Tab: each control in the scroll is wholly in view as it gets the focus, the scroll moved
// to get there (both ways), and a control already in view does not move the scroll.
func TestFollowFocusKeepsTheFocusedControlInView(t *testing.T) {
	test.NewTempApp(t)
	var inside []fyne.Focusable
	var rows []fyne.CanvasObject
	for i := range 20 {
		var f fyne.Focusable
		switch i % 4 {
		case 0:
			e := NewEntry()
			e.SetText(fmt.Sprint("entry ", i))
			f = e
		case 1:
			f = NewSelect([]string{"a", "b"}, nil)
		case 2:
			f = NewCheck(fmt.Sprint("check ", i), nil)
		default:
			f = NewButton(fmt.Sprint("button ", i), nil, nil)
		}
		inside = append(inside, f)
		// Nested as a form nests them: a label beside, a box around.
		rows = append(rows, container.NewBorder(nil, nil, widget.NewLabel(fmt.Sprint("row ", i)), nil, container.NewVBox(f.(fyne.CanvasObject))))
	}
	s := container.NewVScroll(container.NewVBox(rows...))
	FollowFocus(s)
	outside := widget.NewButton("outside", nil)
	w := test.NewTempWindow(t, container.NewBorder(nil, outside, nil, nil, s))
	one := rows[0].MinSize().Height
	w.Resize(fyne.NewSize(400, 4*one+outside.MinSize().Height+3*8))
	c := w.Canvas()
	if inView(s, inside[len(inside)-1].(fyne.CanvasObject)) {
		t.Fatal("the last control is in view before any Tab: this window tests nothing")
	}
	c.Focus(inside[0])
	walk := func(dir string, next func(), order []fyne.Focusable) {
		moved := false
		for i, want := range order {
			before := s.Offset.Y
			wasInView := inView(s, want.(fyne.CanvasObject))
			next()
			if c.Focused() != want {
				t.Fatalf("%s %d focused %T, want %T", dir, i, c.Focused(), want)
			}
			if !inView(s, want.(fyne.CanvasObject)) {
				t.Errorf("%s %d: the focused %T is not wholly in view (scroll at %v)", dir, i, want, s.Offset.Y)
			}
			if wasInView && s.Offset.Y != before {
				t.Errorf("%s %d: the focused %T was in view, but the scroll moved from %v to %v", dir, i, want, before, s.Offset.Y)
			}
			moved = moved || s.Offset.Y != before
		}
		if !moved {
			t.Errorf("%s: the scroll never moved", dir)
		}
	}
	// Tab from the first to the last, then out of the scroll to the button below it.
	walk("Tab", c.FocusNext, inside[1:])
	c.FocusNext()
	if c.Focused() != outside {
		t.Fatalf("Tab after the last control focused %T", c.Focused())
	}
	// Shift+Tab back from the button outside to the first control.
	back := []fyne.Focusable{}
	for i := len(inside) - 1; i >= 0; i-- {
		back = append(back, inside[i])
	}
	walk("Shift+Tab", c.FocusPrevious, back)
	if s.Offset.Y != 0 {
		t.Errorf("back at the first control, the scroll is at %v, not the top", s.Offset.Y)
	}
}

// TestRevealMovesTheLeast: Reveal scrolls just enough to show an object below or above the
// view, and keeps it inside the content's scroll range.
func TestRevealMovesTheLeast(t *testing.T) {
	test.NewTempApp(t)
	var labels []fyne.CanvasObject
	for i := range 30 {
		labels = append(labels, widget.NewLabel(fmt.Sprint("line ", i)))
	}
	s := container.NewVScroll(container.NewVBox(labels...))
	w := test.NewTempWindow(t, s)
	w.Resize(fyne.NewSize(200, 300))
	view := s.Size().Height
	last := labels[len(labels)-1]
	Reveal(s, last)
	if !inView(s, last) || s.Offset.Y != s.Content.Size().Height-view {
		t.Errorf("after revealing the last line the scroll is at %v (content %v, view %v)", s.Offset.Y, s.Content.Size().Height, view)
	}
	mid := labels[15]
	Reveal(s, mid)
	at := s.Offset.Y
	if !inView(s, mid) {
		t.Errorf("line 15 not in view at %v", at)
	}
	if got := fyne.CurrentApp().Driver().AbsolutePositionForObject(mid).Y - fyne.CurrentApp().Driver().AbsolutePositionForObject(s).Y; got > 10 {
		t.Errorf("line 15, revealed from below, is %v from the top: the scroll moved further than it needed", got)
	}
	Reveal(s, labels[16]) // in view: nothing moves
	if s.Offset.Y != at {
		t.Errorf("revealing a line in view moved the scroll from %v to %v", at, s.Offset.Y)
	}
}
