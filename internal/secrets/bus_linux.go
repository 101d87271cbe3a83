package secrets

import (
	"errors"
	"os"
	"path/filepath"
)

// busReachable refuses early when there is no D-Bus session bus to ask. Without this check the
// D-Bus library would run dbus-launch, starting a private bus daemon that outlives the program
// and has no keyring on it.
func busReachable() error {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return nil
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "bus")); err == nil {
			return nil
		}
	}
	return errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
}
