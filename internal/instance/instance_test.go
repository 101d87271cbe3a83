package instance

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
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

// TestConfigReachesTheFirst: a settings file a later launch sends arrives whole at the first
// process, whose answer (applied, or refused with the reason) comes back; with nobody
// listening SendConfig says so.
func TestConfigReachesTheFirst(t *testing.T) {
	path := filepath.Join(t.TempDir(), "i.sock")
	if _, err := SendConfig(path, "x.json", []byte("{}")); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("nobody running: %v", err)
	}
	var got []string
	p, err := AcquireWith(path, Handlers{Config: func(name string, data []byte) (string, error) {
		got = append(got, name+"="+string(data))
		if string(data) == "bad" {
			return "The ODS code must be 3 to 10\ncapital letters.", errors.New("invalid")
		}
		return "Saved and applied (ods code).", nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	big := strings.Repeat("x", 70<<10) // larger than one socket buffer
	msg, err := SendConfig(path, "/etc/scrdesk/a b.json", []byte(big))
	if err != nil || msg != "Saved and applied (ods code)." {
		t.Errorf("good file: %q, %v", msg, err)
	}
	msg, err = SendConfig(path, "bad.json", []byte("bad"))
	var re *RefusedError
	if !errors.As(err, &re) || msg != "The ODS code must be 3 to 10 capital letters." {
		t.Errorf("bad file: %q, %v", msg, err)
	}
	if len(got) != 2 || got[0] != "/etc/scrdesk/a b.json="+big || got[1] != "bad.json=bad" {
		t.Errorf("received %d files", len(got))
	}
	// A window without a settings handler refuses, and raising still works.
	p.Close()
	q, err := Acquire(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if _, err := SendConfig(path, "x.json", []byte("{}")); !errors.As(err, &re) {
		t.Errorf("no handler: %v", err)
	}
}
