package session

import (
	"bytes"
	"encoding/hex"
	"time"

	"scrdesk/internal/staff"
)

// State is where the session is. The controller picks the screen from it:
// NoReader, WaitingForCard, ReadingCard and Locked show the lock screen; Passcode, Verifying and
// CardBlocked the passcode screen; LoadingRoles, ChoosingRole and NoRole the role screen; Ready
// the workspace with the status bar.
type State int

// The states. The zero value is NoReader: a machine starts knowing of no reader.
const (
	NoReader       State = iota // no PC/SC reader (or no PC/SC service), nobody signed in
	WaitingForCard              // a reader, nobody signed in: "Insert your smartcard"
	ReadingCard                 // a card is being read (identity, certificate, tries left)
	Passcode                    // waiting for the user's passcode
	Verifying                   // the card is checking the passcode and signing the challenge
	CardBlocked                 // the card's passcode is blocked: only the RA can help
	LoadingRoles                // authenticated; the user's roles are being fetched
	ChoosingRole                // several roles: the user picks one
	NoRole                      // authenticated but no role at all: a plain refusal
	Ready                       // signed in under a role; patient data may be on screen
	Locked                      // a session is held, locked; no patient data anywhere
)

// States lists every state, in order (for tests and tools).
var States = []State{NoReader, WaitingForCard, ReadingCard, Passcode, Verifying, CardBlocked,
	LoadingRoles, ChoosingRole, NoRole, Ready, Locked}

var stateNames = [...]string{"NoReader", "WaitingForCard", "ReadingCard", "Passcode", "Verifying",
	"CardBlocked", "LoadingRoles", "ChoosingRole", "NoRole", "Ready", "Locked"}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(?)"
}

// LockReason says why a session locked.
type LockReason int

// The lock reasons.
const (
	NotLocked           LockReason = iota
	ReasonCardRemoved              // the card left the reader
	ReasonIdle                     // no keyboard or mouse input for Config.IdleLock
	ReasonByHand                   // the Lock button or Ctrl+L
	ReasonServiceLost              // the PC/SC service stopped
	ReasonReaderRemoved            // the card's reader was unplugged
)

var reasonNames = [...]string{"not locked", "card removed", "idle", "locked by hand", "smartcard service lost", "reader removed"}

func (r LockReason) String() string {
	if r >= 0 && int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "LockReason(?)"
}

// Action is the audit action of a lock for this reason.
func (r LockReason) Action() Action {
	switch r {
	case ReasonIdle:
		return ActLockIdle
	case ReasonByHand:
		return ActLockManual
	case ReasonServiceLost:
		return ActLockServiceLost
	}
	return ActLockCardRemoved
}

// Message is the plain-English sentence the lock screen shows for the reason.
func (r LockReason) Message() string {
	switch r {
	case ReasonCardRemoved:
		return "Locked because the smartcard was removed."
	case ReasonIdle:
		return "Locked after a period without use."
	case ReasonByHand:
		return "Locked."
	case ReasonServiceLost:
		return "Locked because the smartcard service stopped. It resumes when a reader is back."
	case ReasonReaderRemoved:
		return "Locked because the card reader was unplugged."
	}
	return ""
}

// CardID is a card's identity (docs/card-profile.md "The same card, or another"): the CHUID's GUID
// and the SHA-256 fingerprint of the PIV Authentication certificate. The ATR is not identity.
type CardID struct {
	GUID        [16]byte
	Fingerprint [32]byte
}

// IsZero reports whether id is unset.
func (id CardID) IsZero() bool { return id == CardID{} }

// Equal reports whether two identities name the same card.
func (id CardID) Equal(o CardID) bool {
	return bytes.Equal(id.GUID[:], o.GUID[:]) && bytes.Equal(id.Fingerprint[:], o.Fingerprint[:])
}

// String is a short form for logs: the first bytes of the fingerprint only.
func (id CardID) String() string { return hex.EncodeToString(id.Fingerprint[:4]) }

// User is the card holder, from the certificate (docs/card-profile.md "Who the card belongs to").
type User struct {
	ID   string // 12-digit NHS user id (subject serialNumber)
	Name string // display name (subject CN); never logged
}

// Problem says why a card could not be used. Each has a plain-English Message (docs/card-profile.md
// "What a person sees when a card is wrong").
type Problem int

// The problems.
const (
	ReadFailed    Problem = iota // the card did not answer as expected
	NotStaffCard                 // no PIV application
	CertNotValid                 // certificate missing, unreadable, not yet valid, or unusable
	NotProven                    // the card did not sign the challenge with the certificate's key
	CertExpired                  // the certificate's validity has ended
	CertUntrusted                // the certificate does not chain to a trusted authority
)

