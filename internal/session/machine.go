package session

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"scrdesk/internal/staff"
)

// Machine is the session state machine. Create it with New; see the package doc for the
// threading contract (one owning goroutine).
type Machine struct {
	cfg Config
	now func() time.Time

	state     State
	serviceUp bool
	readers   int
	card      bool   // the followed card is in a reader
	reader    string // its reader

	// The sign-in in progress, or the signed-in session.
	cardID    CardID
	user      User
	tries     int
	roles     []staff.Role // ChoosingRole, in the order offered
	confirm   *staff.Role  // ChoosingRole: a role at another organisation, waiting for confirmation
	role      staff.Role   // Ready
	lastInput time.Time    // Ready

	held *held // the locked session, if any

	offered []staff.Role // the roles the identity service offered, for the sign-in's audit row

	msg      string
	unusable bool   // the card in the reader failed for good (Problem.Retry is false)
	pending  uint64 // Seq of the request whose answer the machine waits for
	readSeq  uint64 // Seq of the card read the passcode screen is for (PasscodeSubmitted.For)
	seq      uint64
}

// held is a locked session: whose card, who, under which role, and why it locked.
type held struct {
	id     CardID
	user   User
	role   staff.Role
	reason LockReason
}

// New returns a machine in NoReader, with the PC/SC service assumed up until the controller says
// otherwise. now is the clock (time.Now in production, a fake in tests); it is read only inside
// Handle.
func New(cfg Config, now func() time.Time) *Machine {
	if now == nil {
		now = time.Now
	}
	cfg.SCRActivities = slices.Clone(cfg.SCRActivities)
	cfg.SGPActivities = slices.Clone(cfg.SGPActivities)
	return &Machine{cfg: cfg, now: now, state: NoReader, serviceUp: true, tries: -1}
}

// SetConfig replaces the configuration (settings changed). It takes effect from the next event;
// a signed-in user's rights are recomputed by the next Snapshot.
func (m *Machine) SetConfig(cfg Config) {
	cfg.SCRActivities = slices.Clone(cfg.SCRActivities)
	cfg.SGPActivities = slices.Clone(cfg.SGPActivities)
	m.cfg = cfg
}

// Awaits reports whether seq is the request whose answer the machine waits for now: the
// controller keeps anything an answer carries beside the machine only when it does.
func (m *Machine) Awaits(seq uint64) bool { return seq != 0 && seq == m.pending }

// State returns the current state.
func (m *Machine) State() State { return m.state }

