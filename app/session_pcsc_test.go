//go:build pcsc

package app

import (
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"scrdesk/cardreader"
	"scrdesk/cardreader/pcsctest"
	"scrdesk/cardreader/virtualcard"
	"scrdesk/internal/audit"
	"scrdesk/internal/logging"
	"scrdesk/internal/sandbox"
	"scrdesk/internal/session"
	"scrdesk/internal/settings"
	"scrdesk/internal/staff"
)

// These tests drive the real controller with virtual PIV cards in the vsmartcard readers of a
// private pcscd (scripts/with-pcscd.sh), the built-in sandbox over real HTTP and a real SQLite
// audit log. Insert = connect to the vpcd port; remove = close it (docs/card-profile.md).

const (
	vpcdAddr0 = pcsctest.Addr0
	pcscPoll  = pcsctest.Poll
)

type pcscRig struct {
	*harness
	ca    *virtualcard.CA
	cards map[string]*virtualcard.Card
}

func newPCSCRig(t *testing.T, o harnessOpts) *pcscRig {
	t.Helper()
	pcsctest.Require(t)
	ca, err := virtualcard.NewCA("Test RA")
	if err != nil {
		t.Fatal(err)
	}
	r := &pcscRig{ca: ca, cards: map[string]*virtualcard.Card{}}
	for _, u := range staff.DemoUsers() {
		c, err := virtualcard.New(virtualcard.Options{UserID: u.UserID, Name: u.Name, PIN: u.PIN, Blocked: u.Blocked, Expired: u.Expired, CA: ca})
		if err != nil {
			t.Fatal(err)
		}
		r.cards[u.Key] = c
		t.Cleanup(func() { _ = c.Remove() })
	}
	time.Sleep(pcscPoll) // let pcscd see the previous test's cards leave
	r.harness = newHarness(t, cardreader.NewWatcher(logging.Discard()), ca.Pool(), o)
	r.waitState(session.WaitingForCard)
	return r
}

func (r *pcscRig) insert(key string) {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := r.cards[key].Insert(vpcdAddr0)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			r.t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(pcscPoll)
}

func (r *pcscRig) remove(key string) {
	r.t.Helper()
	if err := r.cards[key].Remove(); err != nil {
		r.t.Fatal(err)
	}
	time.Sleep(pcscPoll)
}

func pin(key string) string {
	for _, u := range staff.DemoUsers() {
		if u.Key == key {
			return u.PIN
		}
	}
	return ""
}

func TestPCSCSignInLockResumeSwap(t *testing.T) {
	r := newPCSCRig(t, harnessOpts{})
	r.insert("pharmacist")
	r.typePasscode(pin("pharmacist"))
	r.waitState(session.Ready)

	// A record on screen, then the card leaves: locked, and nothing of the patient is held.
	r.searchNHS(sandbox.NHSAsk)
	r.until("the permission question", func(c *Controller) bool { return patientOpen(c) })
	r.inspect(func(c *Controller) { c.permission() })
	r.until("the record", func(c *Controller) bool { return recordShown(c) })
	r.remove("pharmacist")
	r.waitState(session.Locked)
	r.noPatientData()
	var link bool
	r.inspect(func(c *Controller) { link = c.link != nil })
	if link {
		t.Error("the Spine token is still held while locked")
	}

	// The same card: the passcode again, then back to an empty search.
	r.insert("pharmacist")
	r.waitState(session.Passcode)
	var resuming bool
	r.inspect(func(c *Controller) { resuming = c.m.Snapshot().Resuming })
	if !resuming {
		t.Error("the same card did not offer to resume the locked session")
	}
	r.typePasscode(pin("pharmacist"))
	r.waitState(session.Ready)
	r.noPatientData()
	assertSubsequence(t, r.actions(), audit.ActionLogin, audit.ActionSCRRead, audit.ActionLockCardRemoved, audit.ActionUnlock)
	// The link with the Spine was signed in again (the card signed a new JWT) under the held
	// role: a search works at once.
	r.searchNHS(sandbox.NHSAsk)
	r.until("the patient after unlock", func(c *Controller) bool { return patientOpen(c) })

	// Lock by hand, then another card: the locked session ends (a swap) and a new sign-in starts.
	r.inspect(func(c *Controller) { c.handle(session.LockByHand{}) })
	r.waitState(session.Locked)
	r.remove("pharmacist")
	r.insert("technician")
	r.waitState(session.Passcode)
	r.typePasscode(pin("technician"))
	r.waitState(session.ChoosingRole) // two roles: the user picks
	var urid string
	r.inspect(func(c *Controller) { urid = c.m.Snapshot().Roles[0].URID })
	r.inspect(func(c *Controller) { c.chosen(urid) })
	r.waitState(session.Ready)
	assertSubsequence(t, r.actions(), audit.ActionLockManual, audit.ActionCardSwapped, audit.ActionRoleSelected, audit.ActionLogin)
	r.remove("technician")
	r.waitState(session.Locked)
}

