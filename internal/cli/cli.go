// Package cli parses SCR Desk's command line: the global flags that every subcommand accepts,
// and which subcommand to run. It runs nothing: main dispatches on the result.
//
// Global flags may stand anywhere on the line (before or after the subcommand), so that
// `scrdesk --data-dir D audit verify` and `scrdesk audit verify --data-dir D` mean the same.
// Everything else is left, in order, for the subcommand's own flag set.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Global holds the flags every subcommand accepts.
type Global struct {
	Config   string // --config FILE: a settings file (JSON); every command applies and keeps it
	DataDir  string // --data-dir DIR
	LogLevel string // --log-level LEVEL
	Demo     bool   // --demo
	Help     bool   // --help, -h
}

// Invocation is a parsed command line.
type Invocation struct {
	Global  Global
	Command string   // "" (the GUI), "version", "card check", "audit verify", ...
	Args    []string // the subcommand's own arguments
}

// ErrUsage is wrapped by every parse error.
var ErrUsage = errors.New("usage")

// Commands lists the subcommands and their one-line help, in help order.
var Commands = []struct{ Name, Help string }{
	{"", "start the SCR Desk window (the default)"},
	{"version", "print the version and exit"},
	{"card check", "check a smartcard and reader: identity, certificate, passcode, signature (IT support)"},
	{"audit verify", "check the audit log (chain, checkpoint, schema, settings, outbox); exit 1 naming each problem (--json)"},
	{"audit export", "export audit rows (--from --to --nhs-number --user --format csv|jsonl|fhir)"},
	{"audit stats", "print counts from the audit log"},
	{"audit sar", "Subject Access Request report for one patient (--nhs-number N [--from] [--to] --out FILE.pdf|.csv)"},
	{"audit report", "monthly governance report: cases by rule, reviews against the SOP, a weekly chart ([--month YYYY-MM] --out FILE.pdf|.csv)"},
	{"audit new-log", "start a new audit log after the old one was removed or replaced (--reason TEXT; SGP or IT support)"},
	{"audit central", "this workstation's central replication: signing key fingerprint, how far it has replicated (IT support)"},
	{"audit central-schema", "print the central PostgreSQL schema, roles and grants for IT support to apply with psql"},
	{"sandbox", "run the built-in sandbox Spine on --listen ADDR (for training and tests)"},
	{"check-access", "sign in with the card in the reader and open a test patient's record (IT support)"},
	{"client-key-password", "keep the TLS client key's password in the keyring (IT support)"},
	{"central-db-password", "keep the central audit database's password in the keyring (IT support)"},
}

// Parse reads args (without the program name).
func Parse(args []string) (Invocation, error) {
	var inv Invocation
	var words, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		isFlag := strings.HasPrefix(a, "-") && a != "-"
		if !isFlag {
			if len(rest) == 0 && len(words) < 2 && isCommandWord(words, a) {
				words = append(words, a)
				continue
			}
			rest = append(rest, a)
			continue
		}
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		take := func() (string, error) {
			if hasVal {
				return val, nil
			}
			if i+1 >= len(args) {
				return "", fmt.Errorf("%w: %s needs a value", ErrUsage, a)
			}
			i++
			return args[i], nil
		}
		var err error
		switch name {
		case "config":
			inv.Global.Config, err = take()
		case "data-dir":
			inv.Global.DataDir, err = take()
		case "log-level":
			inv.Global.LogLevel, err = take()
		case "demo":
			inv.Global.Demo = !hasVal || val == "true"
		case "help", "h":
			inv.Global.Help = true
		default:
			rest = append(rest, a)
		}
		if err != nil {
			return inv, err
		}
	}
	inv.Command = strings.Join(words, " ")
	inv.Args = rest
	if inv.Command == "" && len(rest) > 0 {
		if strings.HasPrefix(rest[0], "-") {
			return inv, fmt.Errorf("%w: unknown flag %s", ErrUsage, rest[0])
		}
		return inv, fmt.Errorf("%w: unknown command %q", ErrUsage, rest[0])
	}
	if inv.Command != "" && !known(inv.Command) {
		return inv, fmt.Errorf("%w: unknown command %q", ErrUsage, inv.Command)
	}
	return inv, nil
}

func isCommandWord(prev []string, w string) bool {
	cand := strings.Join(append(append([]string{}, prev...), w), " ")
	for _, c := range Commands {
		if c.Name == cand || strings.HasPrefix(c.Name, cand+" ") {
			return true
		}
	}
	return false
}

func known(cmd string) bool {
	for _, c := range Commands {
		if c.Name == cmd {
			return true
		}
	}
	return false
}

// Usage is the text of `scrdesk --help`.
func Usage() string {
	var b strings.Builder
	b.WriteString(`SCR Desk: view NHS Summary Care Records at the pharmacy counter, with a staff smartcard.

Usage:
  scrdesk [global flags] [command] [command flags]

Commands:
`)
	for _, c := range Commands {
		name := c.Name
		if name == "" {
			name = "(none)"
		}
		fmt.Fprintf(&b, "  %-20s %s\n", name, c.Help)
	}
	b.WriteString(`
Global flags (every command accepts them):
  --demo             demo mode: the built-in sandbox Spine and demo smartcards, nothing real
  --config FILE      use and keep the settings in FILE (JSON; each change audited; a bad file
                     is refused, exit 2); a running window is handed the file
  --data-dir DIR     keep the audit log, settings and logs in DIR instead of the user's folders
  --log-level LEVEL  debug, info (default), warn or error
  --help, -h         show this help (after a command: that command's help)
`)
	return b.String()
}

// ParseFlags parses a subcommand's flags wherever they stand among its arguments (before,
// after or between them: `check-access 9990000107 --demo` and `check-access --demo 9990000107`
// mean the same), and returns the arguments that are not flags, in order. Everything after a
// lone "--" is an argument. A bad flag is reported on fs's output (standard error) with the
// usage. For -h or --help nothing is printed and flag.ErrHelp is returned: the caller prints
// its help to standard output and exits 0 (see Help).
func ParseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	head, tail := args, []string(nil)
	for i, a := range args {
		if a == "--" {
			head, tail = args[:i], args[i+1:]
			break
		}
	}
	usage := fs.Usage
	fs.Usage = func() {}
	defer func() { fs.Usage = usage }()
	var pos []string
	for {
		if err := fs.Parse(head); err != nil {
			if !errors.Is(err, flag.ErrHelp) {
				fs.Usage = usage
				printUsage(fs)
			}
			return nil, err
		}
		head = fs.Args()
		if len(head) == 0 {
			return append(pos, tail...), nil
		}
		pos = append(pos, head[0])
		head = head[1:]
	}
}

func printUsage(fs *flag.FlagSet) {
	if fs.Usage != nil {
		fs.Usage()
		return
	}
	fmt.Fprintf(fs.Output(), "Usage of %s:\n", fs.Name())
	fs.PrintDefaults()
}

// Help reports whether err asks for help; if so it prints fs's usage to w (standard output:
// help is an answer, not an error). The subcommand then exits 0.
func Help(err error, fs *flag.FlagSet, w io.Writer) bool {
	if !errors.Is(err, flag.ErrHelp) {
		return false
	}
	out := fs.Output()
	fs.SetOutput(w)
	printUsage(fs)
	fs.SetOutput(out)
	return true
}
