package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/auditcli"
	"scrdesk/internal/governance"
	"scrdesk/internal/nhsnumber"
	"scrdesk/internal/replica"
	"scrdesk/internal/session"
	"scrdesk/internal/settings"
	"scrdesk/internal/staff"
	"scrdesk/internal/store"
	gscreens "scrdesk/screens/governance"
)

// The SCR Governance Person's workspace, driven from the controller goroutine. A role that
// carries B0015/B0016 (or role code R0001) opens it after sign-in; everything here is dropped
// with the patient data when the session locks (DropPatientData), so a lock leaves nothing of it
// on screen or in memory. Store calls run on the controller goroutine (never the UI's); the
// verification and the rules' backfill run in workers whose answers carry the workspace's
// generation, so an answer arriving after a lock changes nothing.

// govState is the open workspace.
type govState struct {
	gen  uint64
	view gscreens.View
	seed uint64

	caseFilter store.CaseFilter
	caseCur    store.CaseCursor
	cases      []governance.Case

	auditFilter audit.Filter
	auditCur    audit.Cursor
	auditRows   []audit.Entry

	// The "whole pharmacy" scope of the audit browser (the central log): its own filter,
	// cursor and rows, and a generation so that a late page is ignored.
	pharmacy    bool
	centralCur  replica.CentralCursor
	centralRows []replica.CentralEntry
	centralGen  uint64

	integrity   string
	integrityOK bool
	sar         *sarDraft
	reporting   bool // a monthly report is being made (govMonthly's worker)

	// unaudited: opening the workspace could not be recorded, so nothing is shown; the next
	// move tries to record it again.
	unaudited bool
}

type sarDraft struct {
	req auditcli.SARRequest
}

// rulesProgress is the rules' backfill, shared with its worker.
type rulesProgress struct {
	mu          gosync.Mutex
	done, total int64
	finished    bool
	err         error
}

func (p *rulesProgress) set(done, total int64) {
	p.mu.Lock()
	p.done, p.total = done, total
	p.mu.Unlock()
}

func (p *rulesProgress) get() (int64, int64, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done, p.total, p.finished, p.err
}

// startRules runs the rules over the log not yet checked, then over every appended row.
func (c *Controller) startRules(ctx context.Context, workers *gosync.WaitGroup) {
	p := &rulesProgress{}
	c.rules = p
	workers.Go(func() {
		err := c.svc.Store.EnableRules(ctx, c.govConfig(), p.set)
		p.mu.Lock()
		p.finished, p.err = true, err
		p.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			c.svc.Log.Error("governance rules backfill stopped", "err", err)
		} else if err == nil {
			c.svc.Log.Info("governance rules caught up with the log") // for tools driving the window
		}
		c.Post(c.rulesCaughtUp)
	})
}

// rulesCaughtUp is the rules' finish reaching the window, whenever it comes: Home or the case
// queue, if shown, is read again; anything else changes nothing.
func (c *Controller) rulesCaughtUp() {
	if c.gv == nil {
		return
	}
	switch c.gv.view.Page {
	case gscreens.PageHome:
		c.govHome()
		c.render()
	case gscreens.PageCases:
		// The queue read while the rules were still going through the log: read it again, so
		// the cases they found since are listed.
		c.govFilter(gscreens.PageCases, c.gv.view.Cases.Filter)
	}
}

// govConfig is the rules' configuration: SGP.md's defaults with the pharmacy's opening hours
// and rule settings (settings.GovernanceConfig). The workspace (coverage, the review period,
// the rules switched off) and the monthly report use it; the store's rules were given it at
// start (EnableRules) and follow each later save from the log (SaveSettings records it).
func (c *Controller) govConfig() governance.Config { return govConfigFor(c.svc.Settings) }

// govConfigFor is st.GovernanceConfig: governance.DefaultConfig with st's opening hours
// (Europe/London, as the default) and rules. Values that do not validate (Validate refuses
// them before they are kept) leave the defaults.
func govConfigFor(st settings.Settings) governance.Config { return st.GovernanceConfig() }

// govMode reports whether the signed-in role opens the governance workspace.
func (c *Controller) govMode() bool {
	v := c.m.Snapshot()
	return v.State == session.Ready && v.CanSGP
}

// govSettings is Home's Settings action: the settings screen, for a signed-in SGP role in the
// workspace only (a locked or signed-out session, or a counter role, opens nothing).
func (c *Controller) govSettings() {
	if c.gv == nil || !c.govMode() {
		c.svc.Log.Info("settings from the governance workspace refused: no SCR Governance Person signed in")
		return
	}
	c.openSettings()
}

// caseCountCap is as far as the case queue counts a filter's cases ("More than 1,000 cases
// match"): the queue itself pages by key, whatever the count.
const caseCountCap = 1000

// switchTarget is the status bar's switch: the other kind of role this user holds. Only a role
// this session has already been in (chosen at sign-in, and confirmed there when it is at
// another organisation) or one at this workstation's organisation is offered: a switch asks no
// question, so a role at another organisation is never reached through it unconfirmed.
func (c *Controller) switchTarget() (staff.Role, bool) {
	v := c.m.Snapshot()
	if v.State != session.Ready {
		return staff.Role{}, false
	}
	sgp := v.CanSGP
	var own staff.Role
	for _, r := range c.allRoles {
		if r.URID == v.Role.URID {
			continue
		}
		isSGP := r.Can(staff.DefaultSGPActivities) || strings.HasSuffix(r.RoleCode, ":R0001")
		if !(sgp && !isSGP && r.Can(c.svc.Settings.PermittedActivityCodes) || !sgp && isSGP) {
			continue
		}
		if c.sessionRoles[r.URID] {
			return r, true // the one this session was in: back to it
		}
		if own.URID == "" && strings.EqualFold(r.OrgCode, c.svc.Settings.ODSCode) {
			own = r
		}
	}
	return own, own.URID != ""
}

