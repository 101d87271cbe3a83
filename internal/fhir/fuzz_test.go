package fhir_test

import (
	"os"
	"path/filepath"
	"testing"

	"scrdesk/internal/fhir"
	"scrdesk/internal/fhir/fhirtest"
)

func seedFixtures(f *testing.F) {
	root, files := fhirtest.All(f)
	for _, p := range files {
		b, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"resourceType":"Patient","id":"9000000009","meta":{"security":[{"code":"V"}]},"address":[{"line":["x"]}]}`))
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Composition","section":[{"text":{"div":"<p>x</p>"}}]}}]}`))
	f.Add([]byte(`{`))
	// Contradictory consent labels (any No must win).
	f.Add([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"DocumentReference","masterIdentifier":{"value":"D"},"securityLabel":[{"coding":[{"system":"https://fhir.nhs.uk/CodeSystem/SCR-ACSPermission","code":"No"},{"system":"https://fhir.nhs.uk/CodeSystem/SCR-ACSPermission","code":"Ask"}]}]}}]}`))
	f.Add([]byte(`<html><body>503 Service Unavailable</body></html>`))
}

func checkDecodeErr(t *testing.T, err error) {
	if err == nil {
		return
	}
	if _, ok := err.(*fhir.SpineError); !ok {
		t.Fatalf("decoder returned %T, want *SpineError", err)
	}
	if fhir.UserMessage(err) == "" {
		t.Fatal("empty user message")
	}
}

// FuzzDecode runs every decoder over arbitrary bytes: none may panic, every failure is a
// *SpineError, and restricted patients never carry hidden fields.
func FuzzDecode(f *testing.F) {
	seedFixtures(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := fhir.DecodePatient(b, "9000000009")
		checkDecodeErr(t, err)
		if err == nil && p.Restriction != fhir.None && (len(p.Address) > 0 || p.Phone != "" || p.GP != "" || p.Postcode != "") {
			t.Fatal("restricted patient carries hidden fields")
		}
		ps, err := fhir.DecodePatientSearch(b)
		checkDecodeErr(t, err)
		for _, p := range ps {
			if p.Restriction != fhir.None && (len(p.Address) > 0 || p.Phone != "" || p.GP != "") {
				t.Fatal("restricted search result carries hidden fields")
			}
		}
		_, err = fhir.DecodeDocumentReference(b)
		checkDecodeErr(t, err)
		_, err = fhir.DecodeRecord(b)
		checkDecodeErr(t, err)
		_, err = fhir.DecodeAuditEvent(b)
		checkDecodeErr(t, err)
	})
}

// FuzzOutcomeError maps arbitrary bodies under a spread of statuses: it never panics, a failure
// status always yields a kind, and the message is never empty.
func FuzzOutcomeError(f *testing.F) {
	seedFixtures(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, st := range []int{200, 400, 401, 403, 404, 429, 500, 503} {
			e := fhir.OutcomeError(st, b)
			if st >= 400 && (e == nil || e.Kind == "") {
				t.Fatalf("status %d: no kind", st)
			}
			if st == 401 && e.Kind != fhir.SignedOut || st == 429 && e.Kind != fhir.RateLimited {
				t.Fatalf("status %d mapped to %s", st, e.Kind)
			}
			if e != nil && (fhir.UserMessage(e) == "" || e.Error() == "") {
				t.Fatal("empty message")
			}
		}
	})
}

// FuzzReasonableAdjustments runs the Reasonable Adjustment decoders over arbitrary bytes: none
// may panic, every failure is a *SpineError, and a success is about the patient asked for only.
func FuzzReasonableAdjustments(f *testing.F) {
	seedFixtures(f)
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Flag","status":"active","subject":{"reference":"Patient/9000000009"},"code":{"coding":[{"display":"Requires visual alert"}]}}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		flags, err := fhir.DecodeFlags(b, "9000000009")
		checkDecodeErr(t, err)
		for _, a := range flags {
			if a.Text == "" {
				t.Fatal("a flag without words")
			}
		}
		_, err = fhir.DecodeRAConsent(b, "9000000009")
		checkDecodeErr(t, err)
		_, err = fhir.DecodeRAConditions(b, "9000000009")
		checkDecodeErr(t, err)
	})
}

// FuzzParseDateTime: any text either reads as a date with a precision 1-4, or is left to be
// shown as written; nothing panics.
func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{"2007-03-14T01:00+00:00", "2020-11-17T01:00:00+00:00", "20070314010000", "2007-03", "2007", "", "14-Mar-2007"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, p, ok := fhir.ParseDateTime(s)
		if ok != (p >= fhir.PrecisionYear && p <= fhir.PrecisionTime) || (!ok && !tm.IsZero()) {
			t.Fatalf("ParseDateTime(%q) = %v, %d, %v", s, tm, p, ok)
		}
	})
}
