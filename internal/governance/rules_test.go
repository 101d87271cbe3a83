package governance

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"scrdesk/internal/audit"
)

// logb builds a log in sequence order; times are in Europe/London.
type logb struct {
	t   *testing.T
	es  []audit.Entry
	loc *time.Location
}

func newLog(t *testing.T) *logb {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	return &logb{t: t, loc: loc}
}

// at is a Tuesday in March 2026 at hh:mm, plus days.
func (l *logb) at(days, hh, mm int) time.Time {
	return time.Date(2026, 3, 3+days, hh, mm, 0, 0, l.loc)
}

func (l *logb) add(t time.Time, a audit.Action, o audit.Outcome, user, ws, nhs string, mod ...func(*audit.Entry)) *logb {
	e := audit.Entry{Seq: int64(len(l.es) + 1), Time: t.UTC(), Event: audit.Event{Action: a, Outcome: o,
		UserID: user, UserName: "User " + user, Workstation: ws, NHSNumber: nhs}}
	for _, m := range mod {
		m(&e)
	}
	l.es = append(l.es, e)
	return l
}

func (l *logb) read(t time.Time, user, nhs string, flags ...audit.Flag) *logb {
	return l.add(t, audit.ActionPatientRead, audit.OutcomeSuccess, user, "COUNTER-1", nhs, func(e *audit.Entry) {
		e.Detail = audit.WithFlags(nil, flags...)
	})
}

func reason(r string) func(*audit.Entry) { return func(e *audit.Entry) { e.Reason = r } }

func run(cfg Config, es []audit.Entry) []Hit {
	g := NewEngine(cfg)
	var out []Hit
	for _, e := range es {
		out = append(out, g.Check(e)...)
	}
	return out
}

func rulesOf(hs []Hit) []RuleID {
	var out []RuleID
	for _, h := range hs {
		if !slices.Contains(out, h.Rule) {
			out = append(out, h.Rule)
		}
	}
	return out
}

const p1, p2 = "9990000107", "9990000247"

