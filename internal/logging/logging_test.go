package logging

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRedactMasksNHSNumbers(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, slog.LevelDebug)
	l.Info("looked up", "nhs", "9434765919", "spaced", "943 476 5919", "note", "error for 900-000-0009 here")
	out := buf.String()
	for _, bad := range []string{"9434765919", "943 476 5919", "900-000-0009"} {
		if strings.Contains(out, bad) {
			t.Errorf("log holds %q: %s", bad, out)
		}
	}
	if !strings.Contains(out, "*******919") || !strings.Contains(out, "*******009") {
		t.Errorf("masked forms missing: %s", out)
	}
}

func TestOpenWritesOwnerOnlyFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.log")
	l, closeFn, err := Open(p, slog.LevelInfo, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hello")
	if err := closeFn(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		t.Errorf("log file mode %v: want owner only", st.Mode().Perm())
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"debug": slog.LevelDebug, "INFO": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError} {
		got, err := ParseLevel(in)
		if err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseLevel("loud"); err == nil {
		t.Error("ParseLevel(loud) did not fail")
	}
}
