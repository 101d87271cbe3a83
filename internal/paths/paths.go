// Package paths decides where SCR Desk keeps its files for the current user:
//
//   - data (the SQLite audit log and settings, the fallback key file): $XDG_DATA_HOME/scrdesk,
//     else ~/.local/share/scrdesk on Linux; %LOCALAPPDATA%\SCR Desk on Windows.
//   - state (the debug log and the single-instance socket): $XDG_STATE_HOME/scrdesk, else
//     ~/.local/state/scrdesk on Linux; %LOCALAPPDATA%\SCR Desk\state on Windows.
//
// A --data-dir flag overrides both: data in DIR, state in DIR/state. The package is a leaf:
// standard library only; it reads the environment but creates nothing.
package paths

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
)

// Dirs are the folders SCR Desk writes to.
type Dirs struct {
	Data  string
	State string
}

// Resolve returns the folders for dataDir ("" for the user's default).
func Resolve(dataDir string) (Dirs, error) {
	if dataDir != "" {
		abs, err := filepath.Abs(dataDir)
		if err != nil {
			return Dirs{}, err
		}
		return Dirs{Data: abs, State: filepath.Join(abs, "state")}, nil
	}
	if runtime.GOOS == "windows" {
		base := os.Getenv("LOCALAPPDATA")
		if base == "" {
			return Dirs{}, errors.New("LOCALAPPDATA is not set")
		}
		root := filepath.Join(base, "SCR Desk")
		return Dirs{Data: root, State: filepath.Join(root, "state")}, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return Dirs{}, err
	}
	data := os.Getenv("XDG_DATA_HOME")
	if data == "" {
		data = filepath.Join(home, ".local", "share")
	}
	state := os.Getenv("XDG_STATE_HOME")
	if state == "" {
		state = filepath.Join(home, ".local", "state")
	}
	return Dirs{Data: filepath.Join(data, "scrdesk"), State: filepath.Join(state, "scrdesk")}, nil
}

// Demo is where `--demo` keeps its audit log, settings and state when no --data-dir is given:
// a "demo" folder inside the data folder (and one inside the state folder), so that a demo session on a live workstation can
// neither write to the live audit log nor change the live settings (in the demo anyone signed
// in with a demo card may open the settings).
func (d Dirs) Demo() Dirs {
	return Dirs{Data: filepath.Join(d.Data, "demo"), State: filepath.Join(d.State, "demo")}
}

// Ensure creates both folders, readable by their owner only.
func (d Dirs) Ensure() error {
	for _, p := range []string{d.Data, d.State} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			return err
		}
	}
	return nil
}

// Database is the path of the SQLite file.
func (d Dirs) Database() string { return filepath.Join(d.Data, "scrdesk.db") }

// KeyFile is the owner-only fallback for secrets when no OS keyring can be reached.
func (d Dirs) KeyFile() string { return filepath.Join(d.Data, "secrets.json") }

// Log is the path of the debug log.
func (d Dirs) Log() string { return filepath.Join(d.State, "scrdesk.log") }

// Socket is the single-instance socket.
func (d Dirs) Socket() string { return filepath.Join(d.State, "instance.sock") }
