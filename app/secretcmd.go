package app

import (
	"context"
	"flag"
	"fmt"
	"io"

	"scrdesk/internal/cli"
	"scrdesk/internal/replica"
	"scrdesk/internal/secrets"
)

// ClientKeyPassword is `scrdesk client-key-password`, for IT support: it reads the TLS client
// key's password (without echo on a terminal, or the first line of stdin with --stdin) and
// keeps it in the OS keyring (or the owner-only key file where there is none), never in
// settings or SQLite. --clear removes it.
func ClientKeyPassword(ctx context.Context, opts Options, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return keepSecret(opts, args, stdin, stdout, stderr, "client-key-password", ClientKeyPasswordKey,
		"Password of the client key: ", "The client key password")
}

// CentralDBPassword is `scrdesk central-db-password`, for IT support: the central audit
// database's password, kept in the keyring like the client key's (never in settings).
// With --sgp first, it keeps the SGP's reading login's password instead (central_sgp_dsn).
func CentralDBPassword(ctx context.Context, opts Options, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "--sgp" || args[0] == "-sgp") {
		return keepSecret(opts, args[1:], stdin, stdout, stderr, "central-db-password --sgp", replica.ReaderPasswordKey,
			"Password of the SGP's login to the central audit database: ", "The SGP's central audit database password")
	}
	return keepSecret(opts, args, stdin, stdout, stderr, "central-db-password", CentralDBPasswordKey,
		"Password of the central audit database: ", "The central audit database password")
}

func keepSecret(opts Options, args []string, stdin io.Reader, stdout, stderr io.Writer, cmd, key, prompt, what string) int {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fromStdin := fs.Bool("stdin", false, "read the password from the first line of stdin, without a prompt")
	clearIt := fs.Bool("clear", false, "remove the stored password")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: scrdesk client-key-password [--stdin] [--clear]")
		fs.PrintDefaults()
	}
	pos, err := cli.ParseFlags(fs, args)
	if cli.Help(err, fs, stdout) {
		return 0
	}
	if err != nil {
		return 2
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "client-key-password: unexpected argument %q\n", pos[0])
		return 2
	}
	keys, weak, err := secrets.Open(KeyringService, opts.Dirs.KeyFile(), opts.Log)
	if err != nil {
		fmt.Fprintf(stderr, "%s: no keyring and no key file: %s\n", cmd, secrets.UserMessage(err))
		return 1
	}
	if *clearIt {
		if err := keys.Delete(key); err != nil {
			fmt.Fprintf(stderr, "%s: %s\n", cmd, secrets.UserMessage(err))
			return 1
		}
		fmt.Fprintf(stdout, "%s was removed.\n", what)
		return 0
	}
	pw, err := cli.ReadSecret(stdin, stderr, prompt, *fromStdin)
	if err != nil || pw == "" {
		fmt.Fprintf(stderr, "%s: no password was given\n", cmd)
		return 2
	}
	if err := keys.Set(key, pw); err != nil {
		fmt.Fprintf(stderr, "%s: %s\n", cmd, secrets.UserMessage(err))
		return 1
	}
	where := "in the system keyring"
	if weak {
		where = "in the owner-only key file (no system keyring answered: weaker protection)"
	}
	fmt.Fprintf(stdout, "%s is kept %s.\n", what, where)
	return 0
}
