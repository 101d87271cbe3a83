package screens

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"scrdesk/screens/screentest"
)

// screenSize is the window size the goldens are rendered at.
var screenSize = fyne.NewSize(1000, 640)

// assertGolden renders obj in a temporary window of size and checks it against testdata/name
// with the shared golden helper (screentest.Golden; -update rewrites the file).
func assertGolden(t *testing.T, name string, obj fyne.CanvasObject, size fyne.Size) {
	t.Helper()
	w := test.NewTempWindow(t, obj)
	w.Resize(size)
	// A second layout, as the GL driver gives a parent when a child's minimum size changed in
	// the first (the status bar's lines, a wrapped label): the test canvas lays out once, from
	// the window's first, narrow, size.
	w.Resize(fyne.NewSize(size.Width-1, size.Height))
	w.Resize(size)
	screentest.Golden(t, w, name)
}
