package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
	"reflect"

	"scrdesk/internal/present"
	"scrdesk/internal/session"
	"scrdesk/internal/store"
	"scrdesk/screens"
	gscreens "scrdesk/screens/governance"
	"scrdesk/screens/patient"
)

// frame is everything the window shows, computed by the controller from its state: plain data
// handed to the UI goroutine. When no patient is open it holds no patient data at all.
type frame struct {
	screen present.Screen
	lock   present.LockView
	pass   present.PasscodeView
	role   present.RoleView
	status present.StatusView
	demo   *present.DemoPanelView

	search     present.SearchView
	hasPatient bool
	banner     present.BannerView
	consent    present.ConsentView
	record     *present.RecordView
	alerts     []present.AlertView

	gov       *gscreens.View // the governance workspace, when the role is an SGP's
	clearNote bool
}

// frame computes what the window must show now. Call on the controller goroutine.
func (c *Controller) frame() frame {
	v := c.m.Snapshot()
	site := present.Site{Pharmacy: c.svc.Settings.PharmacyName, ODS: c.svc.Settings.ODSCode, Demo: c.svc.Demo}
	f := frame{
		screen: present.ScreenFor(v.State),
		lock:   present.LockViewOf(v, site),
		pass:   present.PasscodeViewOf(v, c.svc.Demo),
		role:   present.RoleViewOf(v, site),
		status: present.StatusViewOf(v, c.conState, c.svc.Demo),
	}
	if !c.svc.Demo {
		// Which national service this workstation talks to, beside the user at all times.
		f.status.Env, f.status.EnvKind = present.EnvironmentMark(c.svc.Settings)
	}
	if c.svc.Central != nil {
		f.status.Central = c.svc.Central()
	}
	if c.svc.WeakKey {
		// The audit log's key is in the owner-only file, not the OS keyring: the lock screen
		// says so (the status bar has no room for it).
		if f.lock.Message == "" {
			f.lock.Message = weakKeyNotice
		}
	}
	if n := c.auditNotice(); n != "" {
		// A removed or replaced log, or degraded protection, is said on every screen.
		f.lock.Message = joinNotice(n, f.lock.Message)
		f.pass.Message = joinNotice(f.pass.Message, n)
		f.role.Notice = n
		f.status.Notice = joinNotice(n, f.status.Notice)
	}
	if c.startNotice != "" {
		f.lock.Message = joinNotice(c.startNotice, f.lock.Message)
		f.pass.Message = joinNotice(c.startNotice, f.pass.Message)
	}
	if c.svc.Demo {
		d := present.DemoPanelViewOf(demoUsers(), c.inserted, c.svc.Settings.PermittedActivityCodes)
		f.demo = &d
	}
	if f.screen != present.ScreenWorkspace {
		return f // nothing about any patient leaves the controller unless signed in and ready
	}
	if _, ok := c.switchTarget(); ok {
		if c.govMode() {
			f.status.Switch = "Counter"
		} else {
			f.status.Switch = "Governance"
		}
	}
	if c.govMode() {
		f.gov = c.govFrame()
		f.status.Notice = joinNotice(c.auditNotice(), "Governance workspace")
		f.clearNote, c.clearNote = c.clearNote, false
		return f // the counter's patient views stay empty
	}
	f.alerts = alertsFor(c.alerts, v.User.ID)
	c.patientFrame(&f)
	return f
}

// auditNotice is what every screen must say about the audit log's protection: that it was
// removed or replaced (patient work is refused), or that checkpoints are failing, or "".
func (c *Controller) auditNotice() string {
	db := c.svc.Store
	if db == nil {
		return ""
	}
	if b := db.Break(); b != nil {
		return b.Message() + " No patient records can be opened until your SCR Governance Person starts a new log (in the Governance workspace), or IT support does (scrdesk audit new-log)."
	}
	if p := db.Protection(); p.Degraded {
		return degradedNotice(p)
	}
	return ""
}

// degradedNotice is "Audit protection is degraded since 14:02: …".
func degradedNotice(p store.Protection) string {
	return "Audit protection is degraded since " + p.Since.Local().Format("15:04") +
		": the keyring is not accepting the audit log's checkpoint. Ask IT support."
}

func joinNotice(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " " + b
}