func TestPCSCThreeWrongPasscodesBlock(t *testing.T) {
	r := newPCSCRig(t, harnessOpts{})
	r.insert("pharmacist")
	for i, left := range []int{2, 1} {
		r.typePasscode("999999")
		r.until("wrong passcode "+strconv.Itoa(i+1), func(c *Controller) bool {
			v := c.m.Snapshot()
			return v.State == session.Passcode && v.TriesLeft == left
		})
	}
	r.typePasscode("999999")
	r.waitState(session.CardBlocked)
	if !strings.Contains(r.frame.pass.Message, "Registration Authority") {
		t.Errorf("blocked message %q", r.frame.pass.Message)
	}
	acts := r.actions()
	if count(acts, audit.ActionWrongPasscode) != 2 || count(acts, audit.ActionCardBlocked) != 1 {
		t.Errorf("audit actions %v", acts)
	}
	if r.cards["pharmacist"].TriesLeft() != 0 {
		t.Errorf("the card has %d tries left", r.cards["pharmacist"].TriesLeft())
	}
}

func TestPCSCWrongCards(t *testing.T) {
	r := newPCSCRig(t, harnessOpts{})
	for _, c := range []struct{ key, want string }{
		{"expired", "certificate has expired"},
		{"blocked", "Registration Authority"},
	} {
		r.insert(c.key)
		r.until(c.key+" refused", func(ctl *Controller) bool {
			v := ctl.m.Snapshot()
			return strings.Contains(v.Message, c.want)
		})
		r.remove(c.key)
		r.until("back to waiting", func(ctl *Controller) bool { return ctl.m.State() == session.WaitingForCard })
	}
}

func TestPCSCIdleLock(t *testing.T) {
	r := newPCSCRig(t, harnessOpts{settings: func(s *settings.Settings) { s.IdleLockMinutes = 1 }})
	r.insert("pharmacist")
	r.typePasscode(pin("pharmacist"))
	r.waitState(session.Ready)
	r.searchNHS(sandbox.NHSAsk)
	r.until("a patient open", func(c *Controller) bool { return patientOpen(c) })
	r.clock.Advance(61 * time.Second)
	r.waitState(session.Locked)
	r.noPatientData()
	assertSubsequence(t, r.actions(), audit.ActionPatientRead, audit.ActionLockIdle)
}

func TestPCSCServiceRestartLocksThenRecovers(t *testing.T) {
	r := newPCSCRig(t, harnessOpts{})
	r.insert("pharmacist")
	r.typePasscode(pin("pharmacist"))
	r.waitState(session.Ready)

	pcsctest.Kill(t, syscall.SIGKILL)
	r.waitState(session.Locked)
	r.noPatientData()
	_ = r.cards["pharmacist"].Remove() // its socket died with pcscd
	pcsctest.Start(t)
	r.until("readers back", func(c *Controller) bool { return c.m.Snapshot().Readers > 0 })
	r.insert("pharmacist")
	r.waitState(session.Passcode)
	r.typePasscode(pin("pharmacist"))
	r.waitState(session.Ready)
	assertSubsequence(t, r.actions(), audit.ActionLockServiceLost, audit.ActionUnlock)
}

// TestPCSCCardNotUsableByAnotherProgram: after the sign-in, and again after a lock with the card
// still in the reader, another program's own PC/SC connection to the card finds the passcode
// not verified and gets 6982 (security status not satisfied) when it asks the card to sign.
// (A card's security status is the card's, not a connection's: without the reset, this second
// connection could have the card sign a Spine sign-in as the user.)
func TestPCSCCardNotUsableByAnotherProgram(t *testing.T) {
	r := newPCSCRig(t, harnessOpts{})
	r.insert("pharmacist")
	r.typePasscode(pin("pharmacist"))
	r.waitState(session.Ready)
	var reader string
	r.inspect(func(c *Controller) { reader = c.m.Snapshot().Reader })
	other := func(when string) {
		t.Helper()
		conn := secondConnectionNotVerified(t, reader, when)
		defer conn.Close()
		digest := make([]byte, 32)
		apdu := append([]byte{0x00, 0x87, 0x11, 0x9A, 0x26, 0x7C, 0x24, 0x82, 0x00, 0x81, 0x20}, digest...)
		apdu = append(apdu, 0x00)
		resp, err := conn.Transmit(apdu)
		if err != nil {
			t.Fatalf("%s: GENERAL AUTHENTICATE: %v", when, err)
		}
		if sw := resp[len(resp)-2:]; sw[0] != 0x69 || sw[1] != 0x82 {
			t.Errorf("%s: GENERAL AUTHENTICATE from a second connection answered %X, want 6982", when, sw)
		}
	}
	other("signed in")
	// The session still works for us: the link was signed in while the card was held.
	r.searchNHS(sandbox.NHSAsk)
	r.until("the patient", func(c *Controller) bool { return patientOpen(c) })

	r.inspect(func(c *Controller) { c.handle(session.LockByHand{}) })
	r.waitState(session.Locked)
	other("locked")

	// And the unlock still works (the card is read afresh, the passcode asked again).
	r.inspect(func(c *Controller) { c.handle(session.StartSignIn{}) })
	r.typePasscode(pin("pharmacist"))
	r.waitState(session.Ready)
	other("unlocked")
}

// secondConnectionNotVerified opens a second PC/SC connection to the card in reader, as
// another program would, selects PIV and fails the test if the card says the passcode is
// verified there. The caller closes the connection.
func secondConnectionNotVerified(t *testing.T, reader, when string) cardreader.Conn {
	t.Helper()
	conn, err := cardreader.ConnectPCSC(reader)
	if err != nil {
		t.Fatalf("%s: second connection: %v", when, err)
	}
	if err := cardreader.SelectPIV(conn); err != nil {
		conn.Close()
		t.Fatalf("%s: select: %v", when, err)
	}
	if cardreader.Verified(conn) {
		t.Errorf("%s: a second PC/SC connection sees the passcode verified", when)
	}
	return conn
}