// Handle applies one event and returns the effects to carry out, in order. Events that do not
// apply to the current state (and stale answers) change nothing and return no effects.
func (m *Machine) Handle(e Event) []Effect {
	var fx []Effect
	switch e := e.(type) {
	case ReaderAttached:
		m.readers = max(e.Count, 0)
		if m.readers > 0 {
			m.serviceUp = true
		}
		if m.state == NoReader && m.readers > 0 {
			m.state = WaitingForCard
			m.msg = ""
		}
	case ReaderDetached:
		m.readers = max(e.Count, 0)
		if m.card && (e.Reader == m.reader || m.readers == 0) {
			m.card, m.reader = false, ""
			fx = m.cardGone(ReasonReaderRemoved, "reader removed", MsgSignInStop)
		}
		m.settle()
	case CardIn:
		if m.card && e.Reader != m.reader {
			return nil // a second card in another reader: the machine follows one card
		}
		wasPresent := m.card
		m.card, m.reader = true, e.Reader
		m.serviceUp = true
		m.readers = max(m.readers, 1)
		switch m.state {
		case NoReader, WaitingForCard, Locked:
			if !wasPresent {
				fx = m.startRead()
			}
		}
	case CardOut:
		if !m.card || (e.Reader != "" && e.Reader != m.reader) {
			return nil
		}
		m.card, m.reader = false, ""
		m.unusable = false
		switch m.state {
		case NoReader, WaitingForCard, Locked:
			m.msg = "" // the message was about the card that left
		case Ready:
			if m.cfg.RemovalSignsOut {
				fx = m.signOut("card removed", MsgSignedOut+" The smartcard was removed.")
				break
			}
			fx = m.cardGone(ReasonCardRemoved, "card removed", MsgSignInStop)
		default:
			fx = m.cardGone(ReasonCardRemoved, "card removed", MsgSignInStop)
		}
		m.settle()
	case StartSignIn:
		switch m.state {
		case NoReader, WaitingForCard, Locked:
			if m.card && !m.unusable {
				fx = m.startRead()
			}
		}
	case CardRead:
		if m.state != ReadingCard || e.Seq != m.pending {
			return discard("card read", e.Seq, e.Card)
		}
		m.readSeq = e.Seq
		fx = m.cardRead(e)
		if e.Card != nil {
			fx = append(fx, UseCard{Card: e.Card})
		}
	case CardUnreadable:
		if (m.state != ReadingCard && m.state != Verifying) || e.Seq != m.pending {
			return nil
		}
		reason := e.Kind.String()
		if e.Check != "" {
			reason += ": " + e.Check
		}
		who := m.user
		if who.ID == "" {
			who = e.User
		}
		fx = append(fx, Audit{Action: ActLogin, Outcome: e.Kind.Outcome(), Reason: reason, User: who})
		fx = append(fx, m.abort(e.Kind.Message())...)
		m.unusable = !e.Kind.Retry()
	case PasscodeSubmitted:
		if m.state == Passcode && (e.For == 0 || e.For == m.readSeq) {
			m.state = Verifying
			m.msg = ""
			fx = append(fx, VerifyPasscode{Seq: m.next()})
		}
	case PasscodeRight:
		if m.state != Verifying || e.Seq != m.pending {
			return discard("sign-in", e.Seq, e.Link)
		}
		if e.Link != nil {
			fx = append(fx, UseLink{Link: e.Link})
		} else if e.LinkProblem != "" {
			fx = append(fx, LinkDown{Why: e.LinkProblem})
		}
		if h := m.held; h != nil {
			m.held = nil
			fx = append(fx, Audit{Action: ActUnlock, Outcome: Success, Reason: h.reason.String(), User: h.user, Role: h.role})
			fx = append(fx, m.enter(h.role, true)...)
		} else if e.Link == nil && e.LinkProblem != "" {
			// The card proved itself but the identity service did not sign the user in.
			fx = append(fx, Audit{Action: ActLogin, Outcome: SeriousFailure, Reason: "identity service: " + e.LinkProblem, User: m.user})
			fx = append(fx, m.abort(MsgRolesFailed)...)
		} else {
			m.state = LoadingRoles
			m.msg = ""
			fx = append(fx, LoadRoles{Seq: m.next(), User: m.user})
		}
	case PasscodeWrong:
		if m.state != Verifying || e.Seq != m.pending {
			return nil
		}
		if e.TriesLeft <= 0 {
			fx = m.blocked()
			break
		}
		m.tries = e.TriesLeft
		m.state = Passcode
		m.msg = wrongMsg(e.TriesLeft)
		fx = append(fx, Audit{Action: ActWrongPasscode, Outcome: MinorFailure, Reason: fmt.Sprintf("%d tries left", e.TriesLeft), User: m.user})
	case PasscodeBlocked:
		if m.state != Verifying || e.Seq != m.pending {
			return nil
		}
		fx = m.blocked()
	case RolesLoaded:
		if m.state != LoadingRoles || e.Seq != m.pending {
			return nil
		}
		m.offered = slices.Clone(e.Roles)
		switch len(e.Roles) {
		case 0:
			m.state = NoRole
			m.msg = MsgNoRole
			// The link signed in for this user has nothing to carry: ended now.
			fx = append(fx, Audit{Action: ActLogin, Outcome: MinorFailure, Reason: "no role", User: m.user}, EndSession{User: m.user})
		case 1:
			if m.otherOrg(e.Roles[0]) {
				m.roles = slices.Clone(e.Roles)
				m.confirm = &m.roles[0]
				m.state = ChoosingRole
				m.msg = ""
				break
			}
			fx = m.signIn(e.Roles[0])
		default:
			m.roles = OrderRoles(e.Roles, e.LastURID)
			m.state = ChoosingRole
			m.msg = ""
		}
	case RolesFailed:
		if m.state != LoadingRoles || e.Seq != m.pending {
			return nil
		}
		reason := "roles not loaded"
		if e.Why != "" {
			reason += ": " + e.Why
			fx = append(fx, LinkDown{Why: e.Why})
		}
		fx = append(fx, Audit{Action: ActLogin, Outcome: SeriousFailure, Reason: reason, User: m.user})
		fx = append(fx, m.abort(MsgRolesFailed)...)
	case RoleChosen:
		if m.state != ChoosingRole || m.confirm != nil {
			return nil
		}
		i := slices.IndexFunc(m.roles, func(r staff.Role) bool { return r.URID == e.URID })
		if i < 0 {
			return nil
		}
		if m.otherOrg(m.roles[i]) {
			m.confirm = &m.roles[i]
			break
		}
		fx = append(fx, RememberRole{UserID: m.user.ID, URID: e.URID},
			Audit{Action: ActRoleSelected, Outcome: Success, User: m.user, Role: m.roles[i]})
		fx = append(fx, m.signIn(m.roles[i])...)
	case RoleConfirmed:
		if m.state != ChoosingRole || m.confirm == nil || m.confirm.URID != e.URID {
			return nil
		}
		r := *m.confirm
		m.confirm = nil
		fx = append(fx, RememberRole{UserID: m.user.ID, URID: r.URID},
			Audit{Action: ActRoleSelected, Outcome: Success, User: m.user, Role: r,
				Reason: "role at another organisation (" + r.OrgCode + ") confirmed at workstation " + m.cfg.WorkstationODS})
		fx = append(fx, m.signIn(r)...)
	case SwitchRole:
		if m.state != Ready || e.Role.URID == "" || e.Role.URID == m.role.URID {
			return nil
		}
		m.role = e.Role
		m.lastInput = m.now()
		fx = append(fx, DropPatientData{}, RememberRole{UserID: m.user.ID, URID: e.Role.URID},
			Audit{Action: ActRoleSelected, Outcome: Success, User: m.user, Role: e.Role}, ShowWorkspace{Role: e.Role})
	case Activity:
		if m.state == Ready {
			m.lastInput = m.now()
		}
	case Tick:
		if m.state == Ready && m.cfg.IdleLock > 0 && !m.now().Before(m.lastInput.Add(m.cfg.IdleLock)) {
			fx = m.lock(ReasonIdle)
		}
	case LockByHand:
		if m.state == Ready {
			fx = m.lock(ReasonByHand)
		}
	case SignOut:
		switch m.state {
		case Ready:
			fx = m.signOut("by hand", MsgSignedOut)
		case Locked:
			h := m.held
			m.held = nil
			fx = append(fx, DropPatientData{},
				Audit{Action: ActLogout, Outcome: Success, Reason: "from the lock screen", User: h.user, Role: h.role},
				EndSession{User: h.user})
			m.clear()
			m.msg = MsgSignedOut
			m.settle()
		case ChoosingRole, NoRole:
			fx = m.cancel()
		}
	case ServiceLost:
		m.serviceUp = false
		m.readers = 0
		m.card, m.reader = false, ""
		fx = m.cardGone(ReasonServiceLost, "smartcard service lost", MsgServiceLost)
		m.msg = MsgServiceLost
		m.settle()
	case ServiceBack:
		m.serviceUp = true
		if m.msg == MsgServiceLost {
			m.msg = ""
		}
		m.settle()
	case Cancel:
		if m.state == ChoosingRole && m.confirm != nil && len(m.roles) > 1 {
			m.confirm = nil // back to the list of roles
			break
		}
		switch m.state {
		case Passcode, CardBlocked, LoadingRoles, ChoosingRole, NoRole:
			fx = m.cancel()
		}
	}
	return fx
}

