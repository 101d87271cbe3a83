package present

import (
	"testing"

	"scrdesk/internal/settings"
)

func TestSettingsOfChecksLikeTheFile(t *testing.T) {
	base := settings.Defaults()
	good := FormOf(base)
	good.ODSCode, good.PharmacyName = " fa123 ", "High Street Pharmacy"
	cases := []struct {
		name  string
		edit  func(f *SettingsForm)
		field string
	}{
		{"valid", func(*SettingsForm) {}, ""},
		{"ods", func(f *SettingsForm) { f.ODSCode = "F-1" }, "ods_code"},
		{"idle not a number", func(f *SettingsForm) { f.IdleLockMinutes = "five" }, "idle_lock_minutes"},
		{"idle out of range", func(f *SettingsForm) { f.IdleLockMinutes = "90" }, "idle_lock_minutes"},
		{"scale", func(f *SettingsForm) { f.TextScale = "3" }, "text_scale"},
		{"custom needs url", func(f *SettingsForm) { f.Environment = "custom" }, "base_url"},
		{"http elsewhere", func(f *SettingsForm) { f.Environment, f.BaseURL = "custom", "http://example.org" }, "base_url"},
		{"anchors relative", func(f *SettingsForm) { f.TrustAnchorsFile = "anchors.pem" }, "trust_anchors_file"},
		{"hours", func(f *SettingsForm) { f.OpeningHours = "weekdays 9-5" }, "opening_hours"},
		{"removal", func(f *SettingsForm) { f.CardRemoval = "nothing" }, "card_removal"},
	}
	for _, c := range cases {
		f := good
		c.edit(&f)
		s, problems := SettingsOf(base, f)
		if c.field == "" {
			if len(problems) != 0 || s.ODSCode != "FA123" || s.Validate() != nil {
				t.Errorf("%s: %v %+v", c.name, problems, s)
			}
			continue
		}
		if len(problems) != 1 || problems[c.field] == "" {
			t.Errorf("%s: problems %v, want one for %s", c.name, problems, c.field)
		}
	}
}