// switchRole goes to the user's other kind of role (the status bar's button, Ctrl+G). Only a
// signed-in, unlocked session switches: Ctrl+G on the lock screen does nothing. The role, the
// link's role and the fresh patient-flow session all follow from the machine's ShowWorkspace
// (setting c.role here first hid the change from it, so relationships were not claimed afresh).
func (c *Controller) switchRole() {
	if c.m.State() != session.Ready {
		return
	}
	r, ok := c.switchTarget()
	if !ok {
		return
	}
	c.handle(session.SwitchRole{Role: r})
}

// enterGov opens the workspace on Home.
func (c *Controller) enterGov() {
	c.govGen++
	c.gv = &govState{gen: c.govGen, integrity: "Checking the audit log…", view: gscreens.View{Page: gscreens.PageHome}}
	who := c.who(audit.Event{})
	if _, err := c.record(audit.Event{Action: audit.ActionAuditQueried, Outcome: audit.OutcomeSuccess,
		Detail: map[string]string{"view": "governance workspace"}}); err != nil {
		c.govAuditFailed(err) // nothing of the log is shown unless the view is recorded first
		c.gv.unaudited = true
		return
	}
	seed, err := c.svc.Store.SampleSeed(context.Background(), who)
	if err != nil {
		c.svc.Log.Error("review sample seed", "err", err)
	}
	c.gv.seed = seed
	c.govHome()
	gen := c.gv.gen
	db := c.svc.Store
	go func() {
		rep, err := db.Verify(context.Background())
		c.Post(func() {
			if c.gv == nil || c.gv.gen != gen {
				return // locked or left since: the answer changes nothing
			}
			if err != nil {
				c.gv.integrity, c.gv.integrityOK = "The audit log could not be checked: "+err.Error()+". Try again; if it keeps happening, call IT support.", false
			} else {
				c.gv.integrity, c.gv.integrityOK = rep.Message(), rep.OK
			}
			// For a tool driving the window (the real-window tests), as the shell's "screen shown".
			c.svc.Log.Debug("audit log checked for the workspace", "ok", c.gv.integrityOK)
			if c.gv.view.Page == gscreens.PageHome {
				c.govHome()
			}
			c.render()
		})
	}()
}

// govHome fills Home: integrity, open and overdue cases, coverage, last review, backfill.
func (c *Controller) govHome() {
	if c.gv.unaudited {
		// Opening the workspace was never recorded: govAuditFailed's view (what happened, what
		// to do, and the new log it may offer) stays, and nothing of the log is shown. A worker
		// answering since (the rules catching up) once filled Home here with the log's counts
		// and dropped the new log's offer.
		return
	}
	ctx := context.Background()
	db, g, cfg := c.svc.Store, c.gv, c.govConfig()
	now := c.svc.Now()
	h := gscreens.HomeView{Integrity: g.integrity, IntegrityOK: g.integrityOK}
	if c.svc.Central != nil {
		h.Central = c.svc.Central()
	}
	open, _ := db.CaseCount(ctx, store.CaseFilter{OpenOnly: true})
	// Each case by the SOP in force when its access was recorded (the log's rules-set rows), so a
	// share lowered or a period changed today does not rewrite what was due.
	tl, err := db.RulesTimeline(ctx)
	if err != nil {
		c.svc.Log.Error("rules' settings for coverage", "err", err)
		tl = governance.Timeline{}
		tl.Set(0, time.Time{}, cfg)
	}
	// Coverage over the last four review periods, the longest the SOP has set (a period
	// shortened today must not drop from Home a case that is overdue under the longer one).
	window := 4 * max(tl.LongestPeriod(), cfg.ReviewPeriod)
	cv, err := db.Coverage(ctx, now.Add(-window), tl, g.seed, now)
	if err != nil {
		c.svc.Log.Error("cases for coverage", "err", err)
	}
	h.Open = fmt.Sprintf("%s open (%s in the review sample)", plural(open, "case"), plural(int64(cv.Sampled-cv.Reviewed), "case"))
	if cv.Overdue > 0 {
		verb := "are"
		if cv.Overdue == 1 {
			verb = "is"
		}
		h.Overdue = fmt.Sprintf("%s in the review sample %s overdue: the SOP's review period (%s) has passed.", plural(int64(cv.Overdue), "case"), verb, periodWords(cfg.ReviewPeriod))
	}
	h.Coverage = float64(cv.Percent()) / 100
	h.CoverageTxt = fmt.Sprintf("Reviewed %d of %d sampled cases (%d%%) in the last %d days. The SOP: %s.",
		cv.Reviewed, cv.Sampled, cv.Percent(), int(window/(24*time.Hour)), sopWords(cfg))
	if off := cfg.Off(); len(off) > 0 {
		names := make([]string, len(off))
		for i, r := range off {
			names[i] = r.SGPName()
		}
		h.RulesOff = "Rules switched off in settings (they raise no cases): " + strings.Join(names, ", ") + "."
	}
	if ch := cfg.Changed(); len(ch) > 0 {
		h.RulesChanged = "Rule settings changed from SGP.md's defaults: " + strings.Join(ch, "; ") + "."
	}
	h.LastReview = "No review recorded yet."
	var last audit.Entry
	for _, a := range []audit.Action{audit.ActionCaseNote, audit.ActionCaseReview, audit.ActionCaseAppropriate, audit.ActionCaseInappropriate, audit.ActionCaseEscalated} {
		es, _, err := db.Query(ctx, audit.Filter{Action: a, Outcome: audit.OutcomeSuccess}, audit.Cursor{}, 1)
		if err == nil && len(es) == 1 && es[0].Seq > last.Seq {
			last = es[0]
		}
	}
	if last.Seq > 0 {
		h.LastReview = "Last review: " + when(last.Time) + " by " + last.UserName
	}
	h.Seed = fmt.Sprintf("Review sample seed %d (recorded in the audit log).", g.seed)
	h.ReportMonth = g.view.Home.ReportMonth
	if h.ReportMonth == "" {
		h.ReportMonth = auditcli.LastFullMonth(now, cfg.Hours.Location).Format("2006-01")
	}
	h.ReportSaved = g.view.Home.ReportSaved
	if c.rules != nil {
		done, total, finished, rerr := c.rules.get()
		switch {
		case rerr != nil:
			h.Backfill = "The rules could not check the whole log: " + rerr.Error()
		case !finished && total > 0:
			h.Backfill = fmt.Sprintf("Checking the log against the rules: %s of %s entries", audit.Group(done), audit.Group(total))
			h.Progress = float64(done) / float64(total)
		}
	}
	g.view.Home = h
}

