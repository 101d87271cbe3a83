//go:build keyring

package store

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
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

const openRaceEnv = "SCRDESK_OPENRACE_CHILD" // "<data dir>|<keyring service>|<i>"

// TestOpenRaceChild is a child of TestProcessesOpeningANewLogAgree: it waits for the parent's
// go file, opens the log with the real Secret Service, records one row and says "ok".
func TestOpenRaceChild(t *testing.T) {
	arg := os.Getenv(openRaceEnv)
	if arg == "" {
		t.Skip("child process of TestProcessesOpeningANewLogAgree")
	}
	parts := strings.SplitN(arg, "|", 3)
	dir, service := parts[0], parts[1]
	i, _ := strconv.Atoi(parts[2])
	keys, _, err := secrets.Open(service, filepath.Join(dir, "fallback.json"), nil)
	if err != nil {
		fmt.Println("keyring:", err)
		os.Exit(3)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go")); err == nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(dir, "audit.db"), keys, nil)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(4)
	}
	defer db.Close()
	if err := db.KeyProblem(); err != nil {
		fmt.Println("key:", err)
		os.Exit(5)
	}
	if _, err := db.Record(ctx, testEvent(i)); err != nil {
		fmt.Println("record:", err)
		os.Exit(6)
	}
	fmt.Println("ok")
}

// TestProcessesOpeningANewLogAgree starts three processes that open the same new log at the
// same moment with the real Secret Service, as the window and the real-window tests' `scrdesk
// audit export` did on an empty data folder (CI's "the key that protects the audit log has been
// replaced"), five times: each must record, and the log must then open with its key and verify.
func TestProcessesOpeningANewLogAgree(t *testing.T) {
	service := fmt.Sprintf("scrdesk-openrace-%d", time.Now().UnixNano())
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
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for round := range 5 {
		dir := t.TempDir()
		const children = 3
		cmds := make([]*exec.Cmd, children)
		outs := make([]*strings.Builder, children)
		for i := range children {
			cmds[i] = exec.Command(exe, "-test.run=^TestOpenRaceChild$", "-test.count=1")
			cmds[i].Env = append(os.Environ(), fmt.Sprintf("%s=%s|%s|%d", openRaceEnv, dir, service, i))
			outs[i] = &strings.Builder{}
			cmds[i].Stdout, cmds[i].Stderr = outs[i], outs[i]
			if err := cmds[i].Start(); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(300 * time.Millisecond) // the children are waiting for the go file
		if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		for i, c := range cmds {
			if err := c.Wait(); err != nil || !strings.Contains(outs[i].String(), "ok") {
				t.Fatalf("round %d: child %d: %v\n%s", round, i, err, outs[i])
			}
		}
		path := filepath.Join(dir, "audit.db")
		db := openTest(t, path, keys, Options{})
		if err := db.KeyProblem(); err != nil {
			t.Fatalf("round %d: reopened: %v", round, err)
		}
		rep, err := db.Verify(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK || rep.Rows != children {
			t.Fatalf("round %d: verify = %+v, want %d rows intact", round, rep, children)
		}
		inst := db.instance
		for _, k := range []string{"audit-key:" + inst, "audit-checkpoint:" + inst, IdentityName(path)} {
			keys.Delete(k)
		}
	}
}
