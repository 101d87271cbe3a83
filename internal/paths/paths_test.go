package paths

import (
	"path/filepath"
	"runtime"
	"testing"
)

func TestResolve(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("XDG layout is Linux only")
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	cases := []struct {
		name, dataDir, xdgData, xdgState string
		want                             Dirs
	}{
		{"defaults", "", "", "", Dirs{filepath.Join(home, ".local/share/scrdesk"), filepath.Join(home, ".local/state/scrdesk")}},
		{"xdg", "", "/x/data", "/x/state", Dirs{"/x/data/scrdesk", "/x/state/scrdesk"}},
		{"flag wins", "/d", "/x/data", "/x/state", Dirs{"/d", "/d/state"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("XDG_DATA_HOME", c.xdgData)
			t.Setenv("XDG_STATE_HOME", c.xdgState)
			got, err := Resolve(c.dataDir)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("Resolve(%q) = %+v, want %+v", c.dataDir, got, c.want)
			}
		})
	}
}
