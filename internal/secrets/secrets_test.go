package secrets

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestFileStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "secrets.json")
	s := File(path)
	if _, err := s.Get("k"); !errors.Is(err, ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Get on empty store = %v, want ErrNotFound (and fs.ErrNotExist)", err)
	}
	steps := []struct {
		name string
		do   func() error
	}{
		{"set", func() error { return s.Set("k", "v1") }},
		{"overwrite", func() error { return s.Set("k", "v2") }},
		{"second key", func() error { return s.Set("other", "x") }},
		{"delete absent", func() error { return s.Delete("absent") }},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	if v, err := File(path).Get("k"); err != nil || v != "v2" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if err := s.Delete("k"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if runtime.GOOS != "windows" {
		for p, want := range map[string]os.FileMode{path: 0o600, dir: 0o700} {
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != want {
				t.Errorf("%s mode %v, want %v", p, st.Mode().Perm(), want)
			}
		}
	}
}

func TestFileStoreRefusesReadableFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes do not apply on Windows")
	}
	path := filepath.Join(t.TempDir(), "secrets.json")
	if err := os.WriteFile(path, []byte(`{"k":"v"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := File(path).Get("k")
	if !errors.Is(err, ErrInsecureFile) {
		t.Fatalf("Get = %v, want ErrInsecureFile", err)
	}
	if UserMessage(err) == "" {
		t.Fatal("no user message")
	}
}

func TestFileStoreDamaged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.json")
	if err := os.WriteFile(path, []byte(`{not json`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := File(path).Get("k"); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("damaged file: %v", err)
	}
}

// TestOpenFallsBackWithoutSecretService takes away the session bus: Open must not crash or
// start a bus of its own, and must hand back the owner-only file, marked weak.
func TestOpenFallsBackWithoutSecretService(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	path := filepath.Join(t.TempDir(), "secrets.json")
	s, weak, err := Open("scrdesk-test", path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !weak {
		t.Fatal("fallback not reported as weak")
	}
	if w, ok := s.(interface{ Weak() bool }); !ok || !w.Weak() {
		t.Fatal("fallback store does not say it is weak")
	}
	if err := s.Set("a", "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("fallback file not written: %v", err)
	}
	if _, err := Keyring("scrdesk-test").Get("a"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("keyring Get without a bus = %v, want ErrUnavailable", err)
	}
}

func TestUserMessage(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"not found", ErrNotFound},
		{"unavailable", ErrUnavailable},
		{"insecure", ErrInsecureFile},
		{"other", errors.New("x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if UserMessage(tt.err) == "" {
				t.Fatal("empty message")
			}
		})
	}
}

func FuzzFileStore(f *testing.F) {
	f.Add([]byte(`{"k":"v"}`))
	f.Add([]byte(`{`))
	f.Add([]byte(``))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "s.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		s := File(path)
		if _, err := s.Get("k"); err != nil {
			return
		}
		if err := s.Set("k2", "v"); err != nil {
			t.Fatal(err)
		}
		if v, err := s.Get("k2"); err != nil || v != "v" {
			t.Fatalf("%q %v", v, err)
		}
	})
}
