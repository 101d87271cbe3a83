//go:build keyring

package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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

// BenchmarkDurableAppendKeyring is BenchmarkDurableAppend with the checkpoint going to the real
// Secret Service after every row, as in production.
func BenchmarkDurableAppendKeyring(b *testing.B) {
	keys, weak, err := secrets.Open(fmt.Sprintf("scrdesk-bench-%d", time.Now().UnixNano()), filepath.Join(b.TempDir(), "k.json"), nil)
	if err != nil || weak {
		b.Skip("no Secret Service (run under scripts/with-keyring.sh)")
	}
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "append.db"), keys, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var d []time.Duration
	i := 0
	for b.Loop() {
		t := time.Now()
		if _, err := db.Record(ctx, testEvent(i)); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(t))
		i++
	}
	slices.Sort(d)
	p50, p99 := d[len(d)/2], d[min(len(d)-1, len(d)*99/100)]
	b.ReportMetric(float64(p50.Microseconds()), "µs-p50")
	b.ReportMetric(float64(p99.Microseconds()), "µs-p99")
	fmt.Printf("durable append with keyring checkpoint (%d rows): median %v, p99 %v\n", len(d), p50.Round(time.Microsecond), p99.Round(time.Microsecond))
}