// sopWords says the SOP's review rates and period in words: "every emergency access and
// rule hit, except self-claimed relationship (50%), reviewed weekly".
func sopWords(cfg governance.Config) string {
	var less []string
	for _, r := range governance.Rules() {
		if rate := cfg.Rate(r.ID); rate < 1 && !cfg.Disabled[r.ID] {
			less = append(less, fmt.Sprintf("%s (%d%%)", strings.ToLower(r.ID.SGPName()), int(math.Round(rate*100))))
		}
	}
	w := "every emergency access and rule hit"
	if len(less) > 0 {
		w += ", except " + strings.Join(less, ", ")
	}
	return w + ", reviewed " + periodWords(cfg.ReviewPeriod)
}

// periodWords says a review period in words: "weekly", "daily", "every 14 days".
func periodWords(d time.Duration) string {
	switch days := d.Hours() / 24; {
	case days == 1:
		return "daily"
	case days == 7:
		return "weekly"
	case days == math.Trunc(days):
		return fmt.Sprintf("every %d days", int(days))
	}
	return "every " + settings.FormatSpan(d)
}

func plural(n int64, one string, many ...string) string {
	if n == 1 {
		return "1 " + one
	}
	if len(many) > 0 {
		return audit.Group(n) + " " + many[0]
	}
	return audit.Group(n) + " " + one + "s"
}

func when(t time.Time) string { return t.Local().Format("2 Jan 2006 15:04") }

var caseStates = []gscreens.Choice{{Value: "", Label: "Any state"}, {Value: "open", Label: "Open (new or in review)"},
	{Value: string(governance.StateNew), Label: "New"}, {Value: string(governance.StateInReview), Label: "In review"},
	{Value: string(governance.StateClosedAppropriate), Label: "Closed: appropriate"},
	{Value: string(governance.StateClosedInappropriate), Label: "Closed: inappropriate"},
	{Value: string(governance.StateEscalated), Label: "Escalated"}}

func ruleChoices() []gscreens.Choice {
	out := []gscreens.Choice{{Value: "", Label: "Any rule"}}
	for _, r := range governance.Rules() {
		out = append(out, gscreens.Choice{Value: string(r.ID), Label: r.Label})
	}
	return out
}

// govGo shows page p.
func (c *Controller) govGo(p gscreens.Page) {
	if c.gv == nil || !c.govMode() {
		return
	}
	if c.gv.unaudited { // opening the workspace was never recorded: try again, from Home
		c.enterGov()
		c.render()
		return
	}
	c.gv.view.Message, c.gv.view.Problem = "", false
	switch p {
	case gscreens.PageHome:
		c.govHome()
	case gscreens.PageCases:
		if c.gv.cases == nil {
			c.govFilter(p, gscreens.Filter{State: "open"})
			return
		}
	case gscreens.PageAudit:
		if c.gv.auditRows == nil {
			c.govFilter(p, gscreens.Filter{})
			return
		}
	case gscreens.PageCase:
		if c.gv.view.Case.Seq == 0 {
			p = gscreens.PageCases
		}
	}
	c.gv.view.Page = p
	c.render()
}

func parseDay(s string, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, s, time.Local)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date: write it as YYYY-MM-DD", s)
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}

func parseNHS(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	n, err := nhsnumber.Normalize(s)
	if err != nil {
		return "", fmt.Errorf("%q is not an NHS number: check the 10 digits", s)
	}
	return n, nil
}

