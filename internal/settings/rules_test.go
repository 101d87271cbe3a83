package settings

import (
	"errors"
	"strings"
	"testing"
	"time"

	"scrdesk/internal/governance"
)

// TestRulesDefaultsAreSGPs: no rule settings give governance.DefaultConfig exactly, and every
// value shows as SGP.md's default.
func TestRulesDefaultsAreSGPs(t *testing.T) {
	def := governance.DefaultConfig()
	if got := Defaults().GovernanceConfig(); !got.Equal(def) {
		t.Fatalf("empty rules give %s, want %s", got.Encode(), def.Encode())
	}
	var r Rules
	for _, c := range []struct{ rule, param, want string }{
		{"self_claimed_relationship", "review_percent", "50"}, {"out_of_hours", "review_percent", "100"},
		{"weak_reason", "min_chars", "15"}, {"volume_spike", "days", "28"}, {"volume_spike", "sigma", "3"},
		{"volume_spike", "floor", "20"}, {"repeat_reopening", "count", "3"}, {"repeat_reopening", "within", "72h"},
		{"failed_sign_ins", "count", "3"}, {"failed_sign_ins", "within", "10m"}, {"refused_then_retried", "within", "1h"},
		{"concurrent_sessions", "within", "12h"},
	} {
		if got := r.Text(c.rule, c.param); got != c.want {
			t.Errorf("%s %s shows %q, want %q", c.rule, c.param, got, c.want)
		}
	}
	if got := r.ReviewPeriodText(); got != "7d" {
		t.Errorf("review period %q", got)
	}
	for _, s := range RuleSpecs() {
		if !s.ID.Switchable() || s.Key != strings.ReplaceAll(string(s.ID), "-", "_") {
			t.Errorf("%s (%s) in settings", s.ID, s.Key)
		}
	}
	if _, ok := Spec("emergency_access"); ok {
		t.Error("emergency access may be switched off")
	}
}

// TestRulesRoundTrip: a document naming rules reads back as written, its values reach the
// rules' configuration, and that configuration survives the log's encoding.
func TestRulesRoundTrip(t *testing.T) {
	doc := `{"opening_hours": "Mon-Fri 08:30-19:00", "rules": {
		"out_of_hours": {"off": true},
		"self_claimed_relationship": {"review_percent": 25},
		"weak_reason": {"min_chars": 20},
		"volume_spike": {"sigma": 2.5, "days": 14, "floor": 40},
		"repeat_reopening": {"count": 4, "within": "2d"},
		"failed_sign_ins": {"count": 5, "within": "30m"},
		"refused_then_retried": {"within": "90m"},
		"concurrent_sessions": {"within": "8h"},
		"found_by_details": {"off": true, "review_percent": 10},
		"review_period": "14d"}}`
	s, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := Parse(out)
	if err != nil {
		t.Fatalf("re-parse: %v\n%s", err, out)
	}
	if s2.Rules != s.Rules || len(Diff(s, s2)) != 0 {
		t.Fatalf("round trip changed the rules: %+v\n%+v", s.Rules, s2.Rules)
	}
	c := s.GovernanceConfig()
	want := governance.DefaultConfig()
	want.Disabled = map[governance.RuleID]bool{governance.RuleOutOfHours: true, governance.RuleByDetails: true}
	want.ReviewRate[governance.RuleSelfClaim], want.ReviewRate[governance.RuleByDetails] = 0.25, 0.1
	want.MinReasonChars, want.SpikeSigma, want.SpikeDays, want.SpikeFloor = 20, 2.5, 14, 40
	want.RepeatCount, want.RepeatWithin = 4, 48*time.Hour
	want.FailedCount, want.FailedWithin = 5, 30*time.Minute
	want.RetryWithin, want.SessionMax, want.ReviewPeriod = 90*time.Minute, 8*time.Hour, 14*24*time.Hour
	for d := time.Monday; d <= time.Friday; d++ {
		want.Hours.Days[d].Open, want.Hours.Days[d].Close = 510, 1140
	}
	want.Hours.Days[time.Saturday].Open, want.Hours.Days[time.Saturday].Close = 0, 0
	if !c.Equal(want) {
		t.Errorf("config\n%s\nwant\n%s", c.Encode(), want.Encode())
	}
	back, err := governance.DecodeConfig(c.Encode())
	if err != nil || !back.Equal(c) || back.Encode() != c.Encode() {
		t.Errorf("the log's encoding read back as %s (%v)", back.Encode(), err)
	}
	if got := c.Off(); len(got) != 2 || got[0] != governance.RuleOutOfHours || got[1] != governance.RuleByDetails {
		t.Errorf("Off = %v", got)
	}
}