// otherOrg reports whether r is at another organisation than the workstation's (when the
// workstation's ODS code is configured).
func (m *Machine) otherOrg(r staff.Role) bool {
	return m.cfg.WorkstationODS != "" && r.OrgCode != "" && !strings.EqualFold(r.OrgCode, m.cfg.WorkstationODS)
}

// discard answers a stale answer: nothing changes; what it carried, if anything, is closed.
func discard(answer string, seq uint64, carried any) []Effect {
	if carried == nil {
		return nil
	}
	return []Effect{Discard{Answer: answer, Seq: seq, Carried: carried}}
}

// next allocates the Seq of a new request and waits for its answer only.
func (m *Machine) next() uint64 {
	m.seq++
	m.pending = m.seq
	return m.seq
}

func (m *Machine) startRead() []Effect {
	m.state = ReadingCard
	m.msg = ""
	m.unusable = false
	m.user, m.cardID, m.tries = User{}, CardID{}, -1
	return []Effect{ReadCard{Seq: m.next(), Reader: m.reader}}
}

func (m *Machine) cardRead(e CardRead) []Effect {
	var fx []Effect
	if h := m.held; h != nil && !(h.id.Equal(e.ID) && h.user.ID == e.User.ID) {
		// docs/card-profile.md: any other card ends the locked session (its patient data already
		// gone).
		m.held = nil
		fx = append(fx, DropPatientData{},
			Audit{Action: ActCardSwapped, Outcome: Success, Reason: h.reason.String(), User: h.user, Role: h.role, NewUser: e.User},
			EndSession{User: h.user})
	}
	m.cardID, m.user, m.tries = e.ID, e.User, e.TriesLeft
	if e.TriesLeft == 0 {
		return append(fx, m.blocked()...)
	}
	m.state = Passcode
	m.msg = ""
	if len(fx) > 0 {
		m.msg = MsgCardSwapped
	}
	return fx
}

