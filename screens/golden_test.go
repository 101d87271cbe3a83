package screens

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// -update rewrites the markup goldens in testdata/ from what the screens render now. Review the
// diff (git diff screens/testdata) before committing.
var update = flag.Bool("update", false, "rewrite the golden markup files in testdata/")

// screenSize is the window size the goldens are rendered at.
var screenSize = fyne.NewSize(1000, 640)

// assertGolden renders obj in a temporary window of size and compares the markup with
// testdata/name (Fyne writes a mismatch to testdata/failed/name).
func assertGolden(t *testing.T, name string, obj fyne.CanvasObject, size fyne.Size) {
	t.Helper()
	w := test.NewTempWindow(t, obj)
	w.Resize(size)
	if *update {
		path := filepath.Join("testdata", name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(test.RenderToMarkup(w.Canvas())), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	test.AssertRendersToMarkup(t, name, w.Canvas())
}
