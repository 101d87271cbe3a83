//go:build keyring

package secrets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// requireKeyring skips (or, with SCRDESK_REQUIRE_KEYRING=1, fails) when no Secret Service
// answers. Run under scripts/with-keyring.sh.
func requireKeyring(t *testing.T) {
	t.Helper()
	if err := Probe(context.Background(), Keyring("scrdesk-test-probe"), 10*time.Second); err != nil {
		if os.Getenv("SCRDESK_REQUIRE_KEYRING") == "1" {
			t.Fatalf("Secret Service required but unavailable: %v", err)
		}
		t.Skipf("no Secret Service (run under scripts/with-keyring.sh): %v", err)
	}
}

func TestKeyringRoundTrip(t *testing.T) {
	requireKeyring(t)
	service := fmt.Sprintf("scrdesk-test-%d", time.Now().UnixNano())
	s := Keyring(service)
	if _, err := s.Get("k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get absent = %v, want ErrNotFound", err)
	}
	if err := s.Set("k", "value with spaces and ünïcode"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get("k"); err != nil || v != "value with spaces and ünïcode" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if err := s.Delete("k"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("k"); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := s.Get("k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}

func TestOpenUsesKeyring(t *testing.T) {
	requireKeyring(t)
	path := filepath.Join(t.TempDir(), "secrets.json")
	s, weak, err := Open(fmt.Sprintf("scrdesk-test-%d", time.Now().UnixNano()), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if weak {
		t.Fatal("Open fell back to the file although the keyring answers")
	}
	if err := s.Set("a", "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("fallback file written although the keyring answers")
	}
}