// govFilter applies a filter typed on the queue or the audit browser and shows its first page.
func (c *Controller) govFilter(p gscreens.Page, f gscreens.Filter) {
	if c.gv == nil {
		return
	}
	g := c.gv
	g.view.Message, g.view.Problem = "", false
	from, err1 := parseDay(f.From, false)
	to, err2 := parseDay(f.To, true)
	nhs, err3 := parseNHS(f.NHS)
	if err := errors.Join(err1, err2, err3); err != nil {
		g.view.Message, g.view.Problem = strings.ReplaceAll(err.Error(), "\n", "; "), true
		c.render()
		return
	}
	ctx := context.Background()
	switch p {
	case gscreens.PageCases:
		cf := store.CaseFilter{Rule: governance.RuleID(f.Rule), UserID: strings.TrimSpace(f.User), NHSNumber: nhs,
			Workstation: strings.TrimSpace(f.Workstation), From: from, To: to}
		if f.State == "open" {
			cf.OpenOnly = true
		} else {
			cf.State = governance.State(f.State)
		}
		if err := c.govAudited("cases", f); err != nil { // the search is itself audited, before it runs
			c.govAuditFailed(err)
			return
		}
		rows, cur, err := c.svc.Store.Cases(ctx, cf, store.CaseCursor{}, 50)
		if err != nil {
			g.view.Message, g.view.Problem = "The cases could not be read: "+err.Error(), true
			break
		}
		n, more, _ := c.svc.Store.CaseCountUpTo(ctx, cf, caseCountCap)
		count := plural(n, "case") + " match"
		if more {
			count = "More than " + plural(n, "case") + " match"
		}
		if c.rules != nil {
			if done, total, finished, _ := c.rules.get(); !finished {
				count += fmt.Sprintf(" so far: the rules are still checking the log (%s of %s entries), and the list is read again when they finish",
					audit.Group(done), audit.Group(total))
			}
		}
		g.caseFilter, g.caseCur, g.cases = cf, cur, rows
		g.view.Cases = gscreens.CasesView{Filter: f, States: caseStates, Rules: ruleChoices(), More: !cur.Done,
			Count: count}
		if n == 0 && !strings.Contains(count, "still checking") {
			g.view.Cases.Count = "No case matches these filters."
		}
		c.govCaseRows()
	case gscreens.PageAudit:
		af := audit.Filter{Action: audit.Action(f.Action), Outcome: audit.Outcome(f.Outcome), UserID: strings.TrimSpace(f.User),
			NHSNumber: nhs, From: from, To: to}
		if err := c.govAudited("audit log", f); err != nil { // the search is itself audited, before it runs
			c.govAuditFailed(err)
			return
		}
		if f.Scope == "pharmacy" && c.svc.CentralSGP != nil {
			g.auditFilter, g.pharmacy, g.centralRows, g.centralCur = af, true, nil, replica.CentralCursor{}
			g.view.Audit = gscreens.AuditView{Filter: f, Actions: actionChoices(), Outcomes: outcomeChoices(), Scopes: c.scopeChoices(),
				Count: "Reading the whole pharmacy's log…"}
			c.govCentralPage()
			break
		}
		g.pharmacy = false
		rows, cur, err := c.svc.Store.Query(ctx, af, audit.Cursor{}, 100)
		if err != nil {
			g.view.Message, g.view.Problem = "The audit log could not be read: "+err.Error(), true
			break
		}
		g.auditFilter, g.auditCur, g.auditRows = af, cur, rows
		count := "Newest first"
		if len(rows) == 0 {
			count = "No entry matches these filters." // a blank list said nothing (a keyboard walk)
		}
		g.view.Audit = gscreens.AuditView{Filter: f, Actions: actionChoices(), Outcomes: outcomeChoices(), Scopes: c.scopeChoices(),
			More: !cur.Done, Count: count}
		c.govAuditRows()
	}
	g.view.Page = p
	c.render()
}

// govAudited records the SGP's view or search (an audit-queried row) and says whether it was
// written: nothing may be shown when it was not (govAuditFailed).
func (c *Controller) govAudited(what string, f gscreens.Filter, extra ...string) error {
	d := map[string]string{"view": what}
	for k, v := range map[string]string{"state": f.State, "rule": f.Rule, "action": f.Action, "outcome": f.Outcome,
		"user": f.User, "nhs_number": f.NHS, "from": f.From, "to": f.To, "workstation": f.Workstation, "scope": f.Scope} {
		if strings.TrimSpace(v) != "" {
			d[k] = strings.TrimSpace(v)
		}
	}
	for i := 0; i+1 < len(extra); i += 2 {
		d[extra[i]] = extra[i+1]
	}
	_, err := c.record(audit.Event{Action: audit.ActionAuditQueried, Outcome: audit.OutcomeSuccess, Detail: d})
	return err
}

// govAuditFailed: the SGP's view could not be recorded, so the workspace shows nothing of the
// log, only what happened and what to do (as the counter's auditFailed does).
func (c *Controller) govAuditFailed(err error) {
	g := c.gv
	// Until a view is recorded again (any page change tries, through enterGov), a late answer
	// (the opening's verify, the rules catching up) must not redraw Home from the log: an
	// attacker's review found the counts and the last reviewer's name back on screen after a
	// failed search, and the new log's offer gone.
	g.unaudited = true
	g.cases, g.auditRows, g.centralRows, g.sar = nil, nil, nil, nil
	g.caseCur, g.auditCur, g.centralCur = store.CaseCursor{}, audit.Cursor{}, replica.CentralCursor{}
	g.centralGen++ // a page of the whole pharmacy's log on its way is dropped
	g.view = gscreens.View{Page: gscreens.PageHome, Problem: true,
		Message: "Nothing was shown: the audit log could not be written (" + store.UserMessage(err) + "). Every view of the log must be recorded first. Free some disk space or ask IT support to check the workstation, then try again."}
	if b := c.svc.Store.Break(); b != nil {
		// The log was removed or replaced: nothing of it can be shown (or recorded) until a
		// new log is started, which an SGP may do here (newlog.go).
		g.integrity, g.integrityOK = b.Message(), false
		g.view.Message = "Nothing of the audit log can be shown or recorded: it was removed or replaced. Keep this computer and its files as they are and tell your superintendent pharmacist."
		g.view.Home.NewLog = newLogOffer
		if !c.mayStartNewLog() {
			g.view.Message += " " + demoNoNewLog
			g.view.Home.NewLog = ""
		}
	}
	c.render()
}

