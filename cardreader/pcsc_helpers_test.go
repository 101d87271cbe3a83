//go:build pcsc

package cardreader_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"scrdesk/cardreader"
	"scrdesk/cardreader/virtualcard"
)

// The vsmartcard vpcd driver's readers and the ports their cards connect to.
const (
	reader0 = "Virtual PCD 00 00"
	reader1 = "Virtual PCD 00 01"
	addr0   = "127.0.0.1:35963"
	addr1   = "127.0.0.1:35964"
)

// pcscdPoll is how long to leave a card in (or out) so pcscd's ~400 ms
// presence poll sees it (CARD.md).
const pcscdPoll = 600 * time.Millisecond

// needPCSC skips (or, with SCRDESK_REQUIRE_PCSC=1, fails) unless the test
// runs under scripts/with-pcscd.sh with the vpcd readers up.
func needPCSC(t testing.TB) {
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

// startWatcher runs a Watcher until the test ends and returns its events.
func startWatcher(t testing.TB) (*cardreader.Watcher, <-chan cardreader.Event) {
	t.Helper()
	w := cardreader.NewWatcher(nil)
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan cardreader.Event, 64)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, ch) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Watcher.Run: %v", err)
		}
	})
	return w, ch
}

// waitEvent returns the next event of kind for reader ("" = any), skipping
// others; it fails the test after a generous timeout (a liveness bound, not
// a speed assertion).
func waitEvent(t testing.TB, ch <-chan cardreader.Event, kind cardreader.EventKind, reader string) cardreader.Event {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case ev := <-ch:
			if ev.Kind == kind && (reader == "" || ev.Reader == reader) {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %v event for %q", kind, reader)
		}
	}
}

// insert puts card into a vpcd reader, retrying while the port is not yet
// listening (pcscd just restarted), and removes it when the test ends.
func insert(t testing.TB, card *virtualcard.Card, addr string) {
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

// drain empties an event channel of what is already queued.
func drain(ch <-chan cardreader.Event) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}
