package session

import "scrdesk/internal/staff"

// Effect is something the controller must do, in the order Handle returns them.
type Effect interface{ isEffect() }

// DropPatientData: drop every reference to patient data (views, caches, the open record, the
// search box) now. Always the first effect of a transition out of Ready.
type DropPatientData struct{}

// ShowLock: replace every view with the lock screen now (render Snapshot()).
type ShowLock struct{}

// ShowWorkspace: the user is signed in; show an empty patient search (never a previous record).
// Role is the role the session now runs under: from here on the Spine link carries it.
type ShowWorkspace struct {
	Resumed bool
	Role    staff.Role
}

// UseCard: keep Card (a CardRead's connection) as the open card.
type UseCard struct{ Card any }

// UseLink: Link (a PasscodeRight's Spine sign-in) is the session's link from now on; close any
// other.
type UseLink struct{ Link any }

// LinkDown: there is no Spine link, and Why says why (the status bar shows it).
type LinkDown struct{ Why string }

// Discard: an answer came back that nobody waits for any more (the card left, another user is
// signing in): close what it carried (a card connection, a Spine sign-in) unused and audit
// that it was discarded. Answer names the answer ("sign-in", "card read").
type Discard struct {
	Answer  string
	Seq     uint64
	Carried any
}

// EndSession: the session is over (signed out, card swapped, signed out by removal): forget its
// tokens and anything else held for the user.
type EndSession struct{ User User }

// ReadCard: read the card in Reader (select PIV, CHUID, certificate and its chain, tries left)
// and answer CardRead or CardUnreadable with Seq.
type ReadCard struct {
	Seq    uint64
	Reader string
}

// VerifyPasscode: send the passcode the user typed to the card, then the challenge; answer
// PasscodeRight, PasscodeWrong, PasscodeBlocked or CardUnreadable with Seq. Never retry on your own.
type VerifyPasscode struct{ Seq uint64 }

// LoadRoles: fetch the user's roles from the identity service; answer RolesLoaded or RolesFailed
// with Seq.
type LoadRoles struct {
	Seq  uint64
	User User
}

// RememberRole: store URID as this user's last role choice (settings), offered first next time.
type RememberRole struct {
	UserID string
	URID   string
}

// Action names an audit row. The values are internal/audit's Action values (audit.Action(a)
// converts); this leaf keeps its own copy so that it imports nothing but the standard library
// and internal/staff, and a test checks the two never drift apart.
type Action string

// The audited actions.
const (
	ActLogin           Action = "login"                // signed in under Role; a failure says why in Reason
	ActWrongPasscode   Action = "login-wrong-passcode" // Reason holds the tries left
	ActCardBlocked     Action = "login-card-blocked"   // three wrong passcodes, or a card already blocked
	ActRoleSelected    Action = "role-selected"        // the user chose Role among several
	ActLockCardRemoved Action = "lock-card-removed"    // card (or its reader) removed
	ActLockIdle        Action = "lock-idle"            // no input for Config.IdleLock
	ActLockManual      Action = "lock-manual"          // Lock button or Ctrl+L
	ActLockServiceLost Action = "lock-service-lost"    // the PC/SC service stopped
	ActUnlock          Action = "unlock"               // same card, passcode and challenge again
	ActLogout          Action = "logout"               // Reason: by hand, card removed, from the lock screen
	ActCardSwapped     Action = "card-swapped"         // another card ended User's locked session
)

// Outcome is how the audited action ended: internal/audit's Outcome values (FHIR R4
// AuditEvent.outcome).
type Outcome string

// The outcomes.
const (
	Success        Outcome = "success"
	MinorFailure   Outcome = "minor-failure"   // wrong passcode, cancelled, no role
	SeriousFailure Outcome = "serious-failure" // certificate not valid, roles not loaded
	MajorFailure   Outcome = "major-failure"   // card blocked, challenge not proven
)

// Audit: write an audit row. User and Role are whose session it concerns (Role may be zero);
// NewUser is set for a card swap (the card that was inserted).
type Audit struct {
	Action  Action
	Outcome Outcome
	Reason  string
	User    User
	Role    staff.Role
	NewUser User
}

func (DropPatientData) isEffect() {}
func (ShowLock) isEffect()        {}
func (ShowWorkspace) isEffect()   {}
func (EndSession) isEffect()      {}
func (ReadCard) isEffect()        {}
func (VerifyPasscode) isEffect()  {}
func (LoadRoles) isEffect()       {}
func (RememberRole) isEffect()    {}
func (Audit) isEffect()           {}
func (UseCard) isEffect()         {}
func (UseLink) isEffect()         {}
func (LinkDown) isEffect()        {}
func (Discard) isEffect()         {}
