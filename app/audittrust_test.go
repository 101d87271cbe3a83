package app

import (
	"context"
	"errors"
	"os"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/sandbox"
	"scrdesk/internal/session"
	"scrdesk/internal/staff"
	"scrdesk/internal/store"
)

// TestRemovedLogSaidOnEveryScreenAndRefusesPatientWork: the keyring knows a log of 3 entries
// and the file is gone. The lock, passcode and workspace screens say "The audit log was
// removed or replaced (last known: entry 3, at …)" with the way forward, and a search asks the
// Spine for nothing and opens nothing.
func TestRemovedLogSaidOnEveryScreenAndRefusesPatientWork(t *testing.T) {
	h, dr, card := demoHarnessWith(t, harnessOpts{prepare: removedLog})
	const said = "The audit log was removed or replaced (last known: entry 3, at "
	h.until("the lock screen's notice", func(c *Controller) bool { return strings.Contains(c.frame().lock.Message, said) })
	if !strings.Contains(h.frame.lock.Message, "scrdesk audit new-log") {
		t.Errorf("lock screen does not give the way forward: %q", h.frame.lock.Message)
	}
	dr.Insert(demoReader, card)
	h.waitState(session.Passcode)
	h.pump()
	if !strings.Contains(h.frame.pass.Message, said) {
		t.Errorf("passcode screen: %q", h.frame.pass.Message)
	}
	h.typePasscode(staff.DemoUsers()[0].PIN)
	h.waitState(session.Ready)
	h.pump()
	if !strings.Contains(h.frame.status.Notice, said) {
		t.Errorf("status bar: %q", h.frame.status.Notice)
	}
	before := len(h.sb.Requests())
	h.searchNHS(sandbox.NHSAsk)
	h.until("the refusal", func(c *Controller) bool { return searchView(c).State != 0 && searchView(c).Message.Title != "" })
	if !strings.Contains(h.frame.search.Message.Title, "No patient records can be opened") ||
		!strings.Contains(h.frame.search.Message.What, said) || h.frame.hasPatient {
		t.Fatalf("search frame: %+v", h.frame.search)
	}
	if n := len(h.sb.Requests()); n != before {
		t.Errorf("the Spine was asked %d more times with the log removed", n-before)
	}
	if _, err := h.db.Record(context.Background(), audit.Event{Action: audit.ActionAppStart, Outcome: audit.OutcomeSuccess}); !errors.Is(err, store.ErrLogReplaced) {
		t.Fatalf("Record = %v", err)
	}
}

// removedLog is a harnessOpts.prepare: a log of three rows, checkpointed in keys, then its file
// deleted (the keyring knows entry 3).
func removedLog(t testing.TB, path string, keys store.KeySource) {
	db, err := store.Open(context.Background(), path, keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := db.Record(context.Background(), audit.Event{Action: audit.ActionAppStart, Outcome: audit.OutcomeSuccess}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	for _, s := range []string{"", "-wal", "-shm"} {
		os.Remove(path + s)
	}
}

// flakyCheckpoints refuses checkpoint writes while failing is set, as a keyring that stops
// answering does.
type flakyCheckpoints struct {
	store.KeySource
	mu      gosync.Mutex
	failing bool
}

func (k *flakyCheckpoints) set(v bool) { k.mu.Lock(); k.failing = v; k.mu.Unlock() }

func (k *flakyCheckpoints) Set(key, value string) error {
	k.mu.Lock()
	f := k.failing
	k.mu.Unlock()
	if f && strings.HasPrefix(key, "audit-checkpoint:") {
		return errors.New("the keyring's collection is locked")
	}
	return k.KeySource.Set(key, value)
}

// TestDegradedProtectionSaidOnEveryScreen: while the keyring refuses the checkpoint every
// screen says "Audit protection is degraded since …"; the controller retries, and once the
// keyring accepts again the notice goes and the unprotected entries are on the record.
func TestDegradedProtectionSaidOnEveryScreen(t *testing.T) {
	flaky := &flakyCheckpoints{}
	h, dr, card := demoHarnessWith(t, harnessOpts{keys: func(k store.KeySource) store.KeySource {
		flaky.KeySource = k
		return flaky
	}})
	h.until("started", func(c *Controller) bool { return c.frame().lock.Message == "" })
	flaky.set(true)
	dr.Insert(demoReader, card)
	h.typePasscode(staff.DemoUsers()[0].PIN)
	h.waitState(session.Ready)
	h.pump()
	const said = "Audit protection is degraded since "
	if !strings.Contains(h.frame.status.Notice, said) {
		t.Fatalf("status bar: %q", h.frame.status.Notice)
	}
	if p := h.db.Protection(); !p.Degraded || p.Since.IsZero() {
		t.Fatalf("Protection = %+v", p)
	}
	if !strings.Contains(h.frame.role.Notice, said) { // the role choice, shown before Ready for several roles
		t.Fatalf("role screen: %q", h.frame.role.Notice)
	}
	dr.Remove(demoReader)
	h.waitState(session.Locked)
	h.pump()
	if !strings.Contains(h.frame.lock.Message, said) {
		t.Fatalf("lock screen: %q", h.frame.lock.Message)
	}
	dr.Insert(demoReader, card)
	h.waitState(session.Passcode)
	h.pump()
	if !strings.Contains(h.frame.pass.Message, said) {
		t.Fatalf("passcode screen: %q", h.frame.pass.Message)
	}
	// The keyring answers again: the next retry (a minute on) restores protection.
	flaky.set(false)
	h.clock.Advance(2 * time.Minute)
	h.until("protection restored", func(c *Controller) bool {
		return !strings.Contains(c.frame().pass.Message, said) && !h.db.Protection().Degraded
	})
	if n, _ := h.db.Count(context.Background(), audit.Filter{Action: audit.ActionAuditUnprotected}); n != 1 {
		t.Fatalf("%d audit-unprotected-entries rows, want 1", n)
	}
}
