// Command scrdesk is SCR Desk: a desktop viewer of NHS Summary Care Records for community
// pharmacy counters. main only wires: command line -> logger -> store -> services -> app.Run
// or a headless subcommand. See ARCHITECTURE.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"scrdesk/app"
	"scrdesk/cardreader"
	"scrdesk/cardreader/virtualcard"
	"scrdesk/internal/audit"
	"scrdesk/internal/auditcli"
	"scrdesk/internal/cli"
	"scrdesk/internal/instance"
	"scrdesk/internal/logging"
	"scrdesk/internal/paths"
	"scrdesk/internal/sandbox"
	"scrdesk/internal/secrets"
	"scrdesk/internal/settings"
	"scrdesk/internal/store"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	inv, err := cli.Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "scrdesk: %v\n\n%s", err, cli.Usage())
		return 2
	}
	if inv.Global.Help && inv.Command == "" {
		fmt.Fprint(stdout, cli.Usage())
		return 0
	}
	if inv.Command == "version" {
		fmt.Fprintf(stdout, "SCR Desk %s\n", version)
		return 0
	}
	level := slog.LevelInfo
	if inv.Global.LogLevel != "" {
		if level, err = logging.ParseLevel(inv.Global.LogLevel); err != nil {
			fmt.Fprintf(stderr, "scrdesk: %v\n", err)
			return 2
		}
	}
	dirs, err := paths.Resolve(inv.Global.DataDir)
	if err == nil && inv.Global.Demo && inv.Global.DataDir == "" {
		dirs = dirs.Demo() // never the live log and settings
	}
	if err == nil {
		err = dirs.Ensure()
	}
	if err != nil {
		fmt.Fprintf(stderr, "scrdesk: cannot prepare the data folder: %v\n", err)
		return 1
	}
	log, closeLog, err := logging.Open(dirs.Log(), level, nil)
	if err != nil {
		fmt.Fprintf(stderr, "scrdesk: cannot open the log file: %v\n", err)
		return 1
	}
	defer closeLog()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if inv.Global.Help {
		inv.Args = append([]string{"--help"}, inv.Args...)
	}
	switch inv.Command {
	case "":
		return runGUI(ctx, inv, dirs, log, stdout, stderr)
	case "sandbox":
		return sandbox.Command(ctx, inv.Args, stdout, stderr, sandbox.Options{TrustAnchors: virtualcard.DemoCA().Pool(), Log: log})
	case "client-key-password":
		return app.ClientKeyPassword(ctx, app.Options{Dirs: dirs, Log: log}, inv.Args, stdin, stdout, stderr)
	case "central-db-password":
		return app.CentralDBPassword(ctx, app.Options{Dirs: dirs, Log: log}, inv.Args, stdin, stdout, stderr)
	case "audit new-log":
		return newLogCommand(ctx, inv, dirs, log, stdout, stderr)
	}
	if inv.Global.Help { // help needs no audit log
		return subcommand(ctx, inv, dirs, log, nil, settings.Defaults(), stdin, stdout, stderr)
	}
	// Every other command reads the settings the one way: the store's, --config applied.
	db, keys, _, err := openStore(ctx, dirs, log)
	if err != nil {
		if inv.Command == "card check" && inv.Global.Config == "" {
			// A headless check must still run on a broken install: the defaults, said so.
			log.Warn("card check without the stored settings", "err", err)
			fmt.Fprintf(stderr, "scrdesk: the settings could not be read (%s); card check uses the defaults\n", store.UserMessage(err))
			return subcommand(ctx, inv, dirs, log, nil, settings.Defaults(), stdin, stdout, stderr)
		}
		fmt.Fprintf(stderr, "scrdesk: the audit log could not be opened: %s\n", store.UserMessage(err))
		return 1
	}
	defer db.Close()
	st, err := loadSettings(ctx, db, inv.Global.Config)
	switch {
	case err == nil:
	case inv.Global.Config != "":
		fmt.Fprintf(stderr, "scrdesk: %s\n", configMessage(inv.Global.Config, err))
		return 2
	case inv.Command == "card check" && errors.Is(err, store.ErrSettingsTampered):
		// Settings changed outside SCR Desk are not used: the check says so and runs on the defaults.
		fmt.Fprintf(stderr, "scrdesk: %s\nThis check uses the default settings instead (pass --config FILE to use the pharmacy's).\n", store.UserMessage(err))
		st = settings.Defaults()
	case strings.HasPrefix(inv.Command, "audit "):
		// Verify reports tampered settings; the rows the audit commands write only need names.
		st = settings.Defaults()
		if inv.Command == "audit report" { // its review rates come from the settings: say whose
			fmt.Fprintf(stderr, "scrdesk: %s\nThis report uses SGP.md's default review rates instead of the pharmacy's.\n", store.UserMessage(err))
		}
	default:
		fmt.Fprintf(stderr, "scrdesk: the settings could not be read: %s\n", store.UserMessage(err))
		return 1
	}
	return subcommand(ctx, inv, dirs, log, db, st, stdin, stdout, stderr, keys)
}

