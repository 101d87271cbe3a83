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
		return runGUI(ctx, inv, dirs, log, stderr)
	case "sandbox":
		return sandbox.Command(ctx, inv.Args, stdout, stderr, sandbox.Options{TrustAnchors: virtualcard.DemoCA().Pool(), Log: log})
	case "card check":
		st := storedSettings(ctx, dirs, log, inv.Global.Config, stderr)
		anchors := st.TrustAnchorsFile
		if anchors == "" && (inv.Global.Demo || st.Environment == settings.EnvDemo) {
			anchors = demoAnchorsFile(dirs)
		}
		return cardreader.CheckCommand(ctx, inv.Args, stdin, stdout, stderr,
			cardreader.CheckDefaults{TrustAnchorsFile: anchors, Reader: st.PreferredReader, Log: log})
	case "check-access":
		return app.CheckAccess(ctx, app.Options{Version: version, Demo: inv.Global.Demo, Dirs: dirs, Log: log, ConfigFile: inv.Global.Config},
			inv.Args, stdin, stdout, stderr)
	case "client-key-password":
		return app.ClientKeyPassword(ctx, app.Options{Dirs: dirs, Log: log}, inv.Args, stdin, stdout, stderr)
	case "central-db-password":
		return app.CentralDBPassword(ctx, app.Options{Dirs: dirs, Log: log}, inv.Args, stdin, stdout, stderr)
	case "audit verify", "audit export", "audit stats", "audit central", "audit central-schema":
		return auditCommand(ctx, inv, dirs, log, stdout, stderr)
	case "audit sar":
		return sarCommand(ctx, inv, dirs, log, stdout, stderr)
	case "audit new-log":
		return newLogCommand(ctx, inv, dirs, log, stdout, stderr)
	}
	fmt.Fprintf(stderr, "scrdesk: %q is not known\n", inv.Command)
	return 2
}

// openStore opens the audit log and settings with the keyring (or its file fallback).
func openStore(ctx context.Context, dirs paths.Dirs, log *slog.Logger) (*store.DB, error) {
	db, _, err := openStoreKeys(ctx, dirs, log)
	return db, err
}

func openStoreKeys(ctx context.Context, dirs paths.Dirs, log *slog.Logger) (*store.DB, secrets.Store, error) {
	keys, _, err := secrets.Open(app.KeyringService, dirs.KeyFile(), log)
	if err != nil {
		return nil, nil, err
	}
	db, err := store.Open(ctx, dirs.Database(), keys, log)
	return db, keys, err
}

// storedSettings reads the settings (the --config file wins), or the defaults when the store
// cannot be opened (a headless check must still run on a broken install).
// Settings changed outside SCR Desk are not used; the person is told that the defaults stand in.
func storedSettings(ctx context.Context, dirs paths.Dirs, log *slog.Logger, configFile string, stderr io.Writer) settings.Settings {
	st := settings.Defaults()
	if db, err := openStore(ctx, dirs, log); err == nil {
		s, err := db.LoadSettings(ctx)
		switch {
		case err == nil:
			st = s
		case errors.Is(err, store.ErrSettingsTampered) && configFile == "":
			fmt.Fprintf(stderr, "scrdesk: %s\nThis check uses the default settings instead (pass --config FILE to use the pharmacy's).\n", store.UserMessage(err))
		}
		_ = db.Close()
	}
	if configFile != "" {
		if b, err := os.ReadFile(configFile); err == nil {
			if s, err := settings.Parse(b); err == nil {
				st = s
			}
		}
	}
	return st
}

