package session

import (
	"testing"

	"scrdesk/internal/staff"
)

// What an answer carries (an open card, a Spine sign-in) reaches the controller only as an
// effect: UseCard/UseLink when the answer is the pending one, Discard (close it) when it is not.
// The controller never keeps a worker's result on its own.

type carried struct{ name string }

func TestCarriedCardAndLinkAreEffects(t *testing.T) {
	r := newRig(t, testConfig())
	r.step("readerUp", WaitingForCard)
	r.step("cardIn", ReadingCard)
	card := &carried{"card A"}
	fx := r.m.Handle(CardRead{Seq: r.m.pending, ID: pharmID, User: pharm, TriesLeft: 3, Card: card})
	if got := fxString(fx); got != "UseCard" || fx[0].(UseCard).Card != card {
		t.Fatalf("card read effects %q", got)
	}
	r.step("submit", Verifying)
	link := &carried{"link A"}
	fx = r.m.Handle(PasscodeRight{Seq: r.m.pending, Link: link})
	if got := fxString(fx); got != "UseLink Load" || fx[0].(UseLink).Link != link {
		t.Fatalf("passcode right effects %q", got)
	}
	fx = r.step("roles1", Ready)
	if sw := fx[len(fx)-1].(ShowWorkspace); sw.Role.URID != scrRole.URID {
		t.Errorf("ShowWorkspace carries role %+v, want the one role", sw.Role)
	}
}

// TestLateSignInIsDiscarded: A's sign-in answer arrives after A's card left and B's sign-in
// began: it changes nothing but returns Discard with A's link, whatever B's state.
func TestLateSignInIsDiscarded(t *testing.T) {
	r := newRig(t, testConfig())
	r.step("readerUp", WaitingForCard)
	r.step("cardIn", ReadingCard)
	r.step("read", Passcode)
	r.step("submit", Verifying)
	seqA := r.m.pending
	r.step("cardOut", WaitingForCard)
	linkA := &carried{"link A"}
	for _, path := range [][]string{{}, {"cardIn"}, {"readOther"}, {"submit"}, {"right"}, {"roles1"}} {
		for _, ev := range path {
			r.step(ev, map[string]State{"cardIn": ReadingCard, "readOther": Passcode, "submit": Verifying, "right": LoadingRoles, "roles1": Ready}[ev])
		}
		before := r.m.Snapshot()
		pending := r.m.pending
		fx := r.m.Handle(PasscodeRight{Seq: seqA, Link: linkA})
		if got := fxString(fx); got != "Discard:sign-in" || fx[0].(Discard).Carried != linkA {
			t.Fatalf("late sign-in in %v: effects %q", before.State, got)
		}
		if after := r.m.Snapshot(); after.State != before.State || after.User != before.User || after.Role.URID != before.Role.URID || r.m.pending != pending {
			t.Fatalf("late sign-in changed the machine: %+v -> %+v", before, after)
		}
		// A late card read too.
		cardA := &carried{"card A"}
		fx = r.m.Handle(CardRead{Seq: seqA, ID: pharmID, User: pharm, TriesLeft: 3, Card: cardA})
		if got := fxString(fx); got != "Discard:card read" {
			t.Fatalf("late card read in %v: effects %q", before.State, got)
		}
	}
	if v := r.m.Snapshot(); v.User != tech {
		t.Errorf("signed in as %+v, want B", v.User)
	}
}

func TestIdentityRefusalIsAuditedWithItsCause(t *testing.T) {
	r := newRig(t, testConfig())
	for _, ev := range []string{"readerUp", "cardIn", "read", "submit"} {
		r.do(events[ev])
	}
	fx := r.m.Handle(PasscodeRight{Seq: r.m.pending, LinkProblem: "the identity service refused the sign-in"})
	if got := fxString(fx); got != "LinkDown A:login/serious-failure" {
		t.Fatalf("effects %q", got)
	}
	if a := fx[1].(Audit); a.Reason != "identity service: the identity service refused the sign-in" || a.User != pharm {
		t.Errorf("audit %+v", a)
	}
	if r.m.State() != WaitingForCard || r.m.Snapshot().Message != MsgRolesFailed {
		t.Errorf("state %v %q", r.m.State(), r.m.Snapshot().Message)
	}

	// Roles not loaded: the cause in the row.
	for _, ev := range []string{"cardOut", "cardIn", "read", "submit", "right"} {
		r.do(events[ev])
	}
	fx = r.m.Handle(RolesFailed{Seq: r.m.pending, Why: "timed out"})
	if got := fxString(fx); got != "LinkDown A:login/serious-failure End" || fx[1].(Audit).Reason != "roles not loaded: timed out" {
		t.Fatalf("roles failed effects %q %+v", got, fx)
	}

	// A card refused says which check failed, and whose card it was.
	for _, ev := range []string{"cardOut", "cardIn"} {
		r.do(events[ev])
	}
	fx = r.m.Handle(CardUnreadable{Seq: r.m.pending, Kind: CertNotValid, Check: "the certificate has expired", User: tech})
	if a := fx[0].(Audit); a.Reason != "certificate not valid: the certificate has expired" || a.User != tech {
		t.Errorf("card refused audit %+v", a)
	}
}