func actionChoices() []gscreens.Choice {
	out := []gscreens.Choice{{Value: "", Label: "Any action"}}
	for _, a := range audit.Actions() {
		out = append(out, gscreens.Choice{Value: string(a), Label: a.Label()})
	}
	return out
}

func outcomeChoices() []gscreens.Choice {
	out := []gscreens.Choice{{Value: "", Label: "Any outcome"}}
	for _, o := range audit.Outcomes() {
		out = append(out, gscreens.Choice{Value: string(o), Label: o.Label()})
	}
	return out
}

func (c *Controller) govCaseRows() {
	g := c.gv
	rows := make([]gscreens.CaseRow, 0, len(g.cases))
	for _, k := range g.cases {
		var what []string
		for _, r := range k.Rules() {
			what = append(what, r.Label())
		}
		who := k.Subject.Name
		if k.NHSNumber != "" {
			who += ", patient " + formatNHS(k.NHSNumber)
		}
		rows = append(rows, gscreens.CaseRow{Seq: k.Seq, Risk: strconv.Itoa(k.Risk()), When: when(k.Time), Who: who,
			What: strings.Join(what, ", "), State: k.State.Label()})
	}
	g.view.Cases.Rows = rows
}

// scopeChoices offers the whole pharmacy when a central log can be read.
func (c *Controller) scopeChoices() []gscreens.Choice {
	if c.svc.CentralSGP == nil {
		return nil
	}
	return []gscreens.Choice{{Value: "", Label: "This workstation"}, {Value: "pharmacy", Label: "The whole pharmacy (every workstation)"}}
}

// govCentralPage reads the next page of the whole pharmacy's log on a worker (the network never
// holds up the controller: a card removed meanwhile locks at once) and shows it if nothing
// changed since it was asked for.
func (c *Controller) govCentralPage() {
	g := c.gv
	g.centralGen++
	gen, cgen, f, cur, open := g.gen, g.centralGen, g.auditFilter, g.centralCur, c.svc.CentralSGP
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var rows []replica.CentralEntry
		next := cur
		cl, err := open(ctx)
		if err == nil {
			rows, next, err = cl.Page(ctx, f, cur, 100)
			cl.Close()
		}
		c.Post(func() {
			if c.gv == nil || c.gv.gen != gen || c.gv.centralGen != cgen || !c.gv.pharmacy {
				return // locked, left, or another search since: this page changes nothing
			}
			g := c.gv
			if err != nil {
				g.view.Audit.Count = "The whole pharmacy's log could not be read: " + err.Error() + ". Check the connection, or ask IT support."
				g.view.Audit.More = false
			} else {
				g.centralRows, g.centralCur = append(g.centralRows, rows...), next
				g.view.Audit.More = !next.Done
				g.view.Audit.Count = "Newest first, every workstation"
				if len(g.centralRows) == 0 {
					g.view.Audit.Count = "No entry in the whole pharmacy's log matches these filters."
				}
			}
			c.govAuditRows()
			c.render()
		})
	}()
}

func (c *Controller) govAuditRows() {
	g := c.gv
	if g.pharmacy {
		rows := make([]string, 0, len(g.centralRows))
		for _, e := range g.centralRows {
			rows = append(rows, when(e.Time)+"  "+e.Workstation+"  "+governance.Plain(e.Entry))
		}
		g.view.Audit.Rows = rows
		return
	}
	rows := make([]string, 0, len(g.auditRows))
	for _, e := range g.auditRows {
		rows = append(rows, when(e.Time)+"  "+governance.Plain(e))
	}
	g.view.Audit.Rows = rows
}

func formatNHS(n string) string { return nhsnumber.Format(n) }

// govMore shows the next page of the queue or the browser (keyset-paged).
func (c *Controller) govMore(p gscreens.Page) {
	if c.gv == nil {
		return
	}
	g, ctx := c.gv, context.Background()
	switch p {
	case gscreens.PageCases:
		if err := c.govAudited("cases, more", gscreens.Filter{}, c.caseFilterDetail(g.caseFilter,
			"after_case", strconv.FormatInt(g.caseCur.Seq, 10))...); err != nil {
			c.govAuditFailed(err)
			return
		}
		rows, cur, err := c.svc.Store.Cases(ctx, g.caseFilter, g.caseCur, 50)
		if err == nil {
			g.cases, g.caseCur = append(g.cases, rows...), cur
			g.view.Cases.More = !cur.Done
			c.govCaseRows()
		}
	case gscreens.PageAudit:
		more := auditFilterDetail(g.auditFilter)
		if g.pharmacy {
			more = append(more, "scope", "pharmacy")
		} else {
			more = append(more, "before_seq", strconv.FormatInt(g.auditCur.Before, 10))
		}
		if err := c.govAudited("audit log, more", gscreens.Filter{}, more...); err != nil {
			c.govAuditFailed(err)
			return
		}
		if g.pharmacy {
			c.govCentralPage()
			return
		}
		rows, cur, err := c.svc.Store.Query(ctx, g.auditFilter, g.auditCur, 100)
		if err == nil {
			g.auditRows, g.auditCur = append(g.auditRows, rows...), cur
			g.view.Audit.More = !cur.Done
			c.govAuditRows()
		}
	}
	c.render()
}

// govOpen shows case seq with its context.
func (c *Controller) govOpen(seq int64) {
	if c.gv == nil {
		return
	}
	// Opening a case shows the patient's NHS number and their other accesses: recorded first.
	if err := c.govAudited("case", gscreens.Filter{}, "case", strconv.FormatInt(seq, 10)); err != nil {
		c.govAuditFailed(err)
		return
	}
	c.govShowCase(seq)
}

