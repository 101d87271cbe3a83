package cardreader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// DemoReader is an in-process card reader for the demo mode and tests: cards
// (any Transport, typically a virtualcard.Card) are inserted and removed by a
// call, and the same Events as the Watcher's come out of Run. It satisfies
// Source. All methods are safe for concurrent use.
type DemoReader struct {
	mu      sync.Mutex
	slots   map[string]*demoSlot // reader name -> slot
	queue   []Event
	running bool
	wake    chan struct{}
}

type demoSlot struct {
	card Transport
	atr  []byte
	gen  int // bumps on every insert and remove, so old Conns go stale
}

// NewDemoReader makes a demo reader with no readers and no cards.
func NewDemoReader() *DemoReader {
	return &DemoReader{slots: map[string]*demoSlot{}, wake: make(chan struct{}, 1)}
}

// atrOf returns the card's ATR if it offers one (virtualcard.Card does).
func atrOf(card Transport) []byte {
	if a, ok := card.(interface{ ATR() []byte }); ok {
		return a.ATR()
	}
	return nil
}

// Attach plugs in an empty demo reader (so the lock screen says "Insert your smartcard" before
// any demo card is inserted). A reader already attached is left as it is.
func (d *DemoReader) Attach(reader string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.slots[reader]; ok {
		return
	}
	d.slots[reader] = &demoSlot{}
	d.push(Event{Kind: ReaderAttached, Reader: reader})
}

// Insert puts card into the named reader, attaching the reader first if it
// is new; a card already there is removed first.
func (d *DemoReader) Insert(reader string, card Transport) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.slots[reader]
	if !ok {
		s = &demoSlot{}
		d.slots[reader] = s
		d.push(Event{Kind: ReaderAttached, Reader: reader})
	}
	if s.card != nil {
		s.card = nil
		s.gen++
		d.push(Event{Kind: CardRemoved, Reader: reader})
	}
	resetCard(card)
	s.card, s.atr = card, atrOf(card)
	s.gen++
	d.push(Event{Kind: CardInserted, Reader: reader, ATR: bytes.Clone(s.atr)})
}

// Remove takes the card out of the named reader (no-op if empty).
func (d *DemoReader) Remove(reader string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.slots[reader]
	if !ok || s.card == nil {
		return
	}
	resetCard(s.card)
	s.card = nil
	s.gen++
	d.push(Event{Kind: CardRemoved, Reader: reader})
}

// resetCard resets a card that can be reset (virtualcard.Card), as taking a
// real card out of a reader does.
func resetCard(card Transport) {
	if r, ok := card.(interface{ Reset() }); ok {
		r.Reset()
	}
}

// Detach unplugs the named reader, removing its card first.
func (d *DemoReader) Detach(reader string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.slots[reader]
	if !ok {
		return
	}
	if s.card != nil {
		s.gen++
		d.push(Event{Kind: CardRemoved, Reader: reader})
	}
	delete(d.slots, reader)
	d.push(Event{Kind: ReaderDetached, Reader: reader})
}

// Readers returns the attached readers, sorted.
func (d *DemoReader) Readers() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Sorted(maps.Keys(d.slots))
}

// push queues an event for Run; with no Run going, events are dropped (Run
// starts by reporting the current state). d.mu must be held.
func (d *DemoReader) push(ev Event) {
	if !d.running {
		return
	}
	ev.At = time.Now()
	d.queue = append(d.queue, ev)
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run reports events until ctx is done, starting with the current state
// (ReaderAttached, then CardInserted for cards present), and returns nil.
// Only one Run may be going at a time.
func (d *DemoReader) Run(ctx context.Context, out chan<- Event) error {
	d.mu.Lock()
	if d.running {
		d.mu.Unlock()
		return errors.New("demo reader is already running")
	}
	d.running = true
	now := time.Now()
	for _, name := range slices.Sorted(maps.Keys(d.slots)) {
		d.queue = append(d.queue, Event{Kind: ReaderAttached, Reader: name, At: now})
		if s := d.slots[name]; s.card != nil {
			d.queue = append(d.queue, Event{Kind: CardInserted, Reader: name, ATR: bytes.Clone(s.atr), At: now})
		}
	}
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.running = false
		d.queue = nil
		d.mu.Unlock()
	}()
	for {
		d.mu.Lock()
		batch := d.queue
		d.queue = nil
		d.mu.Unlock()
		for _, ev := range batch {
			select {
			case out <- ev:
			case <-ctx.Done():
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-d.wake:
		}
	}
}

// Connect opens the card in the named reader. The Conn fails with
// ErrCardRemoved once that card is removed (even if another is inserted).
func (d *DemoReader) Connect(reader string) (Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.slots[reader]
	if !ok {
		return nil, fmt.Errorf("connect to %q: %w", reader, ErrNoReader)
	}
	if s.card == nil {
		return nil, fmt.Errorf("connect to %q: %w", reader, ErrCardRemoved)
	}
	return &demoConn{d: d, reader: reader, gen: s.gen, card: s.card}, nil
}

type demoConn struct {
	d      *DemoReader
	reader string
	gen    int
	card   Transport
}

func (c *demoConn) Transmit(apdu []byte) ([]byte, error) {
	if !c.live() {
		return nil, fmt.Errorf("transmit: %w", ErrCardRemoved)
	}
	r, err := c.card.Transmit(apdu)
	if !c.live() { // removed while the command ran: the answer never arrived
		return nil, fmt.Errorf("transmit: %w", ErrCardRemoved)
	}
	return r, err
}

func (c *demoConn) live() bool {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	s, ok := c.d.slots[c.reader]
	return ok && s.gen == c.gen && s.card != nil
}

func (c *demoConn) ATR() ([]byte, error) { return atrOf(c.card), nil }

func (c *demoConn) Close() error { return nil }
