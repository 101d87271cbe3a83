//go:build gui

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestMakeInstallUninstall runs `make install` into a temporary prefix (installing
// SCRDESK_BINARY when set): the binary, the icon in
// every hicolor size, a .desktop entry that desktop-file-validate accepts and the metainfo; then
// `make uninstall` removes them all.
func TestMakeInstallUninstall(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	prefix := t.TempDir()
	readInputs(t, "Makefile", "FyneApp.toml", "assets")
	run := func(target string) {
		args := []string{target, "PREFIX=" + prefix}
		if os.Getenv("SCRDESK_BINARY") != "" {
			// The binary under test (make test builds it once; binary stats it for go test's
			// cache); without this, make install would build another, in a build mode nothing
			// else in the run shares.
			args = append(args, "INSTALL_FROM="+binary(t))
		}
		// make -C, not cmd.Dir: os.StartProcess stats a Dir, and go test's cache then keys the
		// result on the checkout folder's time, which the Windows build beside this run changes
		// (its .syso comes and goes there): the real-window suite was never cached.
		cmd := exec.Command("make", append([]string{"-C", repoRoot()}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make %s: %v\n%s", target, err, out)
		}
	}
	run("install")
	want := []string{
		"bin/scrdesk",
		"share/applications/org.scrdesk.SCRDesk.desktop",
		"share/metainfo/org.scrdesk.SCRDesk.metainfo.xml",
		"share/icons/hicolor/scalable/apps/org.scrdesk.SCRDesk.svg",
	}
	for _, s := range []string{"16", "32", "48", "64", "128", "256", "512"} {
		want = append(want, "share/icons/hicolor/"+s+"x"+s+"/apps/org.scrdesk.SCRDesk.png")
	}
	for _, f := range want {
		if _, err := os.Stat(filepath.Join(prefix, f)); err != nil {
			t.Errorf("not installed: %s", f)
		}
	}
	if out, err := exec.Command("desktop-file-validate", filepath.Join(prefix, "share/applications/org.scrdesk.SCRDesk.desktop")).CombinedOutput(); err != nil {
		t.Errorf("installed .desktop entry does not validate: %v\n%s", err, out)
	}
	if out, err := exec.Command(filepath.Join(prefix, "bin/scrdesk"), "version").Output(); err != nil || len(out) == 0 {
		t.Errorf("installed binary: %v %q", err, out)
	}
	run("uninstall")
	for _, f := range want {
		if _, err := os.Stat(filepath.Join(prefix, f)); err == nil {
			t.Errorf("left behind by uninstall: %s", f)
		}
	}
}
