package cardreader

import (
	"errors"
	"fmt"

	"scrdesk/internal/usermsg"
)

// Sentinel errors callers branch on. Wrapped errors keep them reachable with
// errors.Is.
var (
	// ErrNotPIV: the card has no PIV card application (SELECT answered 6A82 or
	// similar), or lacks the objects every PIV card carries.
	ErrNotPIV = usermsg.New("card has no PIV application", msgNotPIV)
	// ErrBlocked: the PIV PIN retry counter is zero (status 6983 or 63C0).
	ErrBlocked = usermsg.New("card passcode is blocked", msgBlocked)
	// ErrCardRemoved: the card left the reader (or was reset) during a command.
	ErrCardRemoved = usermsg.New("card removed", msgRemoved)
	// ErrNoService: the PC/SC service (pcscd, Windows' Smart Card service) is not running.
	ErrNoService = usermsg.New("smartcard service not running", msgNoService)
	// ErrNoReader: no such reader, or no reader at all.
	ErrNoReader = usermsg.New("no smartcard reader", msgNoReader)
	// ErrChallenge: the card's signature over a fresh challenge did not verify
	// against its certificate: the card does not hold the certificate's key.
	ErrChallenge = usermsg.New("card failed the challenge", msgChallenge)
	// ErrNotVerified: the card refused a private key operation because the
	// passcode is not verified (status 6982).
	ErrNotVerified = errors.New("card passcode not verified")
)

// PasscodeError is a wrong passcode; TriesLeft is the card's retry counter
// after the attempt (at least 1: zero is ErrBlocked). Format is set instead
// when the passcode was refused before reaching the card (not 6 to 8 digits).
type PasscodeError struct {
	TriesLeft int
	Format    bool
}

func (e *PasscodeError) Error() string {
	if e.Format {
		return "passcode must be 6 to 8 digits"
	}
	return fmt.Sprintf("wrong passcode, %d tries left", e.TriesLeft)
}

// UserMessage is the sentence shown to the person (usermsg.Error).
func (e *PasscodeError) UserMessage() string {
	if e.Format {
		return "A smartcard passcode is 6 to 8 digits. Please type it again."
	}
	if e.TriesLeft == 1 {
		return "Wrong passcode: 1 try left before your smartcard locks."
	}
	return fmt.Sprintf("Wrong passcode: %d tries left before your smartcard locks.", e.TriesLeft)
}

// CertificateError is a PIV Authentication certificate that is missing,
// unreadable, expired, not yet valid, not trusted here, or not usable for
// signatures. Reason is a short lower-case phrase for logs; Err the cause.
type CertificateError struct {
	// Reason says what is wrong, e.g. CertReasonExpired or CertReasonUntrusted.
	Reason string
	Err    error
}

func (e *CertificateError) Error() string {
	if e.Err != nil {
		return "card certificate " + e.Reason + ": " + e.Err.Error()
	}
	return "card certificate " + e.Reason
}

func (e *CertificateError) Unwrap() error { return e.Err }

// The CertificateError reasons a person is told apart (the screens word them differently).
const (
	CertReasonExpired   = "expired"
	CertReasonUntrusted = "not trusted"
)

// UserMessage is the sentence shown to the person (docs/card-profile.md; usermsg.Error).
func (e *CertificateError) UserMessage() string { return msgCertificate }

// CardError is a status word the card answered that the session did not
// expect. It is logged; the person sees a generic message.
type CardError struct {
	Op string
	SW uint16
}

func (e *CardError) Error() string { return fmt.Sprintf("%s: card answered %04X", e.Op, e.SW) }

const (
	msgNotPIV      = "This card is not a staff smartcard."
	msgCertificate = "This smartcard's certificate is not valid here: contact your Registration Authority."
	msgBlocked     = "Your smartcard is locked after 3 wrong passcodes: your Registration Authority can unlock it."
	msgRemoved     = "The smartcard was removed, so sign-in stopped. Insert your card to sign in again."
	msgNoService   = "The smartcard service is not running, so the workstation is locked. It unlocks for your card when the service is back; if it stays off, contact IT support."
	msgNoReader    = "No smartcard reader is connected. Plug in the reader; the workstation stays locked until it is back."
	msgChallenge   = "This smartcard could not prove it holds its key: contact your Registration Authority."
	msgUnknown     = "The smartcard could not be read. Take it out and insert it again; if this keeps happening, contact IT support."
)

// UserMessage returns the plain-English sentence a person is shown for an error from this
// package (docs/card-profile.md's table): what happened and what to do. It never contains the
// error's technical detail. Every error of this package that a person may see carries its
// sentence (usermsg.Error); anything else is "the card could not be read".
func UserMessage(err error) string { return usermsg.Of(err, msgUnknown) }
