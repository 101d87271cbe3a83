package kit

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// TestButtonFocusRingAndKeys: the ring shows only while focused; Space and Enter press the
// button; every other key reaches the window's handler (so Page Down and Escape work whatever
// button has the focus).
func TestButtonFocusRingAndKeys(t *testing.T) {
	test.NewTempApp(t)
	taps := 0
	b := NewButton("Close patient (Esc)", nil, func() { taps++ })
	w := test.NewTempWindow(t, container.NewVBox(b))
	var passed []fyne.KeyName
	w.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) { passed = append(passed, ev.Name) })
	test.WidgetRenderer(b) // build the renderer (and the ring)
	if !b.ring.Hidden {
		t.Error("ring shown without focus")
	}
	w.Canvas().Focus(b)
	if !b.Focused() || b.ring.Hidden {
		t.Error("ring not shown with the focus")
	}
	for _, k := range []fyne.KeyName{fyne.KeySpace, fyne.KeyReturn, fyne.KeyEnter, fyne.KeyPageDown, fyne.KeyEscape, fyne.KeyEnd} {
		b.TypedKey(&fyne.KeyEvent{Name: k})
	}
	if taps != 3 {
		t.Errorf("%d presses, want 3 (Space, Return, Enter)", taps)
	}
	if len(passed) != 3 || passed[0] != fyne.KeyPageDown || passed[1] != fyne.KeyEscape || passed[2] != fyne.KeyEnd {
		t.Errorf("keys passed to the window: %v", passed)
	}
	w.Canvas().Unfocus()
	if !b.ring.Hidden {
		t.Error("ring still shown after the focus left")
	}
}

// TestLabelEllipsizesKeepingItsText: a long label asks for little width, says it is cut
// short, keeps the full text as its accessible name, and shows it on hover.
func TestLabelEllipsizesKeepingItsText(t *testing.T) {
	test.NewTempApp(t)
	long := "Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh, Hubert Blaine Charlotte Maximilian"
	l := NewLabel(long)
	w := test.NewTempWindow(t, container.NewGridWrap(fyne.NewSize(200, 40), l))
	w.Resize(fyne.NewSize(300, 100))
	if l.MinSize().Width > 100 {
		t.Errorf("ellipsizing label asks for %.0f px", l.MinSize().Width)
	}
	if !l.Truncated() || l.AccessibilityLabel() != long {
		t.Errorf("truncated %v, accessible name %q", l.Truncated(), l.AccessibilityLabel())
	}
	l.MouseIn(nil)
	if l.tip == nil || !l.tip.Visible() {
		t.Fatal("full text not shown on hover")
	}
	l.MouseOut()
	if l.tip != nil {
		t.Error("pop-up left after the pointer went")
	}
	short := NewLabel("Priya Shah")
	test.NewTempWindow(t, short).Resize(fyne.NewSize(400, 60))
	short.MouseIn(nil)
	if short.tip != nil || short.Truncated() {
		t.Error("a label that fits shows a pop-up")
	}
}

// TestColumnWrapsInsteadOfWidening: a column asks for no more than its width, and centres.
func TestColumnWrapsInsteadOfWidening(t *testing.T) {
	test.NewTempApp(t)
	l := NewLabel("")
	l.Truncation = fyne.TextTruncateOff
	l.Wrapping = fyne.TextWrapWord
	l.Text = "This smartcard was not issued by an authority this workstation trusts, so it cannot sign you in. Take the card out; if it is your NHS smartcard, ask IT support to check this workstation's smartcard settings."
	c := Column(400, l)
	w := test.NewTempWindow(t, c)
	w.Resize(fyne.NewSize(1000, 600))
	if c.MinSize().Width > 400 {
		t.Errorf("column asks for %.0f px", c.MinSize().Width)
	}
	if l.Size().Width != 400 || l.Position().X < 290 || l.Size().Height < 2*l.MinSize().Height/3 {
		t.Errorf("label at %v size %v", l.Position(), l.Size())
	}
}

// TestTextAreaLetsTabMoveOn: a multi-line entry takes Tab as a character (the keyboard could not
// leave a case's note); a TextArea leaves it to the window, which moves the focus, and gives
// Escape to OnEscape.
func TestTextAreaLetsTabMoveOn(t *testing.T) {
	test.NewTempApp(t)
	if !widget.NewMultiLineEntry().AcceptsTab() {
		t.Fatal("Fyne's multi-line entry no longer takes Tab: the test no longer tests anything")
	}
	a := NewTextArea()
	var tab fyne.Tabbable = a
	if tab.AcceptsTab() {
		t.Error("a TextArea takes Tab")
	}
	escaped := 0
	a.OnEscape = func() { escaped++ }
	test.Type(a, "checked")
	a.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if escaped != 1 || a.Text != "checked" {
		t.Errorf("Escape: %d calls, text %q", escaped, a.Text)
	}
}
