package fhir_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"scrdesk/internal/fhir"
	"scrdesk/internal/fhir/fhirtest"
)

// want states what a fixture must yield. decoder names the decoder to run.
type want struct {
	decoder  string // patient, search, docref, record, outcome, audit, other
	status   int    // HTTP status the fixture is served with (outcome)
	kind     fhir.ErrorKind
	code     string
	nhs      string
	name     string
	restrict fhir.Restriction
	hidden   int
	deceased bool
	count    int // search results
	consent  fhir.Consent
	docID    string
	sections int
	codes    []string // section codes in order (record)
	noSCR    bool
	other    string // resourceType for fixtures SCR Desk does not decode
}

var fixtureWants = map[string]want{
	// PDS functional-test responses.
	"personal-demographics/functional-test-responses/empty_authorization_header.json":   {decoder: "outcome", status: 401, kind: fhir.SignedOut, code: "ACCESS_DENIED"},
	"personal-demographics/functional-test-responses/empty_x-request_id.json":           {decoder: "outcome", status: 400, kind: fhir.BadRequest, code: "INVALID_VALUE"},
	"personal-demographics/functional-test-responses/invalid_access_token.json":         {decoder: "outcome", status: 401, kind: fhir.SignedOut, code: "ACCESS_DENIED"},
	"personal-demographics/functional-test-responses/invalid_urid_header.json":          {decoder: "outcome", status: 400, kind: fhir.BadRequest, code: "INVALID_VALUE"},
	"personal-demographics/functional-test-responses/invalid_x-request_id.json":         {decoder: "outcome", status: 400, kind: fhir.BadRequest, code: "INVALID_VALUE"},
	"personal-demographics/functional-test-responses/missing_authorization_header.json": {decoder: "outcome", status: 401, kind: fhir.SignedOut, code: "ACCESS_DENIED"},
	"personal-demographics/functional-test-responses/missing_urid_header.json":          {decoder: "outcome", status: 400, kind: fhir.BadRequest, code: "INVALID_VALUE"},
	"personal-demographics/functional-test-responses/missing_x-request_id.json":         {decoder: "outcome", status: 400, kind: fhir.BadRequest, code: "MISSING_VALUE"},
	"personal-demographics/functional-test-responses/too_many_matches.json":             {decoder: "search", kind: fhir.TooManyMatches, code: "TOO_MANY_MATCHES"},
	"personal-demographics/functional-test-responses/valid_patient_post_response.json":  {decoder: "patient", kind: fhir.Malformed},
	// PDS karate error stubs (ACCESS_DENIED is a template with placeholders).
	"personal-demographics/karate-stubs/errorResponses/ACCESS_DENIED.json":                          {decoder: "outcome", status: 403, kind: fhir.AccessDenied, code: "ACCESS_DENIED"},
	"personal-demographics/karate-stubs/errorResponses/ADDITIONAL_PROPERTIES.json":                  {decoder: "outcome", status: 400, kind: fhir.BadRequest, code: "ADDITIONAL_PROPERTIES"},
	"personal-demographics/karate-stubs/errorResponses/FORBIDDEN_UPDATE.json":                       {decoder: "outcome", status: 403, kind: fhir.AccessDenied, code: "FORBIDDEN_UPDATE"},
	"personal-demographics/karate-stubs/errorResponses/INSERT_BIRTH_DEATH_STATUS_INCONSISTENT.json": {decoder: "outcome", status: 400, kind: fhir.BadRequest},
	"personal-demographics/karate-stubs/errorResponses/INVALIDATED_RESOURCE.json":                   {decoder: "outcome", status: 404, kind: fhir.NotFound, code: "INVALIDATED_RESOURCE"},
	"personal-demographics/karate-stubs/errorResponses/INVALID_CREATE.json":                         {decoder: "outcome", status: 400, kind: fhir.BadRequest},
	"personal-demographics/karate-stubs/errorResponses/INVALID_METHOD.json":                         {decoder: "outcome", status: 405, kind: fhir.BadRequest, code: "INVALID_METHOD"},
	"personal-demographics/karate-stubs/errorResponses/INVALID_RESOURCE_ID.json":                    {decoder: "outcome", status: 400, kind: fhir.InvalidNHSNumber, code: "INVALID_RESOURCE_ID"},
	"personal-demographics/karate-stubs/errorResponses/INVALID_SEARCH_DATA.json":                    {decoder: "outcome", status: 400, kind: fhir.BadRequest, code: "INVALID_SEARCH_DATA"},
	"personal-demographics/karate-stubs/errorResponses/INVALID_UPDATE.json":                         {decoder: "outcome", status: 400, kind: fhir.BadRequest},
	"personal-demographics/karate-stubs/errorResponses/INVALID_VALUE.json":                          {decoder: "outcome", status: 400, kind: fhir.BadRequest, code: "INVALID_VALUE"},
	"personal-demographics/karate-stubs/errorResponses/MISSING_VALUE.json":                          {decoder: "outcome", status: 400, kind: fhir.BadRequest, code: "MISSING_VALUE"},
	"personal-demographics/karate-stubs/errorResponses/NOT_SUPPORTED_SEARCH.json":                   {decoder: "outcome", status: 400, kind: fhir.BadRequest},
	"personal-demographics/karate-stubs/errorResponses/PRECONDITION_FAILED.json":                    {decoder: "outcome", status: 412, kind: fhir.BadRequest},
	"personal-demographics/karate-stubs/errorResponses/RESOURCE_NOT_FOUND.json":                     {decoder: "outcome", status: 404, kind: fhir.NotFound, code: "RESOURCE_NOT_FOUND"},
	"personal-demographics/karate-stubs/errorResponses/RESOURCE_VERSION_MISMATCH.json":              {decoder: "outcome", status: 412, kind: fhir.BadRequest},
	"personal-demographics/karate-stubs/errorResponses/TOO_FEW_VALUES_SUBMITTED.json":               {decoder: "outcome", status: 400, kind: fhir.BadRequest, code: "TOO_FEW_VALUES_SUBMITTED"},
	"personal-demographics/karate-stubs/errorResponses/TOO_MANY_VALUES_SUBMITTED.json":              {decoder: "outcome", status: 400, kind: fhir.BadRequest, code: "TOO_MANY_VALUES_SUBMITTED"},
	"personal-demographics/karate-stubs/errorResponses/UNSUPPORTED_SERVICE.json":                    {decoder: "outcome", status: 400, kind: fhir.BadRequest, code: "UNSUPPORTED_SERVICE"},
	"personal-demographics/karate-stubs/relatedPersonResponses/related_person_9000000009.json":      {decoder: "search", count: 0},
	// PDS sandbox mocks.
	"personal-demographics/sandbox-mocks/Minimal_Patient.json":                      {decoder: "patient", nhs: "9000000033"},
	"personal-demographics/sandbox-mocks/Minimal_PatientSearch.json":                {decoder: "search", count: 1, nhs: "9000000033"},
	"personal-demographics/sandbox-mocks/Patient-Jayne-Smyth.json":                  {decoder: "patient", nhs: "9000000017", name: "Mrs Jayne Smyth", deceased: true},
	"personal-demographics/sandbox-mocks/Patient.json":                              {decoder: "patient", nhs: "9000000009", name: "Mrs Jane Smith", deceased: true},
	"personal-demographics/sandbox-mocks/PatientCompoundName.json":                  {decoder: "search", count: 1, nhs: "9000000015"},
	"personal-demographics/sandbox-mocks/PatientSearch-Jayne-Smyth.json":            {decoder: "search", count: 1, nhs: "9000000017"},
	"personal-demographics/sandbox-mocks/PatientSearch.json":                        {decoder: "search", count: 1, nhs: "9000000009"},
	"personal-demographics/sandbox-mocks/Personal_Details_RelatedPersonBundle.json": {decoder: "search", count: 0},
	"personal-demographics/sandbox-mocks/Referenced_RelatedPersonBundle.json":       {decoder: "search", count: 0},
	"personal-demographics/sandbox-mocks/RelatedPersonBundle.json":                  {decoder: "search", count: 0},
	"personal-demographics/sandbox-mocks/Sensitive_Patient.json":                    {decoder: "patient", nhs: "9000000025", name: "Mrs Janet Smythe", restrict: fhir.Restricted, hidden: 3, deceased: true},
	"personal-demographics/sandbox-mocks/Sensitive_PatientSearch.json":              {decoder: "search", count: 1, nhs: "9000000025", restrict: fhir.Restricted, hidden: 3},
	// Retired Reasonable Adjustment Flag API (STU3): not decoded by SCR Desk, must stay JSON.
	"reasonable-adjustment-flag/sandbox-mocks/consentGET.json":                                      {decoder: "other", other: "Bundle"},
	"reasonable-adjustment-flag/sandbox-mocks/consentGETerror.json":                                 {decoder: "outcome", status: 404, kind: fhir.NotFound, code: "PATIENT_NOT_FOUND"},
	"reasonable-adjustment-flag/sandbox-mocks/flagGET.json":                                         {decoder: "other", other: "Bundle"},
	"reasonable-adjustment-flag/sandbox-mocks/flagGETerror.json":                                    {decoder: "outcome", status: 404, kind: fhir.NotFound, code: "PATIENT_NOT_FOUND"},
	"reasonable-adjustment-flag/specification-examples/readConsentResponse.json":                    {decoder: "other", other: "Bundle"},
	"reasonable-adjustment-flag/specification-examples/readListResponse.json":                       {decoder: "other", other: "Bundle"},
	"reasonable-adjustment-flag/specification-examples/readOneFlagResponse.json":                    {decoder: "other", other: "Bundle"},
	"reasonable-adjustment-flag/specification-examples/readOneUnderlyingConditionListResponse.json": {decoder: "other", other: "Bundle"},
	"reasonable-adjustment-flag/specification-examples/readTwoFlagResponse.json":                    {decoder: "other", other: "Bundle"},
	"reasonable-adjustment-flag/specification-examples/readZeroFlagResponse.json":                   {decoder: "other", other: "Bundle"},
	// SCR API.
	"summary-care-record/specification-examples/AuditEvent.json":              {decoder: "audit", nhs: "9000000009"},
	"summary-care-record/specification-examples/DocumentReferenceBundle.json": {decoder: "docref", consent: fhir.ConsentAsk, docID: "FA60BE64-1F34-11EB-A2A8-000C29A364EB"},
	"summary-care-record/specification-examples/GetScrBundle.json": {decoder: "record", docID: "BF4180FD-C403-4EF7-A4AB-E07303AF5477", sections: 15,
		codes: []string{"Title", fhir.CodeAllergies, fhir.CodeAcuteMeds, fhir.CodeRepeatMeds, fhir.CodeDiscRepeatMeds, fhir.CodeRisks}},
	"summary-care-record/specification-examples/SetPermission.json":                    {decoder: "other", other: "Parameters"},
	"summary-care-record/test-resources/alert/success.json":                            {decoder: "audit", nhs: "9995000180"},
	"summary-care-record/test-resources/alert/type_subtype_combination_24.json":        {decoder: "audit", kind: fhir.BadRequest, code: "INVALID_VALUE"},
	"summary-care-record/test-resources/alert/type_subtype_combination_26.json":        {decoder: "audit", kind: fhir.BadRequest, code: "INVALID_VALUE"},
	"summary-care-record/test-resources/error-handling/OperationOutcome.template.json": {decoder: "outcome", status: 500, kind: fhir.Unavailable},
	"summary-care-record/uat/get_scr/no_consent/1-basic.response.json":                 {decoder: "record", kind: fhir.AccessDenied, code: "PSIS-30418"},
	"summary-care-record/uat/get_scr/no_results/1-basic.response.json":                 {decoder: "record", kind: fhir.NotFound, code: "NO_RECORD_FOUND"},
	"summary-care-record/uat/get_scr/success/1-basic.response.json": {decoder: "record", docID: "BF4180FD-C403-4EF7-A4AB-E07303AF5477", sections: 15,
		codes: []string{"Title", fhir.CodeAllergies, fhir.CodeAcuteMeds, fhir.CodeRepeatMeds, fhir.CodeDiscRepeatMeds, fhir.CodeRisks}},
	"summary-care-record/uat/get_scr_id/no_consent/1-basic.response.json":             {decoder: "docref", kind: fhir.AccessDenied, code: "PSIS-30418"},
	"summary-care-record/uat/get_scr_id/no_results/1-basic.response.json":             {decoder: "docref", noSCR: true},
	"summary-care-record/uat/get_scr_id/success/1-basic.response.json":                {decoder: "docref", consent: fhir.ConsentYes, docID: "FA60BE64-1F34-11EB-A2A8-000C29A364EB"},
	"summary-care-record/uat/responses/identity-service/userInfo.json":                {decoder: "other", other: ""},
	"summary-care-record/uat/responses/sds/practitionerRole.json":                     {decoder: "other", other: "Bundle"},
	"summary-care-record/uat/send_alert/bad_request/1-missingNhsNumber.request.json":  {decoder: "audit", kind: fhir.BadRequest, code: "MISSING_VALUE"},
	"summary-care-record/uat/send_alert/bad_request/1-missingNhsNumber.response.json": {decoder: "outcome", status: 400, kind: fhir.BadRequest, code: "value"},
	"summary-care-record/uat/send_alert/bad_request/3-multipleOrgEntry.request.json":  {decoder: "audit", kind: fhir.BadRequest, code: "INVALID_VALUE"},
	"summary-care-record/uat/send_alert/bad_request/3-multipleOrgEntry.response.json": {decoder: "outcome", status: 400, kind: fhir.BadRequest, code: "value"},
	"summary-care-record/uat/send_alert/spine_error/1-invalidValue.request.json":      {decoder: "audit", nhs: "9999999998"},
	"summary-care-record/uat/send_alert/spine_error/1-invalidValue.response.json":     {decoder: "outcome", status: 400, kind: fhir.BadRequest, code: "value"},
	"summary-care-record/uat/send_alert/success/1-basic.request.json":                 {decoder: "audit", nhs: "9999999998"},
	"summary-care-record/uat/set_acs/bad_request/1-nhsNumberMissing.response.json":    {decoder: "outcome", status: 400, kind: fhir.BadRequest, code: "value"},
	"summary-care-record/uat/set_acs/spine_error/1-nhsNumberNotFound.response.json":   {decoder: "outcome", status: 400, kind: fhir.InvalidNHSNumber, code: "PSIS-35160"},
	"summary-care-record/uat/set_acs/success/1-basic.request.json":                    {decoder: "other", other: "Parameters"},
}

