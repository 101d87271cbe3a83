package instance

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

func TestSecondLaunchRaisesFirst(t *testing.T) {
	path := filepath.Join(t.TempDir(), "i.sock")
	var raises atomic.Int32
	p, err := Acquire(path, func() { raises.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := 0; i < 3; i++ {
		if _, err := Acquire(path, nil); !errors.Is(err, ErrRunning) {
			t.Fatalf("launch %d: %v, want ErrRunning", i+2, err)
		}
	}
	if got := raises.Load(); got != 3 {
		t.Errorf("raised %d times, want 3", got)
	}
}

func TestStaleSocketIsReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "i.sock")
	// A socket file nobody listens on, as a killed process leaves it.
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("stale socket not left behind: %v", err)
	}
	p, err := Acquire(path, nil)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	p.Close()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("socket not removed on Close: %v", err)
	}
}
