package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"scrdesk/internal/audit"
	"scrdesk/internal/secrets"
	"scrdesk/internal/settings"
	"scrdesk/internal/store"
)

// ConfigRequest is a settings file a later launch passed with --config over the instance
// socket. Reply gets exactly one answer.
type ConfigRequest struct {
	Name  string
	Data  []byte
	Reply chan<- ConfigReply
}

// ConfigReply says what the running window did with a settings file: Err is the refusal (and
// nothing changed); Message says what took effect.
type ConfigReply struct {
	Message string
	Err     error
}

// DemoSettings fills what the demo needs and a new install lacks: the demo pharmacy and
// workstation names.
func DemoSettings(st settings.Settings) settings.Settings {
	if st.PharmacyName == "" {
		st.PharmacyName, st.ODSCode = DemoPharmacy()
	}
	if st.WorkstationName == "" {
		st.WorkstationName = "DEMO-1"
	}
	return st
}

// StartReplication starts the central audit log's replication worker (main's wiring, when
// central_dsn is set): stop ends it, status says how far it has got. See startReplication.
func StartReplication(ctx context.Context, db *store.DB, keys secrets.Store, st settings.Settings, log *slog.Logger) (stop func(), status func() string) {
	r := startReplication(ctx, db, keys, st, log)
	return r.stop, r.text
}

// serveConfigs hands each settings file a later launch passed to the controller goroutine.
func (c *Controller) serveConfigs(ctx context.Context, in <-chan ConfigRequest) {
	for {
		select {
		case <-ctx.Done():
			return
		case r, ok := <-in:
			if !ok {
				return
			}
			c.Post(func() {
				st, err := settings.Parse(r.Data)
				if err != nil {
					r.Reply <- ConfigReply{Err: err, Message: settings.UserMessage(err)}
					return
				}
				msg, err := c.applySettingsFrom(st, "settings file "+r.Name+", sent to the running window", true)
				r.Reply <- ConfigReply{Message: msg, Err: err}
			})
		}
	}
}

// applySettings (controller goroutine) checks st, keeps it (each changed field audited with
// its old and new value, by the signed-in user or else the operating-system account, with
// why), and applies it at once: names, idle lock, card removal, activity codes, preferred
// reader, text size and the governance rules (switches, thresholds, review rates, opening
// hours: for the rows recorded from now on) now; a new environment, base URL, trust anchors or client certificate
// from the next sign-in (the link of a session already open stays as it was signed in).
// Switching between the demo and a real environment takes a restart, and the answer says so.
// It returns what took effect, in plain English.
func (c *Controller) applySettings(st settings.Settings, why string) (string, error) {
	return c.applySettingsFrom(st, why, false)
}

// applySettingsFrom is applySettings; fromFile says the settings came from a settings file that
// another launch sent over the instance socket. That change is the operating-system account's
// (the socket is the same account's only), never the signed-in user's: whoever has the card in
// did not make it, and the audit row must not say they did.
func (c *Controller) applySettingsFrom(st settings.Settings, why string, fromFile bool) (string, error) {
	if err := st.Validate(); err != nil {
		return settings.UserMessage(err), err
	}
	old := c.svc.Settings
	kept, err := c.svc.Store.LoadSettings(context.Background())
	if err != nil {
		return "The settings could not be read, so nothing was changed: " + settings.UserMessage(err), err
	}
	by := c.who(audit.Event{Reason: why})
	if fromFile {
		by.UserID, by.UserName, by.URID, by.RoleCode = "", OSAccount(), "", ""
	}
	if by.UserID == "" {
		by.UserName = OSAccount()
	}
	by.Workstation, by.ODSCode = st.WorkstationName, st.ODSCode
	if err := c.svc.Store.SaveSettings(context.Background(), st, by); err != nil {
		return "The settings could not be saved, so nothing was changed: " + settings.UserMessage(err), err
	}
	changes := settings.Diff(kept, st)
	crossed := (old.Environment == settings.EnvDemo) != (st.Environment == settings.EnvDemo)
	if c.svc.Demo {
		st = DemoSettings(st)
	}
	var notes []string
	if connectionChanged(old, st) && !crossed && c.svc.Reconnect != nil {
		anchors, spine, err := c.svc.Reconnect(st)
		if spine != nil {
			c.svc.Anchors, c.svc.Spine = anchors, spine
			notes = append(notes, "The new connection settings are used from the next sign-in.")
		}
		if err != nil {
			c.svc.Log.Warn("settings applied with a connection problem", "err", err)
			notes = append(notes, "Warning: "+err.Error()+".")
		}
	}
	if crossed {
		notes = append(notes, "Restart SCR Desk to switch between the demo and a real environment.")
	}
	// The rules' new configuration was recorded with the save (a governance-rules-set row,
	// SaveSettings): the store's rules read it from that row, so every row after it, and only
	// those, is judged by it, now and on any rebuild; the workspace reads it on render.
	if !govConfigFor(old).Equal(govConfigFor(st)) {
		notes = append(notes, "The new rule settings apply to accesses recorded from now on; cases already raised stay as they are.")
	}
	c.svc.Settings = st
	c.m.SetConfig(sessionConfig(st))
	if old.TextScale != st.TextScale && c.onTextScale != nil {
		c.onTextScale(st.TextScale)
	}
	c.render()
	msg := "No setting changed."
	if len(changes) > 0 {
		names := make([]string, len(changes))
		for i, ch := range changes {
			names[i] = settings.FieldName(ch.Field)
		}
		msg = fmt.Sprintf("Saved and applied (%s).", strings.Join(names, ", "))
	}
	if len(notes) > 0 {
		msg += " " + strings.Join(notes, " ")
	}
	return msg, nil
}

func connectionChanged(a, b settings.Settings) bool {
	return a.Environment != b.Environment || a.BaseURL != b.BaseURL || a.TrustAnchorsFile != b.TrustAnchorsFile ||
		a.ClientCertFile != b.ClientCertFile
}

// SeedDemoLog gives a demo install its synthetic governance log, once (main's wiring); see
// seedDemoLog.
func SeedDemoLog(ctx context.Context, db *store.DB, log *slog.Logger) { seedDemoLog(ctx, db, log) }
