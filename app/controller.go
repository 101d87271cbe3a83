package app

import (
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"strconv"
	gosync "sync"
	"sync/atomic"
	"time"

	"scrdesk/cardreader"
	"scrdesk/internal/audit"
	"scrdesk/internal/governance"
	"scrdesk/internal/patientflow"
	"scrdesk/internal/replica"
	"scrdesk/internal/session"
	"scrdesk/internal/settings"
	"scrdesk/internal/staff"
	"scrdesk/internal/store"
	"scrdesk/sync"
)

// Services are the adapters the controller drives. main (through Run) or a test builds them.
type Services struct {
	Source   cardreader.Source // the PC/SC watcher, or the demo reader
	Anchors  *x509.CertPool    // smartcard trust anchors
	Store    *store.DB         // audit log, settings, alert outbox
	Spine    *sync.Client      // the national services (or the built-in sandbox)
	Settings settings.Settings
	Demo     bool
	Log      *slog.Logger
	Now      func() time.Time
	// DemoInsert and DemoRemove put a demo card in the demo reader and take it out (demo mode only).
	DemoInsert func(key string)
	DemoRemove func(key string)
	// DemoFolder is set when the demo was asked for (--demo) and so keeps a folder of its own;
	// a demo reached through the settings' environment runs in the workstation's own folder.
	DemoFolder bool
	// ReportDir is where the SGP's reports are saved (default: "reports" beside the database).
	ReportDir string
	// WeakKey is set when secrets are kept in the owner-only key file because no OS keyring
	// answered: weaker protection, said on screen.
	WeakKey bool
	// Central, when a central audit database is set up, says how far replication has got
	// ("central audit log: replicated to entry N, 3 s ago"); nil otherwise. Never blocks.
	Central func() string
	// CentralSGP opens the pharmacy-wide log for the SGP's "whole pharmacy" view (the reading
	// login of settings central_sgp_dsn); nil when none is set up. Called off the controller
	// goroutine only.
	CentralSGP func(ctx context.Context) (*replica.CentralLog, error)
	// Reconnect makes the trust anchors and Spine link new settings ask for (settings.go);
	// Readers lists the readers present, for the settings screen. main provides both.
	Reconnect func(settings.Settings) (*x509.CertPool, *sync.Client, error)
	Readers   func() []string
	// StartNotice is said on the lock and passcode screens until someone signs in: what
	// happened before these services were opened (a new audit log was started).
	StartNotice string
}

// Controller is the session controller: one goroutine (Run) owns the session state machine,
// the open card, the signed-in link with the Spine and the open patient. Every event goes
// event -> state change -> audit row committed -> UI, in that order. Screens reach it through
// Post; it reaches the screens only through the injected ui func.
type Controller struct {
	svc Services
	ui  func(func())
	sh  *shell
	m   *session.Machine

	// Posted closures, in order: an unbounded queue, so Post never blocks and never needs a
	// goroutine to deliver (which would lose the order).
	postMu   gosync.Mutex
	posted   []func()
	postWake chan struct{}
	// activityQueued coalesces activity reports (mouse movement): at most one waits in the queue.
	activityQueued atomic.Bool

	// Owned by the Run goroutine.
	readers      map[string]bool
	conn         cardreader.Conn
	connRdr      string
	ident        cardreader.Identity
	passcode     []byte
	link         *sync.Session // signed in, with role once chosen
	role         staff.Role
	flow         *patientflow.Machine // the patient flow: the open patient, the matches, the awaited answer
	ptCtx        context.Context      // the patient flow's requests under way (nil: none)
	ptStop       context.CancelFunc
	listedFor    int64           // the patient-search row the patient-listed rows of this batch name
	allRoles     []staff.Role    // every role the identity service gave this user (the status bar's switch)
	sessionRoles map[string]bool // the URIDs this session has been in (switchTarget), cleared at its end
	gv           *govState       // the governance workspace, nil when not shown
	govGen       uint64          // bumped whenever the workspace opens: stale answers are ignored
	rules        *rulesProgress  // the rules' backfill
	clearNote    bool            // the next render empties the case's note field
	lastSAR      string          // the last Subject Access Request PDF saved (tests)
	lastReport   string          // the last monthly governance report saved (tests)
	inserted     string          // demo card in the demo reader
	alerts       []userAlert     // recent alerts, each with its user (the status area shows the user's own)
	conState     string
	outboxKick   chan struct{}
	lastActivity time.Time
	cpTried      time.Time // last checkpoint retry while degraded
	cpRetrying   bool
	stopRun      context.CancelFunc // ends Run (an SGP asked for a new audit log)
	newLogBy     *audit.Event       // who asked for a new audit log, and why (newlog.go)
	startNotice  string             // Services.StartNotice until someone signs in

	// lockedAt is when the last drop happened (for the lock benchmark); guarded by mu.
	mu       gosync.Mutex
	onRender func(f frame)
	// onTextScale, if set, applies a new text size to the window (settings.go).
	onTextScale func(scale float64)
	// set is the open settings screen, nil when closed (settingsscreen.go).
	set *settingsUI
}

