//go:build pcsc

package cardreader_test

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"scrdesk/cardreader"
	"scrdesk/cardreader/virtualcard"
)

// TestPCSCServiceRestart kills the namespace's pcscd while the watcher waits,
// then starts a new one: the watcher must report the loss at once (with the
// card and readers gone), then the service back with both readers, and card
// events must flow again.
func TestPCSCServiceRestart(t *testing.T) {
	needPCSC(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) { serviceRestart(t, sig) })
	}
}

func serviceRestart(t *testing.T, sig syscall.Signal) {
	ca := newCA(t, "RA")
	w, events := startWatcher(t)
	card := newCard(t, virtualcard.Options{CA: ca})
	insert(t, card, addr0)
	waitEvent(t, events, cardreader.CardInserted, reader0)

	killed := killPCSCD(t, sig)
	lost := waitEvent(t, events, cardreader.ServiceLost, "")
	t.Logf("signal sent -> ServiceLost: %v", lost.At.Sub(killed))
	waitEvent(t, events, cardreader.CardRemoved, reader0)
	waitEvent(t, events, cardreader.ReaderDetached, reader0)
	waitEvent(t, events, cardreader.ReaderDetached, reader1)
	if got := w.Readers(); len(got) != 0 {
		t.Errorf("Readers() after service lost = %q", got)
	}
	_ = card.Remove() // its socket died with pcscd

	started := time.Now()
	startPCSCD(t)
	back := waitEvent(t, events, cardreader.ServiceBack, "")
	t.Logf("pcscd started -> ServiceBack: %v", back.At.Sub(started))
	waitEvent(t, events, cardreader.ReaderAttached, reader0)
	waitEvent(t, events, cardreader.ReaderAttached, reader1)

	insert(t, card, addr1)
	waitEvent(t, events, cardreader.CardInserted, reader1)
	conn, err := cardreader.ConnectPCSC(reader1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cardreader.Authenticate(context.Background(), conn, "123456", ca.Pool(), time.Now()); err != nil {
		t.Fatalf("sign-in after the restart: %v", err)
	}
	conn.Close()
	time.Sleep(pcscdPoll)
	_ = card.Remove()
	waitEvent(t, events, cardreader.CardRemoved, reader1)
}

// killPCSCD stops the namespace's pcscd with sig (found with pidof: the
// namespace has its own /proc), waits until it is gone and returns when the
// signal was sent.
func killPCSCD(t *testing.T, sig syscall.Signal) time.Time {
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
			reapChildren()
		}
	}
	return sent
}

// reapChildren collects a pcscd this test process started earlier.
func reapChildren() {
	var ws syscall.WaitStatus
	for {
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

// startPCSCD starts a new pcscd in the foreground, logging where
// with-pcscd.sh's does. It keeps running after the test, for later tests;
// the namespace ends it.
func startPCSCD(t *testing.T, args ...string) {
	t.Helper()
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
}

// TestPCSCZeroReaders runs the watcher against a pcscd with no readers
// configured, then against one with the two vpcd readers: zero readers is a
// state (no error, no events), and readers that appear are reported.
func TestPCSCZeroReaders(t *testing.T) {
	needPCSC(t)
	w, events := startWatcher(t)
	waitEvent(t, events, cardreader.ReaderAttached, reader1)

	killPCSCD(t, syscall.SIGTERM)
	waitEvent(t, events, cardreader.ServiceLost, "")
	startPCSCD(t, "--config", t.TempDir()) // an empty reader.conf.d
	waitEvent(t, events, cardreader.ServiceBack, "")
	time.Sleep(time.Second) // give a wrongly reported reader time to show
	if got := w.Readers(); len(got) != 0 {
		t.Fatalf("Readers() with none configured = %q", got)
	}
	for len(events) > 0 {
		if ev := <-events; ev.Kind == cardreader.ReaderAttached || ev.Kind == cardreader.ServiceLost {
			t.Fatalf("unexpected %v with zero readers", ev.Kind)
		}
	}

	killPCSCD(t, syscall.SIGTERM)
	waitEvent(t, events, cardreader.ServiceLost, "")
	startPCSCD(t)
	waitEvent(t, events, cardreader.ServiceBack, "")
	waitEvent(t, events, cardreader.ReaderAttached, reader0)
	waitEvent(t, events, cardreader.ReaderAttached, reader1)
	card := newCard(t, virtualcard.Options{})
	insert(t, card, addr0)
	waitEvent(t, events, cardreader.CardInserted, reader0)
	time.Sleep(pcscdPoll)
	_ = card.Remove()
	waitEvent(t, events, cardreader.CardRemoved, reader0)
}
