// Package instance keeps SCR Desk to one running window per user: the first process listens on
// a Unix-domain socket in the user's state folder; a later launch connects, asks the first to
// come to the front, and exits. A later launch given a settings file (--config) hands the file
// to the first (SendConfig), which applies it or refuses it and answers why.
//
// The protocol is one line each way: "raise" -> "ok"; "config NAME-BASE64 DATA-BASE64" ->
// "ok MESSAGE" or "refused MESSAGE". (AF_UNIX sockets exist on Linux and on Windows 10 1803 and
// later, so one mechanism serves both.)
//
// A stale socket file left by a killed process is detected (nobody answers) and replaced.
package instance

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrRunning is returned by Acquire in a second process after it has asked the first one to
// come to the front: the caller should exit successfully.
var ErrRunning = errors.New("SCR Desk is already running: its window was brought to the front")

// ErrNotRunning is returned by SendConfig when no window is running.
var ErrNotRunning = errors.New("SCR Desk is not running")

// RefusedError is returned by SendConfig when the running window refused the settings file.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return "refused: " + e.Reason }

// Handlers are what the first process does for later launches. Both are called from the
// listener's goroutines and must hand work to the UI or controller goroutine themselves.
type Handlers struct {
	Raise func()
	// Config applies a settings file (name, contents) and says what took effect, or refuses
	// it with the reason. Nil refuses every file.
	Config func(name string, data []byte) (string, error)
}

// maxConfig bounds a settings file sent over the socket (settings.MaxImportSize is 64 KiB).
const maxConfig = 1 << 20

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
	return AcquireWith(path, Handlers{Raise: onRaise})
}

// AcquireWith is Acquire with a handler for settings files as well.
func AcquireWith(path string, h Handlers) (*Primary, error) {
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
			go p.serve(h)
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

// SendConfig hands a settings file to the running window and returns what it said took
// effect. ErrNotRunning: nobody listens (start the window yourself); *RefusedError: the
// window refused the file, with the reason, and nothing changed.
func SendConfig(path, name string, data []byte) (string, error) {
	c, err := net.DialTimeout("unix", path, 500*time.Millisecond)
	if err != nil {
		return "", ErrNotRunning
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	enc := base64.StdEncoding
	if _, err := fmt.Fprintf(c, "config %s %s\n", enc.EncodeToString([]byte(name)), enc.EncodeToString(data)); err != nil {
		return "", fmt.Errorf("settings file not sent to the running window: %w", err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("the running window did not answer about the settings file: %w", err)
	}
	verdict, msg, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
	switch verdict {
	case "ok":
		return msg, nil
	case "refused":
		return msg, &RefusedError{Reason: msg}
	}
	return "", fmt.Errorf("the running window answered %q", line)
}

func (p *Primary) serve(h Handlers) {
	defer close(p.done)
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go func(c net.Conn) {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(2 * time.Second))
			line, err := bufio.NewReaderSize(io.LimitReader(c, 2*maxConfig), 4096).ReadString('\n')
			if err != nil {
				return
			}
			cmd, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
			switch cmd {
			case "raise":
				if h.Raise != nil {
					h.Raise()
				}
				_, _ = c.Write([]byte("ok\n"))
			case "config":
				_ = c.SetDeadline(time.Now().Add(20 * time.Second))
				_, _ = c.Write([]byte(p.config(h, rest) + "\n"))
			}
		}(c)
	}
}

// config answers one "config" line: "ok MESSAGE" or "refused MESSAGE" (one line).
func (p *Primary) config(h Handlers, rest string) string {
	a, b, _ := strings.Cut(rest, " ")
	name, err1 := base64.StdEncoding.DecodeString(a)
	data, err2 := base64.StdEncoding.DecodeString(b)
	if err1 != nil || err2 != nil {
		return "refused the settings file was damaged on the way; try again"
	}
	if h.Config == nil {
		return "refused this window cannot take settings files; close it and start it with --config"
	}
	msg, err := h.Config(string(name), data)
	oneLine := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	if err != nil {
		if msg == "" {
			msg = err.Error()
		}
		return "refused " + oneLine(msg)
	}
	return "ok " + oneLine(msg)
}

// Close stops listening and removes the socket. Safe to call once.
func (p *Primary) Close() error {
	err := p.ln.Close()
	<-p.done
	_ = os.Remove(p.path)
	return err
}
