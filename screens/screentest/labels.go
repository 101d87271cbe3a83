package screentest

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// VisibleLabels lists the visible labels with text under o, walking containers only (not into
// other widgets, so a list's rows are not included), in drawing order: for tests that check
// lines are laid out without overlap.
func VisibleLabels(o fyne.CanvasObject) []*widget.Label {
	var out []*widget.Label
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if !o.Visible() {
			return
		}
		switch o := o.(type) {
		case *widget.Label:
			if o.Text != "" {
				out = append(out, o)
			}
		case *fyne.Container:
			for _, ch := range o.Objects {
				walk(ch)
			}
		}
	}
	walk(o)
	return out
}