// govShowCase shows case seq again after a step on it (the step's own row names the case;
// the opening was recorded by govOpen).
func (c *Controller) govShowCase(seq int64) {
	ctx := context.Background()
	k, err := c.svc.Store.Case(ctx, seq)
	if err != nil {
		c.gv.view.Message, c.gv.view.Problem = "That case could not be read: "+err.Error(), true
		c.render()
		return
	}
	e, _ := c.svc.Store.Entry(ctx, seq)
	me := c.m.Snapshot().User.ID
	v := gscreens.CaseView{Seq: seq, State: k.State.Label(), Own: k.Subject.UserID == me,
		CanStart: k.State == governance.StateNew || k.State == "", CanClose: k.State == governance.StateInReview}
	var what []string
	for _, r := range k.Rules() {
		what = append(what, r.Label())
	}
	v.Title = fmt.Sprintf("%s: %s on %s", strings.Join(what, ", "), k.Subject.Name, when(k.Time))
	v.Facts = []gscreens.Line{{Label: "What happened", Text: governance.Plain(e)}, {Label: "Role", Text: governance.RoleName(e.RoleCode)},
		{Label: "Workstation", Text: k.Workstation}}
	if k.NHSNumber != "" {
		v.Facts = append(v.Facts, gscreens.Line{Label: "Patient", Text: formatNHS(k.NHSNumber)})
	}
	if e.Reason != "" {
		v.Facts = append(v.Facts, gscreens.Line{Label: "Reason given", Text: e.Reason})
	}
	for _, h := range k.Hits {
		v.Evidence = append(v.Evidence, gscreens.Line{Label: h.Rule.Label(), Text: h.Evidence})
	}
	near, _, _ := c.svc.Store.Query(ctx, audit.Filter{UserID: k.Subject.UserID, From: k.Time.Add(-12 * time.Hour), To: k.Time.Add(12 * time.Hour)}, audit.Cursor{}, 200)
	for _, n := range near {
		if governance.IsAccess(n) && n.Seq != seq && len(v.UserNear) < 12 {
			v.UserNear = append(v.UserNear, when(n.Time)+" "+governance.Plain(n))
		}
	}
	if k.NHSNumber != "" {
		pts, _, _ := c.svc.Store.Query(ctx, audit.Filter{NHSNumber: k.NHSNumber}, audit.Cursor{}, 200)
		for _, n := range pts {
			if governance.IsAccess(n) && n.Seq != seq && len(v.Patient) < 12 {
				v.Patient = append(v.Patient, when(n.Time)+" "+governance.Plain(n))
			}
		}
	}
	for _, s := range k.Steps {
		line := when(s.At) + " " + s.By.Name + ": " + stepWords(s)
		v.Steps = append(v.Steps, line)
	}
	c.gv.view.Case, c.gv.view.Page = v, gscreens.PageCase
	c.gv.view.Message, c.gv.view.Problem = "", false
	if v.Own {
		c.gv.view.Message, c.gv.view.Problem = "This case is about your own access: another SCR Governance Person must review it.", true
	}
	c.render()
}

func stepWords(s governance.Step) string {
	var w string
	switch s.Kind {
	case governance.KindNote:
		w = "note"
	case governance.KindStart:
		w = "started the review"
	case governance.KindClose:
		w = "closed it: the access was appropriate"
	case governance.KindBreach:
		w = "closed it: the access was inappropriate; action taken: " + s.ActionTaken
	case governance.KindEscalate:
		w = "escalated it to " + s.EscalatedTo
	}
	if s.Note != "" {
		w += " \u201c" + s.Note + "\u201d"
	}
	return w
}

var stepKinds = map[string]governance.Kind{"note": governance.KindNote, "start": governance.KindStart,
	"close": governance.KindClose, "breach": governance.KindBreach, "escalate": governance.KindEscalate}

// govStep records a step on case seq; a refusal (own access, no note, wrong state) is said on
// screen and records nothing.
func (c *Controller) govStep(seq int64, kind, note, extra string) {
	if c.gv == nil {
		return
	}
	k, ok := stepKinds[kind]
	if !ok {
		return
	}
	st := governance.Step{Kind: k, Note: note}
	switch k {
	case governance.KindBreach:
		st.ActionTaken = extra
	case governance.KindEscalate:
		st.EscalatedTo = extra
	}
	_, _, err := c.svc.Store.RecordStep(context.Background(), seq, st, c.who(audit.Event{}))
	if err != nil {
		c.gv.view.Message, c.gv.view.Problem = sentence(err), true
		c.render()
		return
	}
	c.gv.cases = nil // the queue reloads with the new state
	c.govShowCase(seq)
	c.gv.view.Message, c.gv.view.Problem = "Recorded in the audit log.", false
	c.clearNote = true
	c.render()
}

func sentence(err error) string {
	for _, e := range []error{governance.ErrOwnAccess, governance.ErrNeedNote, governance.ErrNeedAction, governance.ErrNeedWhom, governance.ErrNotAllowed} {
		if errors.Is(err, e) {
			s := e.Error()
			return strings.ToUpper(s[:1]) + s[1:] + "."
		}
	}
	return store.UserMessage(err)
}

