package assets

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestIconsDecodeAtTheirSize(t *testing.T) {
	for _, s := range IconSizes {
		img, err := png.Decode(bytes.NewReader(IconPNG(s)))
		if err != nil {
			t.Fatalf("icon %d: %v", s, err)
		}
		if b := img.Bounds(); b.Dx() != s || b.Dy() != s {
			t.Errorf("icon %d is %dx%d", s, b.Dx(), b.Dy())
		}
	}
}

// TestDesktopFileValidates runs desktop-file-validate (from desktop-file-utils) and
// appstreamcli on the embedded files. make test installs both; the test fails rather than
// skips when SCRDESK_REQUIRE_TOOLS=1 (CI).
func TestDesktopFileValidates(t *testing.T) {
	dir := t.TempDir()
	desk := filepath.Join(dir, AppID+".desktop")
	meta := filepath.Join(dir, AppID+".metainfo.xml")
	if err := os.WriteFile(desk, DesktopEntry(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(meta, Metainfo(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][]string{{"desktop-file-validate", desk}, {"appstreamcli", "validate", "--no-net", "--pedantic", meta}} {
		if _, err := exec.LookPath(c[0]); err != nil {
			if os.Getenv("SCRDESK_REQUIRE_TOOLS") == "1" {
				t.Fatalf("%s not installed", c[0])
			}
			t.Skipf("%s not installed", c[0])
		}
		out, err := exec.Command(c[0], c[1:]...).CombinedOutput()
		if err != nil {
			t.Errorf("%v: %v\n%s", c, err, out)
		}
		if c[0] == "desktop-file-validate" && len(out) > 0 { // hints too: each one answered
			t.Errorf("desktop-file-validate says:\n%s", out)
		}
	}
	if m := string(Metainfo()); strings.Contains(m, "example.org") || !strings.Contains(m, `<url type="homepage">https://`) {
		t.Errorf("the metainfo's homepage is not the project's")
	}
}