// TestRulesValidate: each bad value is refused, on its field, with a sentence a pharmacist can
// act on.
func TestRulesValidate(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(r *Rules)
		field string
		msg   string
	}{
		{"review share too high", func(r *Rules) { r.SameSurname.ReviewPercent = 150 }, "rules.same_surname.review_percent",
			"Same surname: the review share must be a whole percentage from 1 to 100 (to stop reviewing a rule, switch it off)."},
		{"review share negative", func(r *Rules) { r.SelfClaim.ReviewPercent = -5 }, "rules.self_claimed_relationship.review_percent", "whole percentage from 1 to 100"},
		{"count too low", func(r *Rules) { r.Repeat.Count = 1 }, "rules.repeat_reopening.count",
			"Repeat re-opening: the number of openings must be a whole number from 2 to 50."},
		{"window not a length", func(r *Rules) { r.Repeat.Within = "3 days" }, "rules.repeat_reopening.within",
			"Repeat re-opening: the time window must be a length of time from 1h to 28d, written like 90m, 72h or 3d."},
		{"window too long", func(r *Rules) { r.FailedSignIns.Within = "2d" }, "rules.failed_sign_ins.within", "from 1m to 1d"},
		{"window in seconds", func(r *Rules) { r.RefusedRetry.Within = "30s" }, "rules.refused_then_retried.within", "written like 90m, 72h or 3d"},
		{"baseline longer than the warm-up", func(r *Rules) { r.VolumeSpike.Days = 60 }, "rules.volume_spike.days",
			"Volume spike: the baseline in days must be a whole number from 7 to 28."},
		{"sigma too big", func(r *Rules) { r.VolumeSpike.Sigma = 12 }, "rules.volume_spike.sigma", "Volume spike: the standard deviations must be a number from 1 to 10."},
		{"too few characters", func(r *Rules) { r.WeakReason.MinChars = 500 }, "rules.weak_reason.min_chars", "from 1 to 200"},
		{"a threshold the rule lacks", func(r *Rules) { r.OutOfHours.Count = 3 }, "rules.out_of_hours.count", "Out of hours has no count setting: remove it."},
		{"review period", func(r *Rules) { r.ReviewPeriod = "2 weeks" }, "rules.review_period",
			"The review period must be a length of time from 1d to 31d, written like 7d."},
		{"review period too long", func(r *Rules) { r.ReviewPeriod = "90d" }, "rules.review_period", "from 1d to 31d"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := Defaults()
			c.edit(&s.Rules)
			var v ValidationError
			if err := s.Validate(); !errors.As(err, &v) {
				t.Fatalf("Validate = %v", err)
			}
			if len(v) != 1 || v[0].Field != c.field || !strings.Contains(v[0].Problem, c.msg) {
				t.Fatalf("Validate = %+v, want %s: %q", v, c.field, c.msg)
			}
			if !strings.Contains(UserMessage(v), c.msg) {
				t.Errorf("user message %q", UserMessage(v))
			}
			// Parse refuses the same values in a settings file.
			doc, _ := Marshal(s)
			if _, err := Parse(doc); !errors.As(err, &v) {
				t.Errorf("Parse took %s", doc)
			}
		})
	}
	// A rule the settings do not know, or one that cannot be switched off, is refused.
	for _, doc := range []string{`{"rules": {"emergency_access": {"off": true}}}`, `{"rules": {"out_of_hour": {"off": true}}}`,
		`{"rules": {"out_of_hours": {"of": true}}}`} {
		if _, err := Parse([]byte(doc)); !errors.Is(err, ErrParse) {
			t.Errorf("%s: Parse = %v, want refused", doc, err)
		}
	}
}

