package fhir

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// spanCases are tables whose cells span columns or rows, or rows shorter than the headings:
// each cell must stay under the heading it is written under.
var spanCases = []struct {
	name  string
	in    string
	table Table
}{
	{
		name:  "full-width note row",
		in:    `<table><thead><tr><th>Type</th><th>Date</th><th>Item</th></tr></thead><tbody><tr><td colspan="3">No relevant information available for this category.</td></tr></tbody></table>`,
		table: Table{Headers: []string{"Type", "Date", "Item"}, Rows: [][]string{{"No relevant information available for this category."}}},
	},
	{
		name:  "full-width note wider than the table",
		in:    `<table><tr><th>A</th><th>B</th></tr><tr><td colspan="7">Note</td></tr></table>`,
		table: Table{Headers: []string{"A", "B"}, Rows: [][]string{{"Note"}}},
	},
	{
		name: "colspan keeps later cells under their headings",
		in: `<table><tr><th>Type</th><th>Date</th><th>Item</th><th>Dosage</th><th>Quantity</th></tr>` +
			`<tr><td colspan="2">Acute, 01-Mar-2025</td><td>Amoxicillin</td><td>One three times a day</td><td>21</td></tr></table>`,
		table: Table{Headers: []string{"Type", "Date", "Item", "Dosage", "Quantity"},
			Rows: [][]string{{"Acute, 01-Mar-2025", "", "Amoxicillin", "One three times a day", "21"}}},
	},
	{
		name: "rowspan repeats the cell in the rows it covers",
		in: `<table><tr><th>Date</th><th>Item</th><th>Dosage</th></tr>` +
			`<tr><td rowspan="2">01-Mar-2025</td><td>Amoxicillin</td><td>Three a day</td></tr>` +
			`<tr><td>Paracetamol</td><td>Four a day</td></tr>` +
			`<tr><td>02-Mar-2025</td><td>Ramipril</td><td>One daily</td></tr></table>`,
		table: Table{Headers: []string{"Date", "Item", "Dosage"}, Rows: [][]string{
			{"01-Mar-2025", "Amoxicillin", "Three a day"},
			{"01-Mar-2025", "Paracetamol", "Four a day"},
			{"02-Mar-2025", "Ramipril", "One daily"}}},
	},
	{
		name: "rowspan in a middle column",
		in: `<table><tr><th>Date</th><th>Item</th><th>Note</th></tr>` +
			`<tr><td>01-Mar</td><td rowspan="3">Warfarin</td><td>INR 2.5</td></tr>` +
			`<tr><td>08-Mar</td><td>INR 3.1</td></tr>` +
			`<tr><td>15-Mar</td></tr></table>`,
		table: Table{Headers: []string{"Date", "Item", "Note"}, Rows: [][]string{
			{"01-Mar", "Warfarin", "INR 2.5"},
			{"08-Mar", "Warfarin", "INR 3.1"},
			{"15-Mar", "Warfarin", ""}}},
	},
	{
		name: "rowspan in the last column reaching past a short row",
		in: `<table><tr><th>A</th><th>B</th><th>C</th></tr>` +
			`<tr><td>a1</td><td>b1</td><td rowspan="2">c</td></tr><tr><td>a2</td></tr></table>`,
		table: Table{Headers: []string{"A", "B", "C"}, Rows: [][]string{{"a1", "b1", "c"}, {"a2", "", "c"}}},
	},
	{
		name:  "short row is padded, never shifted",
		in:    `<table><tr><th>Date</th><th>Description</th><th>Severity</th></tr><tr><td>02-Feb-2019</td><td>Penicillin</td></tr></table>`,
		table: Table{Headers: []string{"Date", "Description", "Severity"}, Rows: [][]string{{"02-Feb-2019", "Penicillin", ""}}},
	},
	{
		name: "single cell without colspan stays under the first heading",
		in:   `<table><tr><th>Date</th><th>Description</th></tr><tr><td>02-Feb-2019</td></tr></table>`,
		table: Table{Headers: []string{"Date", "Description"},
			Rows: [][]string{{"02-Feb-2019", ""}}},
	},
	{
		name: "two header rows with a spanning heading",
		in: `<table><thead><tr><th rowspan="2">Date</th><th colspan="2">Medication</th></tr><tr><th>Item</th><th>Dose</th></tr></thead>` +
			`<tbody><tr><td>01-Mar</td><td>Aspirin</td><td>75mg</td></tr></tbody></table>`,
		table: Table{Headers: []string{"Date", "Medication Item", "Medication Dose"}, Rows: [][]string{{"01-Mar", "Aspirin", "75mg"}}},
	},
	{
		name:  "junk and huge spans are bounded",
		in:    `<table><tr><th>A</th><th>B</th></tr><tr><td colspan="x">1</td><td colspan="-4">2</td></tr><tr><td rowspan="99999999">r</td><td>s</td></tr><tr><td>t</td></tr></table>`,
		table: Table{Headers: []string{"A", "B"}, Rows: [][]string{{"1", "2"}, {"r", "s"}, {"r", "t"}}},
	},
}

