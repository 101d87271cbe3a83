package session

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"scrdesk/internal/staff"
)

// fakeClock is the injected clock.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

var (
	pharmID = CardID{GUID: [16]byte{1}, Fingerprint: [32]byte{1}}
	otherID = CardID{GUID: [16]byte{2}, Fingerprint: [32]byte{2}}
	pharm   = User{ID: "555000000011", Name: "Priya Shah"}
	tech    = User{ID: "555000000022", Name: "Tom Evans"}

	scrRole = staff.Role{URID: "555000001101", OrgCode: "FA123", OrgName: "Demo Pharmacy", RoleName: "Pharmacist", Activities: []string{"B0570", "B0401"}}
	sgpRole = staff.Role{URID: "555000003301", OrgCode: "FA123", OrgName: "Demo Pharmacy", RoleName: "SGP", Activities: []string{"B0015", "B0016"}}
	noRole  = staff.Role{URID: "555000004401", OrgCode: "FA123", OrgName: "Demo Pharmacy", RoleName: "Counter Assistant", Activities: []string{"B0825"}}
)

func testConfig() Config {
	return Config{IdleLock: 5 * time.Minute, SCRActivities: staff.DefaultSCRActivities, SGPActivities: staff.DefaultSGPActivities}
}

// rig is a machine with its clock, failing the test on a step that does not land where expected.
type rig struct {
	t     *testing.T
	m     *Machine
	clock *fakeClock
}

