package cardreader

import (
	"errors"
	"fmt"
)

// The card is usable only by us, and only while we sign. A PIV card's security status (the
// passcode verified) belongs to the card, not to the PC/SC connection that verified it: left
// verified, any other program on the workstation could open its own connection and have the
// card sign (a Spine sign-in as this user) without the passcode. So the passcode, the challenge
// and the sign-in signature run inside one PC/SC transaction (no other connection's command can
// reach the card in between), and the security status is reset straight after, and again at
// every lock, sign-out and card swap.

// Transactor is a Conn that can hold the card for itself (PC/SC SCardBeginTransaction): no
// other connection's command reaches the card until End.
type Transactor interface {
	Begin() error
	End() error
}

// CardResetter is a Conn that can reset the card (PC/SC SCardReconnect with SCARD_RESET_CARD),
// which clears its security status whatever the card's support for VERIFY P1=FF.
type CardResetter interface {
	ResetCard() error
}

// ErrNotReset means the card's security status could not be reset: neither VERIFY with P1 FF
// nor a card reset worked.
var ErrNotReset = errors.New("the card's passcode check could not be undone")

// ResetSecurity resets the card's security status: SP 800-73-4 part 2 3.2.1, VERIFY with P1 FF
// (the PIN is no longer verified), then checks with an empty VERIFY that the passcode is indeed
// no longer verified. When the card refuses, it resets the card through the Conn if it can.
func ResetSecurity(t Transport) error {
	r, err := transmit(t, shortAPDU(0x00, 0x20, 0xFF, 0x80, nil, -1))
	if err == nil && r.SW == 0x9000 && !Verified(t) {
		return nil
	}
	if rc, ok := t.(CardResetter); ok {
		if rerr := rc.ResetCard(); rerr == nil {
			return nil
		} else if err == nil {
			err = rerr
		}
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotReset, err)
	}
	return fmt.Errorf("%w (status %04X)", ErrNotReset, r.SW)
}

// Verified reports whether the card's passcode is verified now (an empty VERIFY answers 9000
// only then; SP 800-73-4 part 2 3.2.1). Any error counts as not verified. The PIV application
// must be selected.
func Verified(t Transport) bool {
	r, err := transmit(t, shortAPDU(0x00, 0x20, 0x00, 0x80, nil, -1))
	return err == nil && r.SW == 0x9000
}

// WithPasscode holds the card (one PC/SC transaction where the Conn supports it), selects PIV,
// verifies pin, runs fn (which may have the card sign: Prove, Sign, a Spine sign-in) and then,
// whatever happened, resets the card's security status before letting the card go. An error
// from fn is returned as it is; a failed reset is returned when fn succeeded (the caller must
// then treat the card as unsafe: close it with a reset).
func WithPasscode(t Transport, pin string, fn func() error) (err error) {
	if tx, ok := t.(Transactor); ok {
		if err := tx.Begin(); err != nil {
			return fmt.Errorf("hold the card: %w", err)
		}
		defer func() {
			if eerr := tx.End(); eerr != nil && err == nil {
				err = fmt.Errorf("release the card: %w", eerr)
			}
		}()
	}
	if err := SelectPIV(t); err != nil {
		return err
	}
	if err := VerifyPasscode(t, pin); err != nil {
		// A wrong passcode leaves nothing verified; reset anyway (cheap, and certain).
		_ = ResetSecurity(t)
		return err
	}
	defer func() {
		if rerr := ResetSecurity(t); rerr != nil && err == nil {
			err = rerr
		}
	}()
	return fn()
}
