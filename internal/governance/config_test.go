package governance

import (
	"slices"
	"strings"
	"testing"
	"time"

	"scrdesk/internal/audit"
)

const p3, p4 = "9990000190", "9990000204"

// TestEngineFollowsRulesSetRows: a governance-rules-set row changes the rules for the rows
// after it only; one this version cannot read leaves the configuration in force.
func TestEngineFollowsRulesSetRows(t *testing.T) {
	l := newLog(t)
	set := func(at time.Time, cfg string) *logb {
		return l.add(at, audit.ActionRulesSet, audit.OutcomeSuccess, "sgp", "COUNTER-1", "", func(e *audit.Entry) {
			e.Detail = map[string]string{audit.DetailRulesConfig: cfg}
		})
	}
	lowered := DefaultConfig()
	lowered.RepeatCount = 2
	lowered.Disabled[RuleSameSurname] = true
	l.read(l.at(0, 10, 0), "u1", p1).read(l.at(0, 10, 5), "u1", p1).read(l.at(0, 10, 6), "u1", p2, audit.FlagSameSurname)
	set(l.at(0, 11, 0), lowered.Encode())
	l.read(l.at(0, 11, 10), "u1", p3).read(l.at(0, 11, 15), "u1", p3).read(l.at(0, 11, 16), "u1", p2, audit.FlagSameSurname)
	set(l.at(0, 12, 0), `{"zone":"Nowhere/Atlantis"}`) // unreadable: the lowered rules stay
	l.read(l.at(0, 12, 10), "u1", p4).read(l.at(0, 12, 15), "u1", p4)
	g := NewEngine(DefaultConfig())
	per := map[int64][]RuleID{}
	for _, e := range l.es {
		for _, h := range g.Check(e) {
			per[h.Seq] = append(per[h.Seq], h.Rule)
		}
	}
	if slices.Contains(per[2], RuleRepeat) {
		t.Error("two openings before the change fired the repeat rule")
	}
	if !slices.Contains(per[3], RuleSameSurname) {
		t.Error("the same surname before the rule was switched off was not flagged")
	}
	if !slices.Contains(per[6], RuleRepeat) || !slices.Contains(per[10], RuleRepeat) {
		t.Errorf("two openings after the change: %v, %v", per[6], per[10])
	}
	if slices.Contains(per[7], RuleSameSurname) {
		t.Error("the same-surname rule fired while switched off")
	}
	if !g.Config().Equal(lowered) {
		t.Errorf("engine ends with %s", g.Config().Encode())
	}
}

// TestRuleSettingChangeIsASecurityCase: a change to a rule's switch or threshold, the opening
// hours or the review period is flagged once per save, with the rule named as SGP.md names it.
func TestRuleSettingChangeIsASecurityCase(t *testing.T) {
	cases := []struct{ field, old, new, want string }{
		{"rules.out_of_hours.off", "false", "true", "The Out of hours rule was switched off on the settings screen by User sgp"},
		{"rules.repeat_reopening.count", "3", "5", `The Repeat re-opening rule's count setting was changed from "3" to "5"`},
		{"rules.self_claimed_relationship.review_percent", "50", "10", `Self-claimed relationship rule's review share (%) setting was changed from "50" to "10"`},
		{"rules.review_period", "7d", "31d", `The review period setting was changed from "7d" to "31d"`},
		{"opening_hours", "", "Mon-Sun 00:00-24:00", `The opening hours setting was changed`},
	}
	for i, c := range cases {
		l := newLog(t)
		l.add(l.at(0, 9, 0), audit.ActionSettingsChanged, audit.OutcomeSuccess, "sgp", "COUNTER-1", "", func(e *audit.Entry) {
			e.Detail = map[string]string{"field": c.field, "old": c.old, "new": c.new, "doc_sha256": strings.Repeat("a", i+1)}
		})
		hits := run(DefaultConfig(), l.es)
		if len(hits) != 1 || hits[0].Rule != RuleSecuritySetting || !strings.Contains(hits[0].Evidence, c.want) {
			t.Errorf("%s: %+v, want %q", c.field, hits, c.want)
		}
	}
	// One save of several fields raises one case, and it names every security setting the save
	// changed (not the pharmacy's name), saying when the list was cut to fit the row.
	for _, c := range []struct{ fields, want string }{
		{"pharmacy_name,idle_lock_minutes,trust_anchors_file,rules.out_of_hours.review_percent",
			`The idle lock setting was changed from "5" to "30" on the settings screen by User sgp; the same save also changed the trust anchors and the Out of hours rule's review share (%)`},
		{"idle_lock_minutes,trust_anchors_file,…", "; the same save also changed the trust anchors, and more (see the settings-changed entries of this save)"},
		{"pharmacy_name,idle_lock_minutes", `The idle lock setting was changed from "5" to "30" on the settings screen by User sgp`},
	} {
		l := newLog(t)
		for _, f := range strings.Split(c.fields, ",") {
			if f == "…" {
				continue
			}
			l.add(l.at(0, 9, 0), audit.ActionSettingsChanged, audit.OutcomeSuccess, "sgp", "COUNTER-1", "", func(e *audit.Entry) {
				e.Detail = map[string]string{"field": f, "old": "5", "new": "30", "doc_sha256": "one-save", DetailSaveFields: c.fields}
			})
		}
		hits := run(DefaultConfig(), l.es)
		if len(hits) != 1 || !strings.Contains(hits[0].Evidence, c.want) {
			t.Errorf("save of %s: %+v, want %q", c.fields, hits, c.want)
		} else if strings.Contains(hits[0].Evidence, "pharmacy") || (!strings.Contains(c.fields, ",trust") && strings.Contains(hits[0].Evidence, "also")) {
			t.Errorf("save of %s named too much: %q", c.fields, hits[0].Evidence)
		}
	}
	l := newLog(t)
	l.add(l.at(0, 9, 0), audit.ActionSettingsChanged, audit.OutcomeSuccess, "sgp", "COUNTER-1", "", func(e *audit.Entry) {
		e.Detail = map[string]string{"field": "rules.no_such_rule.off", "old": "false", "new": "true"}
	})
	if hits := run(DefaultConfig(), l.es); len(hits) != 0 {
		t.Errorf("an unknown rule field: %+v", hits)
	}
}

