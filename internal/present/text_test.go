package present

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRecordText(t *testing.T) {
	r := recordFromBundle(t, filepath.Join(fixtures(t), "summary-care-record/specification-examples/GetScrBundle.json"))
	got := RecordText(Record(r, nil, time.UTC))
	for _, want := range []string{
		"Summary Care Record: GP Summary\nCreated: 14-May-2020 14:31\nCreated by: SMITH, Sean (Mr)\n",
		"! At the time this record was created, this patient had recently registered",
		"\n== Allergies and Adverse Reactions ==\nDate | Description | Certainty | Severity | Supporting Information\n12-May-2020 | Toxic reaction to wasp sting |  |  | Problem; First\n",
		"No relevant information available for this category.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("RecordText lacks %q in:\n%s", want, got)
		}
	}
	if strings.Index(got, "Allergies") > strings.Index(got, "Acute Medications") {
		t.Error("allergies are not first")
	}
}

func TestBannerText(t *testing.T) {
	cases := []struct {
		name string
		v    BannerView
		want []string
		not  []string
	}{
		{"normal", BannerView{Name: "SMITH, Jane (Mrs)", NHS: "900 000 0009", Address: "1 Street, LS1 6AE", GP: "Y12345", Test: true},
			[]string{"Patient: SMITH, Jane (Mrs)\n", "NHS number: 900 000 0009\n", "GP practice: Y12345\n", "Test patient: yes\n"}, nil},
		{"restricted", BannerView{Name: "X", Restricted: true, RestrictedText: "Address withheld.", Address: "should not show"},
			[]string{"Restricted: Address withheld.\n"}, []string{"should not show"}},
		{"deceased and merged", BannerView{Name: "X", Deceased: true, DeceasedText: "Deceased 12-Jan-2024", Merged: true, MergedText: "NHS number A was replaced by B."},
			[]string{"Deceased: 12-Jan-2024\n", "Merged: NHS number A was replaced by B.\n"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := BannerText(c.v)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q in %q", w, got)
				}
			}
			for _, n := range c.not {
				if strings.Contains(got, n) {
					t.Errorf("holds %q in %q", n, got)
				}
			}
		})
	}
}

func TestAlertKindName(t *testing.T) {
	for in, want := range map[string]string{"1": "Self-claimed relationship alert", "2": "Emergency access alert", "9": "Privacy alert"} {
		if got := AlertKindName(in); got != want {
			t.Errorf("AlertKindName(%q) = %q; want %q", in, got, want)
		}
	}
}
