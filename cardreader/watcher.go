package cardreader

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/ebfe/scard"
)

// EventKind says what happened to a reader, a card or the PC/SC service.
type EventKind int

// The kinds of Event.
const (
	ReaderAttached EventKind = iota + 1
	ReaderDetached
	CardInserted
	CardRemoved
	// ServiceLost: the PC/SC service stopped. Every card and reader is gone
	// (the matching CardRemoved and ReaderDetached events follow at once).
	ServiceLost
	// ServiceBack: the PC/SC service answers again; ReaderAttached and
	// CardInserted events for what is there now follow.
	ServiceBack
)

func (k EventKind) String() string {
	switch k {
	case ReaderAttached:
		return "reader attached"
	case ReaderDetached:
		return "reader detached"
	case CardInserted:
		return "card inserted"
	case CardRemoved:
		return "card removed"
	case ServiceLost:
		return "service lost"
	case ServiceBack:
		return "service back"
	default:
		return "unknown event"
	}
}

// Event is one change. Reader is empty for ServiceLost and ServiceBack; ATR is
// set for CardInserted only. At is when the watcher saw it.
type Event struct {
	Kind   EventKind
	Reader string
	ATR    []byte
	At     time.Time
}

// pnpReader is PC/SC's pseudo-reader that changes when readers come and go.
const pnpReader = `\\?PnP?\Notification`

// Watcher reports reader, card and service events from PC/SC. One goroutine
// (the one calling Run) owns the PC/SC context; Readers may be called from
// any goroutine.
type Watcher struct {
	log *slog.Logger

	// waitTimeout bounds each GetStatusChange so a cancel that races the
	// start of a wait still ends Run soon; changes are never missed because
	// every wait starts from the last state seen.
	waitTimeout            time.Duration
	minBackoff, maxBackoff time.Duration

	mu      sync.Mutex
	readers []string
	cur     *scard.Context
}

// NewWatcher makes a watcher that logs to log (nil: discard).
func NewWatcher(log *slog.Logger) *Watcher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Watcher{log: log, waitTimeout: time.Second, minBackoff: 100 * time.Millisecond, maxBackoff: 2 * time.Second}
}

// Readers returns the readers attached now (sorted). Safe from any goroutine.
func (w *Watcher) Readers() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.readers)
}

// Connect opens the card in the named reader (ConnectPCSC).
func (w *Watcher) Connect(reader string) (Conn, error) { return ConnectPCSC(reader) }

// Run watches until ctx is done, then returns nil. It first reports what is
// there (ReaderAttached, then CardInserted for cards present). If the PC/SC
// service is not running or stops, it reports ServiceLost at once (with
// removals for what was there), then reconnects with a backoff that doubles
// from 100 ms to at most 2 s, and reports ServiceBack. It copes with zero
// readers and with readers added or removed while running. Sends on out block
// until received or ctx is done; Run never closes out.
func (w *Watcher) Run(ctx context.Context, out chan<- Event) error {
	stop := context.AfterFunc(ctx, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.cur != nil {
			_ = w.cur.Cancel()
		}
	})
	defer stop()

	lost := false
	backoff := w.minBackoff
	for ctx.Err() == nil {
		sc, err := scard.EstablishContext()
		if err != nil {
			if !lost {
				w.log.Warn("pc/sc service unavailable", "err", err)
				lost = true
				if !w.emit(ctx, out, Event{Kind: ServiceLost}) {
					return nil
				}
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, w.maxBackoff)
			continue
		}
		backoff = w.minBackoff
		if lost {
			w.log.Info("pc/sc service back")
			lost = false
			if !w.emit(ctx, out, Event{Kind: ServiceBack}) {
				_ = sc.Release()
				return nil
			}
		}
		w.mu.Lock()
		w.cur = sc
		w.mu.Unlock()
		if ctx.Err() != nil { // cancelled before cur was set: AfterFunc saw nil
			w.release(sc)
			return nil
		}
		s := session{w: w, sc: sc, out: out, known: map[string]readerState{}}
		err = s.run(ctx)
		w.release(sc)
		if ctx.Err() != nil {
			return nil
		}
		w.log.Warn("pc/sc service lost", "err", err)
		lost = true
		if !w.emit(ctx, out, Event{Kind: ServiceLost}) {
			return nil
		}
		if !s.forgetAll(ctx) {
			return nil
		}
	}
	return nil
}

func (w *Watcher) release(sc *scard.Context) {
	w.mu.Lock()
	w.cur = nil
	w.readers = nil
	w.mu.Unlock()
	_ = sc.Release()
}