// newLogCommand runs `scrdesk audit new-log`: the one way forward after the audit log was found
// removed or replaced. Its first row names the operating-system account that ran it.
func newLogCommand(ctx context.Context, inv cli.Invocation, dirs paths.Dirs, log *slog.Logger, stdout, stderr io.Writer) int {
	keys, _, err := secrets.Open(app.KeyringService, dirs.KeyFile(), log)
	if err != nil {
		fmt.Fprintf(stderr, "scrdesk: no keyring and no key file: %v\n", err)
		return 1
	}
	host, _ := os.Hostname()
	who := audit.Event{Workstation: host, UserName: app.OSAccount()}
	start := func(ctx context.Context, by audit.Event) (store.NewLogResult, error) {
		return store.NewLog(ctx, dirs.Database(), keys, by, store.Options{})
	}
	return auditcli.NewLog(ctx, inv.Args, stdout, stderr, start, who)
}

// demoAnchorsFile writes the demo CA's certificate (public, trusted in demo mode only) where
// `card check` can read it.
func demoAnchorsFile(dirs paths.Dirs) string {
	p := filepath.Join(dirs.State, "demo-ca.pem")
	_ = os.WriteFile(p, virtualcard.DemoCA().PEM(), 0o600)
	return p
}

func runGUI(ctx context.Context, inv cli.Invocation, dirs paths.Dirs, log *slog.Logger, stderr io.Writer) int {
	raise := make(chan struct{}, 1)
	primary, err := instance.Acquire(dirs.Socket(), func() {
		select {
		case raise <- struct{}{}:
		default:
		}
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
	opts := app.Options{Version: version, Demo: inv.Global.Demo, Dirs: dirs, Log: log, Raise: raise, ConfigFile: inv.Global.Config}
	if err := app.Run(ctx, opts); err != nil {
		log.Error("app stopped", "err", err)
		fmt.Fprintf(stderr, "SCR Desk stopped: %v\n", err)
		return 1
	}
	return 0
}

// auditCommand runs `scrdesk audit verify|export|stats`. The rows these commands write name the
// operating-system account that ran them: no smartcard is involved.
func auditCommand(ctx context.Context, inv cli.Invocation, dirs paths.Dirs, log *slog.Logger, stdout, stderr io.Writer) int {
	db, keys, err := openStoreKeys(ctx, dirs, log)
	if err != nil {
		fmt.Fprintf(stderr, "scrdesk: the audit log could not be opened: %s\n", store.UserMessage(err))
		return 1
	}
	defer db.Close()
	if p := db.Problem(); p != nil && inv.Command != "audit verify" {
		fmt.Fprintf(stderr, "scrdesk: %s\n", store.UserMessage(p))
	}
	st, err := db.LoadSettings(ctx)
	if err != nil {
		// Verify reports tampered settings; the rows these commands write only need names.
		st = settings.Defaults()
	}
	who := audit.Event{Workstation: st.WorkstationName, ODSCode: st.ODSCode, UserName: app.OSAccount()}
	if who.Workstation == "" {
		who.Workstation, _ = os.Hostname()
	}
	sub := strings.TrimPrefix(inv.Command, "audit ")
	central := auditcli.Central{DSN: st.CentralDSN, Keys: keys}
	if pw, err := keys.Get(app.CentralDBPasswordKey); err == nil {
		central.Password = pw
	}
	return auditcli.RunWith(ctx, append([]string{sub}, inv.Args...), stdout, stderr, db, who, central)
}

// sarCommand runs `scrdesk audit sar` with the store and the pharmacy's name from settings.
func sarCommand(ctx context.Context, inv cli.Invocation, dirs paths.Dirs, log *slog.Logger, stdout, stderr io.Writer) int {
	db, err := openStore(ctx, dirs, log)
	if err != nil {
		fmt.Fprintf(stderr, "scrdesk: the audit log could not be opened: %s\n", store.UserMessage(err))
		return 1
	}
	defer db.Close()
	st, err := db.LoadSettings(ctx)
	if err != nil {
		st = settings.Defaults()
	}
	who := audit.Event{Workstation: st.WorkstationName, ODSCode: st.ODSCode, UserName: app.OSAccount()}
	if who.Workstation == "" {
		who.Workstation, _ = os.Hostname()
	}
	return auditcli.SARCommand(ctx, inv.Args, stdout, stderr, db, who, st.PharmacyName)
}