func newRig(t *testing.T, cfg Config) *rig {
	c := &fakeClock{t: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
	return &rig{t: t, m: New(cfg, c.now), clock: c}
}

// do applies an event built from the machine's pending Seq and returns the effects.
func (r *rig) do(mk func(seq uint64) Event) []Effect { return r.m.Handle(mk(r.m.pending)) }

// step applies the event and checks the state reached.
func (r *rig) step(name string, want State) []Effect {
	r.t.Helper()
	fx := r.do(events[name])
	if got := r.m.State(); got != want {
		r.t.Fatalf("after %s: state %v, want %v (effects %s)", name, got, want, fxString(fx))
	}
	return fx
}

// events are the named events of the state × event table; answers carry the pending Seq.
var events = map[string]func(seq uint64) Event{
	"readerUp":    func(uint64) Event { return ReaderAttached{Count: 2} },
	"readerOther": func(uint64) Event { return ReaderDetached{Reader: "R9", Count: 1} },
	"readerGone":  func(uint64) Event { return ReaderDetached{Reader: "R0", Count: 0} },
	"cardIn":      func(uint64) Event { return CardIn{Reader: "R0"} },
	"cardInOther": func(uint64) Event { return CardIn{Reader: "R1"} },
	"cardOut":     func(uint64) Event { return CardOut{} },
	"start":       func(uint64) Event { return StartSignIn{} },
	"read":        func(s uint64) Event { return CardRead{Seq: s, ID: pharmID, User: pharm, TriesLeft: 3} },
	"readOther":   func(s uint64) Event { return CardRead{Seq: s, ID: otherID, User: tech, TriesLeft: 3} },
	"readBlocked": func(s uint64) Event { return CardRead{Seq: s, ID: pharmID, User: pharm, TriesLeft: 0} },
	"staleRead":   func(s uint64) Event { return CardRead{Seq: s + 100, ID: pharmID, User: pharm, TriesLeft: 3} },
	"unreadable":  func(s uint64) Event { return CardUnreadable{Seq: s, Kind: CertNotValid} },
	"submit":      func(uint64) Event { return PasscodeSubmitted{} },
	"right":       func(s uint64) Event { return PasscodeRight{Seq: s} },
	"staleRight":  func(s uint64) Event { return PasscodeRight{Seq: s + 100} },
	"wrong":       func(s uint64) Event { return PasscodeWrong{Seq: s, TriesLeft: 2} },
	"wrongLast":   func(s uint64) Event { return PasscodeWrong{Seq: s, TriesLeft: 0} },
	"blocked":     func(s uint64) Event { return PasscodeBlocked{Seq: s} },
	"roles0":      func(s uint64) Event { return RolesLoaded{Seq: s} },
	"roles1":      func(s uint64) Event { return RolesLoaded{Seq: s, Roles: []staff.Role{scrRole}} },
	"roles2":      func(s uint64) Event { return RolesLoaded{Seq: s, Roles: []staff.Role{scrRole, sgpRole}} },
	"rolesFailed": func(s uint64) Event { return RolesFailed{Seq: s} },
	"choose":      func(uint64) Event { return RoleChosen{URID: sgpRole.URID} },
	"chooseBad":   func(uint64) Event { return RoleChosen{URID: "nope"} },
	"activity":    func(uint64) Event { return Activity{} },
	"tick":        func(uint64) Event { return Tick{} },
	"lock":        func(uint64) Event { return LockByHand{} },
	"signOut":     func(uint64) Event { return SignOut{} },
	"serviceLost": func(uint64) Event { return ServiceLost{} },
	"serviceBack": func(uint64) Event { return ServiceBack{} },
	"cancel":      func(uint64) Event { return Cancel{} },
}

// situations reach every state (and the resuming variants) by the events a real sign-in sends.
var situations = []struct {
	name  string
	state State
	path  []string
}{
	{"NoReader", NoReader, nil},
	{"WaitingForCard", WaitingForCard, []string{"readerUp"}},
	{"ReadingCard", ReadingCard, []string{"readerUp", "cardIn"}},
	{"Passcode", Passcode, []string{"readerUp", "cardIn", "read"}},
	{"Verifying", Verifying, []string{"readerUp", "cardIn", "read", "submit"}},
	{"CardBlocked", CardBlocked, []string{"readerUp", "cardIn", "readBlocked"}},
	{"LoadingRoles", LoadingRoles, []string{"readerUp", "cardIn", "read", "submit", "right"}},
	{"ChoosingRole", ChoosingRole, []string{"readerUp", "cardIn", "read", "submit", "right", "roles2"}},
	{"NoRole", NoRole, []string{"readerUp", "cardIn", "read", "submit", "right", "roles0"}},
	{"Ready", Ready, []string{"readerUp", "cardIn", "read", "submit", "right", "roles1"}},
	{"Locked", Locked, []string{"readerUp", "cardIn", "read", "submit", "right", "roles1", "cardOut"}},
	{"LockedCardIn", Locked, []string{"readerUp", "cardIn", "read", "submit", "right", "roles1", "lock"}},
	{"ResumeReading", ReadingCard, []string{"readerUp", "cardIn", "read", "submit", "right", "roles1", "cardOut", "cardIn"}},
	{"ResumePasscode", Passcode, []string{"readerUp", "cardIn", "read", "submit", "right", "roles1", "cardOut", "cardIn", "read"}},
	{"ResumeVerifying", Verifying, []string{"readerUp", "cardIn", "read", "submit", "right", "roles1", "cardOut", "cardIn", "read", "submit"}},
}

// transitions lists every (situation, event) that does something: "situation event -> state:
// effects". Every pair not listed must change nothing and return no effects. "tick" is sent
// after six minutes without input (IdleLock is five).
const transitions = `
NoReader readerUp -> WaitingForCard:
NoReader readerOther -> WaitingForCard:
NoReader cardIn -> ReadingCard: Read
NoReader cardInOther -> ReadingCard: Read

WaitingForCard readerGone -> NoReader:
WaitingForCard cardIn -> ReadingCard: Read
WaitingForCard cardInOther -> ReadingCard: Read
WaitingForCard serviceLost -> NoReader:

ReadingCard readerGone -> NoReader:
ReadingCard cardOut -> WaitingForCard:
ReadingCard read -> Passcode:
ReadingCard readOther -> Passcode:
ReadingCard readBlocked -> CardBlocked: A:login-card-blocked/major-failure
ReadingCard unreadable -> WaitingForCard: A:login/serious-failure
ReadingCard serviceLost -> NoReader:

Passcode readerGone -> NoReader: A:login/minor-failure
Passcode cardOut -> WaitingForCard: A:login/minor-failure
Passcode submit -> Verifying: Verify
Passcode serviceLost -> NoReader: A:login/minor-failure
Passcode cancel -> WaitingForCard: A:login/minor-failure

Verifying readerGone -> NoReader: A:login/minor-failure
Verifying cardOut -> WaitingForCard: A:login/minor-failure
Verifying unreadable -> WaitingForCard: A:login/serious-failure
Verifying right -> LoadingRoles: Load
Verifying wrong -> Passcode: A:login-wrong-passcode/minor-failure
Verifying wrongLast -> CardBlocked: A:login-card-blocked/major-failure
Verifying blocked -> CardBlocked: A:login-card-blocked/major-failure
Verifying serviceLost -> NoReader: A:login/minor-failure

CardBlocked readerGone -> NoReader:
CardBlocked cardOut -> WaitingForCard:
CardBlocked serviceLost -> NoReader:
CardBlocked cancel -> WaitingForCard:

LoadingRoles readerGone -> NoReader: A:login/minor-failure End
LoadingRoles cardOut -> WaitingForCard: A:login/minor-failure End
LoadingRoles roles0 -> NoRole: A:login/minor-failure End
LoadingRoles roles1 -> Ready: A:login ShowWorkspace
LoadingRoles roles2 -> ChoosingRole:
LoadingRoles rolesFailed -> WaitingForCard: A:login/serious-failure End
LoadingRoles serviceLost -> NoReader: A:login/minor-failure End
LoadingRoles cancel -> WaitingForCard: A:login/minor-failure End

ChoosingRole readerGone -> NoReader: A:login/minor-failure End
ChoosingRole cardOut -> WaitingForCard: A:login/minor-failure End
ChoosingRole choose -> Ready: Remember A:role-selected A:login ShowWorkspace
ChoosingRole signOut -> WaitingForCard: A:login/minor-failure End
ChoosingRole serviceLost -> NoReader: A:login/minor-failure End
ChoosingRole cancel -> WaitingForCard: A:login/minor-failure End

NoRole readerGone -> NoReader:
NoRole cardOut -> WaitingForCard:
NoRole signOut -> WaitingForCard:
NoRole serviceLost -> NoReader:
NoRole cancel -> WaitingForCard:

Ready readerGone -> Locked: Drop ShowLock A:lock-card-removed
Ready cardOut -> Locked: Drop ShowLock A:lock-card-removed
Ready tick -> Locked: Drop ShowLock A:lock-idle
Ready lock -> Locked: Drop ShowLock A:lock-manual
Ready signOut -> WaitingForCard: Drop ShowLock A:logout End
Ready serviceLost -> Locked: Drop ShowLock A:lock-service-lost

Locked cardIn -> ReadingCard: Read
Locked cardInOther -> ReadingCard: Read
Locked signOut -> WaitingForCard: Drop A:logout End

LockedCardIn start -> ReadingCard: Read
LockedCardIn signOut -> WaitingForCard: Drop A:logout End

ResumeReading read -> Passcode:
ResumeReading readOther -> Passcode: Drop A:card-swapped End
ResumeReading readBlocked -> CardBlocked: A:login-card-blocked/major-failure
ResumeReading unreadable -> Locked: A:login/serious-failure
ResumeReading cardOut -> Locked:
ResumeReading readerGone -> Locked:
ResumeReading serviceLost -> Locked:

ResumePasscode submit -> Verifying: Verify
ResumePasscode cardOut -> Locked: A:login/minor-failure
ResumePasscode readerGone -> Locked: A:login/minor-failure
ResumePasscode serviceLost -> Locked: A:login/minor-failure
ResumePasscode cancel -> Locked: A:login/minor-failure

ResumeVerifying right -> Ready: A:unlock ShowResumed
ResumeVerifying wrong -> Passcode: A:login-wrong-passcode/minor-failure
ResumeVerifying wrongLast -> CardBlocked: A:login-card-blocked/major-failure
ResumeVerifying blocked -> CardBlocked: A:login-card-blocked/major-failure
ResumeVerifying unreadable -> Locked: A:login/serious-failure
ResumeVerifying cardOut -> Locked: A:login/minor-failure
ResumeVerifying readerGone -> Locked: A:login/minor-failure
ResumeVerifying serviceLost -> Locked: A:login/minor-failure
`

type want struct {
	state State
	fx    string
}

func parseTransitions(t *testing.T) map[[2]string]want {
	t.Helper()
	byName := map[string]State{}
	for _, s := range States {
		byName[s.String()] = s
	}
	out := map[[2]string]want{}
	for _, line := range strings.Split(transitions, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		lhs, rhs, ok := strings.Cut(line, " -> ")
		f := strings.Fields(lhs)
		to, fx, ok2 := strings.Cut(rhs, ":")
		st, ok3 := byName[to]
		if !ok || !ok2 || !ok3 || len(f) != 2 || events[f[1]] == nil {
			t.Fatalf("bad transition line %q", line)
		}
		key := [2]string{f[0], f[1]}
		if _, dup := out[key]; dup {
			t.Fatalf("duplicate transition %q", line)
		}
		out[key] = want{st, strings.Join(strings.Fields(fx), " ")}
	}
	return out
}

// fxString renders effects in the table's short names.
func fxString(fx []Effect) string {
	var s []string
	for _, e := range fx {
		switch e := e.(type) {
		case DropPatientData:
			s = append(s, "Drop")
		case ShowLock:
			s = append(s, "ShowLock")
		case ShowWorkspace:
			if e.Resumed {
				s = append(s, "ShowResumed")
			} else {
				s = append(s, "ShowWorkspace")
			}
		case EndSession:
			s = append(s, "End")
		case ReadCard:
			s = append(s, "Read")
		case VerifyPasscode:
			s = append(s, "Verify")
		case LoadRoles:
			s = append(s, "Load")
		case RememberRole:
			s = append(s, "Remember")
		case UseCard:
			s = append(s, "UseCard")
		case UseLink:
			s = append(s, "UseLink")
		case LinkDown:
			s = append(s, "LinkDown")
		case Discard:
			s = append(s, "Discard:"+e.Answer)
		case Audit:
			a := "A:" + string(e.Action)
			if e.Outcome != Success {
				a += "/" + string(e.Outcome)
			}
			s = append(s, a)
		default:
			s = append(s, fmt.Sprintf("%T", e))
		}
	}
	return strings.Join(s, " ")
}

// TestEveryStateEveryEvent applies every event to every state (and the resuming variants) and
// checks the state reached and the effects, against the transitions table; unlisted pairs must
// be no-ops. It also checks the invariants after each.
func TestEveryStateEveryEvent(t *testing.T) {
	table := parseTransitions(t)
	used := map[[2]string]bool{}
	covered := map[State]bool{}
	for _, sit := range situations {
		for name := range events {
			t.Run(sit.name+"/"+name, func(t *testing.T) {
				r := newRig(t, testConfig())
				for _, p := range sit.path {
					r.do(events[p])
				}
				if got := r.m.State(); got != sit.state {
					t.Fatalf("setup reached %v, want %v", got, sit.state)
				}
				covered[sit.state] = true
				before := r.m.Snapshot()
				if name == "tick" {
					r.clock.advance(6 * time.Minute)
				}
				fx := r.do(events[name])
				key := [2]string{sit.name, name}
				w, listed := table[key]
				used[key] = true
				if !listed {
					w = want{sit.state, ""}
				}
				if got := r.m.State(); got != w.state {
					t.Errorf("state %v, want %v", got, w.state)
				}
				if got := fxString(fx); got != w.fx {
					t.Errorf("effects %q, want %q", got, w.fx)
				}
				if !listed && name != "tick" && name != "activity" {
					after := r.m.Snapshot()
					if after.State != before.State || after.User != before.User || after.Locked != before.Locked {
						t.Errorf("ignored event changed the view: %+v -> %+v", before, after)
					}
				}
				checkInvariants(t, sit.state, r.m, fx)
			})
		}
	}
	for k := range table {
		if !used[k] {
			t.Errorf("transition %v names no situation", k)
		}
	}
	for _, s := range States {
		if !covered[s] {
			t.Errorf("state %v has no situation", s)
		}
	}
}

// checkInvariants holds after any event: leaving Ready drops patient data first; a machine
// without its card rests; rights exist only when Ready; no Seq is reused.
func checkInvariants(t *testing.T, from State, m *Machine, fx []Effect) {
	t.Helper()
	v := m.Snapshot()
	if from == Ready && v.State != Ready {
		if len(fx) == 0 {
			t.Fatalf("left Ready without effects")
		}
		if _, ok := fx[0].(DropPatientData); !ok {
			t.Errorf("left Ready with first effect %T, want DropPatientData", fx[0])
		}
	}
	for i, e := range fx {
		if _, ok := e.(DropPatientData); ok && i != 0 {
			t.Errorf("DropPatientData at %d, must be first", i)
		}
	}
	if !v.CardPresent {
		switch v.State {
		case NoReader, WaitingForCard, Locked:
		default:
			t.Errorf("state %v without a card", v.State)
		}
	}
	if v.State != Ready && (v.CanViewSCR || v.CanSGP || !v.IdleAt.IsZero()) {
		t.Errorf("rights outside Ready: %+v", v)
	}
	if v.State == Ready && v.Locked {
		t.Errorf("Ready while a session is held")
	}
	if v.Resuming && !v.Locked {
		t.Errorf("resuming without a locked session")
	}
}

func TestSignInLockAndResume(t *testing.T) {
	r := newRig(t, testConfig())
	r.step("readerUp", WaitingForCard)
	r.step("cardIn", ReadingCard)
	r.step("read", Passcode)
	if v := r.m.Snapshot(); v.User != pharm || v.TriesLeft != 3 || v.Resuming {
		t.Fatalf("passcode view %+v", v)
	}
	r.step("submit", Verifying)
	r.step("right", LoadingRoles)
	fx := r.step("roles1", Ready)
	if got := fxString(fx); got != "A:login ShowWorkspace" {
		t.Fatalf("sign-in effects %q", got)
	}
	v := r.m.Snapshot()
	if v.Role.URID != scrRole.URID || !v.CanViewSCR || v.CanSGP || v.NoSCRReason != "" {
		t.Fatalf("ready view %+v", v)
	}
	if want := r.clock.t.Add(5 * time.Minute); !v.IdleAt.Equal(want) {
		t.Errorf("IdleAt %v, want %v", v.IdleAt, want)
	}

	fx = r.step("cardOut", Locked)
	if a := fx[2].(Audit); a.User != pharm || a.Reason != "card removed" || a.Role.URID != scrRole.URID {
		t.Errorf("lock audit %+v", a)
	}
	v = r.m.Snapshot()
	if !v.Locked || v.LockedUser != pharm || v.LockReason != ReasonCardRemoved || v.User != (User{}) || v.CanViewSCR {
		t.Fatalf("locked view %+v", v)
	}

	r.step("cardIn", ReadingCard)
	if v := r.m.Snapshot(); !v.Resuming {
		t.Errorf("re-insert is not resuming: %+v", v)
	}
	r.step("read", Passcode)
	r.step("submit", Verifying)
	fx = r.step("right", Ready)
	if got := fxString(fx); got != "A:unlock ShowResumed" {
		t.Fatalf("resume effects %q", got)
	}
	if v := r.m.Snapshot(); v.Role.URID != scrRole.URID || v.User != pharm || v.Locked {
		t.Errorf("resumed view %+v", v)
	}
}

func TestAnotherCardSwapsTheSession(t *testing.T) {
	r := newRig(t, testConfig())
	for _, p := range []string{"readerUp", "cardIn", "read", "submit", "right", "roles1", "cardOut", "cardIn"} {
		r.do(events[p])
	}
	fx := r.step("readOther", Passcode)
	a, ok := fx[1].(Audit)
	if !ok || a.Action != ActCardSwapped || a.User != pharm || a.NewUser != tech {
		t.Fatalf("swap effects %s", fxString(fx))
	}
	if e, ok := fx[2].(EndSession); !ok || e.User != pharm {
		t.Errorf("swap must end the old session: %s", fxString(fx))
	}
	v := r.m.Snapshot()
	if v.Locked || v.Resuming || v.User != tech || v.Message != MsgCardSwapped {
		t.Errorf("after swap %+v", v)
	}
	// The new user signs in from scratch: roles are loaded, not taken from the old session.
	r.step("submit", Verifying)
	r.step("right", LoadingRoles)
}

func TestSameUserOtherCardIsASwap(t *testing.T) {
	// A replacement card for the same person is another card (docs/card-profile.md: identity is the
	// card's).
	r := newRig(t, testConfig())
	for _, p := range []string{"readerUp", "cardIn", "read", "submit", "right", "roles1", "cardOut", "cardIn"} {
		r.do(events[p])
	}
	fx := r.m.Handle(CardRead{Seq: r.m.pending, ID: otherID, User: pharm, TriesLeft: 3})
	if got := fxString(fx); got != "Drop A:card-swapped End" {
		t.Errorf("effects %q", got)
	}
}

func TestThreeWrongPasscodesBlock(t *testing.T) {
	r := newRig(t, testConfig())
	for _, p := range []string{"readerUp", "cardIn", "read"} {
		r.do(events[p])
	}
	for left := 2; left >= 1; left-- {
		r.step("submit", Verifying)
		if v := r.m.Snapshot(); v.State != Verifying {
			t.Fatal("not busy")
		}
		r.m.Handle(PasscodeWrong{Seq: r.m.pending, TriesLeft: left})
		v := r.m.Snapshot()
		if v.State != Passcode || v.TriesLeft != left || !strings.Contains(v.Message, fmt.Sprint(left)) {
			t.Fatalf("after wrong: %+v", v)
		}
	}
	r.step("submit", Verifying)
	fx := r.step("blocked", CardBlocked)
	if got := fxString(fx); got != "A:login-card-blocked/major-failure" {
		t.Errorf("effects %q", got)
	}
	if v := r.m.Snapshot(); v.Message != MsgBlocked || v.TriesLeft != 0 {
		t.Errorf("blocked view %+v", v)
	}
	// Nothing but removing the card (or Escape) leaves the blocked screen.
	for _, e := range []string{"submit", "right", "start", "read"} {
		r.step(e, CardBlocked)
	}
	r.step("cardOut", WaitingForCard)
}

func TestIdleLock(t *testing.T) {
	r := newRig(t, testConfig())
	for _, p := range []string{"readerUp", "cardIn", "read", "submit", "right", "roles1"} {
		r.do(events[p])
	}
	r.clock.advance(4 * time.Minute)
	r.step("activity", Ready)
	r.clock.advance(4 * time.Minute)
	r.step("tick", Ready) // 4 min since the last input
	if v := r.m.Snapshot(); !v.IdleAt.Equal(r.clock.t.Add(time.Minute)) {
		t.Errorf("IdleAt %v", v.IdleAt)
	}
	r.clock.advance(time.Minute)
	fx := r.step("tick", Locked)
	if a := fx[2].(Audit); a.Reason != ReasonIdle.String() {
		t.Errorf("audit %+v", a)
	}
	if v := r.m.Snapshot(); v.LockReason != ReasonIdle || !v.CardPresent {
		t.Errorf("idle view %+v", v)
	}
	// The card is still in: unlocking asks for the passcode again.
	r.step("start", ReadingCard)
	r.step("read", Passcode)
	r.step("submit", Verifying)
	r.step("right", Ready)
}

func TestIdleLockDisabled(t *testing.T) {
	cfg := testConfig()
	cfg.IdleLock = 0
	r := newRig(t, cfg)
	for _, p := range []string{"readerUp", "cardIn", "read", "submit", "right", "roles1"} {
		r.do(events[p])
	}
	r.clock.advance(24 * time.Hour)
	r.step("tick", Ready)
	if v := r.m.Snapshot(); !v.IdleAt.IsZero() {
		t.Errorf("IdleAt %v with idle lock off", v.IdleAt)
	}
}

func TestRemovalSignsOut(t *testing.T) {
	cfg := testConfig()
	cfg.RemovalSignsOut = true
	r := newRig(t, cfg)
	for _, p := range []string{"readerUp", "cardIn", "read", "submit", "right", "roles1"} {
		r.do(events[p])
	}
	fx := r.step("cardOut", WaitingForCard)
	if got := fxString(fx); got != "Drop ShowLock A:logout End" {
		t.Errorf("effects %q", got)
	}
	v := r.m.Snapshot()
	if v.Locked || v.User != (User{}) || !strings.HasPrefix(v.Message, MsgSignedOut) {
		t.Errorf("view %+v", v)
	}
	// Re-inserting is a fresh sign-in, not a resume.
	r.step("cardIn", ReadingCard)
	r.step("read", Passcode)
	if r.m.Snapshot().Resuming {
		t.Error("resuming after a sign-out")
	}
	// Idle still locks rather than signing out.
	r.step("submit", Verifying)
	r.step("right", LoadingRoles)
	r.step("roles1", Ready)
	r.clock.advance(time.Hour)
	r.step("tick", Locked)
}

func TestServiceLostLocksThenRecovers(t *testing.T) {
	r := newRig(t, testConfig())
	for _, p := range []string{"readerUp", "cardIn", "read", "submit", "right", "roles1"} {
		r.do(events[p])
	}
	r.step("serviceLost", Locked)
	v := r.m.Snapshot()
	if v.ServiceUp || v.Readers != 0 || v.CardPresent || v.LockReason != ReasonServiceLost || v.Message != MsgServiceLost {
		t.Fatalf("after service lost %+v", v)
	}
	r.step("serviceBack", Locked)
	r.m.Handle(ReaderAttached{Count: 1})
	if v := r.m.Snapshot(); !v.ServiceUp || v.Readers != 1 || v.Message != "" {
		t.Errorf("after service back %+v", v)
	}
	// The watcher reports the card still in the reader: the same card resumes.
	r.step("cardIn", ReadingCard)
	r.step("read", Passcode)
	r.step("submit", Verifying)
	r.step("right", Ready)
}

func TestStaleAnswersAreIgnored(t *testing.T) {
	r := newRig(t, testConfig())
	r.step("readerUp", WaitingForCard)
	r.step("cardIn", ReadingCard)
	first := r.m.pending
	r.step("cardOut", WaitingForCard)
	r.step("cardIn", ReadingCard)
	// The first insertion's answer arrives late: it must not be taken for the new card's.
	if fx := r.m.Handle(CardRead{Seq: first, ID: pharmID, User: pharm, TriesLeft: 3}); fx != nil || r.m.State() != ReadingCard {
		t.Fatalf("stale CardRead applied: %s, %v", fxString(fx), r.m.State())
	}
	r.step("read", Passcode)
}

func TestRoleChoice(t *testing.T) {
	r := newRig(t, testConfig())
	for _, p := range []string{"readerUp", "cardIn", "read", "submit", "right"} {
		r.do(events[p])
	}
	r.m.Handle(RolesLoaded{Seq: r.m.pending, Roles: []staff.Role{scrRole, noRole, sgpRole}, LastURID: sgpRole.URID})
	v := r.m.Snapshot()
	if v.State != ChoosingRole || len(v.Roles) != 3 || v.Roles[0].URID != sgpRole.URID || v.Roles[1].URID != scrRole.URID {
		t.Fatalf("roles offered %+v", v.Roles)
	}
	fx := r.m.Handle(RoleChosen{URID: noRole.URID})
	if rr, ok := fx[0].(RememberRole); !ok || rr.UserID != pharm.ID || rr.URID != noRole.URID {
		t.Errorf("effects %s", fxString(fx))
	}
	v = r.m.Snapshot()
	if v.State != Ready || v.CanViewSCR || v.CanSGP || !strings.Contains(v.NoSCRReason, "Counter Assistant") {
		t.Errorf("no-SCR role view %+v", v)
	}
}

func TestRights(t *testing.T) {
	for _, c := range []struct {
		name      string
		role      staff.Role
		scr, sgp  bool
		hasReason bool
	}{
		{"pharmacist", scrRole, true, false, false},
		{"SGP", sgpRole, false, true, true},
		{"counter assistant", noRole, false, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, testConfig())
			for _, p := range []string{"readerUp", "cardIn", "read", "submit", "right"} {
				r.do(events[p])
			}
			r.m.Handle(RolesLoaded{Seq: r.m.pending, Roles: []staff.Role{c.role}})
			v := r.m.Snapshot()
			if v.CanViewSCR != c.scr || v.CanSGP != c.sgp || (v.NoSCRReason != "") != c.hasReason {
				t.Errorf("view %+v", v)
			}
		})
	}
}

