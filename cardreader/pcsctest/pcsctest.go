// Package pcsctest holds the helpers that tests share to run against a real pcscd with the
// vsmartcard virtual readers (scripts/with-pcscd.sh gives each test run a private one): wait
// for it, stop and restart it, and insert virtual cards. Test code only; it starts processes.
package pcsctest

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"scrdesk/cardreader/virtualcard"
)

// The vsmartcard vpcd driver's readers and the ports their cards connect to.
const (
	Reader0 = "Virtual PCD 00 00"
	Reader1 = "Virtual PCD 00 01"
	Addr0   = "127.0.0.1:35963"
	Addr1   = "127.0.0.1:35964"
)

// Poll is how long to leave a card in (or out) so pcscd's ~400 ms presence poll sees it
// (docs/card-profile.md).
const Poll = 600 * time.Millisecond

// Require skips (or, with SCRDESK_REQUIRE_PCSC=1, fails) unless the test runs under
// scripts/with-pcscd.sh with the vpcd readers up.
func Require(t testing.TB) {
	t.Helper()
	fail := t.Skipf
	if os.Getenv("SCRDESK_REQUIRE_PCSC") == "1" {
		fail = t.Fatalf
	}
	if os.Getenv("SCRDESK_PCSC_NAMESPACE") != "1" {
		fail("needs a private pcscd: run under scripts/with-pcscd.sh (go test -tags pcsc)")
		return
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ctx, err := scard.EstablishContext()
		if err == nil {
			names, lerr := ctx.ListReaders()
			_ = ctx.Release()
			if lerr == nil && len(names) >= 2 {
				return
			}
			err = lerr
		}
		if time.Now().After(deadline) {
			fail("pcscd with the vpcd readers is not reachable: %v", err)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Insert puts card into a vpcd reader, retrying while the port is not yet listening (pcscd just
// restarted), and removes it when the test ends.
func Insert(t testing.TB, card *virtualcard.Card, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := card.Insert(addr)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Cleanup(func() { _ = card.Remove() })
}

// Kill stops the namespace's pcscd with sig (found with pidof: the namespace has its own
// /proc), waits until it is gone and returns when the signal was sent.
func Kill(t testing.TB, sig syscall.Signal) time.Time {
	t.Helper()
	out, err := exec.Command("pidof", "pcscd").Output()
	if err != nil {
		t.Fatalf("pidof pcscd: %v", err)
	}
	sent := time.Now()
	for _, f := range strings.Fields(string(out)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Kill(pid, sig); err != nil {
			t.Fatalf("kill pcscd %d: %v", pid, err)
		}
		for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
			time.Sleep(50 * time.Millisecond)
			reap()
		}
	}
	return sent
}

// reap collects a pcscd this test process started earlier.
func reap() {
	var ws syscall.WaitStatus
	for {
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

// Start starts a new pcscd in the foreground, logging where with-pcscd.sh's does, and waits for
// its socket. It keeps running after the test, for later tests; the namespace ends it.
func Start(t testing.TB, args ...string) {
	t.Helper()
	_ = os.Remove("/run/pcscd/pcscd.comm")
	cmd := exec.Command("pcscd", append([]string{"--foreground"}, args...)...)
	if path := os.Getenv("PCSCD_LOG"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd.Stdout, cmd.Stderr = f, f
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pcscd: %v", err)
	}
	for i := 0; i < 100; i++ {
		if _, err := os.Stat("/run/pcscd/pcscd.comm"); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("pcscd did not start")
}