// weakKeyNotice is shown while secrets live in the fallback key file.
const weakKeyNotice = "Weaker protection: the audit log's key is in a file, not a system keyring. Ask IT support."

// shell is the window's content: the screens and the layout that switches between them. Every
// method runs on the UI goroutine.
type shell struct {
	w    fyne.Window
	demo bool
	c    *Controller

	lock      *screens.Lock
	pass      *screens.Passcode
	role      *screens.Role
	status    *screens.StatusBar
	demoPanel *screens.DemoPanel

	search  *patient.Search
	banner  *patient.Banner
	consent *patient.Consent
	record  *patient.Record
	alerts  *patient.Alerts

	main      *fyne.Container // the current screen
	workspace *fyne.Container // the status bar over the counter's or the governance views
	signed    *fyne.Container // the counter's or the governance views
	counter   *fyne.Container
	fitted    present.BannerView // the banner the counter was last laid out for (fitBanner)
	gov       *gscreens.Workspace
	ptArea    *fyne.Container // search, or consent, or record
	current   present.Screen
	ptShown   string
	govShown  string // the governance page drawn ("" when the workspace is not), for the debug log
	// emergShown: the consent screen shows the emergency reason stage.
	emergShown bool
	// ptStage: the patient part's stage last named in the debug log (renderPatient).
	ptStage string
	// patientSeen: a patient was on screen since the last lock (the clipboard is cleared at lock).
	patientSeen bool
	last        frame
}

// newShell builds the screens into w. Call on the UI goroutine.
func newShell(w fyne.Window, demo bool) *shell {
	return &shell{w: w, demo: demo, current: -1}
}