func TestRightsFollowConfiguration(t *testing.T) {
	cfg := testConfig()
	cfg.SCRActivities = []string{"B0825"}
	r := newRig(t, cfg)
	for _, p := range []string{"readerUp", "cardIn", "read", "submit", "right"} {
		r.do(events[p])
	}
	r.m.Handle(RolesLoaded{Seq: r.m.pending, Roles: []staff.Role{noRole}})
	if !r.m.Snapshot().CanViewSCR {
		t.Error("configured activity code not honoured")
	}
	cfg.SCRActivities = nil
	r.m.SetConfig(cfg)
	if r.m.Snapshot().CanViewSCR {
		t.Error("rights not recomputed after SetConfig")
	}
}

func TestOrderRoles(t *testing.T) {
	a, b, c := staff.Role{URID: "a"}, staff.Role{URID: "b"}, staff.Role{URID: "c"}
	for _, tc := range []struct {
		name string
		last string
		want string
	}{
		{"no last choice", "", "abc"},
		{"last is first already", "a", "abc"},
		{"last in the middle", "b", "bac"},
		{"last at the end", "c", "cab"},
		{"last no longer held", "z", "abc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := []staff.Role{a, b, c}
			var got string
			for _, r := range OrderRoles(in, tc.last) {
				got += r.URID
			}
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
			if in[0].URID != "a" || in[1].URID != "b" {
				t.Error("input modified")
			}
		})
	}
}