func (m *Machine) blocked() []Effect {
	m.state = CardBlocked
	m.tries = 0
	m.msg = MsgBlocked
	return []Effect{Audit{Action: ActCardBlocked, Outcome: MajorFailure, User: m.user}}
}

// signIn completes a new sign-in under role.
func (m *Machine) signIn(role staff.Role) []Effect {
	a := Audit{Action: ActLogin, Outcome: Success, User: m.user, Role: role}
	if !role.Can(m.cfg.SCRActivities) {
		// Signed in, but no record can be opened: the row says so, with the roles offered.
		var names []string
		for _, r := range m.offered {
			names = append(names, r.RoleName+" ("+r.URID+")")
		}
		a.Reason = "this role may not open records; roles offered: " + strings.Join(names, ", ")
	}
	m.offered = nil
	fx := []Effect{a}
	return append(fx, m.enter(role, false)...)
}

// enter makes the session Ready under role.
func (m *Machine) enter(role staff.Role, resumed bool) []Effect {
	m.state = Ready
	m.role = role
	m.roles = nil
	m.msg = ""
	m.tries = -1
	m.lastInput = m.now()
	return []Effect{ShowWorkspace{Resumed: resumed, Role: role}}
}

// lock holds the session and locks it: patient data first, then the screen, then the audit row.
func (m *Machine) lock(r LockReason) []Effect {
	m.held = &held{id: m.cardID, user: m.user, role: m.role, reason: r}
	fx := []Effect{DropPatientData{}, ShowLock{}, Audit{Action: r.Action(), Outcome: Success, Reason: r.String(), User: m.user, Role: m.role}}
	m.clear()
	m.state = Locked
	m.msg = ""
	return fx
}

// signOut ends the signed-in session.
func (m *Machine) signOut(reason, msg string) []Effect {
	fx := []Effect{DropPatientData{}, ShowLock{},
		Audit{Action: ActLogout, Outcome: Success, Reason: reason, User: m.user, Role: m.role},
		EndSession{User: m.user}}
	m.clear()
	m.held = nil
	m.msg = msg
	m.state = WaitingForCard
	m.settle()
	return fx
}

// cardGone handles the loss of the card (removed, its reader unplugged, the service lost).
func (m *Machine) cardGone(r LockReason, why, signInMsg string) []Effect {
	switch m.state {
	case Ready:
		return m.lock(r)
	case ReadingCard, Passcode, Verifying, CardBlocked, LoadingRoles, ChoosingRole, NoRole:
		var fx []Effect
		if m.user.ID != "" && m.state != CardBlocked && m.state != NoRole {
			fx = append(fx, Audit{Action: ActLogin, Outcome: MinorFailure, Reason: "sign-in stopped: " + why, User: m.user})
		}
		return append(fx, m.abort(signInMsg)...)
	}
	return nil
}

// cancel stops a sign-in at the user's request.
func (m *Machine) cancel() []Effect {
	if m.state == CardBlocked {
		// Reading a blocked card again cannot help: the lock screen keeps saying why and asks
		// for the card out, with no Sign in button (a keyboard walk was told "Sign-in
		// cancelled." and offered a Sign in that only showed the card blocked again).
		fx := m.abort(MsgBlocked)
		m.unusable = m.card
		return fx
	}
	var fx []Effect
	if m.state != NoRole {
		fx = append(fx, Audit{Action: ActLogin, Outcome: MinorFailure, Reason: "sign-in cancelled", User: m.user})
	}
	return append(fx, m.abort(MsgSignInCancel)...)
}

