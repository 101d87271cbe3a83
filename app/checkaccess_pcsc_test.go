//go:build pcsc

package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"scrdesk/cardreader/pcsctest"
	"scrdesk/cardreader/virtualcard"
	"scrdesk/internal/audit"
	"scrdesk/internal/logging"
	"scrdesk/internal/sandbox"
	"scrdesk/internal/settings"
	"scrdesk/internal/staff"
)

// TestPCSCCheckAccessLeavesTheCardUnverified runs check-access against a virtual card in a real
// pcscd reader and the built-in sandbox over real HTTP, as IT support would at a new install.
// It signs in the window's way (passcode, proof and assertion in one transaction, then the
// card's security status reset), so afterwards another program's connection finds the passcode
// not verified and cannot have the card sign; a wrong passcode is audited as the window audits it.
func TestPCSCCheckAccessLeavesTheCardUnverified(t *testing.T) {
	pcsctest.Require(t)
	ca, err := virtualcard.NewCA("Test RA")
	if err != nil {
		t.Fatal(err)
	}
	u := staff.DemoUsers()[0]
	card, err := virtualcard.New(virtualcard.Options{UserID: u.UserID, Name: u.Name, PIN: u.PIN, CA: ca})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = card.Remove() })
	time.Sleep(pcscPoll)
	deadline := time.Now().Add(15 * time.Second)
	for err := card.Insert(vpcdAddr0); err != nil; err = card.Insert(vpcdAddr0) {
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(pcscPoll)

	_, url, stop, err := sandbox.Start(sandbox.Options{TrustAnchors: ca.Pool(), Log: logging.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	anchors := filepath.Join(t.TempDir(), "anchors.pem")
	if err := os.WriteFile(anchors, ca.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	dirs, db := checkAccessLog(t)
	st := settings.Defaults()
	st.WorkstationName, st.ODSCode = "Counter 1", "FA123"
	opts := Options{Dirs: dirs, Log: logging.Discard(), Store: db, Settings: st}
	run := func(pin string) (int, checkAccessResult) {
		t.Helper()
		var out, errb bytes.Buffer
		code := CheckAccess(context.Background(), opts, []string{sandbox.NHSAsk, "--pin-stdin", "--json", "--api-base", url,
			"--trust-anchors", anchors, "--timeout", "20s"}, strings.NewReader(pin+"\n"), &out, &errb)
		var res checkAccessResult
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatalf("not one JSON object (exit %d): %v\n%s\n%s", code, err, out.String(), errb.String())
		}
		return code, res
	}
	code, res := run(u.PIN)
	if code != 0 || !res.OK || res.Record == nil || res.Reader == "" {
		t.Fatalf("check-access: exit %d, %+v", code, res)
	}
	secondConnectionNotVerified(t, res.Reader, "after check-access").Close()

	code, res = run("975310")
	if code != 1 || !strings.Contains(res.Error, "Wrong passcode") {
		t.Fatalf("wrong passcode: exit %d, %+v", code, res)
	}
	var wrong int
	_ = db.Each(context.Background(), audit.Filter{}, func(e audit.Entry) error {
		if e.Action == audit.ActionWrongPasscode && e.UserID == u.UserID && e.Workstation == "Counter 1" {
			wrong++
		}
		return nil
	})
	if wrong != 1 {
		t.Errorf("%d login-wrong-passcode rows for the wrong passcode, want 1", wrong)
	}
	if got := card.TriesLeft(); got != 2 {
		t.Errorf("the card has %d tries left, want 2", got)
	}
}
