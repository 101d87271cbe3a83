package app

import (
	"context"
	"flag"
	"fmt"
	"io"

	"scrdesk/internal/cli"
	"scrdesk/internal/secrets"
)

// ClientKeyPassword is `scrdesk client-key-password`, for IT support: it reads the TLS client
// key's password (without echo on a terminal, or the first line of stdin with --stdin) and
// keeps it in the OS keyring (or the owner-only key file where there is none), never in
// settings or SQLite. --clear removes it.
func ClientKeyPassword(ctx context.Context, opts Options, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("client-key-password", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fromStdin := fs.Bool("stdin", false, "read the password from the first line of stdin, without a prompt")
	clearIt := fs.Bool("clear", false, "remove the stored password")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	keys, weak, err := secrets.Open(KeyringService, opts.Dirs.KeyFile(), opts.Log)
	if err != nil {
		fmt.Fprintf(stderr, "client-key-password: no keyring and no key file: %s\n", secrets.UserMessage(err))
		return 1
	}
	if *clearIt {
		if err := keys.Delete(ClientKeyPasswordKey); err != nil {
			fmt.Fprintf(stderr, "client-key-password: %s\n", secrets.UserMessage(err))
			return 1
		}
		fmt.Fprintln(stdout, "The client key password was removed.")
		return 0
	}
	pw, err := cli.ReadSecret(stdin, stderr, "Password of the client key: ", *fromStdin)
	if err != nil || pw == "" {
		fmt.Fprintln(stderr, "client-key-password: no password was given")
		return 2
	}
	if err := keys.Set(ClientKeyPasswordKey, pw); err != nil {
		fmt.Fprintf(stderr, "client-key-password: %s\n", secrets.UserMessage(err))
		return 1
	}
	where := "in the system keyring"
	if weak {
		where = "in the owner-only key file (no system keyring answered: weaker protection)"
	}
	fmt.Fprintf(stdout, "The client key password is kept %s.\n", where)
	return 0
}