func TestSnapshotIsACopy(t *testing.T) {
	r := newRig(t, testConfig())
	for _, p := range []string{"readerUp", "cardIn", "read", "submit", "right", "roles2"} {
		r.do(events[p])
	}
	v := r.m.Snapshot()
	v.Roles[0].URID = "changed"
	v.Roles[0].Activities[0] = "changed"
	if w := r.m.Snapshot(); w.Roles[0].URID == "changed" || w.Roles[0].Activities[0] == "changed" {
		t.Error("Snapshot shares memory with the machine")
	}
}

func TestMessages(t *testing.T) {
	for _, p := range []Problem{ReadFailed, NotStaffCard, CertNotValid, NotProven} {
		if p.Message() == "" || p.String() == "Problem(?)" {
			t.Errorf("problem %d has no message", p)
		}
	}
	for _, r := range []LockReason{ReasonCardRemoved, ReasonIdle, ReasonByHand, ReasonServiceLost, ReasonReaderRemoved} {
		if r.Message() == "" {
			t.Errorf("reason %v has no message", r)
		}
	}
	for _, s := range States {
		if strings.Contains(s.String(), "?") {
			t.Errorf("state %d has no name", s)
		}
	}
}

// FuzzMachine drives the machine with arbitrary event sequences and checks the invariants after
// every step: it never panics, leaving Ready always drops patient data first, a machine without
// its card is at rest.
func FuzzMachine(f *testing.F) {
	names := make([]string, 0, len(events))
	for n := range events {
		names = append(names, n)
	}
	// Map order is random: sort for stable seeds.
	slices.Sort(names)
	index := map[string]byte{}
	for i, n := range names {
		index[n] = byte(i)
	}
	for _, sit := range situations {
		var seed []byte
		for _, p := range sit.path {
			seed = append(seed, index[p])
		}
		f.Add(append(seed, index["cardOut"], index["cardIn"], index["readOther"]))
	}
	f.Fuzz(func(t *testing.T, script []byte) {
		r := newRig(t, testConfig())
		for _, b := range script {
			name := names[int(b)%len(names)]
			from := r.m.State()
			r.clock.advance(time.Minute)
			fx := r.do(events[name])
			checkInvariants(t, from, r.m, fx)
		}
	})
}

