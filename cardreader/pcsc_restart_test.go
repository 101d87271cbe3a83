//go:build pcsc

package cardreader_test

import (
	"context"
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