func TestTableSpans(t *testing.T) {
	for _, c := range spanCases {
		t.Run(c.name, func(t *testing.T) {
			tables, _ := ParseSectionXHTML(c.in)
			if len(tables) != 1 || !reflect.DeepEqual(tables[0], c.table) {
				t.Fatalf("got %#v\nwant %#v", tables, c.table)
			}
			// Every row is a full-width note or has a cell for every heading.
			for _, r := range tables[0].Rows {
				if len(r) != 1 && len(r) < len(tables[0].Headers) {
					t.Fatalf("row %q shorter than the headings %q", r, tables[0].Headers)
				}
			}
		})
	}
}

func TestParseDateTime(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s int) time.Time {
		return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
	}
	cases := []struct {
		in   string
		want time.Time
		prec int
	}{
		{"2020-11-17T01:00:00+00:00", utc(2020, 11, 17, 1, 0, 0), PrecisionTime},
		{"2007-03-14T01:00+00:00", utc(2007, 3, 14, 1, 0, 0), PrecisionTime},
		{"2007-03-14T01:00Z", utc(2007, 3, 14, 1, 0, 0), PrecisionTime},
		{"2007-03-14T02:00+01:00", utc(2007, 3, 14, 1, 0, 0), PrecisionTime},
		{"2007-03-14T01:00:00.123Z", time.Date(2007, 3, 14, 1, 0, 0, 123e6, time.UTC), PrecisionTime},
		{"2007-03-14T01:00:00+0000", utc(2007, 3, 14, 1, 0, 0), PrecisionTime},
		{"2007-03-14T01:00+0000", utc(2007, 3, 14, 1, 0, 0), PrecisionTime},
		{"2007-03-14T01:00:00", utc(2007, 3, 14, 1, 0, 0), PrecisionTime},
		{"2007-03-14T01:00", utc(2007, 3, 14, 1, 0, 0), PrecisionTime},
		{"2007-03-14 01:00:00", utc(2007, 3, 14, 1, 0, 0), PrecisionTime},
		{"20070314010000", utc(2007, 3, 14, 1, 0, 0), PrecisionTime},
		{"200703140100", utc(2007, 3, 14, 1, 0, 0), PrecisionTime},
		{"20070314", utc(2007, 3, 14, 0, 0, 0), PrecisionDay},
		{"2007-03-14", utc(2007, 3, 14, 0, 0, 0), PrecisionDay},
		{" 2007-03 ", utc(2007, 3, 1, 0, 0, 0), PrecisionMonth},
		{"2007", utc(2007, 1, 1, 0, 0, 0), PrecisionYear},
	}
	for _, c := range cases {
		got, p, ok := ParseDateTime(c.in)
		if !ok || !got.Equal(c.want) || p != c.prec {
			t.Errorf("ParseDateTime(%q) = %v, %d, %v; want %v, %d", c.in, got, p, ok, c.want, c.prec)
		}
	}
	for _, bad := range []string{"", "14-Mar-2007", "2007-13-01", "yesterday", "2007-03-14T25:00"} {
		if _, _, ok := ParseDateTime(bad); ok {
			t.Errorf("ParseDateTime(%q) read a date", bad)
		}
	}
}

