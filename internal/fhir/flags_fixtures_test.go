package fhir_test

import (
	"errors"
	"strings"
	"testing"

	"scrdesk/internal/fhir"
	"scrdesk/internal/fhir/fhirtest"
)

// The published Reasonable Adjustment Flag examples are for patient 5900026175.
const raPatient = "5900026175"

func TestDecodeReasonableAdjustmentFixtures(t *testing.T) {
	for _, c := range []struct {
		file string
		want []string
	}{
		{"reasonable-adjustment-flag/sandbox-mocks/flagGET.json", []string{"Requires visual alert"}},
		{"reasonable-adjustment-flag/specification-examples/readOneFlagResponse.json", []string{"Requires visual alert"}},
		{"reasonable-adjustment-flag/specification-examples/readTwoFlagResponse.json", []string{"Requires information verbally", "Requires visual alert"}},
		{"reasonable-adjustment-flag/specification-examples/readZeroFlagResponse.json", []string{}},
	} {
		t.Run(c.file, func(t *testing.T) {
			got, err := fhir.DecodeFlags(fhirtest.Read(t, c.file), raPatient)
			if err != nil {
				t.Fatal(err)
			}
			var texts []string
			for _, a := range got {
				texts = append(texts, a.Text)
				if a.Code == "" || a.Category == "" {
					t.Errorf("flag %+v lacks its code or category", a)
				}
			}
			if strings.Join(texts, "|") != strings.Join(c.want, "|") {
				t.Fatalf("flags %q; want %q", texts, c.want)
			}
		})
	}
	t.Run("another patient's flags", func(t *testing.T) {
		_, err := fhir.DecodeFlags(fhirtest.Read(t, "reasonable-adjustment-flag/sandbox-mocks/flagGET.json"), "9000000009")
		if !errors.Is(err, &fhir.SpineError{Kind: fhir.WrongPatient, Code: fhir.FlagSubject}) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("consent", func(t *testing.T) {
		ok, err := fhir.DecodeRAConsent(fhirtest.Read(t, "reasonable-adjustment-flag/sandbox-mocks/consentGET.json"), raPatient)
		if err != nil || !ok {
			t.Fatalf("consent %v, %v", ok, err)
		}
	})
	t.Run("conditions", func(t *testing.T) {
		got, err := fhir.DecodeRAConditions(fhirtest.Read(t, "reasonable-adjustment-flag/specification-examples/readListResponse.json"), raPatient)
		if err != nil || len(got) == 0 || !strings.HasPrefix(got[0], "Social or behavioural") {
			t.Fatalf("conditions %q, %v", got, err)
		}
	})
	t.Run("error outcome", func(t *testing.T) {
		_, err := fhir.DecodeFlags(fhirtest.Read(t, "reasonable-adjustment-flag/sandbox-mocks/flagGETerror.json"), raPatient)
		var se *fhir.SpineError
		if !errors.As(err, &se) {
			t.Fatalf("err = %v", err)
		}
	})
}
