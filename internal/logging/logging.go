// Package logging builds SCR Desk's debug logger: log/slog text records written to a
// size-capped file in the user's state folder (rotated by gopkg.in/natefinch/lumberjack.v2:
// 5 MB a file, three old files kept), and optionally to stderr too.
//
// The debug log is not the audit log. Nothing that identifies a patient or unlocks anything
// may be logged: no NHS number (use nhsnumber.Mask), name, date of birth, FHIR body, token,
// passcode or APDU payload. Redact is a last line of defence for attribute values, not a
// licence to log them.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"

	"gopkg.in/natefinch/lumberjack.v2"
)

// ParseLevel turns "debug", "info", "warn" or "error" into a slog level.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
		return 0, fmt.Errorf("log level %q: use debug, info, warn or error", s)
	}
	return l, nil
}

// Open returns a logger writing to path (and also to extra, when it is not nil), and a
// function that closes the file.
func Open(path string, level slog.Level, extra io.Writer) (*slog.Logger, func() error, error) {
	f := &lumberjack.Logger{Filename: path, MaxSize: 5, MaxBackups: 3}
	// lumberjack creates the file 0600 when it makes it: the log stays its owner's.
	var w io.Writer = f
	if extra != nil {
		w = io.MultiWriter(f, extra)
	}
	h := slog.NewTextHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: redactAttr})
	return slog.New(h), f.Close, nil
}

// New returns a logger writing to w, with the same redaction as Open (for tests and CLI).
func New(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: redactAttr}))
}

// Discard is a logger that writes nothing.
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

var tenDigits = regexp.MustCompile(`\b\d{3}[ -]?\d{3}[ -]?\d{4}\b`)

// Redact masks anything shaped like an NHS number in s.
func Redact(s string) string {
	return tenDigits.ReplaceAllStringFunc(s, func(m string) string { return "*******" + m[len(m)-3:] })
}

func redactAttr(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindString {
		a.Value = slog.StringValue(Redact(a.Value.String()))
	}
	return a
}

// Stderr is a convenience for CLI subcommands: warnings and errors to stderr.
func Stderr(level slog.Level) *slog.Logger { return New(os.Stderr, level) }