// NewController makes a controller over svc that renders into sh through ui.
func NewController(svc Services, sh *shell, ui func(func())) *Controller {
	if svc.Now == nil {
		svc.Now = time.Now
	}
	c := &Controller{
		svc:         svc,
		ui:          ui,
		sh:          sh,
		postWake:    make(chan struct{}, 1),
		readers:     map[string]bool{},
		conState:    "Not connected",
		outboxKick:  make(chan struct{}, 1),
		startNotice: svc.StartNotice,
	}
	c.m = session.New(sessionConfig(svc.Settings), svc.Now)
	c.flow = patientflow.New()
	sh.bind(c)
	return c
}

func sessionConfig(s settings.Settings) session.Config {
	return session.Config{
		IdleLock:        time.Duration(s.IdleLockMinutes) * time.Minute,
		RemovalSignsOut: s.CardRemoval == settings.CardRemovalSignOut,
		SCRActivities:   s.PermittedActivityCodes,
		SGPActivities:   staff.DefaultSGPActivities,
		WorkstationODS:  s.ODSCode,
	}
}

// Post runs f on the controller goroutine, after everything posted before it. Safe from any
// goroutine; never blocks the caller and never starts a goroutine.
func (c *Controller) Post(f func()) {
	c.postMu.Lock()
	c.posted = append(c.posted, f)
	c.postMu.Unlock()
	select {
	case c.postWake <- struct{}{}:
	default:
	}
}

// runPosted runs what was posted so far, in order.
func (c *Controller) runPosted() {
	for {
		c.postMu.Lock()
		batch := c.posted
		c.posted = nil
		c.postMu.Unlock()
		if len(batch) == 0 {
			return
		}
		for i, f := range batch {
			batch[i] = nil
			f()
		}
	}
}

// postActivity reports input for the idle lock from any goroutine. Reports are coalesced: while
// one waits in the queue, more add nothing (mouse movement comes in floods).
func (c *Controller) postActivity() {
	if c.activityQueued.CompareAndSwap(false, true) {
		c.Post(func() {
			c.activityQueued.Store(false)
			c.activity()
		})
	}
}

// Run owns the session until ctx is done. It starts the card source and the outbox.
func (c *Controller) Run(ctx context.Context) {
	ctx, c.stopRun = context.WithCancel(ctx)
	defer c.stopRun()
	events := make(chan cardreader.Event, 32)
	srcDone := make(chan struct{})
	go func() {
		defer close(srcDone)
		if err := c.svc.Source.Run(ctx, events); err != nil && ctx.Err() == nil {
			c.svc.Log.Error("card source stopped", "err", err)
		}
	}()
	// The outbox and the rules' backfill write to the store: they are awaited before the
	// application-stop row (the log's last) and before the caller closes the store.
	var workers gosync.WaitGroup
	workers.Go(func() { c.runOutbox(ctx) })
	c.startRules(ctx, &workers)
	// This version records the rules' configuration in the log (startRules): the start says so,
	// so that Verify checks every rule's cases from here on (audit.DetailRulesLogged).
	c.record(audit.Event{Action: audit.ActionAppStart, Outcome: audit.OutcomeSuccess,
		Detail: map[string]string{"demo": boolText(c.svc.Demo), audit.DetailRulesLogged: "1",
			audit.DetailRulesEngine: strconv.Itoa(governance.EngineVersion)}})
	c.render()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			c.awaitWorkers(&workers)
			c.shutdown()
			<-srcDone
			return
		case ev := <-events:
			c.onCard(ev)
		case <-c.postWake:
			c.runPosted()
		case <-tick.C:
			if c.m.State() == session.Ready {
				c.handle(session.Tick{})
			}
			c.retryCheckpoint(ctx)
		}
	}
}

// checkpointRetryEvery is how often a degraded store's checkpoint is tried again.
var checkpointRetryEvery = time.Minute

// retryCheckpoint tries the checkpoint again, off the controller goroutine, while protection is
// degraded; the screens say so until it succeeds.
func (c *Controller) retryCheckpoint(ctx context.Context) {
	now := c.svc.Now()
	if c.cpRetrying || now.Sub(c.cpTried) < checkpointRetryEvery {
		return
	}
	c.cpTried = now
	if !c.svc.Store.Protection().Degraded {
		return
	}
	c.cpRetrying = true
	db := c.svc.Store
	go func() {
		db.Checkpoint(ctx)
		c.Post(func() { c.cpRetrying = false; c.render() })
	}()
}

