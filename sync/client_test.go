package sync

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"scrdesk/internal/fhir"
	"scrdesk/internal/sandbox"
	"scrdesk/internal/staff"
)

func wantKind(t *testing.T, err error, kind fhir.ErrorKind) {
	t.Helper()
	var se *fhir.SpineError
	if !errors.As(err, &se) {
		t.Fatalf("error = %v, want *fhir.SpineError %s", err, kind)
	}
	if se.Kind != kind {
		t.Fatalf("kind = %s (%v), want %s", se.Kind, err, kind)
	}
	if fhir.UserMessage(err) == "" {
		t.Fatal("no user message")
	}
}

func TestSignInAndUserInfo(t *testing.T) {
	e := newEnv(t, nil)
	s := e.session(t)
	roles, err := s.UserInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(roles, e.user.Roles) {
		t.Fatalf("roles = %+v\nwant %+v", roles, e.user.Roles)
	}
}

func TestSignInRefused(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	other, err := newEnv(t, nil).ca.Issue(e.user.UserID, e.user.Name, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	unknown, err := e.ca.Issue("999999999999", "Nobody", time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	expired, err := e.ca.Issue(e.user.UserID, e.user.Name, time.Now().Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		user   string
		signer Signer
	}{
		{"untrusted CA", e.user.UserID, other},
		{"unknown user", "999999999999", unknown},
		{"expired certificate", e.user.UserID, expired},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.c.SignIn(ctx, c.user, c.signer)
			wantKind(t, err, fhir.AccessDenied)
			if !strings.Contains(fhir.UserMessage(err), "smartcard") {
				t.Errorf("message %q does not mention the smartcard", fhir.UserMessage(err))
			}
		})
	}
	t.Run("certificate of another user", func(t *testing.T) {
		if _, err := e.c.SignIn(ctx, "555000000022", e.signer); err == nil {
			t.Fatal("signed in with another user's card")
		}
	})
}

func TestPatient(t *testing.T) {
	e := newEnv(t, nil)
	s := e.session(t)
	ctx := context.Background()
	cases := []struct {
		name     string
		nhs      string
		kind     fhir.ErrorKind
		current  string
		restrict fhir.Restriction
		hidden   int
		deceased bool
		family   string
		birth    string
	}{
		{name: "fixture patient", nhs: sandbox.NHSJaneSmith, current: sandbox.NHSJaneSmith, deceased: true, family: "Smith", birth: "2010-10-22"},
		{name: "fixture restricted", nhs: sandbox.NHSSensitive, current: sandbox.NHSSensitive, restrict: fhir.Restricted, hidden: 3, deceased: true},
		{name: "minimal", nhs: sandbox.NHSMinimal, current: sandbox.NHSMinimal},
		{name: "spaced input", nhs: "999 000 0107", current: sandbox.NHSAsk, family: "Asker", birth: "1958-04-12"},
		{name: "restricted", nhs: sandbox.NHSRestricted, current: sandbox.NHSRestricted, restrict: fhir.Restricted, hidden: 3, birth: "1988-08-08"},
		{name: "very restricted", nhs: sandbox.NHSVeryRestricted, current: sandbox.NHSVeryRestricted, restrict: fhir.VeryRestricted, hidden: 4},
		{name: "merged", nhs: sandbox.NHSMergedOld, current: sandbox.NHSMergedNew, family: "Merriman"},
		{name: "deceased", nhs: sandbox.NHSDeceased, current: sandbox.NHSDeceased, deceased: true},
		{name: "long non-ASCII name", nhs: sandbox.NHSLongName, current: sandbox.NHSLongName, family: sandbox.LongFamilyName},
		{name: "not found", nhs: "9990001855", kind: fhir.NotFound},
		{name: "invalid check digit", nhs: "9990001856", kind: fhir.InvalidNHSNumber},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, tr, err := s.Patient(ctx, c.nhs)
			if c.kind != "" {
				wantKind(t, err, c.kind)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(tr.RequestIDs) != 1 {
				t.Errorf("trace %v", tr.RequestIDs)
			}
			if p.NHSNumber != c.current || p.Merged() != (c.current != strings.ReplaceAll(c.nhs, " ", "")) {
				t.Errorf("number %s merged %v", p.NHSNumber, p.Merged())
			}
			if p.Merged() {
				me := &fhir.SpineError{Kind: fhir.Merged, MergedInto: p.NHSNumber}
				if !strings.Contains(fhir.UserMessage(me), "999 000 1014") {
					t.Errorf("merged message %q does not name the new number", fhir.UserMessage(me))
				}
			}
			if p.Restriction != c.restrict || len(p.Hidden) != c.hidden {
				t.Errorf("restriction %v hidden %q", p.Restriction, p.Hidden)
			}
			if p.Restriction != fhir.None && (len(p.Address) != 0 || p.Phone != "" || p.GP != "") {
				t.Errorf("restricted patient shows hidden fields: %+v", p)
			}
			if p.Deceased != c.deceased {
				t.Errorf("deceased %v", p.Deceased)
			}
			if c.family != "" && p.FamilyName != c.family {
				t.Errorf("family %q", p.FamilyName)
			}
			if c.birth != "" && p.BirthDate != c.birth {
				t.Errorf("birth %q", p.BirthDate)
			}
		})
	}
}

