package app

import (
	"context"
	"crypto/x509"
	"log/slog"
	"os"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"scrdesk/cardreader"
	"scrdesk/internal/audit"
	"scrdesk/internal/logging"
	"scrdesk/internal/patientflow"
	"scrdesk/internal/present"
	"scrdesk/internal/sandbox"
	"scrdesk/internal/secrets"
	"scrdesk/internal/session"
	"scrdesk/internal/settings"
	"scrdesk/internal/staff"
	"scrdesk/internal/store"
	"scrdesk/sync"
)

// harness runs the real controller with real parts: a card source (the PC/SC watcher over the
// private pcscd, or the in-process demo reader), the built-in sandbox over real HTTP on
// loopback, a real SQLite file, and the real screens on Fyne's test driver. The UI queue is
// drained by the test goroutine, which plays Fyne's goroutine.
type harness struct {
	t     testing.TB
	c     *Controller
	sh    *shell
	w     fyne.Window
	q     chan func()
	db    *store.DB
	sb    *sandbox.Server
	clock *fakeClock
	frame frame

	baseURL string        // the sandbox's
	userID  string        // the signed-in card's, when known
	looping bool          // a benchmark's UI loop drains q: inspect must not
	ran     chan struct{} // closed when the controller's Run has returned
	stop    func()        // cancels Run's context (as the window closing does)
}

type fakeClock struct {
	mu  gosync.Mutex
	off time.Duration
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return time.Now().Add(f.off)
}

func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	f.off += d
	f.mu.Unlock()
}

type harnessOpts struct {
	settings func(*settings.Settings)
	// noRateLimit lifts the 5-a-second SCR limit on both sides (benchmarks measure the app, not
	// the limit).
	noRateLimit bool
	// prepare runs on the data folder before the store is opened (e.g. to leave a log behind
	// and then remove it); keys wraps the key file the store is given.
	prepare func(t testing.TB, dbPath string, keys store.KeySource)
	keys    func(store.KeySource) store.KeySource
	// seed writes to the store before the controller starts (e.g. a demo log older than any
	// row the controller records).
	seed func(*store.DB)
}

func newHarness(t testing.TB, src cardreader.Source, anchors *x509.CertPool, o harnessOpts) *harness {
	t.Helper()
	a := test.NewTempApp(t)
	_ = a
	dir := t.TempDir()
	log := logging.Discard()
	if os.Getenv("SCRDESK_TEST_LOG") == "1" {
		log = logging.New(os.Stderr, slog.LevelDebug)
	}
	var keys store.KeySource = secrets.File(filepath.Join(dir, "secrets.json"))
	if o.keys != nil {
		keys = o.keys(keys)
	}
	if o.prepare != nil {
		o.prepare(t, filepath.Join(dir, "scrdesk.db"), keys)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "scrdesk.db"), keys, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if o.seed != nil {
		o.seed(db)
	}
	sbo := sandbox.Options{TrustAnchors: anchors}
	cfg := sync.Config{Log: log, MaxRetryWait: time.Second}
	if o.noRateLimit {
		sbo.SCRPerSecond, cfg.SCRPerSecond = -1, 1_000_000
	}
	sb, url, stop, err := sandbox.Start(sbo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	cfg.BaseURL = url
	client, err := sync.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	st := settings.Defaults()
	st.PharmacyName, st.ODSCode, st.WorkstationName = "Test Pharmacy", "FA123", "TEST-1"
	if o.settings != nil {
		o.settings(&st)
	}
	clock := &fakeClock{}
	h := &harness{t: t, db: db, sb: sb, clock: clock, q: make(chan func(), 4096), baseURL: url, userID: staff.DemoUsers()[0].UserID}
	h.w = test.NewTempWindow(t, nil)
	h.w.Resize(fyne.NewSize(1280, 800))
	h.sh = newShell(h.w, false)
	svc := Services{Source: src, Anchors: anchors, Store: db, Spine: client, Settings: st, Log: log, Now: clock.Now}
	h.c = NewController(svc, h.sh, func(f func()) { h.q <- f })
	h.c.onRender = func(f frame) { h.frame = f }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	h.ran, h.stop = done, cancel
	go func() { defer close(done); h.c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		for {
			select {
			case <-done:
				return
			case f := <-h.q:
				f()
			}
		}
	})
	return h
}

// pump runs what the controller queued for the UI.
func (h *harness) pump() {
	for {
		select {
		case f := <-h.q:
			f()
		default:
			return
		}
	}
}

// rulesBackfilled waits for the rules' backfill over the log (startRules) to end.
func (h *harness) rulesBackfilled() {
	h.until("the rules backfill", func(c *Controller) bool {
		if c.rules == nil {
			return false
		}
		_, _, done, _ := c.rules.get()
		return done
	})
}

