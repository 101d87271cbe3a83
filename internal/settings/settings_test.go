package settings

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestDefaultsAreValid(t *testing.T) {
	d := Defaults()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.IdleLockMinutes != 5 || d.CardRemoval != CardRemovalLock || d.Environment != EnvDemo {
		t.Fatalf("unexpected defaults %+v", d)
	}
	d.PermittedActivityCodes[0] = "B9999"
	if DefaultPermittedActivityCodes[0] == "B9999" {
		t.Fatal("Defaults shares the default slice")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Settings)
		field string // "" when valid
	}{
		{"defaults", func(*Settings) {}, ""},
		{"ods ok", func(s *Settings) { s.ODSCode = "FA123" }, ""},
		{"ods lower case", func(s *Settings) { s.ODSCode = "fa123" }, "ods_code"},
		{"ods too short", func(s *Settings) { s.ODSCode = "F1" }, "ods_code"},
		{"idle 0", func(s *Settings) { s.IdleLockMinutes = 0 }, "idle_lock_minutes"},
		{"idle 1", func(s *Settings) { s.IdleLockMinutes = 1 }, ""},
		{"idle 60", func(s *Settings) { s.IdleLockMinutes = 60 }, ""},
		{"idle 61", func(s *Settings) { s.IdleLockMinutes = 61 }, "idle_lock_minutes"},
		{"sign out", func(s *Settings) { s.CardRemoval = CardRemovalSignOut }, ""},
		{"card removal nonsense", func(s *Settings) { s.CardRemoval = "eject" }, "card_removal"},
		{"unknown environment", func(s *Settings) { s.Environment = "live" }, "environment"},
		{"custom without url", func(s *Settings) { s.Environment = EnvCustom }, "base_url"},
		{"custom https", func(s *Settings) { s.Environment, s.BaseURL = EnvCustom, "https://x.nhs.uk/base" }, ""},
		{"custom http loopback", func(s *Settings) { s.Environment, s.BaseURL = EnvCustom, "http://127.0.0.1:9000" }, ""},
		{"custom http remote", func(s *Settings) { s.Environment, s.BaseURL = EnvCustom, "http://x.nhs.uk" }, "base_url"},
		{"custom with credentials", func(s *Settings) { s.Environment, s.BaseURL = EnvCustom, "https://u:p@x.nhs.uk" }, "base_url"},
		{"url without custom", func(s *Settings) { s.BaseURL = "https://x.nhs.uk" }, "base_url"},
		{"relative anchors", func(s *Settings) { s.TrustAnchorsFile = "anchors.pem" }, "trust_anchors_file"},
		{"absolute anchors", func(s *Settings) { s.TrustAnchorsFile = "/etc/scrdesk/anchors.pem" }, ""},
		{"relative client certificate", func(s *Settings) { s.ClientCertFile = "client.pem" }, "client_cert_file"},
		{"absolute client certificate", func(s *Settings) { s.ClientCertFile = "/etc/scrdesk/client.pem" }, ""},
		{"no activity codes", func(s *Settings) { s.PermittedActivityCodes = nil }, "permitted_activity_codes"},
		{"bad activity code", func(s *Settings) { s.PermittedActivityCodes = []string{"X1"} }, "permitted_activity_codes"},
		{"text scale NaN", func(s *Settings) { s.TextScale = math.NaN() }, "text_scale"},
		{"text scale big", func(s *Settings) { s.TextScale = 3 }, "text_scale"},
		{"control char in name", func(s *Settings) { s.PharmacyName = "a\x00b" }, "pharmacy_name"},
		{"long name", func(s *Settings) { s.WorkstationName = strings.Repeat("w", 201) }, "workstation_name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Defaults()
			tt.edit(&s)
			err := s.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var v ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("Validate = %v, want a ValidationError on %s", err, tt.field)
			}
			found := false
			for _, f := range v {
				found = found || f.Field == tt.field
			}
			if !found {
				t.Fatalf("Validate = %v, want a problem with %s", err, tt.field)
			}
			if UserMessage(err) == "" {
				t.Fatal("no user message")
			}
		})
	}
}

