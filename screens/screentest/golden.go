// Package screentest is for tests only: the one golden-markup helper the screen packages share
// (screens and screens/patient), and its -update flag.
package screentest

import (
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// -update rewrites the golden markup in the test's testdata/ from what the screens render now.
// Review the diff (git diff '*/testdata') before committing it.
var update = flag.Bool("update", false, "rewrite the golden markup files in testdata/")

// Golden checks what win shows against testdata/name, a Fyne markup file (a mismatch is written
// to testdata/failed/name), or rewrites the file when the test runs with -update. With
// SCRDESK_SHOTS=dir it also writes what the golden shows as dir/name.png, for a person to look at.
func Golden(t *testing.T, win fyne.Window, name string) {
	t.Helper()
	if *update {
		path := filepath.Join("testdata", name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(test.RenderToMarkup(win.Canvas())), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	test.AssertRendersToMarkup(t, name, win.Canvas())
	if dir := os.Getenv("SCRDESK_SHOTS"); dir != "" {
		path := filepath.Join(dir, strings.TrimSuffix(name, ".xml")+".png")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, win.Canvas().Capture()); err != nil {
			t.Fatal(err)
		}
	}
}
