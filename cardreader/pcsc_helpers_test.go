//go:build pcsc

package cardreader_test

import (
	"context"
	"testing"
	"time"

	"scrdesk/cardreader"
	"scrdesk/cardreader/pcsctest"
)

// The vpcd readers, their ports and pcscd's poll, from the shared helpers.
const (
	reader0   = pcsctest.Reader0
	reader1   = pcsctest.Reader1
	addr0     = pcsctest.Addr0
	addr1     = pcsctest.Addr1
	pcscdPoll = pcsctest.Poll
)

var (
	needPCSC   = pcsctest.Require
	insert     = pcsctest.Insert
	killPCSCD  = pcsctest.Kill
	startPCSCD = pcsctest.Start
)

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
