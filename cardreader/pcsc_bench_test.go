//go:build pcsc

package cardreader_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"scrdesk/cardreader"
	"scrdesk/cardreader/virtualcard"
)

// bareRemovals is the baseline: a bare GetStatusChange loop on one reader,
// on its own PC/SC context, sending the time it saw each removal.
func bareRemovals(b *testing.B, reader string) (<-chan time.Time, func()) {
	sc, err := scard.EstablishContext()
	if err != nil {
		b.Fatal(err)
	}
	out := make(chan time.Time, 16)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		states := []scard.ReaderState{{Reader: reader, CurrentState: scard.StateUnaware}}
		for {
			was := states[0].CurrentState&scard.StatePresent != 0
			err := sc.GetStatusChange(states, -1)
			at := time.Now()
			select {
			case <-done:
				return
			default:
			}
			if err != nil {
				continue
			}
			is := states[0].EventState&scard.StatePresent != 0
			if was && !is {
				out <- at
			}
			states[0].CurrentState = states[0].EventState &^ scard.StateChanged
		}
	}()
	return out, func() {
		close(done)
		_ = sc.Cancel()
		<-stopped
		_ = sc.Release()
	}
}

// BenchmarkRemovalLatency measures, on the same removals of the same virtual
// card, the time from the card's socket closing to (a) the Watcher's
// CardRemoved event reaching its reader and (b) a bare GetStatusChange loop
// seeing it. Both include pcscd's ~400 ms presence poll; their difference is
// what the Watcher adds. Run with -benchtime 20x (each removal takes ~1.5 s).
func BenchmarkRemovalLatency(b *testing.B) {
	needPCSC(b)
	card := newCard(b, virtualcard.Options{})
	_, events := startWatcher(b)
	bare, stop := bareRemovals(b, reader1)
	defer stop()
	var watcherD, bareD, added []time.Duration
	for b.Loop() {
		if err := card.Insert(addr1); err != nil {
			b.Fatal(err)
		}
		waitEvent(b, events, cardreader.CardInserted, reader1)
		time.Sleep(pcscdPoll)
		t0 := time.Now()
		_ = card.Remove()
		ev := waitEvent(b, events, cardreader.CardRemoved, reader1)
		wAt := time.Now()
		_ = ev
		var bAt time.Time
		select {
		case bAt = <-bare:
		case <-time.After(15 * time.Second):
			b.Fatal("bare loop saw no removal")
		}
		watcherD = append(watcherD, wAt.Sub(t0))
		bareD = append(bareD, bAt.Sub(t0))
		added = append(added, wAt.Sub(bAt))
	}
	b.StopTimer()
	report := func(name string, d []time.Duration) {
		slices.Sort(d)
		med, p99 := d[len(d)/2], d[min(len(d)-1, len(d)*99/100)]
		b.ReportMetric(float64(med.Microseconds())/1000, name+"-median-ms")
		b.ReportMetric(float64(p99.Microseconds())/1000, name+"-p99-ms")
		b.Logf("%-22s median %8.3f ms  p99 %8.3f ms  (n=%d)", name, float64(med.Microseconds())/1000, float64(p99.Microseconds())/1000, len(d))
	}
	report("watcher", watcherD)
	report("bare", bareD)
	report("added", added)
}

// BenchmarkSignInPCSC times a whole sign-in over PC/SC: connect, select,
// CHUID, certificate, chain check, passcode, challenge signature and its check.
func BenchmarkSignInPCSC(b *testing.B) {
	needPCSC(b)
	ca := newCA(b, "RA")
	for _, bc := range []struct {
		name string
		opts virtualcard.Options
	}{
		{"short-answers-61xx", virtualcard.Options{CA: ca}},
		{"long-answers", virtualcard.Options{CA: ca, LongAnswers: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			card := newCard(b, bc.opts)
			_, events := startWatcher(b)
			insert(b, card, addr0)
			waitEvent(b, events, cardreader.CardInserted, reader0)
			anchors := ca.Pool()
			for b.Loop() {
				conn, err := cardreader.ConnectPCSC(reader0)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := cardreader.Authenticate(context.Background(), conn, "123456", anchors, time.Now()); err != nil {
					b.Fatal(err)
				}
				_, _ = conn.Transmit([]byte{0x00, 0x20, 0xFF, 0x80}) // forget the passcode for the next round
				conn.Close()
			}
			b.StopTimer()
			time.Sleep(pcscdPoll)
			_ = card.Remove()
			waitEvent(b, events, cardreader.CardRemoved, reader0)
		})
	}
}

// BenchmarkAPDUPCSC times one SELECT round trip over PC/SC and the vpcd
// socket, to read BenchmarkSignInPCSC against (a sign-in is 8 to 12 of them).
func BenchmarkAPDUPCSC(b *testing.B) {
	needPCSC(b)
	card := newCard(b, virtualcard.Options{})
	_, events := startWatcher(b)
	insert(b, card, addr0)
	waitEvent(b, events, cardreader.CardInserted, reader0)
	conn, err := cardreader.ConnectPCSC(reader0)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := cardreader.SelectPIV(conn); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	conn.Close()
	time.Sleep(pcscdPoll)
	_ = card.Remove()
	waitEvent(b, events, cardreader.CardRemoved, reader0)
}
