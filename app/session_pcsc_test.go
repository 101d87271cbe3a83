//go:build pcsc

package app

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"scrdesk/cardreader"
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
// audit log. Insert = connect to the vpcd port; remove = close it (CARD.md).

const (
	vpcdAddr0 = "127.0.0.1:35963"
	pcscPoll  = 700 * time.Millisecond // pcscd polls the virtual reader about every 400 ms
)

func needPCSC(t *testing.T) {
	t.Helper()
	fail := t.Skipf
	if os.Getenv("SCRDESK_REQUIRE_PCSC") == "1" {
		fail = t.Fatalf
	}
	if os.Getenv("SCRDESK_PCSC_NAMESPACE") != "1" {
		fail("needs a private pcscd: run under scripts/with-pcscd.sh (go test -tags pcsc)")
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, err := scard.EstablishContext()
		if err == nil {
			names, lerr := ctx.ListReaders()
			_ = ctx.Release()
			if lerr == nil && len(names) >= 1 {
				return
			}
			err = lerr
		}
		if time.Now().After(deadline) {
			fail("pcscd with the vpcd readers is not reachable: %v", err)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type pcscRig struct {
	*harness
	ca    *virtualcard.CA
	cards map[string]*virtualcard.Card
}

func newPCSCRig(t *testing.T, o harnessOpts) *pcscRig {
	t.Helper()
	needPCSC(t)
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
	r.until("the permission question", func(c *Controller) bool { return c.pt != nil })
	r.inspect(func(c *Controller) { c.permission() })
	r.until("the record", func(c *Controller) bool { return c.pt != nil && c.pt.record != nil })
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
	r.until("the patient after unlock", func(c *Controller) bool { return c.pt != nil && c.pt.patient != nil })

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
		{"expired", "certificate is not valid"},
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
	r.until("a patient open", func(c *Controller) bool { return c.pt != nil })
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

	killPCSCD(t)
	r.waitState(session.Locked)
	r.noPatientData()
	_ = r.cards["pharmacist"].Remove() // its socket died with pcscd
	startPCSCD(t)
	r.until("readers back", func(c *Controller) bool { return c.m.Snapshot().Readers > 0 })
	r.insert("pharmacist")
	r.waitState(session.Passcode)
	r.typePasscode(pin("pharmacist"))
	r.waitState(session.Ready)
	assertSubsequence(t, r.actions(), audit.ActionLockServiceLost, audit.ActionUnlock)
}

func killPCSCD(t *testing.T) {
	t.Helper()
	out, err := exec.Command("pidof", "pcscd").Output()
	if err != nil {
		t.Fatalf("pidof pcscd: %v", err)
	}
	for _, f := range strings.Fields(string(out)) {
		pid, _ := strconv.Atoi(f)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	for i := 0; i < 100; i++ {
		if exec.Command("pidof", "pcscd").Run() != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("pcscd did not stop")
}

func startPCSCD(t *testing.T) {
	t.Helper()
	_ = os.Remove("/run/pcscd/pcscd.comm")
	logf, err := os.OpenFile(os.Getenv("PCSCD_LOG"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		logf = nil
	}
	cmd := exec.Command("pcscd", "--foreground")
	if logf != nil {
		cmd.Stdout, cmd.Stderr = logf, logf
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait() }()
	for i := 0; i < 100; i++ {
		if _, err := os.Stat("/run/pcscd/pcscd.comm"); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("pcscd did not start")
}