func (w *Watcher) emit(ctx context.Context, out chan<- Event, ev Event) bool {
	ev.At = time.Now()
	w.log.Debug("card event", "kind", ev.Kind.String(), "reader", ev.Reader)
	select {
	case out <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

type readerState struct {
	flags scard.StateFlag // last EventState, passed back as CurrentState
	atr   []byte
}

// session is one PC/SC context's life.
type session struct {
	w     *Watcher
	sc    *scard.Context
	out   chan<- Event
	known map[string]readerState
	pnp   scard.StateFlag
}

const presentMask = scard.StatePresent

func (s *session) run(ctx context.Context) error {
	relist := true
	for {
		if relist {
			if err := s.list(ctx); err != nil {
				return err
			}
			relist = false
		}
		names := slices.Sorted(maps.Keys(s.known))
		states := make([]scard.ReaderState, 0, len(names)+1)
		for _, n := range names {
			states = append(states, scard.ReaderState{Reader: n, CurrentState: s.known[n].flags})
		}
		states = append(states, scard.ReaderState{Reader: pnpReader, CurrentState: s.pnp})
		err := s.sc.GetStatusChange(states, s.w.waitTimeout)
		if ctx.Err() != nil {
			return nil
		}
		switch {
		case err == nil:
		case errors.Is(err, scard.ErrTimeout), errors.Is(err, scard.ErrCancelled):
			continue
		case errors.Is(err, scard.ErrUnknownReader), errors.Is(err, scard.ErrReaderUnavailable):
			relist = true
			continue
		default:
			return mapPCSCError(err)
		}
		for _, st := range states {
			ev := st.EventState
			if st.Reader == pnpReader {
				if ev&scard.StateChanged != 0 {
					relist = true
				}
				s.pnp = ev &^ scard.StateChanged
				continue
			}
			if ev&(scard.StateUnknown|scard.StateUnavailable) != 0 {
				relist = true // the reader went, or the service is stopping
			}
			if !s.update(ctx, st.Reader, ev, st.Atr) {
				return nil
			}
		}
	}
}

// update turns one reader's new state into events.
func (s *session) update(ctx context.Context, reader string, ev scard.StateFlag, atr []byte) bool {
	old := s.known[reader]
	was := old.flags&presentMask != 0
	is := ev&presentMask != 0 && ev&scard.StateMute == 0
	// The high 16 bits count card events (pcsc-lite): a swap between two
	// polls keeps "present" but moves the counter.
	swapped := was && is && (old.flags&0xFFFF0000 != ev&0xFFFF0000 || !bytes.Equal(old.atr, atr))
	s.known[reader] = readerState{flags: ev &^ scard.StateChanged, atr: bytes.Clone(atr)}
	if (was && !is) || swapped {
		if !s.w.emit(ctx, s.out, Event{Kind: CardRemoved, Reader: reader}) {
			return false
		}
	}
	if (!was && is) || swapped {
		if !s.w.emit(ctx, s.out, Event{Kind: CardInserted, Reader: reader, ATR: bytes.Clone(atr)}) {
			return false
		}
	}
	return true
}

// list reconciles the known readers with ListReaders.
func (s *session) list(ctx context.Context) error {
	names, err := s.sc.ListReaders()
	if errors.Is(err, scard.ErrNoReadersAvailable) {
		names, err = nil, nil // zero readers is a state, not a failure
	}
	if err != nil {
		return mapPCSCError(err)
	}
	// Publish the new list before the events, so a consumer that calls
	// Readers on an event sees at least that event's change.
	sorted := slices.Sorted(slices.Values(names))
	s.w.mu.Lock()
	s.w.readers = sorted
	s.w.mu.Unlock()
	for reader := range s.known {
		if slices.Contains(names, reader) {
			continue
		}
		if !s.detach(ctx, reader) {
			return nil
		}
	}
	for _, n := range names {
		if _, ok := s.known[n]; ok {
			continue
		}
		s.known[n] = readerState{flags: scard.StateUnaware}
		if !s.w.emit(ctx, s.out, Event{Kind: ReaderAttached, Reader: n}) {
			return nil
		}
	}
	return nil
}

func (s *session) detach(ctx context.Context, reader string) bool {
	if s.known[reader].flags&presentMask != 0 {
		if !s.w.emit(ctx, s.out, Event{Kind: CardRemoved, Reader: reader}) {
			return false
		}
	}
	delete(s.known, reader)
	return s.w.emit(ctx, s.out, Event{Kind: ReaderDetached, Reader: reader})
}

// forgetAll reports every known card and reader gone (after ServiceLost).
func (s *session) forgetAll(ctx context.Context) bool {
	for _, reader := range slices.Sorted(maps.Keys(s.known)) {
		if !s.detach(ctx, reader) {
			return false
		}
	}
	return true
}