// workersStopWait bounds how long a stop waits for the outbox and the rules (a store call that
// hangs must not keep the window from closing); a variable for tests.
var workersStopWait = 10 * time.Second

// awaitWorkers waits, at a stop, for the outbox and the rules' backfill to finish what they were
// writing (each sees the same cancelled context and returns).
func (c *Controller) awaitWorkers(workers *gosync.WaitGroup) {
	done := make(chan struct{})
	go func() { workers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(workersStopWait):
		c.svc.Log.Warn("the alert outbox or the governance rules had not stopped", "waited_s", workersStopWait.Seconds())
	}
}

func (c *Controller) shutdown() {
	if c.m.Snapshot().SignedIn() || c.m.State() == session.Locked {
		c.handle(session.SignOut{})
	}
	c.dropPatient()
	c.closeCard()
	c.endLink()
	c.record(audit.Event{Action: audit.ActionAppStop, Outcome: audit.OutcomeSuccess})
}

// onCard turns a card-source event into session events.
func (c *Controller) onCard(ev cardreader.Event) {
	switch ev.Kind {
	case cardreader.ReaderAttached:
		c.readers[ev.Reader] = true
		c.handle(session.ReaderAttached{Count: len(c.readers)})
	case cardreader.ReaderDetached:
		delete(c.readers, ev.Reader)
		if ev.Reader == c.connRdr {
			c.closeCard()
		}
		c.handle(session.ReaderDetached{Reader: ev.Reader, Count: len(c.readers)})
	case cardreader.CardInserted:
		if p := c.svc.Settings.PreferredReader; p != "" && p != ev.Reader && c.readers[p] {
			c.svc.Log.Info("card ignored: not in the preferred reader", "reader", ev.Reader)
			return
		}
		c.handle(session.CardIn{Reader: ev.Reader})
	case cardreader.CardRemoved:
		if ev.Reader == c.connRdr {
			c.closeCard()
		}
		c.handle(session.CardOut{Reader: ev.Reader})
	case cardreader.ServiceLost:
		clear(c.readers)
		c.closeCard()
		c.handle(session.ServiceLost{})
	case cardreader.ServiceBack:
		c.handle(session.ServiceBack{})
	}
}

// handle feeds the machine one event and carries out its effects in order, then renders.
func (c *Controller) handle(e session.Event) {
	fx := c.m.Handle(e)
	for _, f := range fx {
		c.apply(f)
	}
	if len(fx) > 0 || isViewEvent(e) {
		c.render()
	}
}

func isViewEvent(e session.Event) bool {
	switch e.(type) {
	case session.Tick, session.Activity:
		return false
	}
	return true
}

func (c *Controller) apply(f session.Effect) {
	switch f := f.(type) {
	case session.DropPatientData:
		c.dropPatient()
		c.gv = nil // the governance workspace goes with everything else
		// Lock means gone: the screens drop their patient data before anything else happens.
		c.render()
	case session.ShowLock:
		c.endLink()  // the token lives for the session only: dropped at lock
		c.lockCard() // and nothing else may use the card while locked
	case session.ShowWorkspace:
		c.startNotice = "" // said until someone signs in
		c.dropPatient()
		if f.Role.URID != c.role.URID {
			// Another role (a switch): its relationships are claimed, and alerted, afresh.
			c.patientStep(patientflow.NewSession{})
		}
		c.role = f.Role
		if c.sessionRoles == nil {
			c.sessionRoles = map[string]bool{}
		}
		c.sessionRoles[f.Role.URID] = true
		if c.link != nil {
			c.link = c.link.WithRole(f.Role.URID)
		}
		c.kickOutbox()
		c.gv = nil
		if c.govMode() {
			c.enterGov()
		}
	case session.EndSession:
		c.patientStep(patientflow.NewSession{}) // a new sign-in: the once-a-session alerts start afresh
		c.endLink()
		c.role = staff.Role{}
		c.sessionRoles = nil
		c.alerts = nil // per-user state goes with the session (read again for the next user)
	case session.UseCard:
		if oc, ok := f.Card.(*openCard); ok {
			c.closeCard()
			c.conn, c.connRdr, c.ident = oc.conn, oc.reader, oc.id
		}
	case session.UseLink:
		if si, ok := f.Link.(*signedIn); ok {
			c.endLink()
			c.link = si.link
			c.conState = "Connected"
		}
	case session.LinkDown:
		c.endLink()
		c.conState = "Not connected: " + f.Why
	case session.Discard:
		c.discard(f)
	case session.ReadCard:
		c.readCard(f)
	case session.VerifyPasscode:
		c.verifyPasscode(f)
	case session.LoadRoles:
		c.loadRoles(f)
	case session.RememberRole:
		if err := c.svc.Store.SetLastRole(context.Background(), f.UserID, f.URID); err != nil {
			c.svc.Log.Warn("last role not remembered", "err", err)
		}
	case session.Audit:
		c.auditSession(f)
	}
}