// TestRecordDateKeptAsWritten: a Composition date without seconds is read; one that cannot be
// read is kept as written.
func TestRecordDateKeptAsWritten(t *testing.T) {
	for _, c := range []struct {
		date string
		zero bool
	}{{"2007-03-14T01:00+00:00", false}, {"sometime in 2007", true}} {
		rec := RecordFromComposition(&CompositionResource{ResourceType: "Composition", Date: c.date})
		if rec.Created.IsZero() != c.zero || rec.CreatedText != c.date {
			t.Errorf("%q: Created %v, CreatedText %q", c.date, rec.Created, rec.CreatedText)
		}
	}
}

func TestSubjectChecks(t *testing.T) {
	docFor := func(subject string, patient string) string {
		return `{"resourceType":"Bundle","type":"searchset","entry":[{"fullUrl":"https://x/DocumentReference/d1","resource":{"resourceType":"DocumentReference","masterIdentifier":{"value":"ID1"},` +
			`"subject":` + subject + `}},` +
			`{"fullUrl":"p-uuid","resource":{"resourceType":"Patient","id":"p-uuid","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + patient + `"}]}}]}`
	}
	for _, c := range []struct {
		name, body string
		subject    string
	}{
		{"reference to the Bundle's Patient", docFor(`{"reference":"Patient/p-uuid"}`, "9000000009"), "9000000009"},
		{"logical identifier", docFor(`{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000017"}}`, "9000000009"), "9000000017"},
		{"reference to another patient", docFor(`{"reference":"Patient/p-uuid"}`, "9000000017"), "9000000017"},
		{"reference that resolves to nothing", docFor(`{"reference":"Patient/elsewhere"}`, "9000000009"), ""},
		{"no subject", docFor(`null`, "9000000009"), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc, err := DecodeDocumentReference([]byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if doc.Subject != c.subject {
				t.Fatalf("subject %q, want %q", doc.Subject, c.subject)
			}
			err = CheckDocumentSubject("9000000009", doc)
			if (err == nil) != (c.subject == "9000000009") {
				t.Fatalf("CheckDocumentSubject = %v", err)
			}
			if err != nil {
				var se *SpineError
				if !asSpine(err, &se) || se.Kind != WrongPatient || se.Code != SubjectDocumentReference || se.OtherNHS != c.subject {
					t.Fatalf("error %#v", err)
				}
				if strings.Contains(err.Error(), "9000000") {
					t.Fatal("Error() holds an NHS number")
				}
			}
		})
	}
	if CheckDocumentSubject("9000000009", nil) != nil {
		t.Fatal("no SCR is not a mismatch")
	}

	bundle := func(compSubject, patient string) string {
		return `{"resourceType":"Bundle","type":"searchset","entry":[{"fullUrl":"https://x/Composition/c1","resource":{"resourceType":"Composition","id":"c1","subject":{"reference":"` + compSubject + `"}}},` +
			`{"fullUrl":"https://x/Patient/p1","resource":{"resourceType":"Patient","id":"p1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + patient + `"}]}}]}`
	}
	for _, c := range []struct {
		name, body, code string
	}{
		{"same patient", bundle("Patient/p1", "9000000009"), ""},
		{"full URL reference", bundle("https://x/Patient/p1", "9000000009"), ""},
		{"another patient", bundle("Patient/p1", "9000000017"), SubjectComposition},
		{"composition names nobody", bundle("Patient/zz", "9000000009"), SubjectComposition},
		{"a second Patient for someone else", strings.TrimSuffix(bundle("Patient/p1", "9000000009"), "]}") + `,{"resource":{"resourceType":"Patient","id":"p2","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000017"}]}}]}`, SubjectBundlePatient},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec, err := DecodeRecord([]byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			err = CheckRecordSubject("9000000009", rec)
			var se *SpineError
			if c.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !asSpine(err, &se) || se.Kind != WrongPatient || se.Code != c.code {
				t.Fatalf("err %v; want code %s", err, c.code)
			}
		})
	}
	msg := UserMessage(&SpineError{Kind: WrongPatient, IncidentID: "AB12CD"})
	if msg != "The Spine sent a record for a different patient, so nothing is shown. Tell IT support (reference AB12CD)." {
		t.Fatalf("message %q", msg)
	}
}

func asSpine(err error, se **SpineError) bool {
	s, ok := err.(*SpineError)
	*se = s
	return ok
}

