package app

import (
	"context"
	"errors"
	"strings"

	"scrdesk/internal/audit"
	"scrdesk/internal/store"
)

// newLogOffer is what the governance Home says beside its "Start a new audit log" button while
// the log is found removed or replaced.
const newLogOffer = "Starting a new audit log is the one way forward. Its first entry records what was found, " +
	"the previous log's last known entry, your name and role, and the reason you type here. The file found is kept " +
	"beside the new one, never deleted. SCR Desk then starts again, and everyone signs in again."

// govNewLog is Home's "Start a new audit log": only an SGP role in the workspace, only while the
// log is found removed or replaced, and only with a reason. The controller does not start the
// log itself (the open store, the outbox and replication all hold the file): it notes who asked
// and why, and ends its run; Run (app.go) closes every service, starts the new log
// (Options.NewLog) and opens them again over it.
func (c *Controller) govNewLog(reason string) {
	if c.gv == nil || !c.govMode() || c.newLogBy != nil {
		return
	}
	g := c.gv
	if c.svc.Store.Break() == nil {
		g.view.Message, g.view.Problem = "The audit log is the one this workstation knows, so no new log is needed.", false
		g.view.Home.NewLog = ""
		c.render()
		return
	}
	if !c.mayStartNewLog() {
		g.view.Message, g.view.Problem = demoNoNewLog, true
		g.view.Home.NewLog = ""
		c.render()
		return
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		g.view.Message, g.view.Problem = "Type why a new audit log is being started (it is recorded in the new log's first entry), then press Start a new audit log.", true
		c.render()
		return
	}
	by := c.who(audit.Event{Reason: reason})
	c.newLogBy = &by
	g.view.Message, g.view.Problem = "Starting a new audit log…", false
	g.view.Home.NewLog = ""
	c.render()
	if c.stopRun != nil {
		c.stopRun()
	}
}

// demoNoNewLog is why a demo card may not start a new log in the workstation's own folder.
const demoNoNewLog = "A demo card cannot start a new audit log in this workstation's own data folder. IT support starts it " +
	"(scrdesk audit new-log --reason TEXT), or starts SCR Desk with the pharmacy's settings file (scrdesk --config FILE), " +
	"so that your SCR Governance Person can, with a real smartcard."

// mayStartNewLog: a demo card may start a new log only in the demo's own folder (--demo). A
// demo reached through the settings (a fresh workstation, or one whose log file was deleted,
// so that its settings went with it) trusts the demo cards, whose passcodes are printed: one
// of them must not be able to start the new log, with its first row naming a made-up SGP.
func (c *Controller) mayStartNewLog() bool { return !c.svc.Demo || c.svc.DemoFolder }

// NewLogAsked reports, once Run has returned, whether an SGP asked for a new audit log and who
// (with the reason in Event.Reason).
func (c *Controller) NewLogAsked() (audit.Event, bool) {
	if c.newLogBy == nil {
		return audit.Event{}, false
	}
	return *c.newLogBy, true
}

// newLogNotice is what the restarted window's lock screen says after a new log was started
// (or could not be).
func newLogNotice(by audit.Event, res store.NewLogResult, err error) string {
	if err != nil {
		return "No new audit log was started: " + store.UserMessage(err) + " Ask IT support (scrdesk audit new-log)."
	}
	s := "A new audit log was started by " + by.UserName + ". Its first entry records what was found: " + res.Break.Message()
	if res.Kept != "" {
		s += " The file found is kept as " + res.Kept + "."
	}
	return s + " Sign in again to carry on."
}

// settingsGoneNotice follows newLogNotice outside the demo: the settings lived in the old file.
const settingsGoneNotice = " The pharmacy's settings were kept in the old file: until IT support applies the settings file again " +
	"(scrdesk --config FILE), SCR Desk runs on its defaults, in which real smartcards are refused."

var errNoNewLog = errors.New("this window cannot start a new audit log")

// startNewLog runs opts.NewLog for by, between closing the services and opening them again.
func startNewLog(ctx context.Context, opts Options, by audit.Event) string {
	if opts.NewLog == nil {
		return newLogNotice(by, store.NewLogResult{}, errNoNewLog)
	}
	res, err := opts.NewLog(ctx, by)
	if err != nil {
		opts.Log.Error("new audit log not started", "err", err)
	} else {
		opts.Log.Info("new audit log started", "previous_instance", res.Break.KnownInstance)
	}
	n := newLogNotice(by, res, err)
	if err == nil && !opts.Demo && opts.ConfigFile == "" {
		n += settingsGoneNotice
	}
	return n
}