func TestEffectiveBaseURL(t *testing.T) {
	tests := []struct {
		env  Environment
		base string
		want string
	}{
		{EnvDemo, "", ""},
		{EnvIntegration, "", IntegrationBaseURL},
		{EnvProduction, "", ProductionBaseURL},
		{EnvCustom, "https://x", "https://x"},
	}
	for _, tt := range tests {
		t.Run(string(tt.env), func(t *testing.T) {
			if got := (Settings{Environment: tt.env, BaseURL: tt.base}).EffectiveBaseURL(); got != tt.want {
				t.Fatalf("= %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	a := Defaults()
	b := a
	b.IdleLockMinutes = 10
	b.PermittedActivityCodes = []string{"B0370"}
	b.ODSCode = "FA123"
	got := Diff(a, b)
	want := []Change{
		{"ods_code", "", "FA123"},
		{"idle_lock_minutes", "5", "10"},
		{"permitted_activity_codes", "B0370,B0360,B0401", "B0370"},
	}
	if len(got) != len(want) {
		t.Fatalf("Diff = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("change %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if len(Diff(a, a)) != 0 {
		t.Fatal("no change should diff empty")
	}
}

var parseSeeds = []string{
	`{}`,
	`{"pharmacy_name":"High St Pharmacy","ods_code":"FA123","idle_lock_minutes":10}`,
	`{"environment":"custom","base_url":"https://x.nhs.uk"}`,
	`{"idle_lock_minutes":0}`,
	`{"unknown":1}`,
	`{"text_scale":"big"}`,
	`{} {}`,
	`not json`,
	`{"rules":{"out_of_hours":{"off":true},"repeat_reopening":{"count":4,"within":"48h"},"review_period":"14d"}}`,
	`{"rules":{"same_surname":{"review_percent":0.5}}}`,
	`{"rules":{"volume_spike":{"sigma":2.5,"days":90}}}`,
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"empty object gives defaults", parseSeeds[0], true},
		{"some fields", parseSeeds[1], true},
		{"custom", parseSeeds[2], true},
		{"invalid value", parseSeeds[3], false},
		{"unknown field", parseSeeds[4], false},
		{"wrong type", parseSeeds[5], false},
		{"two documents", parseSeeds[6], false},
		{"not json", parseSeeds[7], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse([]byte(tt.in))
			if (err == nil) != tt.ok {
				t.Fatalf("Parse = %+v, %v", s, err)
			}
			if err != nil && UserMessage(err) == "" {
				t.Fatal("no user message")
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("Parse accepted invalid settings: %v", err)
		}
		out, err := Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		if d := Diff(s, s2); len(d) != 0 {
			t.Fatalf("round trip changed %+v", d)
		}
	})
}

func TestCentralDSN(t *testing.T) {
	for _, c := range []struct {
		dsn string
		ok  bool
	}{
		{"", true},
		{"postgres://counter1@backoffice:5432/scrdesk?sslmode=verify-full", true},
		{"host=backoffice port=5432 user=counter1 dbname=scrdesk sslmode=require", true},
		{"postgres://counter1:secret@backoffice/scrdesk", false},
		{"postgres://counter1@backoffice/scrdesk?password=secret", false},
		{"host=backoffice password=secret", false},
		{"host=backoffice PASSWORD=secret", false},
		{"just some words", false},
		{"postgres:///nohost", false},
		{"host=a\nuser=b", false},
	} {
		s := Defaults()
		s.CentralDSN = c.dsn
		if err := s.Validate(); (err == nil) != c.ok {
			t.Errorf("%q: Validate = %v, want ok=%v", c.dsn, err, c.ok)
		}
	}
	old := Defaults()
	s := old
	s.CentralDSN = "host=backoffice user=counter1 dbname=scrdesk"
	if d := Diff(old, s); len(d) != 1 || d[0].Field != "central_dsn" {
		t.Errorf("Diff = %+v", d)
	}
}

func TestParseOpeningHours(t *testing.T) {
	cases := []struct {
		in  string
		ok  bool
		mon DayHours
		sat DayHours
		sun DayHours
	}{
		{"", true, DayHours{540, 1080}, DayHours{540, 1080}, DayHours{}},
		{"Mon-Fri 09:00-17:30, Sat 09:00-13:00", true, DayHours{540, 1050}, DayHours{540, 780}, DayHours{}},
		{"sat-mon 10:00-16:00", true, DayHours{600, 960}, DayHours{600, 960}, DayHours{600, 960}},
		{"Sun 00:00-24:00", true, DayHours{}, DayHours{}, DayHours{0, 1440}},
		{"Mon 9:00-18:00", false, DayHours{}, DayHours{}, DayHours{}},
		{"Mon 18:00-09:00", false, DayHours{}, DayHours{}, DayHours{}},
		{"Mon-Fri 09:00-18:00, Fri 10:00-11:00", false, DayHours{}, DayHours{}, DayHours{}},
		{"Monday 09:00-18:00", false, DayHours{}, DayHours{}, DayHours{}},
		{"Mon 09:00-25:00", false, DayHours{}, DayHours{}, DayHours{}},
		{"Mon", false, DayHours{}, DayHours{}, DayHours{}},
	}
	for _, c := range cases {
		w, err := ParseOpeningHours(c.in)
		if (err == nil) != c.ok {
			t.Errorf("%q: err %v", c.in, err)
			continue
		}
		if c.ok && (w[1] != c.mon || w[6] != c.sat || w[0] != c.sun) {
			t.Errorf("%q: %v", c.in, w)
		}
		s := Defaults()
		s.OpeningHours = c.in
		if verr := s.Validate(); (verr == nil) != c.ok {
			t.Errorf("%q: Validate %v", c.in, verr)
		}
	}
}

// TestParseSaysWhatIsWrong: a settings file that cannot be read is refused (ErrParse) with a
// sentence naming what is wrong and where, in words whoever wrote the file can act on: the
// setting given the wrong kind of value, a name SCR Desk does not know, the line and column of
// a punctuation mistake; never Go's own wording.
func TestParseSaysWhatIsWrong(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{`{"rules": {"repeat_reopening": {"count": 2.5}}}`, `The setting "rules.repeat_reopening.count" must be a whole number, not 2.5.`},
		{`{"idle_lock_minutes": "5"}`, `The setting "idle_lock_minutes" must be a whole number, not text.`},
		{`{"rules": {"out_of_hours": {"off": 1}}}`, `The setting "rules.out_of_hours.off" must be true or false`},
		{`{"rules": {"out_of_hour": {"off": true}}}`, `names "out_of_hour", which is not a setting SCR Desk knows`},
		{`{"rules": {"emergency_access": {"off": true}}}`, `names "emergency_access", which is not a setting SCR Desk knows (or one that cannot be changed)`},
		{"{\n  \"pharmacy_name\": \"x\"\n  \"ods_code\": \"FA123\"\n}", "at line 3, column 3"},
		{`{"pharmacy_name": "x"`, "ends too early"},
		{`[1]`, "must be one { … } group of settings"},
		{`{} {}`, "more than one { … } group"},
		{"\xef\xbb\xbf{\"pharmacy_name\": \"x\", \"ods_code\": 5}", `The setting "ods_code" must be text in quotes`},
		{"{\"pharmacy_name\": \"x\"}\n}", "text after its closing } at line 2, column 1"},
		{`{"idle_lock_minutes": 99999999999999999999}`, `"idle_lock_minutes" is too large a number`},
		{"{\n \"pharmacy_name\": \"Café\" \"ods_code\": \"FA123\"}", "at line 2, column 26"},
	} {
		_, err := Parse([]byte(c.doc))
		msg := UserMessage(err)
		if !errors.Is(err, ErrParse) || !strings.Contains(msg, c.want) || strings.Contains(msg, "json") || strings.Contains(msg, "Go struct") {
			t.Errorf("%s:\n got %v: %q\nwant ErrParse saying %q", c.doc, err, msg, c.want)
		}
	}
}