// TestEachRuleFiresAndDoesNot: for every rule in SGP.md's table, a log that fires it (on the
// named entry) and a near-identical log that does not.
func TestEachRuleFiresAndDoesNot(t *testing.T) {
	type mk func(l *logb)
	cases := []struct {
		rule     RuleID
		fires    mk
		seq      int64 // the entry the hit must name
		notFires mk
	}{
		{RuleEmergency,
			func(l *logb) {
				l.add(l.at(0, 10, 0), audit.ActionEmergency, audit.OutcomeSuccess, "u1", "C1", p1, reason("patient collapsed at the counter"))
			}, 1,
			func(l *logb) { l.add(l.at(0, 10, 0), audit.ActionPermission, audit.OutcomeSuccess, "u1", "C1", p1) }},
		{RuleSelfClaim,
			func(l *logb) { l.add(l.at(0, 10, 0), audit.ActionSelfClaimLR, audit.OutcomeSuccess, "u1", "C1", p1) }, 1,
			func(l *logb) {
				l.add(l.at(0, 10, 0), audit.ActionSelfClaimLR, audit.OutcomeMinorFailure, "u1", "C1", p1)
			}},
		{RuleWeakReason,
			func(l *logb) {
				l.add(l.at(0, 10, 0), audit.ActionEmergency, audit.OutcomeSuccess, "u1", "C1", p1, reason("urgent"))
			}, 1,
			func(l *logb) {
				l.add(l.at(0, 10, 0), audit.ActionEmergency, audit.OutcomeSuccess, "u1", "C1", p1, reason("patient collapsed at the counter"))
			}},
		{RuleWeakReason, // boilerplate: the same text for another patient
			func(l *logb) {
				l.add(l.at(0, 10, 0), audit.ActionEmergency, audit.OutcomeSuccess, "u1", "C1", p1, reason("Needed for the medicines review"))
				l.add(l.at(1, 10, 0), audit.ActionEmergency, audit.OutcomeSuccess, "u1", "C1", p2, reason("needed for the  medicines review"))
			}, 2,
			func(l *logb) {
				l.add(l.at(0, 10, 0), audit.ActionEmergency, audit.OutcomeSuccess, "u1", "C1", p1, reason("Needed for the medicines review"))
				l.add(l.at(1, 10, 0), audit.ActionEmergency, audit.OutcomeSuccess, "u1", "C1", p1, reason("Needed for the medicines review"))
			}},
		{RuleOutOfHours,
			func(l *logb) { l.read(l.at(0, 21, 30), "u1", p1) }, 1,
			func(l *logb) { l.read(l.at(0, 17, 59), "u1", p1) }},
		{RuleOutOfHours, // Sunday is a closed day
			func(l *logb) { l.read(l.at(5, 11, 0), "u1", p1) }, 1,
			func(l *logb) { l.read(l.at(4, 11, 0), "u1", p1) }},
		{RuleVolumeSpike,
			func(l *logb) {
				for d := 0; d < 28; d++ {
					l.read(l.at(d, 10, 0), "u1", p1)
					l.read(l.at(d, 11, 0), "u1", p2)
				}
				for i := 0; i < 21; i++ {
					l.read(l.at(28, 9, i), "u1", fmt.Sprintf("99900%05d", i))
				}
			}, 56 + 21,
			func(l *logb) {
				for d := 0; d < 28; d++ {
					l.read(l.at(d, 10, 0), "u1", p1)
					l.read(l.at(d, 11, 0), "u1", p2)
				}
				for i := 0; i < 20; i++ { // at the floor, not over it
					l.read(l.at(28, 9, i), "u1", fmt.Sprintf("99900%05d", i))
				}
			}},
		{RuleRepeat,
			func(l *logb) {
				l.read(l.at(0, 10, 0), "u1", p1).read(l.at(1, 10, 0), "u1", p1).read(l.at(2, 9, 0), "u1", p1)
			}, 3,
			func(l *logb) {
				l.read(l.at(0, 10, 0), "u1", p1).read(l.at(1, 10, 0), "u1", p1).read(l.at(4, 10, 0), "u1", p1)
			}},
		{RuleSameSurname,
			func(l *logb) { l.read(l.at(0, 10, 0), "u1", p1, audit.FlagSameSurname) }, 1,
			func(l *logb) { l.read(l.at(0, 10, 0), "u1", p1) }},
		{RuleSelfLookup,
			func(l *logb) { l.read(l.at(0, 10, 0), "u1", p1, audit.FlagSameSurname, audit.FlagSelfLookup) }, 1,
			func(l *logb) { l.read(l.at(0, 10, 0), "u1", p1, audit.FlagSameSurname) }},
		{RuleDeceased,
			func(l *logb) { l.read(l.at(0, 10, 0), "u1", p1, audit.FlagDeceased) }, 1,
			func(l *logb) { l.read(l.at(0, 10, 0), "u1", p1, audit.FlagRestricted) }},
		{RuleRestricted,
			func(l *logb) { l.read(l.at(0, 10, 0), "u1", p1, audit.FlagRestricted) }, 1,
			func(l *logb) { l.read(l.at(0, 10, 0), "u1", p1, audit.FlagDeceased) }},
		{RuleByDetails,
			func(l *logb) { l.read(l.at(0, 10, 0), "u1", p1, audit.FlagFoundByDetails) }, 1,
			func(l *logb) { l.read(l.at(0, 10, 0), "u1", p1) }},
		{RuleConcurrent,
			func(l *logb) {
				l.add(l.at(0, 9, 0), audit.ActionLogin, audit.OutcomeSuccess, "u1", "C1", "")
				l.add(l.at(0, 9, 30), audit.ActionLogin, audit.OutcomeSuccess, "u1", "C2", "")
			}, 2,
			func(l *logb) {
				l.add(l.at(0, 9, 0), audit.ActionLogin, audit.OutcomeSuccess, "u1", "C1", "")
				l.add(l.at(0, 9, 10), audit.ActionLogout, audit.OutcomeSuccess, "u1", "C1", "")
				l.add(l.at(0, 9, 30), audit.ActionLogin, audit.OutcomeSuccess, "u1", "C2", "")
			}},
		{RuleFailedSignIns,
			func(l *logb) {
				l.add(l.at(0, 9, 0), audit.ActionWrongPasscode, audit.OutcomeMinorFailure, "u1", "C1", "")
				l.add(l.at(0, 9, 1), audit.ActionWrongPasscode, audit.OutcomeMinorFailure, "u1", "C1", "")
				l.add(l.at(0, 9, 2), audit.ActionCardBlocked, audit.OutcomeMajorFailure, "u1", "C1", "")
			}, 3,
			func(l *logb) {
				l.add(l.at(0, 9, 0), audit.ActionWrongPasscode, audit.OutcomeMinorFailure, "u1", "C1", "")
				l.add(l.at(0, 9, 1), audit.ActionWrongPasscode, audit.OutcomeMinorFailure, "u1", "C1", "")
				l.add(l.at(0, 9, 30), audit.ActionWrongPasscode, audit.OutcomeMinorFailure, "u1", "C1", "")
				// Sign-ins cancelled, or stopped by the card coming out, are not failures.
				l.add(l.at(0, 10, 0), audit.ActionLogin, audit.OutcomeMinorFailure, "u1", "C1", "", reason("sign-in cancelled"))
				l.add(l.at(0, 10, 1), audit.ActionLogin, audit.OutcomeMinorFailure, "u1", "C1", "", reason("sign-in stopped: the smartcard was removed"))
				l.add(l.at(0, 10, 2), audit.ActionLogin, audit.OutcomeMinorFailure, "u1", "C1", "", reason("sign-in cancelled"))
			}},
		{RuleFailedSignIns, // a refused card is a failure
			func(l *logb) {
				l.add(l.at(0, 9, 0), audit.ActionLogin, audit.OutcomeSeriousFailure, "u1", "C1", "", reason("certificate expired"))
				l.add(l.at(0, 9, 1), audit.ActionWrongPasscode, audit.OutcomeMinorFailure, "u1", "C1", "")
				l.add(l.at(0, 9, 2), audit.ActionLogin, audit.OutcomeSeriousFailure, "u1", "C1", "", reason("certificate expired"))
			}, 3,
			func(l *logb) {
				l.add(l.at(0, 9, 0), audit.ActionLogin, audit.OutcomeSeriousFailure, "u1", "C1", "", reason("certificate expired"))
				l.add(l.at(0, 9, 1), audit.ActionLogin, audit.OutcomeMinorFailure, "u1", "C1", "", reason("sign-in cancelled"))
				l.add(l.at(0, 9, 2), audit.ActionWrongPasscode, audit.OutcomeMinorFailure, "u1", "C1", "")
			}},
		{RuleRefusedRetry,
			func(l *logb) {
				l.read(l.at(0, 10, 0), "u1", p1)
				l.add(l.at(0, 10, 1), audit.ActionPermissionNo, audit.OutcomeSuccess, "u1", "C1", p1)
				l.read(l.at(0, 10, 20), "u1", p1)
			}, 3,
			func(l *logb) {
				l.read(l.at(0, 10, 0), "u1", p1)
				l.add(l.at(0, 10, 1), audit.ActionPermissionNo, audit.OutcomeSuccess, "u1", "C1", p1)
				l.read(l.at(0, 10, 20), "u2", p1) // another user, not a retry
			}},
		{RuleRefusedRetry, // the Spine refused, then an emergency access
			func(l *logb) {
				l.add(l.at(0, 10, 1), audit.ActionSCRRead, audit.OutcomeMinorFailure, "u1", "C1", p1)
				l.add(l.at(0, 10, 5), audit.ActionEmergency, audit.OutcomeSuccess, "u1", "C1", p1, reason("patient collapsed at the counter"))
			}, 2,
			func(l *logb) {
				l.add(l.at(0, 10, 1), audit.ActionSCRRead, audit.OutcomeMinorFailure, "u1", "C1", p1)
				l.add(l.at(0, 12, 5), audit.ActionEmergency, audit.OutcomeSuccess, "u1", "C1", p1, reason("patient collapsed at the counter"))
			}},

		{RuleSecuritySetting, // a settings file from the computer's account changed the trust anchors and the idle lock: one hit
			func(l *logb) {
				set := func(field, old, new string) func(*audit.Entry) {
					return func(e *audit.Entry) {
						e.UserName, e.Reason = "DESKTOP\\counter", "settings file C:\\Temp\\x.json"
						e.Detail = map[string]string{"field": field, "old": old, "new": new, "doc_sha256": "aa"}
					}
				}
				l.add(l.at(0, 19, 0), audit.ActionSettingsChanged, audit.OutcomeSuccess, "", "C1", "", set("trust_anchors_file", "/etc/scrdesk/nhs.pem", "/tmp/mine.pem"))
				l.add(l.at(0, 19, 0), audit.ActionSettingsChanged, audit.OutcomeSuccess, "", "C1", "", set("idle_lock_minutes", "5", "60"))
			}, 1,
			func(l *logb) { // the pharmacy's name and the text scale are not security settings
				l.add(l.at(0, 19, 0), audit.ActionSettingsChanged, audit.OutcomeSuccess, "", "C1", "", func(e *audit.Entry) {
					e.Detail = map[string]string{"field": "pharmacy_name", "old": "A", "new": "B", "doc_sha256": "bb"}
				})
				l.add(l.at(0, 19, 1), audit.ActionSettingsChanged, audit.OutcomeSuccess, "", "C1", "", func(e *audit.Entry) {
					e.Detail = map[string]string{"field": "text_scale", "old": "1", "new": "1.5", "doc_sha256": "cc"}
				})
			}},
		{RuleClockChanged, // the clock was put back an hour: the store flagged the entry
			func(l *logb) {
				l.read(l.at(0, 10, 0), "u1", p1)
				l.add(l.at(0, 9, 0), audit.ActionPatientSearch, audit.OutcomeSuccess, "u1", "C1", "", func(e *audit.Entry) {
					e.Detail = map[string]string{audit.DetailClockBehind: "3600000"}
				})
			}, 2,
			func(l *logb) {
				l.read(l.at(0, 10, 0), "u1", p1)
				l.add(l.at(0, 10, 1), audit.ActionPatientSearch, audit.OutcomeSuccess, "u1", "C1", "")
			}},
		{RuleClockChanged, // a forward jump within one process
			func(l *logb) {
				l.add(l.at(0, 10, 0), audit.ActionPatientSearch, audit.OutcomeSuccess, "u1", "C1", "", func(e *audit.Entry) {
					e.Detail = map[string]string{audit.DetailClockJump: "10799000"}
				})
			}, 1,
			func(l *logb) { l.add(l.at(0, 10, 0), audit.ActionPatientSearch, audit.OutcomeSuccess, "u1", "C1", "") }},
	}
	covered := map[RuleID]bool{}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%s/%d", c.rule, i), func(t *testing.T) {
			covered[c.rule] = true
			l := newLog(t)
			c.fires(l)
			hits := run(DefaultConfig(), l.es)
			var found *Hit
			for i := range hits {
				if hits[i].Rule == c.rule {
					found = &hits[i]
				}
			}
			if found == nil {
				t.Fatalf("%s did not fire; hits %v", c.rule, rulesOf(hits))
			}
			if found.Seq != c.seq || found.Evidence == "" {
				t.Errorf("hit on entry %d with evidence %q, want entry %d with evidence", found.Seq, found.Evidence, c.seq)
			}
			// switched off, it is silent
			cfg := DefaultConfig()
			cfg.Disabled[c.rule] = true
			if slices.Contains(rulesOf(run(cfg, l.es)), c.rule) {
				t.Errorf("%s fired while switched off", c.rule)
			}
			l2 := newLog(t)
			c.notFires(l2)
			if got := rulesOf(run(DefaultConfig(), l2.es)); slices.Contains(got, c.rule) {
				t.Errorf("%s fired on the log that must not fire it: %v", c.rule, got)
			}
		})
	}
	for _, r := range Rules() {
		if !covered[r.ID] {
			t.Errorf("rule %s has no test", r.ID)
		}
	}
}

