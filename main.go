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
	"syscall"

	"scrdesk/app"
	"scrdesk/internal/cli"
	"scrdesk/internal/instance"
	"scrdesk/internal/logging"
	"scrdesk/internal/paths"
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

	switch inv.Command {
	case "":
		return runGUI(ctx, inv, dirs, log, stderr)
	default:
		fmt.Fprintf(stderr, "scrdesk: %q is not built yet in this version\n", inv.Command)
		return 2
	}
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
