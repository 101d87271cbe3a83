// Package instance keeps SCR Desk to one running window per user: the first process listens on
// a Unix-domain socket in the user's state folder; a later launch connects, asks the first to
// come to the front, and exits. (AF_UNIX sockets exist on Linux and on Windows 10 1803 and
// later, so one mechanism serves both.)
//
// A stale socket file left by a killed process is detected (nobody answers) and replaced.
package instance

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrRunning is returned by Acquire in a second process after it has asked the first one to
// come to the front: the caller should exit successfully.
var ErrRunning = errors.New("SCR Desk is already running: its window was brought to the front")

// Primary is the first process's listener.
type Primary struct {
	ln   net.Listener
	path string
	done chan struct{}
}

// Acquire becomes the primary instance for socket path, or, when another process already is,
// asks it to raise its window and returns ErrRunning. onRaise is called (from the listener's
// goroutine) each time a later launch asks; it must hand work to the UI goroutine itself.
func Acquire(path string, onRaise func()) (*Primary, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("single-instance folder: %w", err)
	}
	for attempt := 0; attempt < 3; attempt++ {
		if raised(path) {
			return nil, ErrRunning
		}
		ln, err := net.Listen("unix", path)
		if err == nil {
			_ = os.Chmod(path, 0o600)
			p := &Primary{ln: ln, path: path, done: make(chan struct{})}
			go p.serve(onRaise)
			return p, nil
		}
		// The file exists but nobody answered: a process died without cleaning up.
		_ = os.Remove(path)
	}
	return nil, fmt.Errorf("single-instance socket %s: cannot listen", path)
}

func raised(path string) bool {
	c, err := net.DialTimeout("unix", path, 500*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("raise\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.TrimSpace(line) == "ok"
}

func (p *Primary) serve(onRaise func()) {
	defer close(p.done)
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go func(c net.Conn) {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(2 * time.Second))
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil || strings.TrimSpace(line) != "raise" {
				return
			}
			if onRaise != nil {
				onRaise()
			}
			_, _ = c.Write([]byte("ok\n"))
		}(c)
	}
}

// Close stops listening and removes the socket. Safe to call once.
func (p *Primary) Close() error {
	err := p.ln.Close()
	<-p.done
	_ = os.Remove(p.path)
	return err
}