// bind connects the screens' callbacks to the controller and lays the window out. Called by
// NewController; the callbacks only Post intent to the controller goroutine.
func (s *shell) bind(c *Controller) {
	s.c = c
	post := func(f func()) func() { return func() { c.Post(f) } }
	s.lock = screens.NewLock(screens.LockCallbacks{
		Start:   post(func() { c.handle(session.StartSignIn{}) }),
		SignOut: post(func() { c.handle(session.SignOut{}) }),
	})
	s.pass = screens.NewPasscode(screens.PasscodeCallbacks{
		Submit: func(p string, forRead uint64) {
			b := []byte(p)
			c.Post(func() { c.submitPasscode(b, forRead) })
		},
		Cancel: post(func() { c.handle(session.Cancel{}) }),
	})
	s.role = screens.NewRole(screens.RoleCallbacks{
		Choose:  func(urid string) { c.Post(func() { c.chosen(urid) }) },
		Confirm: func(urid string) { c.Post(func() { c.confirmRole(urid) }) },
		Cancel:  post(func() { c.handle(session.Cancel{}) }),
	})
	s.status = screens.NewStatusBar(screens.StatusBarCallbacks{
		Lock:    post(func() { c.handle(session.LockByHand{}) }),
		SignOut: post(func() { c.handle(session.SignOut{}) }),
		Switch:  func() { c.Post(func() { c.activity(); c.switchRole() }) },
	})
	s.search = patient.NewSearch(patient.SearchCallbacks{
		OnSearchNHS:          func(n string) { c.Post(func() { c.activity(); c.searchNHS(n) }) },
		OnSearchDemographics: func(q present.Query) { c.Post(func() { c.activity(); c.searchDemographics(q) }) },
		OnPick:               func(i int) { c.Post(func() { c.activity(); c.pick(i) }) },
		OnTyping:             c.postActivity,
	})
	s.banner = patient.NewBanner(patient.BannerCallbacks{OnClose: post(func() { c.closePatient() })})
	s.consent = patient.NewConsent(patient.ConsentCallbacks{
		OnPermission:      post(func() { c.activity(); c.permission() }),
		OnEmergency:       func(r string) { c.Post(func() { c.activity(); c.emergency(r) }) },
		OnDeclined:        post(func() { c.activity(); c.declined() }),
		OnDeceased:        func(r string) { c.Post(func() { c.activity(); c.deceasedReason(r) }) },
		OnClose:           post(func() { c.closePatient() }),
		OnEmergencyChosen: post(func() { c.activity(); c.emergencyStage(true) }),
		OnBack:            post(func() { c.activity(); c.emergencyStage(false) }),
		OnTyping:          c.postActivity,
	})
	s.record = patient.NewRecord()
	s.alerts = patient.NewAlerts()

	s.gov = gscreens.New(gscreens.Callbacks{
		Go:         func(p gscreens.Page) { c.Post(func() { c.activity(); c.govGo(p) }) },
		Filter:     func(p gscreens.Page, f gscreens.Filter) { c.Post(func() { c.activity(); c.govFilter(p, f) }) },
		More:       func(p gscreens.Page) { c.Post(func() { c.activity(); c.govMore(p) }) },
		Open:       func(seq int64) { c.Post(func() { c.activity(); c.govOpen(seq) }) },
		Step:       func(seq int64, k, n, x string) { c.Post(func() { c.activity(); c.govStep(seq, k, n, x) }) },
		SARPreview: func(v gscreens.SARView) { c.Post(func() { c.activity(); c.govSAR(v, false) }) },
		SARSave:    func(v gscreens.SARView) { c.Post(func() { c.activity(); c.govSAR(v, true) }) },
		Settings:   func() { c.Post(func() { c.activity(); c.govSettings() }) },
		MonthlyReport: func(month string) {
			c.Post(func() { c.activity(); c.govMonthly(month) })
		},
		NewLog: func(reason string) { c.Post(func() { c.activity(); c.govNewLog(reason) }) },
	})
	s.ptArea = container.NewStack(s.search.Object())
	s.counter = container.NewBorder(s.banner.Object(), s.alerts.Object(), nil, nil, s.ptArea)
	s.signed = container.NewStack(s.counter)
	s.workspace = container.NewBorder(s.status.Object(), nil, nil, nil, s.signed)
	s.main = container.NewStack(s.lock.Object())
	content := fyne.CanvasObject(container.NewStack(newActivityCatcher(c.postActivity), s.main))
	if s.demo {
		s.demoPanel = screens.NewDemoPanel(screens.DemoPanelCallbacks{
			Insert: func(key string) { c.Post(func() { c.demoInsert(key) }) },
			Remove: func(key string) { c.Post(func() { c.demoRemove(key) }) },
		})
		content = s.demoPanel.Beside(content)
	}
	s.w.SetContent(content)

	s.w.SetMainMenu(fyne.NewMainMenu(s.menus(c, true)...))
	cv := s.w.Canvas()
	// The window's keys: what nothing focused took. Focused buttons (kit.Button) pass on every
	// key but Space and Enter, so these work wherever the focus is.
	cv.SetOnTypedKey(func(ev *fyne.KeyEvent) {
		c.postActivity()
		s.typedKey(ev)
	})
	cv.SetOnTypedRune(func(r rune) {
		c.postActivity()
		switch {
		case s.current == present.ScreenLock:
			s.lock.TypedRune(r) // a passcode typed while the card is read
		case s.current == present.ScreenWorkspace && s.last.gov != nil:
			s.gov.TypedRune(r)
		case s.current == present.ScreenWorkspace && s.last.hasPatient && s.last.record == nil:
			s.consent.TypedRune(r)
		}
	})
}

// typedKey handles a key that no focused widget used. On the UI goroutine.
func (s *shell) typedKey(ev *fyne.KeyEvent) {
	switch s.current {
	case present.ScreenLock:
		s.lock.TypedKey(ev)
	case present.ScreenPasscode:
		if ev.Name == fyne.KeyEscape {
			s.pass.Cancel()
		}
	case present.ScreenRole:
		s.role.TypedKey(ev)
	case present.ScreenWorkspace:
		if s.last.gov != nil {
			s.gov.TypedKey(ev)
			return
		}
		if !s.last.hasPatient {
			return
		}
		if s.last.record != nil {
			if s.record.TypedKey(ev) {
				return
			}
		} else if s.consent.TypedKey(ev) {
			return // Escape on the emergency reason goes back one step
		}
		if ev.Name == fyne.KeyEscape {
			s.c.Post(s.c.closePatient)
		}
	}
}