var problemNames = [...]string{"read failed", "not a staff card", "certificate not valid", "challenge not proven",
	"certificate expired", "certificate not trusted"}

func (p Problem) String() string {
	if p >= 0 && int(p) < len(problemNames) {
		return problemNames[p]
	}
	return "Problem(?)"
}

// Outcome is the audit outcome of a sign-in that failed with p.
func (p Problem) Outcome() Outcome {
	switch p {
	case CertNotValid, CertExpired, CertUntrusted:
		return SeriousFailure
	case NotProven:
		return MajorFailure
	}
	return MinorFailure
}

// Message says what happened and what to do.
func (p Problem) Message() string {
	switch p {
	case NotStaffCard:
		return "This card is not a staff smartcard."
	case CertNotValid:
		return "This smartcard's certificate is not valid here: contact your Registration Authority."
	case NotProven:
		return "This smartcard could not prove it holds its certificate's key: contact your Registration Authority."
	case CertExpired:
		return "This smartcard's certificate has expired, so it cannot sign you in. Take the card out; your Registration Authority can renew it."
	case CertUntrusted:
		return "This smartcard was not issued by an authority this workstation trusts, so it cannot sign you in. Take the card out; if it is your NHS smartcard, ask IT support to check this workstation's smartcard settings."
	}
	return "The smartcard could not be read. Take it out and insert it again."
}

// Retry reports whether reading the same card again might work (a bad contact, a card still
// powering up). When it cannot, the lock screen offers no Sign in button for that card.
func (p Problem) Retry() bool { return p == ReadFailed }

// Messages the screens show, in one place so tests and screens agree.
const (
	MsgBlocked      = "Your smartcard is locked after 3 wrong passcodes: your Registration Authority can unlock it."
	MsgNoRole       = "Your smartcard has no role at this or any organisation, so you cannot sign in to SCR Desk. Ask your Registration Authority to give you a role."
	MsgSignedOut    = "Signed out."
	MsgSignInStop   = "Sign-in stopped because the smartcard was removed."
	MsgRolesFailed  = "Your roles could not be loaded from the NHS identity service. Check the connection, then sign in again."
	MsgCardSwapped  = "Another card was inserted: the locked session has ended."
	MsgServiceLost  = "The smartcard service has stopped. SCR Desk carries on when it is back."
	MsgSignInCancel = "Sign-in cancelled."
)

// Config is the machine's configuration, from settings.
type Config struct {
	IdleLock        time.Duration // lock after this long without input; 0 = never
	RemovalSignsOut bool          // card removal ends the session instead of locking it
	SCRActivities   []string      // a role may open SCRs if it carries one of these
	SGPActivities   []string      // a role may use the SGP workspace if it carries one of these
	// WorkstationODS is this pharmacy's ODS code: a role at another organisation is signed in
	// only after the user confirms it (View.Confirm), and that confirmation is audited.
	WorkstationODS string
}

// View is a copy of the machine's state for the screens and the controller: plain data, safe to
// hand to another goroutine.
type View struct {
	State State

	ServiceUp   bool   // the PC/SC service answers
	Readers     int    // readers attached
	CardPresent bool   // the card the machine follows is in a reader
	Reader      string // that card's reader

	User  User         // the user signing in or signed in (zero before the card is read)
	Role  staff.Role   // the chosen role (Ready, Locked)
	Roles []staff.Role // ChoosingRole: the roles in the order to offer them
	// Confirm, in ChoosingRole when Confirming: the chosen role is at another organisation than
	// the workstation's; the user must confirm it (RoleConfirmed) or go back (Cancel).
	Confirm    staff.Role
	Confirming bool
	TriesLeft  int // Passcode, Verifying: passcode tries left, -1 if unknown
	// PasscodeFor, in Passcode and Verifying: the card read the passcode is asked for (the
	// PasscodeSubmitted that answers it carries it back).
	PasscodeFor uint64

	Locked     bool       // a locked session is held (also while its owner re-enters the passcode)
	LockedUser User       // whose session is locked
	LockReason LockReason // why it locked
	Resuming   bool       // the card being read / passcode being asked is to unlock that session

	Message string // a plain-English line for the current screen, or ""
	// CardUnusable: the card in the reader failed in a way reading it again cannot fix (its
	// certificate, not a staff card): it must come out; Message says why.
	CardUnusable bool

	CanViewSCR  bool   // Ready: the role may open Summary Care Records
	NoSCRReason string // Ready and !CanViewSCR: why not, in plain English
	CanSGP      bool   // Ready: the role may use the SGP workspace

	IdleAt time.Time // Ready with IdleLock > 0: when the idle lock falls due (zero otherwise)
}

// SignedIn reports whether the view is of a signed-in, unlocked session.
func (v View) SignedIn() bool { return v.State == Ready }
