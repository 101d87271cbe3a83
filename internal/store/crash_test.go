package store

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"scrdesk/internal/secrets"
)

const crashEnv = "SCRDESK_CRASH_CHILD_DIR"

// TestCrashChild is the child of TestCrashKeepsEveryRecordedRow: it appends rows until killed,
// printing each sequence number only after Record has returned.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("child process of TestCrashKeepsEveryRecordedRow")
	}
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(dir, "audit.db"), secrets.File(filepath.Join(dir, "keys.json")), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(3)
	}
	fmt.Fprintln(os.Stdout, "open")
	for i := 0; ; i++ {
		e, err := db.Record(ctx, testEvent(i))
		if err != nil {
			fmt.Fprintln(os.Stderr, "record:", err)
			os.Exit(4)
		}
		// One write(2) per line: the parent sees whole lines only.
		os.Stdout.WriteString(strconv.FormatInt(e.Seq, 10) + "\n")
	}
}

// TestCrashKeepsEveryRecordedRow kills a child that appends rows with SIGKILL at random
// moments, 50 times: every row whose Record had returned must be present, and the chain must
// verify each time.
func TestCrashKeepsEveryRecordedRow(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx := context.Background()
	const runs = 50
	var maxSeen int64
	for run := range runs {
		cmd := exec.Command(exe, "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var seen []int64
		done := make(chan struct{})
		opened := make(chan struct{})
		go func() {
			defer close(done)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if sc.Text() == "open" {
					close(opened)
				}
				if n, err := strconv.ParseInt(sc.Text(), 10, 64); err == nil {
					mu.Lock()
					seen = append(seen, n)
					mu.Unlock()
				}
			}
		}()
		// Kill at a random moment: one run in four at any time from the start (often while
		// opening or migrating), the others while appending.
		if run%4 != 0 {
			select {
			case <-opened:
			case <-time.After(30 * time.Second):
				t.Fatalf("run %d: child did not open the database: %s", run, stderr.String())
			}
			time.Sleep(time.Duration(rand.IntN(150)) * time.Millisecond)
		} else {
			time.Sleep(time.Duration(rand.IntN(400)) * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
		werr := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("run %d: child was not killed (%v): %s", run, werr, stderr.String())
		}

		db, err := Open(ctx, filepath.Join(dir, "audit.db"), secrets.File(filepath.Join(dir, "keys.json")), nil)
		if err != nil {
			t.Fatalf("run %d: reopen: %v", run, err)
		}
		rep, err := db.Verify(ctx)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if !rep.WeakKey || !db.WeakKey() {
			t.Fatalf("run %d: key file not reported as weak", run)
		}
		if !rep.OK {
			t.Fatalf("run %d: chain broken after crash: %+v", run, rep)
		}
		mu.Lock()
		for _, s := range seen {
			if s > rep.LastSeq {
				t.Fatalf("run %d: row %d was recorded but is gone (log ends at %d)", run, s, rep.LastSeq)
			}
			maxSeen = max(maxSeen, s)
		}
		t.Logf("run %d: killed after %d appends; log has %d rows", run, len(seen), rep.LastSeq)
		mu.Unlock()
		db.Close()
	}
	if maxSeen == 0 {
		t.Fatal("the child never recorded a row")
	}
}
