package fhir_test

import (
	"fmt"
	"strings"
	"testing"

	"scrdesk/internal/fhir"
)

// docRefWithLabels builds a DocumentReference searchset whose securityLabel carries the given
// ACS permission codes; split puts each code in its own label instead of one label's codings.
func docRefWithLabels(codes []string, split bool) []byte {
	coding := func(c string) string {
		return fmt.Sprintf(`{"system":%q,"code":%q}`, fhir.SystemACSPermission, c)
	}
	var labels []string
	if split {
		for _, c := range codes {
			labels = append(labels, `{"coding":[`+coding(c)+`]}`)
		}
	} else {
		var cs []string
		for _, c := range codes {
			cs = append(cs, coding(c))
		}
		labels = append(labels, `{"coding":[`+strings.Join(cs, ",")+`]}`)
	}
	return []byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"DocumentReference",` +
		`"masterIdentifier":{"value":"DOC-1"},"date":"2020-01-01T00:00:00Z","securityLabel":[` + strings.Join(labels, ",") + `]}}]}`)
}

// TestConsentContradictoryLabelsFailClosed: any No wins whatever the order, then Ask over Yes.
func TestConsentContradictoryLabelsFailClosed(t *testing.T) {
	for _, tc := range []struct {
		codes []string
		want  fhir.Consent
	}{
		{[]string{"No", "Ask"}, fhir.ConsentNo},
		{[]string{"Ask", "No"}, fhir.ConsentNo},
		{[]string{"Yes", "No", "Ask"}, fhir.ConsentNo},
		{[]string{"No", "Yes"}, fhir.ConsentNo},
		{[]string{"Ask", "Yes"}, fhir.ConsentAsk},
		{[]string{"Yes", "Ask"}, fhir.ConsentAsk},
		{[]string{"Yes"}, fhir.ConsentYes},
		{[]string{"No", "Bogus"}, fhir.ConsentNo},
		{[]string{"Bogus"}, fhir.ConsentUnknown},
	} {
		for _, split := range []bool{false, true} {
			d, err := fhir.DecodeDocumentReference(docRefWithLabels(tc.codes, split))
			if err != nil || d == nil {
				t.Fatalf("%v split=%v: %v %v", tc.codes, split, d, err)
			}
			if d.Consent != tc.want {
				t.Errorf("%v split=%v: consent %v, want %v", tc.codes, split, d.Consent, tc.want)
			}
		}
	}
}