// inspect runs f on the controller goroutine and waits, pumping the UI queue meanwhile.
func (h *harness) inspect(f func(c *Controller)) {
	done := make(chan struct{})
	h.c.Post(func() { f(h.c); close(done) })
	if h.looping {
		<-done
		return
	}
	for {
		select {
		case <-done:
			return
		case g := <-h.q:
			g()
		}
	}
}

// until waits for cond (checked on the controller goroutine), pumping the UI; it fails the test
// after a generous liveness bound (not a speed assertion: a loaded 2-core machine running the
// race detector needs it).
func (h *harness) until(what string, cond func(c *Controller) bool) {
	h.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		ok := false
		h.inspect(func(c *Controller) { ok = cond(c) })
		if ok {
			if !h.looping {
				h.pump()
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	var st session.State
	var msg string
	h.inspect(func(c *Controller) { st = c.m.State(); msg = c.m.Snapshot().Message })
	h.t.Fatalf("timed out waiting for %s (state %v, message %q)", what, st, msg)
}

func (h *harness) waitState(s session.State) {
	h.t.Helper()
	h.until("state "+s.String(), func(c *Controller) bool { return c.m.State() == s })
}

// typePasscode types digits into the passcode screen and presses Enter, as a person does.
func (h *harness) typePasscode(pin string) {
	h.t.Helper()
	h.waitState(session.Passcode)
	h.pump()
	e := h.sh.pass.Focusable()
	for _, r := range pin {
		e.TypedRune(r)
	}
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

// searchNHS types an NHS number into the search field and presses Enter.
func (h *harness) searchNHS(nhs string) {
	h.t.Helper()
	h.waitState(session.Ready)
	h.pump()
	f := h.sh.search.NHSField()
	for _, r := range nhs {
		f.TypedRune(r)
	}
	f.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

// openWithPermission closes any patient, opens the sandbox's ask-first patient by NHS number
// and answers the question with the patient's permission, up to the record.
func (h *harness) openWithPermission() {
	h.t.Helper()
	h.inspect(func(c *Controller) { c.closePatient() })
	h.searchNHS(sandbox.NHSAsk)
	h.until("the question", func(c *Controller) bool { return atStage(c, present.ConsentAsk) })
	h.inspect(func(c *Controller) { c.permission() })
	h.until("the record", func(c *Controller) bool { return recordShown(c) })
}

// actions lists the audit log's actions in order.
func (h *harness) actions() []audit.Action {
	h.t.Helper()
	var out []audit.Action
	for _, e := range h.entries() {
		out = append(out, e.Action)
	}
	return out
}

// entries lists the audit rows in order.
func (h *harness) entries() []audit.Entry {
	h.t.Helper()
	var out []audit.Entry
	if err := h.db.Each(context.Background(), audit.Filter{}, func(e audit.Entry) error {
		out = append(out, e)
		return nil
	}); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// assertSubsequence checks that want appear in got in this order.
func assertSubsequence(t testing.TB, got []audit.Action, want ...audit.Action) {
	t.Helper()
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	if i != len(want) {
		t.Fatalf("audit actions %v do not contain %v in order (matched %d)", got, want, i)
	}
}

// noPatientData checks that neither the controller nor the screens hold patient data.
func (h *harness) noPatientData() {
	h.t.Helper()
	var holds bool
	h.inspect(func(c *Controller) { holds = c.holdsPatientData() })
	h.pump()
	if holds {
		h.t.Error("the controller still holds patient data")
	}
	if h.frame.hasPatient || h.frame.record != nil || len(h.frame.search.Matches) > 0 {
		h.t.Error("the last frame still carries patient data")
	}
	if n := h.sh.record.Rows(); n != 0 {
		h.t.Errorf("the record screen still holds %d rows", n)
	}
}

// The patient flow as the screens see it, for the tests' conditions (on the controller
// goroutine: inside until or inspect).

// consentView is the consent step the controller would render (Stage -1: no patient open).
func consentView(c *Controller) present.ConsentView {
	f := frame{}
	c.patientFrame(&f)
	if !f.hasPatient {
		return present.ConsentView{Stage: -1}
	}
	return f.consent
}

// atStage: a patient is open at consent stage st.
func atStage(c *Controller, st present.ConsentStage) bool { return consentView(c).Stage == st }

// patientOpen: a patient is on screen.
func patientOpen(c *Controller) bool { return consentView(c).Stage != -1 }

// recordShown: a record is on screen.
func recordShown(c *Controller) bool { return c.flow.View().State == patientflow.RecordShown }

// openNHS is the NHS number of the patient on screen ("" when none).
func openNHS(c *Controller) string {
	if v := c.flow.View(); patientOpen(c) {
		return v.Patient.NHSNumber
	}
	return ""
}

// searchView is the search screen the controller would render.
func searchView(c *Controller) present.SearchView {
	f := frame{}
	c.patientFrame(&f)
	return f.search
}

// bannerView is the patient banner the controller would render.
func bannerView(c *Controller) present.BannerView {
	f := frame{}
	c.patientFrame(&f)
	return f.banner
}