// render shows f. On the UI goroutine.
func (s *shell) render(f frame) {
	s.last = f
	// Lock leaves nothing behind: text copied from a patient screen goes from the clipboard too
	// (the clipboard is cleared at the first lock-screen frame after any patient was shown).
	if f.hasPatient {
		s.patientSeen = true
	} else if f.screen == present.ScreenLock && s.patientSeen {
		s.patientSeen = false
		if cb := s.w.Clipboard(); cb != nil {
			cb.SetContent("")
		}
	}
	if s.demoPanel != nil && f.demo != nil {
		s.demoPanel.Render(*f.demo)
	}
	// Patient views first: whatever the new screen, what it must not show is gone before it shows.
	if !f.hasPatient {
		s.banner.Clear()
		s.fitted = present.BannerView{}
		s.consent.Clear()
		s.record.Clear()
	}
	if f.screen != present.ScreenWorkspace {
		s.search.Clear()
		s.ptStage = "" // the next patient stage drawn is written again
	}
	if f.gov == nil && s.signed.Objects[0] != s.counter {
		s.gov.Clear() // the governance workspace leaves nothing behind
		s.signed.Objects = []fyne.CanvasObject{s.counter}
		s.signed.Refresh()
	}
	if f.gov == nil || f.screen != present.ScreenWorkspace {
		s.govShown = "" // the next governance page drawn is written again
	}
	if f.screen != present.ScreenLock && f.screen != present.ScreenPasscode {
		s.lock.TakeTypeAhead() // typed ahead for a read that did not end at the passcode
	}
	if f.screen != present.ScreenPasscode {
		s.pass.Clear() // half-typed digits do not wait for the screen's next showing
	}
	switch f.screen {
	case present.ScreenLock:
		s.lock.Render(f.lock)
		s.show(f.screen, s.lock.Object())
	case present.ScreenPasscode:
		s.pass.Render(f.pass)
		s.show(f.screen, s.pass.Object())
		if !f.pass.Busy && !f.pass.Blocked {
			s.focus("passcode", s.pass.Focusable())
		}
		// The passcode typed on the lock screen while this card was read (the lock frames
		// between a read and this screen are all of that read: any other drops it).
		s.pass.TypeAhead(s.lock.TakeTypeAhead())
	case present.ScreenRole:
		s.role.Render(f.role)
		s.show(f.screen, s.role.Object())
		if len(f.role.Roles) > 0 || f.role.Confirm != nil {
			s.focus("role", s.role.Focusable())
		}
	case present.ScreenWorkspace:
		s.status.Render(f.status)
		if f.gov != nil {
			// Coming in from the role choice (or the counter), the focus would stay on a widget
			// no longer shown, and it would take Home's keys (S, M, N): it is let go.
			entering := s.current != f.screen || s.signed.Objects[0] != s.gov.Object()
			// Another page: the focus would stay in a field of the page left, hidden, and take
			// the new page's keys (M on Home typed into the Subject Access Request's NHS number).
			pageChanged := govPageNames[f.gov.Page] != s.govShown
			s.gov.Render(*f.gov)
			if f.clearNote {
				s.gov.ClearNote()
			}
			if s.signed.Objects[0] != s.gov.Object() {
				s.signed.Objects = []fyne.CanvasObject{s.gov.Object()}
				s.signed.Refresh()
			}
			s.show(f.screen, s.workspace)
			if entering || pageChanged {
				s.w.Canvas().Unfocus()
			}
			if pageChanged && f.gov.Page == gscreens.PageSAR {
				s.focus("SAR NHS number", s.gov.SARFields()[0]) // the form is typed at once
			}
			s.ptShown, s.ptStage = "", ""
			s.shownGovPage(f.gov.Page)
			break
		}
		alertsWere := s.alerts.Object().MinSize()
		s.alerts.Render(f.alerts)
		if s.alerts.Object().MinSize() != alertsWere {
			s.counter.Refresh() // the strip grew (an alert needs attention) or shrank to its line
		}
		first := s.current != present.ScreenWorkspace
		s.show(f.screen, s.workspace)
		s.renderPatient(f, first)
	}
}

