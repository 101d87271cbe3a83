package patient

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"scrdesk/internal/fhir"
	"scrdesk/internal/present"
)

// now is the fixed "today" of the banner goldens.
var now = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

// jane is the PDS sandbox's 9000000009 (Patient.json) as the fhir package decodes it.
func jane() fhir.Patient {
	return fhir.Patient{NHSNumber: "9000000009", RequestedNHSNumber: "9000000009", FamilyName: "Smith", GivenNames: "Jane",
		Prefix: "Mrs", BirthDate: "2010-10-22", Gender: "female",
		Address: []string{"1 Trevelyan Square", "Boar Lane", "City Centre", "Leeds", "West Yorkshire"}, Postcode: "LS1 6AE",
		Phone: "01632960587", GP: "Y12345"}
}

func TestBannerGoldens(t *testing.T) {
	cases := []struct {
		name string
		edit func(p *fhir.Patient)
		more func(v *present.BannerView)
	}{
		{name: "banner_normal.xml", edit: func(*fhir.Patient) {}},
		{name: "banner_record_open_emergency.xml", edit: func(*fhir.Patient) {}, more: func(v *present.BannerView) {
			v.Allergies = "Allergies: Penicillin allergy (Severe); Latex allergy"
			v.Emergency, v.EmergencyText = true, present.EmergencyMarking
			v.Adjustments = []string{"Requires visual alert", "Requires information verbally"}
		}},
		{name: "banner_no_known_allergies_adjustments_unread.xml", edit: func(*fhir.Patient) {}, more: func(v *present.BannerView) {
			v.Allergies = "No known allergies"
			v.AdjustmentsNote = "Reasonable adjustments could not be read just now."
		}},
		{name: "banner_no_current_name_address.xml", edit: func(p *fhir.Patient) {
			p.NoCurrentName, p.NameEnded, p.NoCurrentAddress, p.NoCurrentPhone = true, "2025-12-31", true, true
			p.Address, p.Postcode, p.Phone = nil, "", ""
		}},
		{name: "banner_deceased_no_date.xml", edit: func(p *fhir.Patient) { p.Deceased = true }},
		{name: "banner_restricted.xml", edit: func(p *fhir.Patient) {
			p.NHSNumber, p.RequestedNHSNumber, p.Restriction = "9000000025", "9000000025", fhir.Restricted
			p.Address, p.Postcode, p.Phone, p.GP = nil, "", "", ""
			p.Hidden = []string{"This is a restricted record: the address, telephone number and GP practice are not shown, to protect the patient."}
		}},
		{name: "banner_very_restricted.xml", edit: func(p *fhir.Patient) {
			p.Restriction = fhir.VeryRestricted
			p.Address, p.Postcode, p.Phone, p.GP, p.BirthDate = nil, "", "", "", ""
		}},
		{name: "banner_deceased.xml", edit: func(p *fhir.Patient) {
			p.Deceased, p.DeceasedDate = true, "2024-01-12T10:00:00+00:00"
		}},
		{name: "banner_merged.xml", edit: func(p *fhir.Patient) { p.NHSNumber = "9000000017" }},
		// A family name longer than the banner: the name wraps, the given name and title shown.
		{name: "banner_long_name.xml", edit: func(p *fhir.Patient) {
			p.FamilyName = "Ó Súilleabháin-Llewelyn-ap-Gruffydd-Vaughan-Featherstonehaugh-Montgomery-Cholmondeley"
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			test.NewTempApp(t)
			b := NewBanner(BannerCallbacks{})
			win := show(t, b.Object(), 1000, 200)
			p := jane()
			c.edit(&p)
			v := present.Banner(&p, now)
			if c.more != nil {
				c.more(&v)
			}
			b.Render(v)
			if c.name == "banner_long_name.xml" {
				if b.name.Truncated() || !strings.Contains(b.name.Text, "Jane (Mrs)") {
					t.Errorf("the long name is cut: %q (truncated %v)", b.name.Text, b.name.Truncated())
				}
				if h := b.name.Size().Height; h < 2*theme.Size(theme.SizeNameSubHeadingText) {
					t.Errorf("the long name has one line's height (%v): it is not wrapped", h)
				}
			}
			golden(t, win, c.name)
		})
	}
}

func TestBannerCloseAndClear(t *testing.T) {
	test.NewTempApp(t)
	closed := 0
	b := NewBanner(BannerCallbacks{OnClose: func() { closed++ }})
	show(t, b.Object(), 1000, 200)
	p := jane()
	b.Render(present.Banner(&p, now))

	if b.TypedKey(&fyne.KeyEvent{Name: fyne.KeyA}) {
		t.Error("banner used the A key")
	}
	if !b.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape}) || closed != 1 {
		t.Errorf("Escape: closed %d times", closed)
	}
	test.Tap(b.closeBtn)
	if closed != 2 {
		t.Errorf("Close button: closed %d times", closed)
	}
	b.Clear()
	for _, s := range []string{b.name.Text, b.ids.Text, b.address.Text} {
		if containsAny(s, "Smith", "SMITH", "900 000 0009", "Trevelyan", "2010") {
			t.Errorf("banner still holds %q after Clear", s)
		}
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if len(sub) > 0 && len(s) >= len(sub) {
			for i := 0; i+len(sub) <= len(s); i++ {
				if s[i:i+len(sub)] == sub {
					return true
				}
			}
		}
	}
	return false
}

// TestBannerSandboxGoldens renders the PDS sandbox's own patients, decoded as the app does.
func TestBannerSandboxGoldens(t *testing.T) {
	cases := []struct{ file, nhs, golden string }{
		{"Patient.json", "9000000009", "banner_sandbox_9000000009.xml"},
		{"Sensitive_Patient.json", "9000000025", "banner_sandbox_9000000025_restricted.xml"},
		{"Minimal_Patient.json", "9000000033", "banner_sandbox_9000000033_minimal.xml"},
	}
	for _, c := range cases {
		t.Run(c.golden, func(t *testing.T) {
			test.NewTempApp(t)
			p := patientFromFixture(t, filepath.Join(fixtures(t), "personal-demographics/sandbox-mocks", c.file), c.nhs)
			b := NewBanner(BannerCallbacks{})
			win := show(t, b.Object(), 1000, 200)
			b.Render(present.Banner(p, now))
			golden(t, win, c.golden)
		})
	}
}