// govSAR previews (save=false) or produces the Subject Access Request report.
func (c *Controller) govSAR(f gscreens.SARView, save bool) {
	if c.gv == nil {
		return
	}
	g := c.gv
	g.view.SAR = f
	g.view.Page = gscreens.PageSAR
	g.view.Message, g.view.Problem = "", false
	nhs, err := parseNHS(f.NHS)
	if err == nil && nhs == "" {
		err = errors.New("give the patient's NHS number")
	}
	from, err1 := parseDay(f.From, false)
	to, err2 := parseDay(f.To, true)
	received, err3 := parseDay(f.Received, false)
	if err := errors.Join(err, err1, err2, err3); err != nil {
		g.view.Message, g.view.Problem = strings.ReplaceAll(err.Error(), "\n", "; "), true
		c.render()
		return
	}
	v := c.m.Snapshot()
	req := auditcli.SARRequest{NHSNumber: nhs, From: from, To: to, Reference: strings.TrimSpace(f.Reference), Received: received,
		IdentityCheck: strings.TrimSpace(f.Identity), NamesGiven: f.Names, Pharmacy: c.svc.Settings.PharmacyName,
		ODS: c.svc.Settings.ODSCode, ProducedBy: v.User.Name + ", SCR Governance Person", Now: c.svc.Now()}
	ctx := context.Background()
	if !save {
		if err := c.govAudited("subject access request preview", gscreens.Filter{NHS: nhs}); err != nil {
			c.govAuditFailed(err)
			return
		}
		s, err := auditcli.BuildSAR(ctx, c.svc.Store, req)
		if err != nil {
			g.view.Message, g.view.Problem = "The report could not be made: "+err.Error(), true
			c.render()
			return
		}
		g.view.SAR.Summary = fmt.Sprintf("%s from %s to %s. %s", plural(int64(len(s.Lines)), "access", "accesses"),
			s.From.Local().Format("2 January 2006"), s.To.Local().Format("2 January 2006"), s.Integrity)
		g.view.SAR.Preview = nil
		for i, l := range s.Lines {
			if i == 30 {
				g.view.SAR.Preview = append(g.view.SAR.Preview, fmt.Sprintf("… and %d more", len(s.Lines)-30))
				break
			}
			by := l.Role
			if l.Person != "" {
				by = l.Person + ", " + l.Role
			}
			var parts []string // empty parts left a dangling "•" (a keyboard walk)
			for _, p := range []string{when(l.Time), l.What, by, l.Basis, l.Review} {
				if strings.TrimSpace(p) != "" {
					parts = append(parts, p)
				}
			}
			g.view.SAR.Preview = append(g.view.SAR.Preview, strings.Join(parts, "  •  "))
		}
		c.render()
		return
	}
	dir := c.reportDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		g.view.Message, g.view.Problem = "The report folder could not be made: "+err.Error(), true
		c.render()
		return
	}
	name := "SAR-" + nhs + "-" + c.svc.Now().Format("20060102-150405")
	if r := safeName(req.Reference); r != "" {
		name = "SAR-" + r
	}
	var pdf bytes.Buffer
	s, ent, err := auditcli.ProduceSAR(ctx, c.svc.Store, req, c.who(audit.Event{}), "pdf", &pdf)
	if err != nil {
		g.view.Message, g.view.Problem = err.Error(), true
		c.render()
		return
	}
	var csvb bytes.Buffer
	s.WriteCSV(&csvb)
	pdfPath, csvPath := filepath.Join(dir, name+".pdf"), filepath.Join(dir, name+".csv")
	if err := errors.Join(os.WriteFile(pdfPath, pdf.Bytes(), 0o600), os.WriteFile(csvPath, csvb.Bytes(), 0o600)); err != nil {
		g.view.Message, g.view.Problem = "The report was recorded (entry "+strconv.FormatInt(ent.Seq, 10)+") but could not be saved: "+err.Error(), true
		c.render()
		return
	}
	c.lastSAR = pdfPath
	g.view.SAR.Saved = "Saved " + pdfPath + " and " + filepath.Base(csvPath) + ". Report hash " + s.Hash()
	c.render()
}