func TestThresholdsComeFromConfig(t *testing.T) {
	l := newLog(t)
	l.read(l.at(0, 10, 0), "u1", p1).read(l.at(0, 11, 0), "u1", p1)
	cfg := DefaultConfig()
	if slices.Contains(rulesOf(run(cfg, l.es)), RuleRepeat) {
		t.Fatal("two opens fired the repeat rule at the default of 3")
	}
	cfg.RepeatCount = 2
	if !slices.Contains(rulesOf(run(cfg, l.es)), RuleRepeat) {
		t.Error("two opens did not fire the repeat rule at a threshold of 2")
	}
	// opening hours from settings: a pharmacy open until 22:00
	l = newLog(t)
	l.read(l.at(0, 21, 30), "u1", p1)
	cfg = DefaultConfig()
	cfg.Hours.Days[time.Tuesday].Close = 22 * 60
	if slices.Contains(rulesOf(run(cfg, l.es)), RuleOutOfHours) {
		t.Error("21:30 flagged although the pharmacy is open until 22:00")
	}
}

func TestEngineMemoryStaysFlat(t *testing.T) {
	g := NewEngine(DefaultConfig())
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 200000; i++ {
		g.Check(audit.Entry{Seq: int64(i + 1), Time: start.Add(time.Duration(i) * 30 * time.Second),
			Event: audit.Event{Action: audit.ActionPatientRead, Outcome: audit.OutcomeSuccess,
				UserID: fmt.Sprint("u", i%5), NHSNumber: fmt.Sprintf("99%08d", i)}})
	}
	if n := len(g.opens); n > 78*120+240 {
		t.Errorf("%d (user, patient) windows kept after 70 days; pruning does not work", n)
	}
}