// TestRulesSetText: the screen's text goes in as typed; the default and an empty field are
// kept as not set (so the document names only what changed); a bad value is refused with its
// sentence and changes nothing.
func TestRulesSetText(t *testing.T) {
	var r Rules
	for _, c := range []struct{ rule, param, text string }{
		{"repeat_reopening", "count", "4"}, {"repeat_reopening", "within", " 2d "}, {"self_claimed_relationship", "review_percent", "25%"},
		{"volume_spike", "sigma", "2.5"},
	} {
		if err := r.SetText(c.rule, c.param, c.text); err != nil {
			t.Fatalf("%v: %v", c, err)
		}
	}
	if r.Repeat.Count != 4 || r.Repeat.Within != "48h" || r.SelfClaim.ReviewPercent != 25 || r.VolumeSpike.Sigma != 2.5 {
		t.Fatalf("set %+v", r)
	}
	for _, c := range []struct{ rule, param, text string }{
		{"repeat_reopening", "count", "3"}, {"repeat_reopening", "within", "3d"}, {"self_claimed_relationship", "review_percent", ""},
		{"volume_spike", "sigma", "3"},
	} {
		if err := r.SetText(c.rule, c.param, c.text); err != nil {
			t.Fatalf("%v: %v", c, err)
		}
	}
	if r != (Rules{}) {
		t.Fatalf("defaults kept as values: %+v", r)
	}
	for _, c := range []struct{ rule, param, text, msg string }{
		{"repeat_reopening", "count", "three", "Repeat re-opening: the number of openings must be a whole number"},
		{"repeat_reopening", "count", "2.5", "whole number"},
		{"same_surname", "review_percent", "0", "Same surname: the review share must be a whole percentage from 1 to 100"},
		{"failed_sign_ins", "within", "ten minutes", "Failed sign-ins: the time window must be a length of time"},
		{"out_of_hours", "count", "3", "Out of hours has no count setting"},
	} {
		err := r.SetText(c.rule, c.param, c.text)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%v: %v, want %q", c, err, c.msg)
		}
	}
	if r != (Rules{}) {
		t.Errorf("a refused value was kept: %+v", r)
	}
	if err := r.SetReviewPeriod("14d"); err != nil || r.ReviewPeriod != "14d" {
		t.Errorf("review period %q %v", r.ReviewPeriod, err)
	}
	if err := r.SetReviewPeriod("fortnightly"); err == nil || !strings.Contains(err.Error(), "The review period must be") {
		t.Errorf("review period refused with %v", err)
	}
	r.SetOff("deceased_patient", true)
	if !r.Deceased.Off {
		t.Error("SetOff did not switch the rule off")
	}
}

// TestRulesDiffAudit: a change to a rule is one field each, with the values in force before and
// after (a default shows as its value), named in words for the save's answer.
func TestRulesDiffAudit(t *testing.T) {
	a := Defaults()
	b := a
	b.Rules.OutOfHours.Off = true
	b.Rules.Repeat.Count = 5
	b.Rules.SelfClaim.ReviewPercent = 20
	b.Rules.ReviewPeriod = "14d"
	got := Diff(a, b)
	want := []Change{
		{"rules.self_claimed_relationship.review_percent", "50", "20"},
		{"rules.out_of_hours.off", "false", "true"},
		{"rules.repeat_reopening.count", "3", "5"},
		{"rules.review_period", "7d", "14d"},
	}
	if len(got) != len(want) {
		t.Fatalf("Diff = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("change %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	// Writing a default out changes nothing the rules use.
	c := a
	c.Rules.Repeat.Count, c.Rules.Repeat.Within = 3, "3d"
	if d := Diff(a, c); len(d) != 0 {
		t.Errorf("defaults written out diff as %+v", d)
	}
	for field, words := range map[string]string{"rules.out_of_hours.off": "Out of hours: on or off",
		"rules.repeat_reopening.count": "Repeat re-opening: number of openings", "rules.review_period": "review period",
		"ods_code": "ods code"} {
		if got := FieldName(field); got != words {
			t.Errorf("FieldName(%s) = %q, want %q", field, got, words)
		}
	}
}

func TestParseSpan(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
	}{{"10m", 10 * time.Minute}, {"72h", 72 * time.Hour}, {"3d", 72 * time.Hour}, {" 90m ", 90 * time.Minute}} {
		if got, err := ParseSpan(c.in); err != nil || got != c.want {
			t.Errorf("ParseSpan(%q) = %v, %v", c.in, got, err)
		}
	}
	for _, in := range []string{"", "m", "10", "10s", "-5m", "+5m", "1.5h", "1h30m", "3 d", "10M", "0h"} {
		if _, err := ParseSpan(in); err == nil {
			t.Errorf("ParseSpan(%q) accepted", in)
		}
	}
	for d, want := range map[time.Duration]string{10 * time.Minute: "10m", 90 * time.Minute: "90m", time.Hour: "1h",
		72 * time.Hour: "72h", 7 * 24 * time.Hour: "7d", 14 * 24 * time.Hour: "14d"} {
		if got := FormatSpan(d); got != want {
			t.Errorf("FormatSpan(%v) = %q, want %q", d, got, want)
		}
	}
}