func (s *shell) renderPatient(f frame, first bool) {
	want := "search"
	if f.hasPatient {
		s.banner.Render(f.banner)
		s.banner.Object().Show()
		s.search.Quiet() // out of view: its bar would go on repainting the window
		if f.record != nil {
			want = "record"
			s.consent.Quiet()
			s.record.Render(*f.record)
		} else {
			want = "consent"
			s.consent.Render(f.consent)
		}
	} else {
		s.banner.Object().Hide()
		if s.ptShown != "search" {
			s.search.Clear() // a closed patient leaves nothing behind, not even the number typed
		}
		s.search.Render(f.search)
	}
	// The emergency reason stage lives in the controller's view: entering it focuses the reason
	// (typed at once); leaving it gives the answer keys back to the window.
	emerg := want == "consent" && f.consent.Stage == present.ConsentEmergency
	wasEmerg := s.emergShown
	s.emergShown = emerg
	if want == s.ptShown && !first {
		switch {
		case emerg && !wasEmerg:
			s.focus("emergency reason", s.consent.ReasonField())
		case !emerg && wasEmerg:
			s.w.Canvas().Unfocus()
		}
	}
	changed := want != s.ptShown || first
	if changed {
		var obj fyne.CanvasObject
		switch want {
		case "record":
			obj = s.record.Object()
		case "consent":
			obj = s.consent.Object()
		default:
			obj = s.search.Object()
		}
		s.ptArea.Objects = []fyne.CanvasObject{obj}
		s.ptArea.Refresh()
		s.ptShown = want
		if want == "search" {
			s.focus("NHS number", s.search.NHSField())
		} else {
			s.w.Canvas().Unfocus()
		}
	}
	if f.hasPatient && (changed || !reflect.DeepEqual(f.banner, s.fitted)) {
		s.fitBanner()
		s.fitted = f.banner
	}
	stage := want
	if want == "consent" {
		stage = consentStageNames[f.consent.Stage]
	}
	if stage != s.ptStage { // for tools driving the window, as show's record
		s.ptStage = stage
		if s.c != nil && s.c.svc.Log != nil {
			s.c.svc.Log.Debug("patient stage shown", "stage", stage)
		}
	}
}

// consentStageNames name the consent screen's stages in the debug log (the patient's part of
// the counter: search, one of these, or record).
var consentStageNames = map[present.ConsentStage]string{present.ConsentChecking: "checking",
	present.ConsentOptedOut: "opted-out", present.ConsentNoRecord: "no-record", present.ConsentAsk: "question",
	present.ConsentEmergency: "emergency", present.ConsentDeclined: "declined", present.ConsentOpening: "opening",
	present.ConsentDeceased: "deceased"}

// fitBanner lays the counter out again once the banner's lines know their width: a wrapped
// line (the emergency marking, a long allergy line) needs more height than it had before it
// was laid out, and the window's frame-by-frame check of minimum sizes does not always see
// it, which drew the record header over the banner (HAZ-03). Twice at most: the second only
// when the first changed what the banner needs (a width change while it was hidden).
func (s *shell) fitBanner() {
	before := s.banner.Object().MinSize()
	s.counter.Refresh()
	if s.banner.Object().MinSize() != before {
		s.counter.Refresh()
	}
}

// focus gives the keyboard to field (named for the debug log: "passcode", "NHS number", ...).
// The debug record is written when the field takes the keyboard, in the same UI update that
// draws it: a tool driving the window (the real-window tests) waits for it before typing, as a
// person waits to see the field. It names the field only, never what is in it.
func (s *shell) focus(name string, field fyne.Focusable) {
	s.w.Canvas().Focus(field)
	if s.c != nil && s.c.svc.Log != nil && s.w.Canvas().Focused() == field {
		s.c.svc.Log.Debug("keyboard focus", "field", name)
	}
}

func (s *shell) show(sc present.Screen, obj fyne.CanvasObject) {
	if s.current == sc {
		return
	}
	s.current = sc
	s.main.Objects = []fyne.CanvasObject{obj}
	s.main.Refresh()
	if sc == present.ScreenLock {
		s.w.Canvas().Unfocus()
	}
	if s.c != nil && s.c.svc.Log != nil { // for tools driving the window, as focus's record
		s.c.svc.Log.Debug("screen shown", "screen", screenNames[sc])
	}
}

// shownGovPage writes the debug record that governance page p is drawn, when it was not: a tool
// driving the window waits for it (the case opening after its row in the queue is highlighted),
// as a person waits to see the page. It names the page only.
func (s *shell) shownGovPage(p gscreens.Page) {
	name := govPageNames[p]
	if name == s.govShown {
		return
	}
	s.govShown = name
	if s.c != nil && s.c.svc.Log != nil {
		s.c.svc.Log.Debug("governance page shown", "page", name)
	}
}