// TestSpikeBaselineAfterTheDaysAreLowered: with 28 days of 30 accesses a day kept, the SGP
// lowers the baseline to 7 days during a day; that day's check must average the newest 7 days
// (30 a day: 61 accesses is a spike), not all 28 kept over 7 (120 a day: nothing would be).
func TestSpikeBaselineAfterTheDaysAreLowered(t *testing.T) {
	l := newLog(t)
	for d := 0; d < 28; d++ {
		for i := 0; i < 30; i++ {
			l.read(l.at(d, 9, i), "u1", fmt.Sprintf("99900%05d", i))
		}
	}
	l.read(l.at(28, 8, 0), "u1", "9990100000") // the day has begun (the 28 days rolled) when the setting changes
	g := NewEngine(DefaultConfig())
	for _, e := range l.es {
		g.Check(e)
	}
	cfg := DefaultConfig()
	cfg.SpikeDays = 7
	g.SetConfig(cfg)
	n := len(l.es)
	for i := 0; i < 60; i++ {
		l.read(l.at(28, 9, i), "u1", fmt.Sprintf("99901%05d", i))
	}
	var spikes int
	for _, e := range l.es[n:] {
		for _, h := range g.Check(e) {
			if h.Rule == RuleVolumeSpike {
				spikes++
			}
		}
	}
	if spikes != 1 {
		t.Errorf("61 accesses in a day after 28 days of 30, with a 7-day baseline: %d volume spikes, want 1", spikes)
	}
}

// TestSpikeBaselineCountsEveryDayOff: a weekday worker's baseline is the last 28 calendar days,
// weekends as zeros (5 a day on 20 of 28 days: 3.6 a day), however long they have worked; once
// the list was full the weekend zeros were dropped and the baseline read 5.0.
func TestSpikeBaselineCountsEveryDayOff(t *testing.T) {
	l := newLog(t)
	k := 0
	for d := 0; d < 70; d++ {
		if wd := l.at(d, 9, 0).Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		for i := 0; i < 5; i++ {
			k++
			l.read(l.at(d, 9, i), "u1", DemoNHSNumber(k))
		}
	}
	for i := 0; i < 21; i++ { // a Tuesday, 21 views: over the floor of 20
		k++
		l.read(l.at(70, 9, i), "u1", DemoNHSNumber(k))
	}
	var spike []Hit
	for _, h := range run(DefaultConfig(), l.es) {
		if h.Rule == RuleVolumeSpike {
			spike = append(spike, h)
		}
	}
	if len(spike) != 1 || !strings.Contains(spike[0].Evidence, "usual is 3.6 a day") {
		t.Errorf("spike hits %+v, want one with a usual of 3.6 a day", spike)
	}
}