// subcommand runs a headless command with the store and settings main opened (db is nil when
// only help is asked for, or the store could not be opened for card check).
func subcommand(ctx context.Context, inv cli.Invocation, dirs paths.Dirs, log *slog.Logger, db *store.DB, st settings.Settings,
	stdin io.Reader, stdout, stderr io.Writer, keys ...secrets.Store) int {
	opts := app.Options{Version: version, Demo: inv.Global.Demo, Dirs: dirs, Log: log, ConfigFile: inv.Global.Config, Store: db, Settings: st}
	if len(keys) > 0 {
		opts.Keys = keys[0]
	}
	switch inv.Command {
	case "card check":
		d := cardreader.CheckDefaults{TrustAnchorsFile: st.TrustAnchorsFile, Reader: st.PreferredReader, Log: log}
		if inv.Global.Demo {
			// The demo: the demo CA, the demo reader with the demo pharmacist's card in it.
			d.TrustAnchorsFile = demoAnchorsFile(dirs)
			dr, insert, _, err := app.NewDemoReader()
			if err != nil {
				fmt.Fprintf(stderr, "scrdesk: demo cards: %v\n", err)
				return 1
			}
			insert("pharmacist")
			d.Source, d.Reader = dr, ""
			if !inv.Global.Help {
				fmt.Fprintln(stderr, "Demo: the demo pharmacist's card is in the demo reader (passcode 123456).")
			}
		}
		return cardreader.CheckCommand(ctx, inv.Args, stdin, stdout, stderr, d)
	case "check-access":
		return app.CheckAccess(ctx, opts, inv.Args, stdin, stdout, stderr)
	case "audit verify", "audit export", "audit stats", "audit central", "audit central-schema":
		return auditCommand(ctx, inv, db, opts.Keys, st, stdout, stderr)
	case "audit sar":
		return sarCommand(ctx, inv, db, st, stdout, stderr)
	case "audit report":
		return reportCommand(ctx, inv, db, st, stdout, stderr)
	}
	fmt.Fprintf(stderr, "scrdesk: %q is not known\n", inv.Command)
	return 2
}

// openStore opens the keyring (or its file fallback) and, with it, the audit log and settings.
func openStore(ctx context.Context, dirs paths.Dirs, log *slog.Logger) (*store.DB, secrets.Store, bool, error) {
	keys, weak, err := secrets.Open(app.KeyringService, dirs.KeyFile(), log)
	if err != nil {
		return nil, nil, false, fmt.Errorf("no keyring and no key file: %w", err)
	}
	db, err := store.Open(ctx, dirs.Database(), keys, log)
	if err != nil {
		return nil, nil, false, err
	}
	return db, keys, weak || db.WeakKey(), nil
}

// loadSettings is the one way every command reads its settings: the stored settings, then a
// --config FILE over them. The file is checked like the settings screen checks (unknown
// fields refused, every field validated) and, when good, kept: each change is recorded in the
// audit log with its old and new value, so the shortcut needs no flags afterwards. A refused
// file changes nothing; the caller says why and exits 2.
func loadSettings(ctx context.Context, db *store.DB, configFile string) (settings.Settings, error) {
	st, err := db.LoadSettings(ctx)
	if errors.Is(err, store.ErrSettingsTampered) && configFile != "" {
		// Settings changed outside SCR Desk are never used, nor replaced by the defaults; IT
		// support's settings file puts them right (and the save records them again).
		err = nil
	}
	if err != nil || configFile == "" {
		return st, err
	}
	b, err := os.ReadFile(configFile)
	if err != nil {
		return st, err
	}
	return applySettingsFile(ctx, db, configFile, b)
}