// BenchmarkLockOnCardOut measures the machine's share of "card out to lock screen".
func BenchmarkLockOnCardOut(b *testing.B) {
	c := &fakeClock{t: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
	for range b.N {
		b.StopTimer()
		m := New(testConfig(), c.now)
		for _, p := range []string{"readerUp", "cardIn", "read", "submit", "right", "roles1"} {
			m.Handle(events[p](m.pending))
		}
		b.StartTimer()
		if fx := m.Handle(CardOut{}); len(fx) == 0 {
			b.Fatal("no effects")
		}
	}
}

// TestRoleAtAnotherOrganisation: a role whose ODS code is not the workstation's is signed in
// only after a confirmation, which is audited with both codes; Cancel goes back to the list
// (several roles) or ends the sign-in (one role).
func TestRoleAtAnotherOrganisation(t *testing.T) {
	york := staff.Role{URID: "555000002202", OrgCode: "FX456", OrgName: "Riverside Pharmacy, York", RoleName: "Technician", Activities: []string{"B0570"}}
	cfg := testConfig()
	cfg.WorkstationODS = "FA123"
	signInTo := func(t *testing.T, roles ...staff.Role) *rig {
		r := newRig(t, cfg)
		for _, p := range []string{"readerUp", "cardIn", "read", "submit", "right"} {
			r.do(events[p])
		}
		r.m.Handle(RolesLoaded{Seq: r.m.pending, Roles: roles})
		return r
	}
	t.Run("several roles: chosen, asked, confirmed, audited", func(t *testing.T) {
		r := signInTo(t, scrRole, york)
		if fx := r.m.Handle(RoleChosen{URID: york.URID}); len(fx) != 0 {
			t.Fatalf("choosing the York role signed in at once: %s", fxString(fx))
		}
		v := r.m.Snapshot()
		if v.State != ChoosingRole || !v.Confirming || v.Confirm.URID != york.URID {
			t.Fatalf("not asked: %+v", v)
		}
		if fx := r.m.Handle(RoleChosen{URID: scrRole.URID}); len(fx) != 0 {
			t.Errorf("another choice while asked: %s", fxString(fx))
		}
		if fx := r.m.Handle(RoleConfirmed{URID: scrRole.URID}); len(fx) != 0 {
			t.Errorf("confirming a role not asked about: %s", fxString(fx))
		}
		fx := r.m.Handle(RoleConfirmed{URID: york.URID})
		var audited bool
		for _, f := range fx {
			if a, ok := f.(Audit); ok && a.Action == ActRoleSelected && strings.Contains(a.Reason, "FX456") && strings.Contains(a.Reason, "FA123") {
				audited = true
			}
		}
		if !audited || r.m.Snapshot().State != Ready || r.m.Snapshot().Role.URID != york.URID {
			t.Errorf("confirmation: %s, view %+v", fxString(fx), r.m.Snapshot())
		}
	})
	t.Run("several roles: Cancel goes back to the list", func(t *testing.T) {
		r := signInTo(t, scrRole, york)
		r.m.Handle(RoleChosen{URID: york.URID})
		r.m.Handle(Cancel{})
		v := r.m.Snapshot()
		if v.State != ChoosingRole || v.Confirming || len(v.Roles) != 2 {
			t.Errorf("after Cancel: %+v", v)
		}
		if fx := r.m.Handle(RoleChosen{URID: scrRole.URID}); r.m.Snapshot().State != Ready {
			t.Errorf("the workstation's own role was not signed in: %s", fxString(fx))
		}
	})
	t.Run("one role: asked before signing in; Cancel ends the sign-in", func(t *testing.T) {
		r := signInTo(t, york)
		v := r.m.Snapshot()
		if v.State != ChoosingRole || !v.Confirming || v.Confirm.URID != york.URID {
			t.Fatalf("one York role signed in without a word: %+v", v)
		}
		r.m.Handle(Cancel{})
		if v := r.m.Snapshot(); v.State != WaitingForCard || v.Confirming {
			t.Errorf("after Cancel: %+v", v)
		}
	})
	t.Run("the workstation's own organisation is not asked about", func(t *testing.T) {
		r := signInTo(t, scrRole)
		if v := r.m.Snapshot(); v.State != Ready {
			t.Errorf("own role: %+v", v)
		}
	})
	t.Run("no workstation code configured: nothing to compare", func(t *testing.T) {
		r := newRig(t, testConfig())
		for _, p := range []string{"readerUp", "cardIn", "read", "submit", "right"} {
			r.do(events[p])
		}
		r.m.Handle(RolesLoaded{Seq: r.m.pending, Roles: []staff.Role{york}})
		if v := r.m.Snapshot(); v.State != Ready {
			t.Errorf("%+v", v)
		}
	})
}

// TestCardThatCannotWork: an expired or untrusted certificate leaves the card unusable (no
// retry offered, StartSignIn does nothing) until it is taken out; a read failure may be retried.
func TestCardThatCannotWork(t *testing.T) {
	for _, p := range []Problem{CertExpired, CertUntrusted, CertNotValid, NotStaffCard, ReadFailed} {
		t.Run(p.String(), func(t *testing.T) {
			r := newRig(t, testConfig())
			r.do(events["readerUp"])
			r.do(events["cardIn"])
			r.m.Handle(CardUnreadable{Seq: r.m.pending, Kind: p})
			v := r.m.Snapshot()
			if v.CardUnusable == p.Retry() || v.Message != p.Message() {
				t.Fatalf("view %+v", v)
			}
			fx := r.m.Handle(StartSignIn{})
			if (len(fx) == 0) != !p.Retry() {
				t.Errorf("StartSignIn: %s", fxString(fx))
			}
			r.m.Handle(CardOut{})
			if r.m.Snapshot().CardUnusable {
				t.Error("still unusable after the card left")
			}
		})
	}
}

func TestSwitchRoleWhileReady(t *testing.T) {
	sgp := staff.DemoUsers()[2].Roles
	m := New(Config{SCRActivities: staff.DefaultSCRActivities, SGPActivities: staff.DefaultSGPActivities}, time.Now)
	// Not ready: ignored.
	if fx := m.Handle(SwitchRole{Role: sgp[1]}); len(fx) != 0 {
		t.Fatalf("switch before sign-in: %v", fx)
	}
	m.state, m.role = Ready, sgp[0]
	if v := m.Snapshot(); !v.CanSGP || v.CanViewSCR {
		t.Fatalf("SGP role: %+v", v)
	}
	fx := m.Handle(SwitchRole{Role: sgp[1]})
	if len(fx) == 0 {
		t.Fatal("no effects")
	}
	if _, ok := fx[0].(DropPatientData); !ok {
		t.Errorf("first effect %T, want DropPatientData", fx[0])
	}
	if v := m.Snapshot(); v.CanSGP || !v.CanViewSCR || v.Role.URID != sgp[1].URID {
		t.Errorf("after switch: %+v", v)
	}
	var shown *ShowWorkspace
	for _, f := range fx {
		if sw, ok := f.(ShowWorkspace); ok {
			shown = &sw
		}
	}
	if shown == nil || shown.Role.URID != sgp[1].URID {
		t.Errorf("the switch's ShowWorkspace does not carry the new role: %+v", shown)
	}
	// R0001 alone marks an SGP role.
	m.role = staff.Role{URID: "x", RoleCode: "S8000:G8000:R0001"}
	if !m.Snapshot().CanSGP {
		t.Error("role code R0001 is not an SGP role")
	}
}

// TestCancelOnABlockedCard: Escape on a blocked card leaves the lock screen saying why, with the
// card marked unusable (no Sign in button that would only read it blocked again); Enter reads
// nothing; the card out and in again reads it afresh.
func TestCancelOnABlockedCard(t *testing.T) {
	r := newRig(t, Config{})
	r.step("readerUp", WaitingForCard)
	r.step("cardIn", ReadingCard)
	r.step("readBlocked", CardBlocked)
	r.step("cancel", WaitingForCard)
	v := r.m.Snapshot()
	if v.Message != MsgBlocked || !v.CardUnusable {
		t.Errorf("after Escape on a blocked card: message %q, unusable %v", v.Message, v.CardUnusable)
	}
	if fx := r.do(events["start"]); len(fx) != 0 || r.m.State() != WaitingForCard {
		t.Errorf("Enter read the blocked card again: %s", fxString(fx))
	}
	r.step("cardOut", WaitingForCard)
	if r.m.Snapshot().CardUnusable {
		t.Error("still unusable with no card")
	}
	r.step("cardIn", ReadingCard)
}