// govMonthly saves the monthly governance report for month (YYYY-MM, "" the last full month,
// UK time) into the reports folder. The month is checked here; the report is made on a worker
// (it verifies the whole log first, which takes time on a big log, and a card removed meanwhile
// must still lock at once): the figures are gathered from the store, the production recorded
// (governance-report: month, hash, file name), the file written, and only then is the SGP told
// where it is, if the workspace is still the one that asked.
func (c *Controller) govMonthly(month string) {
	if c.gv == nil || !c.govMode() {
		return
	}
	g := c.gv
	cfg := c.govConfig()
	loc := cfg.Hours.Location
	now := c.svc.Now()
	g.view.Page = gscreens.PageHome
	g.view.Message, g.view.Problem = "", false
	refuse := func(why string) {
		g.view.Message, g.view.Problem = why, true
		c.govHome()
		c.render()
	}
	if g.reporting {
		refuse("A monthly report is already being made: wait for it to be saved.")
		return
	}
	m := auditcli.LastFullMonth(now, loc)
	if strings.TrimSpace(month) != "" {
		var err error
		if m, err = auditcli.ParseMonth(month, loc); err != nil {
			refuse("The monthly report was not made: " + err.Error() + ".")
			return
		}
	}
	if m.After(now) {
		refuse("The monthly report was not made: " + m.Format("January 2006") + " has not started yet.")
		return
	}
	g.view.Home.ReportMonth = m.Format("2006-01")
	dir := c.reportDir()
	name := "governance-report-" + m.Format("2006-01") + "-made-" + now.Format("20060102-150405") + ".pdf"
	path := filepath.Join(dir, name)
	v := c.m.Snapshot()
	req := auditcli.MonthlyRequest{Month: m, Pharmacy: c.svc.Settings.PharmacyName, ODS: c.svc.Settings.ODSCode,
		ProducedBy: v.User.Name + ", SCR Governance Person", Seed: g.seed, Now: now, Location: loc}
	who, db, gen, log := c.who(audit.Event{}), c.svc.Store, g.gen, c.svc.Log
	g.reporting = true
	g.view.Home.ReportSaved = "Making the monthly report for " + m.Format("January 2006") + "…"
	c.govHome()
	c.render()
	go func() {
		var msg, saved string
		problem := true
		if err := os.MkdirAll(dir, 0o700); err != nil {
			msg = "The report folder could not be made: " + err.Error()
		} else {
			var pdf bytes.Buffer
			rep, ent, err := auditcli.ProduceMonthly(context.Background(), db, req, who, "pdf", name, &pdf)
			switch {
			case err != nil:
				msg = "The monthly report was not made: " + err.Error()
			default:
				if werr := os.WriteFile(path, pdf.Bytes(), 0o600); werr != nil {
					msg = "The report was recorded (entry " + strconv.FormatInt(ent.Seq, 10) + ") but could not be saved: " + werr.Error()
				} else {
					problem = false
					saved = fmt.Sprintf("Saved %s (%s: %s). Report hash %s", path, rep.MonthName(), plural(int64(rep.Total.Cases), "case"), rep.Hash())
					msg = "The monthly governance report for " + rep.MonthName() + " is saved: " + path
				}
			}
		}
		c.Post(func() {
			if c.gv == nil || c.gv.gen != gen {
				log.Info("monthly governance report finished after the workspace closed", "saved", !problem)
				return // locked or left since: nothing is shown
			}
			g := c.gv
			g.reporting = false
			if !problem {
				c.lastReport = path
			}
			g.view.Home.ReportSaved = saved
			if g.view.Page == gscreens.PageHome {
				c.govHome()
			}
			// On Home the saved line under the button says it (with the hash): the message at
			// the top said it a second time. Elsewhere, or a problem, the message says it.
			if problem || g.view.Page != gscreens.PageHome {
				g.view.Message, g.view.Problem = msg, problem
			}
			c.render()
		})
	}()
}

func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// reportDir is where the SGP's reports are saved: beside the database, owner-only.
func (c *Controller) reportDir() string {
	if c.svc.ReportDir != "" {
		return c.svc.ReportDir
	}
	return filepath.Join(filepath.Dir(c.svc.Store.Path()), "reports")
}

// govFrame is the workspace's view for the frame, or nil.
func (c *Controller) govFrame() *gscreens.View {
	if c.gv == nil {
		return nil
	}
	v := c.gv.view
	if v.Page == gscreens.PageHome {
		v.Home.Integrity, v.Home.IntegrityOK = c.gv.integrity, c.gv.integrityOK
	}
	return &v
}

// DemoGovernanceLog is the demo's 90 days of synthetic accesses ending at end: the demo users
// on two workstations (the SGP among them, for a case she may not review herself).
func DemoGovernanceLog(end time.Time) []audit.Entry {
	us := staff.DemoUsers()
	r := func(u staff.DemoUser, i int, ws string) governance.DemoStaff {
		return governance.DemoStaff{UserID: u.UserID, Name: u.Name, URID: u.Roles[i].URID, RoleCode: u.Roles[i].RoleCode, Workstation: ws}
	}
	staffs := []governance.DemoStaff{r(us[0], 0, "COUNTER-1"), r(us[1], 0, "COUNTER-2"),
		{UserID: "555000000077", Name: "Siân Ó Briain", URID: "555000007701", RoleCode: "S8000:G8000:R8003", Workstation: "COUNTER-1"}}
	return governance.DemoLog(13, end, 90, staffs, r(us[2], 1, "COUNTER-1"), staff.DemoODS)
}

// seedDemoLog gives a demo install 90 days of synthetic accesses for the governance workspace,
// once, into a new (empty) log: rows are never back-dated behind real ones.
func seedDemoLog(ctx context.Context, db *store.DB, log interface {
	Error(string, ...any)
}) {
	n, err := db.Count(ctx, audit.Filter{}) // only a new log: its rows must be older than any real one
	if err != nil || n > 0 {
		return
	}
	if err := db.AppendBatch(ctx, DemoGovernanceLog(time.Now().Add(-2*time.Hour))); err != nil {
		log.Error("demo governance log not seeded", "err", err)
	}
}

// caseFilterDetail names the queue's filter in an audit row's detail (what was paged).
func (c *Controller) caseFilterDetail(f store.CaseFilter, extra ...string) []string {
	var out []string
	add := func(k, v string) {
		if v != "" {
			out = append(out, k, v)
		}
	}
	add("state", string(f.State))
	if f.OpenOnly {
		add("state", "open")
	}
	add("rule", string(f.Rule))
	add("user", f.UserID)
	add("nhs_number", f.NHSNumber)
	add("workstation", f.Workstation)
	if !f.From.IsZero() {
		add("from", f.From.Format(time.DateOnly))
	}
	if !f.To.IsZero() {
		add("to", f.To.Format(time.DateOnly))
	}
	return append(out, extra...)
}

// auditFilterDetail names the audit browser's filter in an audit row's detail.
func auditFilterDetail(f audit.Filter) []string {
	var out []string
	add := func(k, v string) {
		if v != "" {
			out = append(out, k, v)
		}
	}
	add("action", string(f.Action))
	add("outcome", string(f.Outcome))
	add("user", f.UserID)
	add("nhs_number", f.NHSNumber)
	if !f.From.IsZero() {
		add("from", f.From.Format(time.DateOnly))
	}
	if !f.To.IsZero() {
		add("to", f.To.Format(time.DateOnly))
	}
	return out
}
