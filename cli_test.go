package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"scrdesk/cardreader/virtualcard"
)

// TestMain lets the scripts in testdata/script run `scrdesk` as a real process: this test
// binary, re-executed, runs main's run().
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"scrdesk": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestCLI runs the command-line suite (testdata/script/*.txtar): every subcommand's help,
// flags before and after arguments, --config handling and exit codes. Each script gets a fresh
// work folder, which is also the data folder (--data-dir) and HOME; the owner-only key file
// stands in for the keyring (no D-Bus session), and PC/SC points at a socket nobody serves,
// so "no smartcard service" is what these scripts see.
func TestCLI(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("XDG_DATA_HOME", env.WorkDir+"/xdg-data")
			env.Setenv("XDG_STATE_HOME", env.WorkDir+"/xdg-state")
			env.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
			env.Setenv("PCSCLITE_CSOCK_NAME", env.WorkDir+"/no-pcscd.comm")
			// A real trust anchors file (the demo CA's public certificate).
			return os.WriteFile(filepath.Join(env.WorkDir, "anchors.pem"), virtualcard.DemoCA().PEM(), 0o600)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// subst FILE: replace $WORK (and other variables) in FILE, for settings files
			// that name files in the work folder.
			"subst": func(ts *testscript.TestScript, neg bool, args []string) {
				for _, f := range args {
					ts.Check(os.WriteFile(ts.MkAbs(f), []byte(os.Expand(ts.ReadFile(f), ts.Getenv)), 0o600))
				}
			},
		},
	})
}