func checkKind(t *testing.T, err error, w want) {
	t.Helper()
	if w.kind == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var se *fhir.SpineError
	if !errors.As(err, &se) {
		t.Fatalf("error = %v, want *SpineError kind %s", err, w.kind)
	}
	if se.Kind != w.kind || (w.code != "" && se.Code != w.code) {
		t.Fatalf("error = %s/%s, want %s/%s", se.Kind, se.Code, w.kind, w.code)
	}
	if fhir.UserMessage(err) == "" {
		t.Fatal("no user message")
	}
}

func TestEveryFixture(t *testing.T) {
	root, files := fhirtest.All(t)
	if len(files) < 70 {
		t.Fatalf("found only %d fixtures under %s", len(files), root)
	}
	seen := map[string]bool{}
	for _, f := range files {
		seen[f] = true
		t.Run(f, func(t *testing.T) {
			w, ok := fixtureWants[f]
			if !ok {
				t.Fatalf("fixture %s has no stated expectation: add it to fixtureWants", f)
			}
			body, err := os.ReadFile(filepath.Join(root, f))
			if err != nil {
				t.Fatal(err)
			}
			switch w.decoder {
			case "patient":
				p, err := fhir.DecodePatient(body, w.nhs)
				checkKind(t, err, w)
				if err != nil {
					return
				}
				if p.NHSNumber != w.nhs || p.Merged() {
					t.Errorf("NHS number %q (merged %v), want %q", p.NHSNumber, p.Merged(), w.nhs)
				}
				if w.name != "" && p.Name != w.name {
					t.Errorf("name %q, want %q", p.Name, w.name)
				}
				if p.Restriction != w.restrict || len(p.Hidden) != w.hidden {
					t.Errorf("restriction %v hidden %d, want %v %d", p.Restriction, len(p.Hidden), w.restrict, w.hidden)
				}
				if p.Restriction != fhir.None && (len(p.Address) > 0 || p.Phone != "" || p.GP != "") {
					t.Errorf("restricted patient leaks hidden fields")
				}
				if p.Deceased != w.deceased {
					t.Errorf("deceased %v, want %v", p.Deceased, w.deceased)
				}
			case "search":
				ps, err := fhir.DecodePatientSearch(body)
				checkKind(t, err, w)
				if err != nil {
					return
				}
				if len(ps) != w.count {
					t.Fatalf("%d results, want %d", len(ps), w.count)
				}
				if w.count > 0 && (ps[0].NHSNumber != w.nhs || ps[0].Restriction != w.restrict || len(ps[0].Hidden) != w.hidden) {
					t.Errorf("first result %+v", ps[0])
				}
			case "docref":
				d, err := fhir.DecodeDocumentReference(body)
				checkKind(t, err, w)
				if err != nil {
					return
				}
				if w.noSCR {
					if d != nil {
						t.Fatalf("got %+v, want no SCR", d)
					}
					return
				}
				if d == nil || d.ID != w.docID || d.Consent != w.consent {
					t.Fatalf("got %+v, want id %s consent %v", d, w.docID, w.consent)
				}
			case "record":
				r, err := fhir.DecodeRecord(body)
				checkKind(t, err, w)
				if err != nil {
					return
				}
				if r.ID != w.docID || len(r.Sections) != w.sections || r.InitialSummary {
					t.Fatalf("record id %s, %d sections, initial %v", r.ID, len(r.Sections), r.InitialSummary)
				}
				for i, c := range w.codes {
					if r.Sections[i].Code != c {
						t.Errorf("section %d code %q, want %q", i, r.Sections[i].Code, c)
					}
				}
				if r.Practice == "" || r.Created.IsZero() {
					t.Errorf("practice %q created %v", r.Practice, r.Created)
				}
				al := r.Sections[1].Tables
				if len(al) != 1 || len(al[0].Headers) != 5 || len(al[0].Rows) != 1 || al[0].Rows[0][1] != "Toxic reaction to wasp sting" {
					t.Errorf("allergies table %+v", al)
				}
				if !strings.Contains(strings.Join(r.Sections[0].Text, "\n"), "recently registered") {
					t.Errorf("title section lost the recently-registered statement: %q", r.Sections[0].Text)
				}
			case "outcome":
				e := fhir.OutcomeError(w.status, body)
				if e == nil {
					t.Fatal("no error")
				}
				checkKind(t, e, w)
			case "audit":
				a, err := fhir.DecodeAuditEvent(body)
				checkKind(t, err, w)
				if err == nil && a.AlertNHSNumber() != w.nhs {
					t.Errorf("alert names %q, want %q", a.AlertNHSNumber(), w.nhs)
				}
			case "other":
				rt, err := fhir.Head(body)
				if err != nil || rt != w.other {
					t.Fatalf("resourceType %q err %v, want %q", rt, err, w.other)
				}
			default:
				t.Fatalf("unknown decoder %q", w.decoder)
			}
		})
	}
	for f := range fixtureWants {
		if !seen[f] {
			t.Errorf("expectation for missing fixture %s", f)
		}
	}
}
