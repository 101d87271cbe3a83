package cardreader

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ebfe/scard"
)

// Conn is an open card: a Transport that must be closed.
type Conn interface {
	Transport
	Close() error
}

// Source is where card events and card connections come from: the PC/SC
// Watcher, or the in-process DemoReader. The app uses either through this.
type Source interface {
	// Run reports events on out until ctx is done; see Watcher.Run.
	Run(ctx context.Context, out chan<- Event) error
	// Connect opens the card in the named reader.
	Connect(reader string) (Conn, error)
}

// pcscConn is a card opened over PC/SC with its own context, so it never
// contends with the Watcher's blocking wait.
type pcscConn struct {
	mu   sync.Mutex
	ctx  *scard.Context
	card *scard.Card
}

// ConnectPCSC opens the card in the named reader in shared mode, on a PC/SC
// context of its own. The Conn is safe for concurrent use (commands are
// serialised); Close disconnects without resetting the card.
func ConnectPCSC(reader string) (Conn, error) {
	ctx, err := scard.EstablishContext()
	if err != nil {
		return nil, fmt.Errorf("connect to %q: %w", reader, mapPCSCError(err))
	}
	card, err := ctx.Connect(reader, scard.ShareShared, scard.ProtocolAny)
	if err != nil {
		_ = ctx.Release()
		return nil, fmt.Errorf("connect to %q: %w", reader, mapPCSCError(err))
	}
	return &pcscConn{ctx: ctx, card: card}, nil
}

// Transmit sends one APDU. Errors meaning the card left are ErrCardRemoved.
func (c *pcscConn) Transmit(apdu []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.card == nil {
		return nil, errors.New("card connection closed")
	}
	r, err := c.card.Transmit(apdu)
	if err != nil {
		return nil, fmt.Errorf("transmit: %w", mapPCSCError(err))
	}
	if len(r) < 2 {
		// No status word: the reader lost the card mid-command (vpcd
		// answers nothing when the card's socket closes).
		return nil, fmt.Errorf("transmit: %w", &pcscError{sentinel: ErrCardRemoved, cause: errNoAnswer})
	}
	return r, nil
}

// ATR returns the card's ATR as PC/SC reports it.
func (c *pcscConn) ATR() ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.card == nil {
		return nil, errors.New("card connection closed")
	}
	st, err := c.card.Status()
	if err != nil {
		return nil, mapPCSCError(err)
	}
	return st.Atr, nil
}

// Begin holds the card for this connection (SCardBeginTransaction): other connections' commands
// wait until End.
func (c *pcscConn) Begin() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.card == nil {
		return errors.New("card connection closed")
	}
	return mapPCSCError(c.card.BeginTransaction())
}

// End lets other connections reach the card again (SCardEndTransaction, leaving the card).
func (c *pcscConn) End() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.card == nil {
		return errors.New("card connection closed")
	}
	return mapPCSCError(c.card.EndTransaction(scard.LeaveCard))
}

// ResetCard resets the card (SCardReconnect with SCARD_RESET_CARD): its security status, the
// selected application and any unfinished command are gone.
func (c *pcscConn) ResetCard() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.card == nil {
		return errors.New("card connection closed")
	}
	return mapPCSCError(c.card.Reconnect(scard.ShareShared, scard.ProtocolAny, scard.ResetCard))
}

// Close disconnects (leaving the card as it is) and releases the context.
func (c *pcscConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.card == nil {
		return nil
	}
	err := c.card.Disconnect(scard.LeaveCard)
	if rerr := c.ctx.Release(); err == nil {
		err = rerr
	}
	c.card, c.ctx = nil, nil
	if err != nil && !errors.Is(mapPCSCError(err), ErrCardRemoved) {
		return fmt.Errorf("disconnect card: %w", mapPCSCError(err))
	}
	return nil
}

var errNoAnswer = errors.New("the card sent no answer")

// pcscError keeps the library's error for logs while matching our sentinel.
type pcscError struct {
	sentinel error
	cause    error
}

func (e *pcscError) Error() string { return e.sentinel.Error() + " (" + e.cause.Error() + ")" }
func (e *pcscError) Is(target error) bool {
	return target == e.sentinel
}
func (e *pcscError) Unwrap() error { return e.cause }

// mapPCSCError translates scard errors so callers never import scard.
func mapPCSCError(err error) error {
	var se scard.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se {
	case scard.ErrRemovedCard, scard.ErrResetCard, scard.ErrNoSmartcard, scard.ErrUnpoweredCard,
		scard.ErrUnresponsiveCard, scard.ErrNotTransacted, scard.ErrCommError:
		return &pcscError{sentinel: ErrCardRemoved, cause: err}
	case scard.ErrNoService, scard.ErrServiceStopped:
		return &pcscError{sentinel: ErrNoService, cause: err}
	case scard.ErrUnknownReader, scard.ErrReaderUnavailable, scard.ErrNoReadersAvailable:
		return &pcscError{sentinel: ErrNoReader, cause: err}
	default:
		return err
	}
}
