//go:build keyring

package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/secrets"
)

// TestStoreWithSecretService keeps the chain key and checkpoint in the real Secret Service
// (gnome-keyring over D-Bus; run under scripts/with-keyring.sh): the key never touches the
// database file, and a cut-off tail is caught through the keyring's checkpoint.
func TestStoreWithSecretService(t *testing.T) {
	service := fmt.Sprintf("scrdesk-store-test-%d", time.Now().UnixNano())
	keys, weak, err := secrets.Open(service, filepath.Join(t.TempDir(), "fallback.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if weak {
		if os.Getenv("SCRDESK_REQUIRE_KEYRING") == "1" {
			t.Fatal("Secret Service required but unavailable")
		}
		t.Skip("no Secret Service (run under scripts/with-keyring.sh)")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "audit.db")
	db, err := Open(ctx, path, keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := db.Record(ctx, testEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	inst := db.instance
	key, err := keys.Get("audit-key:" + inst)
	if err != nil || key == "" {
		t.Fatalf("key not in the keyring: %v", err)
	}
	cp, err := keys.Get("audit-checkpoint:" + inst)
	if err != nil || !strings.HasPrefix(cp, "10:") {
		t.Fatalf("checkpoint in the keyring = %q, %v", cp, err)
	}
	db.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), key) {
		t.Fatal("the key is stored in the database file")
	}

	outside(t, path, `DELETE FROM audit_event WHERE seq >= 9`)
	db = openTest(t, path, keys, Options{})
	rep, err := db.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.Kind != audit.KindTruncated || rep.FirstBad != 9 {
		t.Fatalf("Verify = %+v, want truncated at 9", rep)
	}
	for _, k := range []string{"audit-key:" + inst, "audit-checkpoint:" + inst} {
		keys.Delete(k)
	}
}