// TestUnlockWithoutLinkSaysWhy: the unlock goes ahead (the card proved itself) without a link;
// the status bar is told why.
func TestUnlockWithoutLinkSaysWhy(t *testing.T) {
	r := newRig(t, testConfig())
	for _, ev := range []string{"readerUp", "cardIn", "read", "submit", "right", "roles1", "lock", "start", "read", "submit"} {
		r.do(events[ev])
	}
	fx := r.m.Handle(PasscodeRight{Seq: r.m.pending, LinkProblem: "network down"})
	if got := fxString(fx); got != "LinkDown A:unlock ShowResumed" {
		t.Fatalf("effects %q", got)
	}
}

// TestNoRecordRoleIsAuditedWithTheRolesOffered: a sign-in whose role may not open records says
// so in its row, naming the roles the identity service offered.
func TestNoRecordRoleIsAuditedWithTheRolesOffered(t *testing.T) {
	r := newRig(t, testConfig())
	for _, ev := range []string{"readerUp", "cardIn", "read", "submit", "right"} {
		r.do(events[ev])
	}
	fx := r.m.Handle(RolesLoaded{Seq: r.m.pending, Roles: []staff.Role{noRole}})
	a := fx[0].(Audit)
	if a.Action != ActLogin || a.Reason != "this role may not open records; roles offered: Counter Assistant (555000004401)" {
		t.Errorf("login row %+v", a)
	}
	// A role that may: no such reason.
	r2 := newRig(t, testConfig())
	for _, ev := range []string{"readerUp", "cardIn", "read", "submit", "right"} {
		r2.do(events[ev])
	}
	if a := r2.m.Handle(RolesLoaded{Seq: r2.m.pending, Roles: []staff.Role{scrRole}})[0].(Audit); a.Reason != "" {
		t.Errorf("login row for an SCR role: %+v", a)
	}
}

// TestPasscodeForAnotherReadIsNotSent: a passcode submitted from a screen drawn for one card
// read (View.PasscodeFor) does nothing once the card was swapped and another read reached the
// passcode screen: nothing goes to the new card; the new read's own submit does. A wrong
// passcode keeps the read's id, so the retry on the same screen is sent.
func TestPasscodeForAnotherReadIsNotSent(t *testing.T) {
	r := newRig(t, testConfig())
	r.step("readerUp", WaitingForCard)
	r.step("cardIn", ReadingCard)
	r.step("read", Passcode)
	first := r.m.Snapshot().PasscodeFor
	if first == 0 {
		t.Fatal("no PasscodeFor on the passcode screen")
	}
	r.step("cardOut", WaitingForCard)
	r.step("cardIn", ReadingCard)
	r.step("readOther", Passcode)
	second := r.m.Snapshot().PasscodeFor
	if second == first {
		t.Fatalf("the second read has the first's id %d", first)
	}
	if fx := r.m.Handle(PasscodeSubmitted{For: first}); len(fx) != 0 || r.m.State() != Passcode {
		t.Fatalf("a passcode for the first read: effects %q, state %v", fxString(fx), r.m.State())
	}
	fx := r.m.Handle(PasscodeSubmitted{For: second})
	if got := fxString(fx); got != "Verify" || r.m.State() != Verifying {
		t.Fatalf("the second read's own passcode: effects %q, state %v", got, r.m.State())
	}
	if v := r.m.Snapshot(); v.PasscodeFor != second {
		t.Errorf("while verifying PasscodeFor = %d, want %d", v.PasscodeFor, second)
	}
}