// render builds the frame for the current state and hands it to the UI goroutine.
func (c *Controller) render() {
	c.settingsFollow()
	f := c.frame()
	c.mu.Lock()
	hook := c.onRender
	c.mu.Unlock()
	c.ui(func() {
		c.sh.render(f)
		if hook != nil {
			hook(f)
		}
	})
}

// chosen is called when the user picks a role: the machine's ShowWorkspace gives it to the link.
func (c *Controller) chosen(urid string) {
	c.handle(session.RoleChosen{URID: urid})
}

// discard closes what a late answer carried and audits that it was dropped: a sign-in that
// finished after its card left must never become anyone's link.
func (c *Controller) discard(d session.Discard) {
	switch x := d.Carried.(type) {
	case *signedIn:
		x.link.Close()
		c.record(audit.Event{Action: audit.ActionAnswerDiscarded, Outcome: audit.OutcomeSuccess, UserID: x.userID,
			Reason: "a " + d.Answer + " finished after it was no longer wanted; its Spine sign-in was closed unused"})
	case *openCard:
		_ = x.conn.Close()
		c.svc.Log.Info("late card read discarded", "reader", x.reader)
	}
}

// confirmRole is called when the user confirms a role at another organisation than the
// workstation's (the machine asked; the confirmation is audited). The machine's ShowWorkspace
// gives the role to the link.
func (c *Controller) confirmRole(urid string) {
	c.handle(session.RoleConfirmed{URID: urid})
}

// lockCard resets the open card's security status (no program can have it sign without the
// passcode) and closes it: an unlock reads the card afresh.
func (c *Controller) lockCard() {
	if c.conn != nil {
		if err := cardreader.ResetSecurity(c.conn); err != nil && !errors.Is(err, cardreader.ErrCardRemoved) {
			c.svc.Log.Warn("card security status not reset at lock", "err", err)
		}
	}
	c.closeCard()
}

func (c *Controller) endLink() {
	if c.link != nil {
		c.link.Close()
		c.link = nil
	}
	c.conState = "Not connected"
}

func (c *Controller) closeCard() {
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn = nil
		c.connRdr = ""
	}
	wipe(c.passcode)
	c.passcode = nil
}

// who fills the audit row's who and where from the session.
func (c *Controller) who(e audit.Event) audit.Event {
	v := c.m.Snapshot()
	e.Workstation = c.svc.Settings.WorkstationName
	e.ODSCode = c.svc.Settings.ODSCode
	if e.UserID == "" {
		e.UserID, e.UserName = v.User.ID, v.User.Name
	}
	if e.URID == "" && v.Role.URID != "" {
		e.URID, e.RoleCode = v.Role.URID, v.Role.RoleCode
	}
	return e
}

// record writes an audit row (filled with who and where) and reports whether it committed.
func (c *Controller) record(e audit.Event) (audit.Entry, error) {
	ent, err := c.svc.Store.Record(context.Background(), c.who(e))
	if err != nil {
		c.svc.Log.Error("audit row not written", "action", string(e.Action), "err", err)
	}
	return ent, err
}

// auditSession writes the machine's audit effect: its actions and outcomes are the audit log's
// own vocabulary (internal/audit), so they convert directly.
func (c *Controller) auditSession(a session.Audit) {
	e := audit.Event{Action: audit.Action(a.Action), Outcome: audit.Outcome(a.Outcome), UserID: a.User.ID, UserName: a.User.Name,
		Reason: a.Reason, URID: a.Role.URID, RoleCode: a.Role.RoleCode}
	if e.Outcome == "" {
		e.Outcome = audit.OutcomeSuccess
	}
	if a.NewUser.ID != "" {
		e.Detail = map[string]string{"new_user_id": a.NewUser.ID}
	}
	c.record(e)
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func wipe(b []byte) {
	for i := range b {
		b[i] = 0
	}
}

// errorsAs is errors.As with a shorter name for the card code.
func errorsAs[T error](err error) (T, bool) {
	var t T
	ok := errors.As(err, &t)
	return t, ok
}
