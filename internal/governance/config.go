package governance

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// The rules' configuration travels in the audit log (audit.ActionRulesSet rows, written when
// the settings change it): Encode is its one canonical text and DecodeConfig reads it back, so
// the engine can follow the log. A row is judged by the configuration of the newest such row
// before it, or by DefaultConfig when there is none: the live check, a backfill after a
// restart, RebuildGovernance and Verify's fresh engine therefore raise the same hits, and a
// change of threshold never re-judges the rows recorded before it.

// Switchable reports whether the SCR Governance Person may switch rule r off and set its
// review rate in settings: every rule of SGP.md's table but emergency access (always reviewed,
// every one, SGP.md), and neither of our own two (a security setting changed, the clock
// changed), which are what make a switched-off rule, or a log whose times moved, visible.
func (r RuleID) Switchable() bool {
	switch r {
	case RuleEmergency, RuleSecuritySetting, RuleClockChanged:
		return false
	}
	_, ok := r.Info()
	return ok
}

// SGPName is the rule's name as SGP.md's table writes it ("Repeat re-opening"), for the
// settings screen and the evidence of a changed rule setting; Label is the case queue's.
func (r RuleID) SGPName() string {
	if n, ok := sgpNames[r]; ok {
		return n
	}
	return r.Label()
}

var sgpNames = map[RuleID]string{
	RuleEmergency: "Emergency access", RuleSelfClaim: "Self-claimed relationship",
	RuleWeakReason: "Missing or boilerplate reason", RuleOutOfHours: "Out of hours",
	RuleVolumeSpike: "Volume spike", RuleRepeat: "Repeat re-opening", RuleSameSurname: "Same surname",
	RuleSelfLookup: "Self-lookup", RuleDeceased: "Deceased patient", RuleRestricted: "Restricted patient",
	RuleByDetails: "Found by details, not number", RuleConcurrent: "Concurrent sessions",
	RuleFailedSignIns: "Failed sign-ins", RuleRefusedRetry: "Refused or declined",
}

// Off lists the rules switched off, in SGP.md's order.
func (c Config) Off() []RuleID {
	var out []RuleID
	for _, i := range rules {
		if c.Disabled[i.ID] {
			out = append(out, i.ID)
		}
	}
	return out
}

// Changed lists, in plain words, the thresholds and review shares that differ from SGP.md's
// defaults ("Repeat re-opening: 5 openings (default 3)"), in a fixed order, for the SGP's Home:
// a raised threshold makes a rule fire less, as surely as switching it off. The opening hours
// and the rules switched off are said elsewhere (Off).
func (c Config) Changed() []string { return c.changedFrom(DefaultConfig(), "default") }

// ChangedFrom lists, in plain words and a fixed order, everything in c that differs from was:
// the rules switched on or off, the opening hours, every threshold and review share ("Repeat
// re-opening: 5 openings (was 3)"), for a case about settings that changed without the log
// recording who changed them.
func (c Config) ChangedFrom(was Config) []string {
	var out []string
	for _, i := range rules {
		if c.Disabled[i.ID] != was.Disabled[i.ID] {
			state := "switched on"
			if c.Disabled[i.ID] {
				state = "switched off"
			}
			out = append(out, i.ID.SGPName()+": "+state)
		}
	}
	if c.Hours.Days != was.Hours.Days || zone(c) != zone(was) {
		out = append(out, "the opening hours")
	}
	return append(out, c.changedFrom(was, "was")...)
}

func zone(c Config) string {
	if c.Hours.Location == nil {
		return ""
	}
	return c.Hours.Location.String()
}

// changedFrom lists the thresholds and review shares of c that differ from d's, each with d's
// value after the word given ("default", "was").
func (c Config) changedFrom(d Config, word string) []string {
	var out []string
	num := func(rule RuleID, what string, v, dv int) {
		if v != dv {
			out = append(out, fmt.Sprintf("%s: %s %d (%s %d)", rule.SGPName(), what, v, word, dv))
		}
	}
	dur := func(rule RuleID, what string, v, dv time.Duration) {
		if v != dv {
			out = append(out, fmt.Sprintf("%s: %s %s (%s %s)", rule.SGPName(), what, words(v), word, words(dv)))
		}
	}
	num(RuleWeakReason, "shortest reason, characters", c.MinReasonChars, d.MinReasonChars)
	num(RuleVolumeSpike, "baseline days", c.SpikeDays, d.SpikeDays)
	if c.SpikeSigma != d.SpikeSigma {
		out = append(out, fmt.Sprintf("%s: standard deviations %g (%s %g)", RuleVolumeSpike.SGPName(), c.SpikeSigma, word, d.SpikeSigma))
	}
	num(RuleVolumeSpike, "accesses a day at least", c.SpikeFloor, d.SpikeFloor)
	num(RuleRepeat, "openings", c.RepeatCount, d.RepeatCount)
	dur(RuleRepeat, "within", c.RepeatWithin, d.RepeatWithin)
	num(RuleFailedSignIns, "failed sign-ins", c.FailedCount, d.FailedCount)
	dur(RuleFailedSignIns, "within", c.FailedWithin, d.FailedWithin)
	dur(RuleRefusedRetry, "within", c.RetryWithin, d.RetryWithin)
	dur(RuleConcurrent, "within", c.SessionMax, d.SessionMax)
	for _, i := range rules {
		if v, dv := c.Rate(i.ID), d.Rate(i.ID); v != dv {
			out = append(out, fmt.Sprintf("%s: review share %g%% (%s %g%%)", i.ID.SGPName(), v*100, word, dv*100))
		}
	}
	if c.ReviewPeriod != d.ReviewPeriod {
		out = append(out, fmt.Sprintf("review period %s (%s %s)", words(c.ReviewPeriod), word, words(d.ReviewPeriod)))
	}
	return out
}

