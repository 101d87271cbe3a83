package app

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"scrdesk/internal/audit"
	"scrdesk/internal/logging"
	"scrdesk/internal/paths"
	"scrdesk/internal/sandbox"
	"scrdesk/internal/secrets"
	"scrdesk/internal/settings"
	"scrdesk/internal/store"
)

// TestCheckAccessDemo runs `scrdesk check-access --demo` end to end: the demo pharmacist's
// virtual card in the demo reader, the built-in sandbox over real HTTP, a real audit log.
func TestCheckAccessDemo(t *testing.T) {
	dirs, db := checkAccessLog(t)
	st := settings.Defaults()
	st.WorkstationName, st.ODSCode = "Counter 2", "FA123"
	opts := Options{Demo: true, Dirs: dirs, Log: logging.Discard(), Store: db, Settings: st}
	var out, errb bytes.Buffer
	// Flags after the NHS number, as the README writes it.
	code := CheckAccess(context.Background(), opts, []string{sandbox.NHSAsk, "--pin-stdin", "--json"}, strings.NewReader("123456\n"), &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	var res checkAccessResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out.String())
	}
	if !res.OK || res.Patient == nil || res.Record == nil || len(res.Record.Sections) == 0 || res.Consent != "Ask" {
		t.Errorf("result %+v", res)
	}

	// Audited like any view: the window's own patient machine and rows (who, where, the request
	// ids, the basis), with the access check as the record's basis and no privacy alert.
	var acts []audit.Action
	var rows []audit.Entry
	_ = db.Each(context.Background(), audit.Filter{}, func(e audit.Entry) error {
		acts, rows = append(acts, e.Action), append(rows, e)
		return nil
	})
	assertSubsequence(t, acts, audit.ActionLogin, audit.ActionPatientSearch, audit.ActionPatientRead, audit.ActionConsentRead,
		audit.ActionAccessCheck, audit.ActionSCRRead)
	for _, e := range rows {
		if e.Action == audit.ActionAlertQueued || e.Action == audit.ActionPermission || e.Action == audit.ActionSelfClaimLR {
			t.Errorf("check-access wrote %s: a test patient is not asked and no alert goes", e.Action)
		}
		if e.NHSNumber == "" {
			continue
		}
		if e.Workstation != st.WorkstationName || e.ODSCode != st.ODSCode || e.UserID == "" || e.URID == "" || e.RoleCode == "" {
			t.Errorf("%s row lacks who or where: %+v", e.Action, e)
		}
		if e.Action == audit.ActionSCRRead && (e.Detail["basis"] != "access-check" || e.Detail["record_id"] == "" || len(e.RequestIDs) == 0) {
			t.Errorf("scr-read row %+v, want basis access-check, the record id and its request ids", e)
		}
	}

	// --api-base follows the settings file's rule: no plain http to another computer (the
	// bearer token and the record would cross the network in clear), nothing sent.
	for _, bad := range []string{"http://spine.example.org", "ftp://example.org", "https://user:pw@example.org"} {
		out.Reset()
		errb.Reset()
		code = CheckAccess(context.Background(), opts, []string{sandbox.NHSAsk, "--pin-stdin", "--api-base", bad}, strings.NewReader("123456\n"), &out, &errb)
		if code != 2 || !strings.Contains(out.String(), "base URL must") || strings.Contains(out.String()+errb.String(), "pw@") {
			t.Errorf("--api-base %s: exit %d, %q %q", bad, code, out.String(), errb.String())
		}
	}
	// A number outside the test ranges is refused before anything happens.
	out.Reset()
	code = CheckAccess(context.Background(), opts, []string{"--pin-stdin", "9434765919"}, strings.NewReader("123456\n"), &out, &errb)
	if code != 2 || !strings.Contains(errb.String(), "test NHS number") {
		t.Errorf("a real-range NHS number: exit %d, %q", code, errb.String())
	}
	// A wrong passcode fails with the card's message.
	out.Reset()
	code = CheckAccess(context.Background(), opts, []string{"--pin-stdin", "--json", sandbox.NHSAsk}, strings.NewReader("000000\n"), &out, &errb)
	if code != 1 || !strings.Contains(out.String(), "Wrong passcode") {
		t.Errorf("wrong passcode: exit %d, %s", code, out.String())
	}
	// and is audited as the window audits it (the same action, who and where).
	var wrong *audit.Entry
	_ = db.Each(context.Background(), audit.Filter{}, func(e audit.Entry) error {
		if e.Action == audit.ActionWrongPasscode {
			wrong = &e
		}
		return nil
	})
	if wrong == nil || wrong.UserID == "" || wrong.Workstation != "Counter 2" || !strings.Contains(wrong.Reason, "tries left") {
		t.Errorf("wrong passcode row %+v", wrong)
	}
}

// TestCheckAccessWrongPatient: check-access refuses a record sent for another patient, prints
// nothing of it, and audits a serious failure with both numbers.
func TestCheckAccessWrongPatient(t *testing.T) {
	dirs, db := checkAccessLog(t)
	opts := Options{Demo: true, Dirs: dirs, Log: logging.Discard(), Store: db, Settings: settings.Defaults()}
	var out, errb bytes.Buffer
	code := CheckAccess(context.Background(), opts, []string{"--pin-stdin", sandbox.NHSWrongBundle}, strings.NewReader("123456\n"), &out, &errb)
	if code != 1 || !strings.Contains(out.String()+errb.String(), "The Spine sent a record for a different patient") {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if strings.Contains(out.String(), "Penicillin") {
		t.Fatal("the other patient's record was printed")
	}
	var row *audit.Entry
	_ = db.Each(context.Background(), audit.Filter{}, func(e audit.Entry) error {
		if e.Action == audit.ActionSCRRead {
			row = &e
		}
		return nil
	})
	if row == nil || row.Outcome != audit.OutcomeSeriousFailure || row.Detail["answered_nhs_number"] != sandbox.NHSAsk || row.Detail["asked_nhs_number"] != sandbox.NHSWrongBundle {
		t.Fatalf("scr-read row %+v", row)
	}
}

// checkAccessLog is a fresh data folder and its real audit log (closed when the test ends),
// as main opens them for check-access.
func checkAccessLog(t *testing.T) (paths.Dirs, *store.DB) {
	t.Helper()
	dirs, err := paths.Resolve(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := dirs.Ensure(); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), dirs.Database(), secrets.File(dirs.KeyFile()), logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return dirs, db
}