// abort stops a sign-in: back to the lock screen (the held session, if any, stays locked). A
// sign-in that already holds a Spine link (loading or choosing roles) ends it: EndSession.
func (m *Machine) abort(msg string) []Effect {
	var fx []Effect
	if m.state == LoadingRoles || m.state == ChoosingRole {
		fx = append(fx, EndSession{User: m.user})
	}
	m.clear()
	m.msg = msg
	m.state = WaitingForCard
	m.settle()
	return fx
}

// clear forgets the sign-in or session in progress (not the held session, not the readers).
func (m *Machine) clear() {
	m.cardID, m.user, m.tries = CardID{}, User{}, -1
	m.roles, m.role, m.lastInput = nil, staff.Role{}, time.Time{}
	m.confirm = nil
	m.pending = 0
}

// settle puts a machine at rest in the right resting state for its readers and held session.
func (m *Machine) settle() {
	switch m.state {
	case NoReader, WaitingForCard, Locked:
	default:
		return
	}
	switch {
	case m.held != nil:
		m.state = Locked
	case !m.serviceUp || m.readers == 0:
		m.state = NoReader
	default:
		m.state = WaitingForCard
	}
}

func wrongMsg(left int) string {
	if left == 1 {
		return "Wrong passcode. 1 try left before the card locks."
	}
	return fmt.Sprintf("Wrong passcode. %d tries left before the card locks.", left)
}

// OrderRoles returns roles in the order to offer them: the one with URID lastURID first, the
// others in their original order. The input is not modified.
func OrderRoles(roles []staff.Role, lastURID string) []staff.Role {
	out := slices.Clone(roles)
	if i := slices.IndexFunc(out, func(r staff.Role) bool { return r.URID == lastURID }); i > 0 {
		r := out[i]
		copy(out[1:i+1], out[:i])
		out[0] = r
	}
	return out
}

// Snapshot returns a copy of the state for the screens.
func (m *Machine) Snapshot() View {
	v := View{
		State:       m.state,
		ServiceUp:   m.serviceUp,
		Readers:     m.readers,
		CardPresent: m.card,
		Reader:      m.reader,
		User:        m.user,
		TriesLeft:   m.tries,
		Message:     m.msg,

		CardUnusable: m.unusable && m.card,
	}
	if m.state == Passcode || m.state == Verifying {
		v.PasscodeFor = m.readSeq
	}
	if m.state == ChoosingRole && m.confirm != nil {
		v.Confirming = true
		v.Confirm = *m.confirm
		v.Confirm.Activities = slices.Clone(v.Confirm.Activities)
	}
	if m.state == ChoosingRole {
		v.Roles = slices.Clone(m.roles)
		for i := range v.Roles {
			v.Roles[i].Activities = slices.Clone(v.Roles[i].Activities)
		}
	}
	if h := m.held; h != nil {
		v.Locked = true
		v.LockedUser = h.user
		v.LockReason = h.reason
		v.Resuming = m.state != Locked
		if m.state == Locked {
			v.Role = h.role
		}
	}
	if m.state == Ready {
		v.Role = m.role
		v.CanViewSCR = m.role.Can(m.cfg.SCRActivities)
		v.CanSGP = m.role.Can(m.cfg.SGPActivities) || strings.HasSuffix(m.role.RoleCode, ":R0001") || m.role.RoleCode == "R0001"
		if !v.CanViewSCR {
			v.NoSCRReason = NoSCRReason(m.role)
		}
		if m.cfg.IdleLock > 0 {
			v.IdleAt = m.lastInput.Add(m.cfg.IdleLock)
		}
	}
	v.Role.Activities = slices.Clone(v.Role.Activities)
	return v
}

// NoSCRReason says, in plain English, why role may not open Summary Care Records.
func NoSCRReason(role staff.Role) string {
	name := role.RoleName
	if name == "" {
		name = role.RoleCode
	}
	org := role.OrgName
	if org == "" {
		org = role.OrgCode
	}
	return fmt.Sprintf("Your role (%s at %s) does not allow opening Summary Care Records. "+
		"If you need to, ask your Registration Authority for a role with SCR access.", name, org)
}
