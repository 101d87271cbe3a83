package session

import "scrdesk/internal/staff"

// Event is something that happened: from the PC/SC watcher, the card, the identity service, the
// user, or the clock. The set is closed: only this package's types implement it.
type Event interface{ isEvent() }

// ReaderAttached: a reader appeared; Count is the number of readers now.
type ReaderAttached struct{ Count int }

// ReaderDetached: a reader went away; Reader is its name, Count the number of readers now.
type ReaderDetached struct {
	Reader string
	Count  int
}

// CardIn: a card was inserted in Reader.
type CardIn struct{ Reader string }

// CardOut: the card left Reader ("" = whichever reader the machine follows).
type CardOut struct{ Reader string }

// StartSignIn: the user asked to sign in (or unlock) with the card already in the reader.
type StartSignIn struct{}

// CardRead answers ReadCard: the card's identity, holder and passcode tries left (0 = blocked).
// The controller sends it only after the certificate chained to a trust anchor.
type CardRead struct {
	Seq       uint64
	ID        CardID
	User      User
	TriesLeft int
	// Card is the open card connection the answer carries (opaque to the machine): handed back
	// in UseCard when the answer is wanted, in Discard (to be closed) when it is not.
	Card any
}

// CardUnreadable answers ReadCard or VerifyPasscode when the card cannot be used.
type CardUnreadable struct {
	Seq  uint64
	Kind Problem
	// Check says which check failed, in plain words for the audit row ("the certificate has
	// expired", "not a PIV card"); "" when no particular check.
	Check string
	// User is the card's holder when the card could be read that far (for the audit row).
	User User
}

// PasscodeSubmitted: the user pressed Enter on a well-formed passcode. The digits stay with the
// controller; the machine answers with VerifyPasscode when it wants them sent to the card. For
// is the card read the passcode screen was drawn for (View.PasscodeFor): a passcode typed on a
// screen drawn for another read (a card swapped and read within one frame) is not sent to this
// card. 0 means unsaid (tests, tools).
type PasscodeSubmitted struct{ For uint64 }

// PasscodeRight answers VerifyPasscode: the card accepted the passcode and signed a fresh
// challenge that verified against its certificate's public key (docs/card-profile.md: all three
// must hold).
//
// Link is the Spine sign-in the card signed inside the same passcode transaction (opaque to
// the machine): handed back in UseLink when the answer is wanted, in Discard (to be closed)
// when it is not. LinkProblem says why there is no Link ("" when there is, or none was asked).
type PasscodeRight struct {
	Seq         uint64
	Link        any
	LinkProblem string
}

// PasscodeWrong answers VerifyPasscode: wrong passcode, TriesLeft left (> 0).
type PasscodeWrong struct {
	Seq       uint64
	TriesLeft int
}

// PasscodeBlocked answers VerifyPasscode: the card is blocked (SW 6983, or the last try failed).
type PasscodeBlocked struct{ Seq uint64 }

// RolesLoaded answers LoadRoles. LastURID is the role this user chose last time ("" = none),
// from the controller's settings; it is offered first.
type RolesLoaded struct {
	Seq      uint64
	Roles    []staff.Role
	LastURID string
}

// SwitchRole changes a Ready session to another of the user's roles (from the identity
// service's list, which the controller keeps): the SGP who is also a pharmacist moves between
// the governance workspace and the counter. Everything on screen is dropped first.
type SwitchRole struct{ Role staff.Role }

// RolesFailed answers LoadRoles when the identity service could not be asked.
// Why says what the identity service did, in plain words, for the audit row.
type RolesFailed struct {
	Seq uint64
	Why string
}

// RoleChosen: the user picked a role on the role screen.
type RoleChosen struct{ URID string }

// RoleConfirmed: the user confirmed a role at another organisation than this workstation's
// (View.Confirm), after being told so.
type RoleConfirmed struct{ URID string }

// Activity: keyboard or mouse input was seen (resets the idle timer).
type Activity struct{}

// Tick: time passed; the machine reads its clock (idle lock). Send it at least every few seconds
// while Ready, or at View.IdleAt.
type Tick struct{}

// LockByHand: the Lock button or Ctrl+L.
type LockByHand struct{}

// SignOut: the user signed out (status bar or lock screen).
type SignOut struct{}

// ServiceLost: the PC/SC service stopped (every call fails with "no service").
type ServiceLost struct{}

// ServiceBack: a PC/SC context could be established again. Readers follow as ReaderAttached.
type ServiceBack struct{}

// Cancel: Escape on the passcode or role screen.
type Cancel struct{}

func (ReaderAttached) isEvent()    {}
func (ReaderDetached) isEvent()    {}
func (CardIn) isEvent()            {}
func (CardOut) isEvent()           {}
func (StartSignIn) isEvent()       {}
func (CardRead) isEvent()          {}
func (CardUnreadable) isEvent()    {}
func (PasscodeSubmitted) isEvent() {}
func (PasscodeRight) isEvent()     {}
func (PasscodeWrong) isEvent()     {}
func (PasscodeBlocked) isEvent()   {}
func (RolesLoaded) isEvent()       {}
func (RolesFailed) isEvent()       {}
func (RoleChosen) isEvent()        {}
func (RoleConfirmed) isEvent()     {}
func (Activity) isEvent()          {}
func (Tick) isEvent()              {}
func (LockByHand) isEvent()        {}
func (SignOut) isEvent()           {}
func (ServiceLost) isEvent()       {}
func (ServiceBack) isEvent()       {}
func (Cancel) isEvent()            {}
func (SwitchRole) isEvent()        {}