// words says a duration as a person would: "72 hours", "10 minutes", "7 days".
func words(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d >= 2*time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d >= 2*time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return d.String()
}

// configText is Config as the log keeps it. Field names never change once released; a field
// added later is absent from older rows and so keeps DefaultConfig's value when read.
type configText struct {
	Off            []RuleID           `json:"off,omitempty"`
	Zone           string             `json:"zone"`
	Days           [7][2]int          `json:"days"` // time.Weekday order: open, close minute
	MinReasonChars int                `json:"min_reason_chars"`
	SpikeDays      int                `json:"spike_days"`
	SpikeSigma     float64            `json:"spike_sigma"`
	SpikeFloor     int                `json:"spike_floor"`
	RepeatCount    int                `json:"repeat_count"`
	RepeatWithin   int64              `json:"repeat_within_s"`
	FailedCount    int                `json:"failed_count"`
	FailedWithin   int64              `json:"failed_within_s"`
	RetryWithin    int64              `json:"retry_within_s"`
	SessionMax     int64              `json:"session_max_s"`
	ReviewRate     map[RuleID]float64 `json:"review_rate,omitempty"`
	DefaultRate    float64            `json:"default_rate"`
	ReviewPeriod   int64              `json:"review_period_s"`
}

// Encode is c's canonical text: rules switched off in a fixed order, only the review rates
// that differ from the default rate, durations in whole seconds, the zone by name. Two configs
// that judge every row alike encode alike.
func (c Config) Encode() string {
	t := configText{Off: c.Off(), Zone: "UTC", MinReasonChars: c.MinReasonChars, SpikeDays: c.SpikeDays,
		SpikeSigma: c.SpikeSigma, SpikeFloor: c.SpikeFloor, RepeatCount: c.RepeatCount,
		RepeatWithin: secs(c.RepeatWithin), FailedCount: c.FailedCount, FailedWithin: secs(c.FailedWithin),
		RetryWithin: secs(c.RetryWithin), SessionMax: secs(c.SessionMax), DefaultRate: c.DefaultRate,
		ReviewPeriod: secs(c.ReviewPeriod)}
	var unknown []RuleID // a rule this version does not know, switched off, is kept too
	for r, off := range c.Disabled {
		if off && !slices.Contains(t.Off, r) {
			unknown = append(unknown, r)
		}
	}
	slices.Sort(unknown)
	t.Off = append(t.Off, unknown...)
	if c.Hours.Location != nil {
		t.Zone = c.Hours.Location.String()
	}
	for d, h := range c.Hours.Days {
		t.Days[d] = [2]int{h.Open, h.Close}
	}
	for r, v := range c.ReviewRate {
		if v != c.DefaultRate {
			if t.ReviewRate == nil {
				t.ReviewRate = map[RuleID]float64{}
			}
			t.ReviewRate[r] = v
		}
	}
	b, err := json.Marshal(t) // maps are written in key order
	if err != nil {
		return "" // only a NaN could do this, and no setting can hold one
	}
	return string(b)
}

func secs(d time.Duration) int64 { return int64(d / time.Second) }

// Equal reports whether c and o judge every row alike (their encodings are the same).
func (c Config) Equal(o Config) bool { return c.Encode() == o.Encode() }

// DecodeConfig reads a configuration written by Encode. Fields missing from the text keep
// DefaultConfig's values; a zone this computer does not know is an error (the rows would be
// judged in the wrong hours).
func DecodeConfig(s string) (Config, error) {
	def := DefaultConfig()
	t := configText{Zone: def.Hours.Location.String(), MinReasonChars: def.MinReasonChars, SpikeDays: def.SpikeDays,
		SpikeSigma: def.SpikeSigma, SpikeFloor: def.SpikeFloor, RepeatCount: def.RepeatCount,
		RepeatWithin: secs(def.RepeatWithin), FailedCount: def.FailedCount, FailedWithin: secs(def.FailedWithin),
		RetryWithin: secs(def.RetryWithin), SessionMax: secs(def.SessionMax), DefaultRate: def.DefaultRate,
		ReviewPeriod: secs(def.ReviewPeriod)}
	for d, h := range def.Hours.Days {
		t.Days[d] = [2]int{h.Open, h.Close}
	}
	if strings.TrimSpace(s) == "" {
		return Config{}, errors.New("no rules configuration")
	}
	if err := json.Unmarshal([]byte(s), &t); err != nil {
		return Config{}, err
	}
	loc, err := time.LoadLocation(t.Zone)
	if err != nil {
		return Config{}, err
	}
	c := Config{Disabled: map[RuleID]bool{}, MinReasonChars: t.MinReasonChars, SpikeDays: t.SpikeDays,
		SpikeSigma: t.SpikeSigma, SpikeFloor: t.SpikeFloor, RepeatCount: t.RepeatCount,
		RepeatWithin: time.Duration(t.RepeatWithin) * time.Second, FailedCount: t.FailedCount,
		FailedWithin: time.Duration(t.FailedWithin) * time.Second, RetryWithin: time.Duration(t.RetryWithin) * time.Second,
		SessionMax: time.Duration(t.SessionMax) * time.Second, ReviewRate: map[RuleID]float64{},
		DefaultRate: t.DefaultRate, ReviewPeriod: time.Duration(t.ReviewPeriod) * time.Second}
	for _, r := range t.Off {
		c.Disabled[r] = true
	}
	maps.Copy(c.ReviewRate, t.ReviewRate)
	c.Hours.Location = loc
	for d, h := range t.Days {
		c.Hours.Days[d].Open, c.Hours.Days[d].Close = h[0], h[1]
	}
	return c, nil
}