// applySettingsFile checks a settings document and keeps it, audited as the OS account.
func applySettingsFile(ctx context.Context, db *store.DB, name string, data []byte) (settings.Settings, error) {
	st, err := settings.Parse(data)
	if err != nil {
		return settings.Settings{}, err
	}
	err = db.SaveSettings(ctx, st, audit.Event{UserName: app.OSAccount(), Workstation: st.WorkstationName, ODSCode: st.ODSCode,
		Reason: "settings file " + name})
	return st, err
}

// configMessage says why a settings file was refused, for a terminal.
func configMessage(file string, err error) string {
	var v settings.ValidationError
	switch {
	case errors.As(err, &v):
		return fmt.Sprintf("the settings file %s was refused; nothing was changed. %s", file, v.UserMessage())
	case errors.Is(err, settings.ErrParse):
		return fmt.Sprintf("the settings file %s was refused; nothing was changed. %s", file, settings.UserMessage(err))
	case errors.Is(err, os.ErrNotExist):
		return fmt.Sprintf("the settings file %s does not exist; nothing was changed.", file)
	}
	return fmt.Sprintf("the settings file %s could not be used; nothing was changed: %v", file, err)
}

// newLogCommand runs `scrdesk audit new-log`: the one way forward after the audit log was found
// removed or replaced. Its first row names the operating-system account that ran it.
func newLogCommand(ctx context.Context, inv cli.Invocation, dirs paths.Dirs, log *slog.Logger, stdout, stderr io.Writer) int {
	host, _ := os.Hostname()
	who := audit.Event{Workstation: host, UserName: app.OSAccount()}
	return auditcli.NewLog(ctx, inv.Args, stdout, stderr, newLogStarter(dirs, log), who)
}

// newLogStarter starts a new audit log in dirs' database, with the keyring (or its file
// fallback) the window and the audit commands use: for `scrdesk audit new-log` and for the
// window's governance workspace (app.Options.NewLog).
func newLogStarter(dirs paths.Dirs, log *slog.Logger) func(ctx context.Context, by audit.Event) (store.NewLogResult, error) {
	return func(ctx context.Context, by audit.Event) (store.NewLogResult, error) {
		keys, _, err := secrets.Open(app.KeyringService, dirs.KeyFile(), log)
		if err != nil {
			return store.NewLogResult{}, fmt.Errorf("no keyring and no key file: %w", err)
		}
		return store.NewLog(ctx, dirs.Database(), keys, by, store.Options{})
	}
}

// demoAnchorsFile writes the demo CA's certificate (public, trusted in demo mode only) where
// `card check --demo` can read it.
func demoAnchorsFile(dirs paths.Dirs) string {
	p := filepath.Join(dirs.State, "demo-ca.pem")
	_ = os.WriteFile(p, virtualcard.DemoCA().PEM(), 0o600)
	return p
}