// TestOutcomeErrorStatusFirst: the HTTP status decides first, the Spine's code refines.
func TestOutcomeErrorStatusFirst(t *testing.T) {
	oo := func(code string) []byte {
		return []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","details":{"coding":[{"system":"https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode","code":"` + code + `"}]}}]}`)
	}
	for _, c := range []struct {
		status int
		body   []byte
		want   ErrorKind
	}{
		{500, oo("INVALID_RESOURCE_ID"), Unavailable},
		{502, oo("INVALID_NHS_NUMBER"), Unavailable},
		{503, []byte("<html><body>Service Unavailable</body></html>"), Unavailable},
		{500, oo("TIMEOUT"), Timeout},
		{504, oo("INVALID_RESOURCE_ID"), Timeout},
		{400, oo("INVALID_RESOURCE_ID"), InvalidNHSNumber},
		{400, oo("INVALID_VALUE"), BadRequest},
		{403, oo("INVALID_VALUE"), AccessDenied},
		{401, oo("RESOURCE_NOT_FOUND"), SignedOut},
		{404, oo("ACCESS_DENIED"), NotFound},
		{404, oo("INVALID_RESOURCE_ID"), InvalidNHSNumber},
		{429, oo("INVALID_RESOURCE_ID"), RateLimited},
		{422, oo("TOO_MANY_MATCHES"), TooManyMatches},
		{302, nil, Unavailable},
	} {
		e := OutcomeError(c.status, c.body)
		if e == nil || e.Kind != c.want {
			t.Errorf("OutcomeError(%d, %.40s) = %v; want %s", c.status, c.body, e, c.want)
		}
		if c.status >= 500 && strings.Contains(UserMessage(e), "not valid") {
			t.Errorf("a %d says the NHS number is not valid", c.status)
		}
	}
}

func TestCurrentNamesAddressesPhones(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	r := &PatientResource{ResourceType: "Patient", ID: "9000000009",
		Name: []HumanName{
			{Use: "usual", Family: "Oldname", Given: []string{"Ann"}, Period: &Period{Start: "1990-01-01", End: "2020-05-31"}},
			{Use: "maiden", Family: "Maiden", Given: []string{"Ann"}},
			{Use: "official", Family: "Newname", Given: []string{"Ann"}, Period: &Period{Start: "2020-06-01"}},
			{Use: "usual", Family: "Future", Period: &Period{Start: "2027-01-01"}},
		},
		Address: []Address{
			{Use: "home", Line: []string{"1 Old Road"}, Period: &Period{End: "2025-12-31"}},
			{Use: "old", Line: []string{"2 Older Road"}},
			{Use: "temp", Line: []string{"3 Temp Street"}, Period: &Period{Start: "2026-01-01", End: "2026-12-31"}},
		},
		Telecom: []ContactPoint{{System: "phone", Value: "0100", Period: &Period{End: "2026-05-31"}}, {System: "phone", Value: "0200"}},
	}
	p := PatientFromResourceAt(r, now)
	if p.FamilyName != "Newname" || p.NoCurrentName || p.Address[0] != "3 Temp Street" || p.NoCurrentAddress || p.Phone != "0200" {
		t.Fatalf("%+v", p)
	}
	// The day a period ends it is still current.
	if p := PatientFromResourceAt(r, time.Date(2020, 5, 31, 23, 0, 0, 0, time.UTC)); p.FamilyName != "Oldname" {
		t.Fatalf("on the last day: %q", p.FamilyName)
	}
	ended := &PatientResource{ResourceType: "Patient", ID: "9000000009",
		Name:    []HumanName{{Use: "usual", Family: "Gone", Period: &Period{End: "2025-12-31"}}},
		Address: []Address{{Use: "home", Line: []string{"1 Old Road"}, Period: &Period{End: "2025-12-31"}}},
		Telecom: []ContactPoint{{System: "phone", Value: "0100", Period: &Period{End: "2025-12-31"}}}}
	p = PatientFromResourceAt(ended, now)
	if !p.NoCurrentName || p.FamilyName != "Gone" || p.NameEnded != "2025-12-31" || !p.NoCurrentAddress || p.Address != nil || !p.NoCurrentPhone || p.Phone != "" {
		t.Fatalf("nothing current: %+v", p)
	}
}
