//go:build linux

package store

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"scrdesk/internal/audit"
)

const diskFullEnv = "SCRDESK_DISKFULL_DIR"

// TestDiskFull runs TestDiskFullChild in a private mount namespace on a 4 MB tmpfs, so the
// disk can really fill up without touching the machine's mounts. It needs root and unshare(1);
// it skips without them unless SCRDESK_REQUIRE_ROOT=1, when it fails instead.
func TestDiskFull(t *testing.T) {
	need := func(why string) {
		if os.Getenv("SCRDESK_REQUIRE_ROOT") == "1" {
			t.Fatalf("full-disk test required but %s", why)
		}
		t.Skipf("full-disk test needs %s (set SCRDESK_REQUIRE_ROOT=1 to fail instead)", why)
	}
	if os.Geteuid() != 0 {
		need("root (it mounts a small tmpfs)")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		need("unshare(1) from util-linux")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command(unshare, "--mount", "--propagation", "private", "--",
		"sh", "-c", `mount -t tmpfs -o size=4m scrdesk-full "$1" && exec "$2" -test.run='^TestDiskFullChild$' -test.count=1 -test.v`,
		"sh", dir, exe)
	cmd.Env = append(os.Environ(), diskFullEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	t.Logf("child:\n%s", out)
	if err != nil {
		t.Fatalf("full-disk child failed: %v", err)
	}
}

// TestDiskFullChild fills the tmpfs the parent mounted: Record must fail with ErrDiskFull, the
// database must stay intact with every recorded row, and appends must succeed again once there
// is room.
func TestDiskFullChild(t *testing.T) {
	dir := os.Getenv(diskFullEnv)
	if dir == "" {
		t.Skip("child process of TestDiskFull")
	}
	ctx := context.Background()
	db := openTest(t, filepath.Join(dir, "audit.db"), newMemKeys(), Options{})
	recorded := 0
	for i := range 20 {
		if _, err := db.Record(ctx, testEvent(i)); err != nil {
			t.Fatal(err)
		}
		recorded++
	}
	// Fill the disk.
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{1 << 16, 1 << 10, 64} {
		buf := make([]byte, size)
		for {
			if _, err := f.Write(buf); err != nil {
				break
			}
		}
	}
	f.Close()

	var fullErr error
	for i := 0; i < 10000; i++ {
		if _, err := db.Record(ctx, testEvent(i)); err != nil {
			fullErr = err
			break
		}
		recorded++
	}
	if fullErr == nil {
		t.Fatal("Record never failed on a full disk")
	}
	if !errors.Is(fullErr, ErrDiskFull) {
		t.Fatalf("Record on a full disk = %v, want ErrDiskFull", fullErr)
	}
	t.Logf("full disk after %d rows: %v\nuser sees: %s", recorded, fullErr, UserMessage(fullErr))
	// Still full: a second attempt fails the same way and the log is intact.
	if _, err := db.Record(ctx, testEvent(0)); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("second Record = %v", err)
	}
	check := func(want int) {
		t.Helper()
		rep, err := db.Verify(ctx)
		if err != nil || !rep.OK || rep.Rows != int64(want) {
			t.Fatalf("Verify = %+v, %v; want intact with %d rows", rep, err, want)
		}
		var ic string
		if err := db.sql.QueryRow(`PRAGMA integrity_check`).Scan(&ic); err != nil || ic != "ok" {
			t.Fatalf("integrity_check = %q, %v", ic, err)
		}
	}
	check(recorded)

	// Make room: appends work again.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := db.Record(ctx, testEvent(i)); err != nil {
			t.Fatalf("Record after freeing space: %v", err)
		}
		recorded++
	}
	check(recorded)
	if n, _ := db.Count(ctx, audit.Filter{}); n != int64(recorded) {
		t.Fatalf("Count = %d, want %d", n, recorded)
	}
}