func runGUI(ctx context.Context, inv cli.Invocation, dirs paths.Dirs, log *slog.Logger, stdout, stderr io.Writer) int {
	if inv.Global.Config != "" {
		// A window may already be running: hand it the file over the instance socket, and say
		// what it did with it. Never drop it.
		data, err := os.ReadFile(inv.Global.Config)
		if err != nil {
			fmt.Fprintf(stderr, "scrdesk: %s\n", configMessage(inv.Global.Config, err))
			return 2
		}
		reply, err := instance.SendConfig(dirs.Socket(), inv.Global.Config, data)
		switch {
		case err == nil:
			fmt.Fprintf(stdout, "SCR Desk is already running: it applied the settings file %s. %s\n", inv.Global.Config, reply)
			return 0
		case errors.As(err, new(*instance.RefusedError)):
			fmt.Fprintf(stderr, "scrdesk: SCR Desk is already running and refused the settings file %s; nothing was changed. %s\n", inv.Global.Config, reply)
			return 2
		case !errors.Is(err, instance.ErrNotRunning):
			log.Warn("settings file not handed to the running window", "err", err)
		}
	}
	raise := make(chan struct{}, 1)
	configs := make(chan app.ConfigRequest)
	primary, err := instance.AcquireWith(dirs.Socket(), instance.Handlers{
		Raise: func() {
			select {
			case raise <- struct{}{}:
			default:
			}
		},
		Config: func(name string, data []byte) (string, error) {
			reply := make(chan app.ConfigReply, 1)
			select {
			case configs <- app.ConfigRequest{Name: name, Data: data, Reply: reply}:
			case <-time.After(10 * time.Second):
				return "", errors.New("the window is still starting; try again in a moment")
			}
			select {
			case r := <-reply:
				return r.Message, r.Err
			case <-time.After(15 * time.Second):
				// The controller that took it may have ended (a new audit log restarts them).
				return "", errors.New("the window did not answer in time (it may be starting again after a new audit log); nothing is known to have changed: try again")
			}
		},
	})
	if errors.Is(err, instance.ErrRunning) {
		fmt.Fprintln(stderr, err.Error())
		return 0
	}
	if err != nil {
		log.Warn("single-instance check unavailable", "err", err)
	} else {
		defer primary.Close()
	}
	opts := app.Options{Version: version, Demo: inv.Global.Demo, Dirs: dirs, Log: log, Raise: raise, Configs: configs, ConfigFile: inv.Global.Config}
	opts.Open = func(ctx context.Context) (app.Services, func(), error) { return openServices(ctx, opts) }
	opts.NewLog = newLogStarter(dirs, log)
	if err := app.Run(ctx, opts); err != nil {
		log.Error("app stopped", "err", err)
		fmt.Fprintf(stderr, "SCR Desk stopped: %v\n", err)
		return 1
	}
	return 0
}

// auditCommand runs `scrdesk audit verify|export|stats`. The rows these commands write name the
// operating-system account that ran them: no smartcard is involved.
func auditCommand(ctx context.Context, inv cli.Invocation, db *store.DB, keys secrets.Store, st settings.Settings, stdout, stderr io.Writer) int {
	sub := strings.TrimPrefix(inv.Command, "audit ")
	if db == nil { // --help only
		return auditcli.Run(ctx, append([]string{sub}, inv.Args...), stdout, stderr, nil, audit.Event{})
	}
	if p := db.Problem(); p != nil && inv.Command != "audit verify" {
		fmt.Fprintf(stderr, "scrdesk: %s\n", store.UserMessage(p))
	}
	who := osWho(st)
	central := auditcli.Central{DSN: st.CentralDSN, Keys: keys}
	if pw, err := keys.Get(app.CentralDBPasswordKey); err == nil {
		central.Password = pw
	}
	return auditcli.RunWith(ctx, append([]string{sub}, inv.Args...), stdout, stderr, db, who, central)
}

// osWho names the operating-system account and this workstation, for the rows a headless
// command writes.
func osWho(st settings.Settings) audit.Event {
	who := audit.Event{Workstation: st.WorkstationName, ODSCode: st.ODSCode, UserName: app.OSAccount()}
	if who.Workstation == "" {
		who.Workstation, _ = os.Hostname()
	}
	return who
}

// sarCommand runs `scrdesk audit sar` with the store and the pharmacy's name from settings.
func sarCommand(ctx context.Context, inv cli.Invocation, db *store.DB, st settings.Settings, stdout, stderr io.Writer) int {
	if db == nil { // --help only
		return auditcli.SARCommand(ctx, inv.Args, stdout, stderr, nil, audit.Event{}, "")
	}
	return auditcli.SARCommand(ctx, inv.Args, stdout, stderr, db, osWho(st), st.PharmacyName)
}

// reportCommand runs `scrdesk audit report` (the monthly governance report) with the store and
// the pharmacy's settings: its name and the SOP's review rates (the rules' review shares), as
// the workspace's. The review sample's seed is the recorded one (or one recorded now, as the
// workspace does when an SGP first opens it).
func reportCommand(ctx context.Context, inv cli.Invocation, db *store.DB, st settings.Settings, stdout, stderr io.Writer) int {
	if db == nil { // --help only
		return auditcli.ReportCommand(ctx, inv.Args, stdout, stderr, nil, audit.Event{}, settings.Defaults(), nil)
	}
	who := osWho(st)
	return auditcli.ReportCommand(ctx, inv.Args, stdout, stderr, db, who, st,
		func() (uint64, error) { return db.SampleSeed(ctx, who) })
}