// TestConfigEncodingIsCanonical: equal configurations encode alike (review rates equal to the
// default rate, rules not switched off), and the encoding reads back.
func TestConfigEncodingIsCanonical(t *testing.T) {
	a, b := DefaultConfig(), DefaultConfig()
	b.ReviewRate[RuleSameSurname] = b.DefaultRate
	b.Disabled[RuleDeceased] = false
	if a.Encode() != b.Encode() || !a.Equal(b) {
		t.Errorf("%s\n%s", a.Encode(), b.Encode())
	}
	b.Disabled[RuleDeceased], b.Disabled["a-future-rule"] = true, true
	got, err := DecodeConfig(b.Encode())
	if err != nil || !got.Equal(b) || !got.Disabled["a-future-rule"] {
		t.Errorf("read back %s (%v)", got.Encode(), err)
	}
	if _, err := DecodeConfig(""); err == nil {
		t.Error("an empty configuration read")
	}
	for _, r := range Rules() {
		if r.ID.Switchable() == (r.ID == RuleEmergency || r.ID == RuleSecuritySetting || r.ID == RuleClockChanged) {
			t.Errorf("%s switchable: %v", r.ID, r.ID.Switchable())
		}
		if r.ID.SGPName() == "" {
			t.Errorf("%s has no name", r.ID)
		}
	}
}

// TestChangedNamesRaisedThresholds: the defaults change nothing; a raised threshold, a shorter
// window, a lower review share and a longer review period are each named with the default.
func TestChangedNamesRaisedThresholds(t *testing.T) {
	if ch := DefaultConfig().Changed(); len(ch) != 0 {
		t.Errorf("the defaults: %v", ch)
	}
	c := DefaultConfig()
	c.RepeatCount, c.RepeatWithin, c.SpikeSigma = 5, 24*time.Hour, 4.5
	c.ReviewRate[RuleSelfClaim], c.ReviewPeriod = 0.1, 31*24*time.Hour
	got := strings.Join(c.Changed(), " | ")
	for _, want := range []string{"Repeat re-opening: openings 5 (default 3)", "Repeat re-opening: within 24 hours (default 3 days)",
		"standard deviations 4.5 (default 3)", "Self-claimed relationship: review share 10% (default 50%)",
		"review period 31 days (default 7 days)"} {
		if !strings.Contains(got, want) {
			t.Errorf("Changed() = %q, lacks %q", got, want)
		}
	}
}

// TestUnrecordedRulesAreASecurityCase: a governance-rules-set row SCR Desk wrote because the
// rules started with settings the log had not recorded raises a security-setting case naming
// what changed, judged by the rules in force before it; the same row without the mark (as older
// versions wrote it), or with nothing changed, raises none.
func TestUnrecordedRulesAreASecurityCase(t *testing.T) {
	changed := DefaultConfig()
	changed.Disabled[RuleOutOfHours] = true
	changed.RepeatCount = 9
	changed.ReviewRate[RuleSelfClaim] = 0.1
	changed.Hours.Days[time.Monday].Close = 23 * 60
	sessions := DefaultConfig()
	sessions.SessionMax = time.Hour
	for _, c := range []struct {
		name   string
		cfg    Config
		marked bool
		want   []string
	}{
		{"changed, marked", changed, true, []string{"The rules started with settings the audit log had not recorded",
			"Out of hours: switched off", "the opening hours", "Repeat re-opening: openings 9 (was 3)",
			"Self-claimed relationship: review share 10% (was 50%)"}},
		{"sessions window, marked", sessions, true, []string{"Concurrent sessions: within 60 minutes (was 12 hours)"}},
		{"changed, unmarked", changed, false, nil},
		{"unchanged, marked", DefaultConfig(), true, nil},
	} {
		l := newLog(t)
		l.add(l.at(0, 9, 0), audit.ActionRulesSet, audit.OutcomeSuccess, "", "COUNTER-1", "", func(e *audit.Entry) {
			e.UserName = "scrdesk"
			e.Detail = map[string]string{audit.DetailRulesConfig: c.cfg.Encode()}
			if c.marked {
				e.Detail[audit.DetailRulesUnrecorded] = "1"
			}
		})
		hits := run(DefaultConfig(), l.es)
		if c.want == nil {
			if len(hits) != 0 {
				t.Errorf("%s: %+v, want no case", c.name, hits)
			}
			continue
		}
		if len(hits) != 1 || hits[0].Rule != RuleSecuritySetting {
			t.Fatalf("%s: %+v, want one security-setting case", c.name, hits)
		}
		for _, w := range c.want {
			if !strings.Contains(hits[0].Evidence, w) {
				t.Errorf("%s: evidence %q lacks %q", c.name, hits[0].Evidence, w)
			}
		}
	}
}