// govPageNames name the governance pages in the debug log.
var govPageNames = map[gscreens.Page]string{gscreens.PageHome: "home", gscreens.PageCases: "cases",
	gscreens.PageCase: "case", gscreens.PageAudit: "audit", gscreens.PageSAR: "sar"}

// screenNames name the screens in the debug log.
var screenNames = map[present.Screen]string{present.ScreenLock: "lock", present.ScreenPasscode: "passcode",
	present.ScreenRole: "role", present.ScreenWorkspace: "workspace"}

// activityCatcher sits behind every screen and reports mouse movement and clicks that no widget
// took, for the idle lock. (Fyne has no global input hook: clicks on widgets and typing reach
// the controller through the screens' callbacks and the canvas key handlers instead.)
type activityCatcher struct {
	widget.BaseWidget
	seen func()
}

func newActivityCatcher(seen func()) *activityCatcher {
	a := &activityCatcher{seen: seen}
	a.ExtendBaseWidget(a)
	return a
}

func (a *activityCatcher) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewWithoutLayout())
}

func (a *activityCatcher) MouseIn(*desktop.MouseEvent)    { a.seen() }
func (a *activityCatcher) MouseMoved(*desktop.MouseEvent) { a.seen() }
func (a *activityCatcher) MouseOut()                      {}
func (a *activityCatcher) Tapped(*fyne.PointEvent)        { a.seen() }

// menus are a window's menus. Ctrl+L must lock whatever has the focus: Fyne gives a focused
// entry every shortcut, except the main menu's, so the lock lives in the menu, in the settings
// window's too (main false: Session and Demo, without Settings… and the workspace's pages; a
// keyboard walk pressed Ctrl+L there and nothing happened).
func (s *shell) menus(c *Controller, main bool) []*fyne.Menu {
	lockItem := fyne.NewMenuItem("Lock", func() { c.Post(func() { c.handle(session.LockByHand{}) }) })
	lockItem.Shortcut = screens.LockShortcut
	signOutItem := fyne.NewMenuItem("Sign out", func() { c.Post(func() { c.handle(session.SignOut{}) }) })
	signOutItem.Shortcut = screens.SignOutShortcut
	// A user with a counter and an SGP role switches between them (the status bar's button).
	switchItem := fyne.NewMenuItem("Switch between counter and governance", func() { c.Post(func() { c.activity(); c.switchRole() }) })
	switchItem.Shortcut = screens.SwitchShortcut
	settingsItem := fyne.NewMenuItem("Settings…", c.OpenSettings) // the SGP (and the demo); refused otherwise
	session := []*fyne.MenuItem{lockItem, signOutItem, settingsItem, switchItem}
	if !main {
		session = []*fyne.MenuItem{lockItem, signOutItem, switchItem}
	}
	menus := []*fyne.Menu{fyne.NewMenu("Session", session...)}
	// The governance workspace's pages (Ctrl+1 to Ctrl+4), whatever has the focus; outside the
	// workspace they do nothing (govGo).
	if main {
		var govItems []*fyne.MenuItem
		for _, n := range gscreens.Nav {
			it := fyne.NewMenuItem(n.Label, func() { c.Post(func() { c.activity(); c.govGo(n.Page) }) })
			it.Shortcut = n.Shortcut
			govItems = append(govItems, it)
		}
		menus = append(menus, fyne.NewMenu("Governance", govItems...))
	}
	if s.demoPanel != nil {
		// Demo cards from the keyboard (Alt+1 ...), and the panel folded away (Alt+0): menu
		// shortcuts reach the window whatever has the focus.
		toggle := fyne.NewMenuItem("Show or hide the demo cards", s.demoPanel.Toggle)
		toggle.Shortcut = screens.DemoToggleShortcut
		items := []*fyne.MenuItem{toggle}
		for i, u := range demoUsers() {
			sc := screens.DemoCardShortcut(i)
			if sc == nil {
				break
			}
			i := i
			label := u.Label
			if label == "" {
				label = u.Name
			}
			it := fyne.NewMenuItem("Insert or remove: "+label, func() { s.demoPanel.PressCard(i) })
			it.Shortcut = sc
			items = append(items, it)
		}
		menus = append(menus, fyne.NewMenu("Demo", items...))
	}
	return menus
}