func TestSearch(t *testing.T) {
	e := newEnv(t, nil)
	s := e.session(t)
	ctx := context.Background()
	cases := []struct {
		name string
		q    PatientQuery
		want []string
		kind fhir.ErrorKind
	}{
		{name: "family and birth date", q: PatientQuery{Family: "Smith", BirthDate: "2010-10-22", Gender: "female"}, want: []string{"9000000009"}},
		{name: "wildcard", q: PatientQuery{Family: "Smyth*", BirthDate: "2010-10-22"}, want: []string{"9000000017", "9000000025"}},
		{name: "fuzzy non-ASCII given name", q: PatientQuery{Family: "o suilleabhain", Given: "sian", Fuzzy: true}, want: []string{sandbox.NHSLongName}},
		{name: "postcode", q: PatientQuery{Family: "Asker", Postcode: "ls6 2ab"}, want: []string{sandbox.NHSAsk}},
		{name: "no match", q: PatientQuery{Family: "Nonesuch", BirthDate: "1900-01-01"}, want: []string{}},
		{name: "too many matches", q: PatientQuery{Family: sandbox.TooManyFamily}, kind: fhir.TooManyMatches},
		{name: "more than max results", q: PatientQuery{Family: "Sm*", MaxResults: 1}, kind: fhir.TooManyMatches},
		{name: "no criteria", q: PatientQuery{Given: "Jane"}, kind: fhir.BadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps, _, err := s.Search(ctx, c.q)
			if c.kind != "" {
				wantKind(t, err, c.kind)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, p := range ps {
				got = append(got, p.NHSNumber)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestSCR(t *testing.T) {
	e := newEnv(t, nil)
	s := e.session(t)
	ctx := context.Background()
	cases := []struct {
		name       string
		nhs        string
		noSCR      bool
		docKind    fhir.ErrorKind
		consent    fhir.Consent
		recKind    fhir.ErrorKind
		initial    bool
		minRows    int    // medication rows at least
		textHas    string // a statement the record must show
		extraCodes []string
	}{
		{name: "fixture Ask", nhs: sandbox.NHSJaneSmith, consent: fhir.ConsentAsk, textHas: "recently registered"},
		{name: "UAT Yes", nhs: sandbox.NHSUATPatient, consent: fhir.ConsentYes},
		{name: "Ask", nhs: sandbox.NHSAsk, consent: fhir.ConsentAsk},
		{name: "Yes", nhs: sandbox.NHSYes, consent: fhir.ConsentYes},
		{name: "No", nhs: sandbox.NHSNo, consent: fhir.ConsentNo, recKind: fhir.AccessDenied},
		{name: "no SCR", nhs: sandbox.NHSNoSCR, noSCR: true},
		{name: "fixture without SCR", nhs: sandbox.NHSJayneSmyth, noSCR: true},
		{name: "additional information", nhs: sandbox.NHSAdditional, consent: fhir.ConsentAsk, extraCodes: []string{"DiagnosesHeader", "ProblemsHeader", "PreferencesHeader", "AdviceHeader"}},
		{name: "withheld", nhs: sandbox.NHSWithheld, consent: fhir.ConsentAsk, textHas: "deliberately withheld"},
		{name: "initial summary", nhs: sandbox.NHSInitialSummary, consent: fhir.ConsentAsk, initial: true},
		{name: "restricted", nhs: sandbox.NHSRestricted, consent: fhir.ConsentAsk},
		{name: "very restricted", nhs: sandbox.NHSVeryRestricted, consent: fhir.ConsentAsk},
		// Asked by the superseded number, the Spine answers about the current one: a subject
		// other than the number asked for is refused (callers ask with Patient.NHSNumber).
		{name: "merged old number", nhs: sandbox.NHSMergedOld, docKind: fhir.WrongPatient},
		{name: "merged current number", nhs: sandbox.NHSMergedNew, consent: fhir.ConsentAsk},
		{name: "deceased", nhs: sandbox.NHSDeceased, consent: fhir.ConsentAsk},
		{name: "many medications", nhs: sandbox.NHSManyMeds, consent: fhir.ConsentAsk, minRows: 201},
		{name: "hostile XHTML", nhs: sandbox.NHSHostileXHTML, consent: fhir.ConsentAsk, textHas: "See the leaflet."},
		{name: "access refused", nhs: sandbox.NHSAccessDenied, docKind: fhir.AccessDenied},
		{name: "stale id", nhs: sandbox.NHSStaleSCR, consent: fhir.ConsentAsk, recKind: fhir.NotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, _, err := s.SCRDocument(ctx, c.nhs)
			if c.docKind != "" {
				wantKind(t, err, c.docKind)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.noSCR {
				if doc != nil {
					t.Fatalf("got %+v, want no SCR", doc)
				}
				return
			}
			if doc == nil || doc.Consent != c.consent {
				t.Fatalf("doc %+v, want consent %v", doc, c.consent)
			}
			rec, tr, err := s.SCRRecord(ctx, doc, c.nhs)
			if c.recKind != "" {
				wantKind(t, err, c.recKind)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(tr.RequestIDs) != 1 || rec.Created.IsZero() || rec.InitialSummary != c.initial || len(rec.Sections) < 3 {
				t.Fatalf("record %+v trace %v", rec, tr)
			}
			rows := 0
			var all []string
			codes := map[string]bool{}
			for _, sec := range rec.Sections {
				codes[sec.Code] = true
				all = append(all, sec.Title)
				all = append(all, sec.Text...)
				for _, tb := range sec.Tables {
					if sec.Code == fhir.CodeAcuteMeds || sec.Code == fhir.CodeRepeatMeds {
						rows += len(tb.Rows)
					}
					all = append(all, tb.Caption)
					all = append(all, tb.Headers...)
					for _, r := range tb.Rows {
						all = append(all, r...)
					}
				}
			}
			text := strings.Join(all, "\n")
			if !c.initial && !codes[fhir.CodeAllergies] {
				t.Error("no allergies section")
			}
			if rows < c.minRows {
				t.Errorf("%d medication rows, want at least %d", rows, c.minRows)
			}
			if c.textHas != "" && !strings.Contains(text, c.textHas) {
				t.Errorf("record lacks %q", c.textHas)
			}
			for _, code := range c.extraCodes {
				if !codes[code] {
					t.Errorf("no %s section", code)
				}
			}
			for _, bad := range []string{"alert(", "javascript:", "onerror", "onclick", "evil", "document.cookie", "display:none", "example.invalid", "frame text"} {
				if strings.Contains(text, bad) {
					t.Errorf("record text carries %q", bad)
				}
			}
		})
	}
}

func TestSendAlert(t *testing.T) {
	e := newEnv(t, nil)
	s := e.session(t)
	ctx := context.Background()
	a := Alert{Type: AlertSelfClaimedLR, Subtype: 1, NHSNumber: sandbox.NHSAsk, ODS: staff.DemoODS, UserID: e.user.UserID,
		URID: e.user.Roles[0].URID, RoleCode: e.user.Roles[0].RoleCode, Message: "Self-claimed legitimate relationship", When: time.Now()}
	tr, err := s.SendAlert(ctx, a, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.RequestIDs) != 1 || len(e.sb.Alerts()) != 1 || e.sb.Alerts()[0].AlertNHSNumber() != sandbox.NHSAsk {
		t.Fatalf("trace %v alerts %d", tr, len(e.sb.Alerts()))
	}
	const rid = "5b0b7b7e-4a61-4c57-9d86-6d5c1c1b5f00"
	tr, err = s.SendAlert(ctx, a, rid)
	if err != nil || tr.RequestIDs[0] != rid || e.requestsFor("AuditEvent")[1].RequestID != rid {
		t.Fatalf("resend with a given request id: %v %v", tr, err)
	}
	for _, bad := range []struct{ typ, sub int }{{1, 5}, {2, 4}, {2, 6}, {3, 1}, {1, 7}} {
		b := a
		b.Type, b.Subtype = bad.typ, bad.sub
		_, err := s.SendAlert(ctx, b, "")
		wantKind(t, err, fhir.BadRequest)
	}
	if n := len(e.requestsFor("AuditEvent")); n != 2 {
		t.Fatalf("%d alerts sent, want 2: forbidden pairs must not leave the desk", n)
	}
}

func TestSessionClose(t *testing.T) {
	e := newEnv(t, nil)
	s := e.session(t)
	s.Close()
	before := len(e.sb.Requests())
	_, _, err := s.Patient(context.Background(), sandbox.NHSAsk)
	wantKind(t, err, fhir.SignedOut)
	_, err = s.UserInfo(context.Background())
	wantKind(t, err, fhir.SignedOut)
	if len(e.sb.Requests()) != before {
		t.Fatal("a closed session sent a request")
	}
	if s.box.tok != nil {
		t.Fatal("token not wiped")
	}
}

func TestMissingURID(t *testing.T) {
	e := newEnv(t, nil)
	s, err := e.c.SignIn(context.Background(), e.user.UserID, e.signer)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, _, err = s.Patient(context.Background(), sandbox.NHSAsk) // no role picked
	wantKind(t, err, fhir.BadRequest)
	_, _, err = s.WithRole("000000000000").Patient(context.Background(), sandbox.NHSAsk)
	wantKind(t, err, fhir.BadRequest)
}

func TestHeadersSent(t *testing.T) {
	e := newEnv(t, nil)
	s := e.session(t)
	for i := 0; i < 3; i++ {
		if _, _, err := s.Patient(context.Background(), sandbox.NHSAsk); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, r := range e.requestsFor("Patient") {
		if seen[r.RequestID] || r.CorrelationID != e.c.cfg.CorrelationID || r.URID != e.user.Roles[0].URID {
			t.Fatalf("request %+v: ids must be fresh, correlation and URID set", r)
		}
		seen[r.RequestID] = true
	}
}
