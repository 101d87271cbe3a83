package settings

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"scrdesk/internal/governance"
)

// Rules are the SCR Governance Person's detection rules (SGP.md's table), kept in the settings
// document's "rules" object: one object per rule that may be switched off, named by the rule
// ("repeat_reopening"), and the review period. Every value left out, or zero, is SGP.md's
// default (governance.DefaultConfig), so `{}` is the defaults and a document names only what
// the pharmacy changed:
//
//	"rules": {
//	  "out_of_hours": {"off": true},
//	  "self_claimed_relationship": {"review_percent": 25},
//	  "repeat_reopening": {"count": 4, "within": "48h"},
//	  "review_period": "14d"
//	}
//
// Lengths of time are a whole number and a unit, m (minutes), h (hours) or d (days): "10m",
// "72h", "3d". Emergency access is not here: every one is checked and reviewed (SGP.md), and
// so are our own two rules (a security setting changed, the clock changed).
type Rules struct {
	SelfClaim     RuleSetting `json:"self_claimed_relationship,omitzero"`
	WeakReason    RuleSetting `json:"weak_reason,omitzero"`
	OutOfHours    RuleSetting `json:"out_of_hours,omitzero"`
	VolumeSpike   RuleSetting `json:"volume_spike,omitzero"`
	Repeat        RuleSetting `json:"repeat_reopening,omitzero"`
	SameSurname   RuleSetting `json:"same_surname,omitzero"`
	SelfLookup    RuleSetting `json:"self_lookup,omitzero"`
	Deceased      RuleSetting `json:"deceased_patient,omitzero"`
	Restricted    RuleSetting `json:"restricted_patient,omitzero"`
	ByDetails     RuleSetting `json:"found_by_details,omitzero"`
	Concurrent    RuleSetting `json:"concurrent_sessions,omitzero"`
	FailedSignIns RuleSetting `json:"failed_sign_ins,omitzero"`
	RefusedRetry  RuleSetting `json:"refused_then_retried,omitzero"`
	// ReviewPeriod is how often the SOP's reviews are due ("7d"); "" is weekly.
	ReviewPeriod string `json:"review_period,omitzero"`
}

// RuleSetting is one rule's switch, the SOP's review share for its cases and its thresholds.
// Which thresholds a rule has is RuleSpecs'; Validate refuses the others. Zero is the default.
type RuleSetting struct {
	Off bool `json:"off,omitzero"`
	// ReviewPercent is the share of the rule's cases the SOP says to review, 1 to 100.
	ReviewPercent int `json:"review_percent,omitzero"`
	// MinChars (missing or boilerplate reason): a reason shorter than this is too short.
	MinChars int `json:"min_chars,omitzero"`
	// Days, Sigma, Floor (volume spike): a day's accesses above the user's mean + Sigma
	// standard deviations over their previous Days days, and above Floor.
	Days  int     `json:"days,omitzero"`
	Sigma float64 `json:"sigma,omitzero"`
	Floor int     `json:"floor,omitzero"`
	// Count (repeat re-opening, failed sign-ins): this many within Within.
	Count int `json:"count,omitzero"`
	// Within: the rule's time window, a length of time ("72h"). Refused or declined: another
	// attempt this soon; concurrent sessions: a sign-in elsewhere this recent, with no lock or
	// sign-out since.
	Within string `json:"within,omitzero"`
}

// RuleParam is one threshold of a rule, as Validate checks it and the screens show it.
type RuleParam struct {
	Key  string // the JSON name inside the rule's object: "count"
	Name string // plain English, for messages: "count"
	Kind ParamKind
	// Min and Max bound the value (for lengths of time, in nanoseconds).
	Min, Max float64
}

// ParamKind is how a threshold is written.
type ParamKind int

// Kinds of threshold.
const (
	WholeNumber ParamKind = iota
	Number
	Span // a length of time: "10m", "72h", "3d"
)

// RuleSpec is one rule that settings may switch off, with its thresholds.
type RuleSpec struct {
	ID     governance.RuleID
	Key    string // the JSON name inside "rules": "repeat_reopening"
	Name   string // SGP.md's name: "Repeat re-opening"
	Params []RuleParam
	get    func(*Rules) *RuleSetting
}

const (
	minute = float64(time.Minute)
	hour   = float64(time.Hour)
	day    = 24 * hour
)

// reviewParam is every rule's review share.
var reviewParam = RuleParam{"review_percent", "review share", WholeNumber, 1, 100}

// ruleSpecs are the rules of SGP.md's table that may be switched off, in its order. The
// windows stay within the 29 days the rules re-read at start-up (store.rulesWarmup), so a
// restart judges the next rows as an unbroken run would.
var ruleSpecs = []RuleSpec{
	{governance.RuleSelfClaim, "", "", nil, func(r *Rules) *RuleSetting { return &r.SelfClaim }},
	{governance.RuleWeakReason, "", "", []RuleParam{{"min_chars", "shortest reason", WholeNumber, 1, 200}},
		func(r *Rules) *RuleSetting { return &r.WeakReason }},
	{governance.RuleOutOfHours, "", "", nil, func(r *Rules) *RuleSetting { return &r.OutOfHours }},
	{governance.RuleVolumeSpike, "", "", []RuleParam{{"sigma", "standard deviations", Number, 1, 10},
		{"days", "baseline in days", WholeNumber, 7, 28}, {"floor", "least accesses a day", WholeNumber, 1, 10000}},
		func(r *Rules) *RuleSetting { return &r.VolumeSpike }},
	{governance.RuleRepeat, "", "", []RuleParam{{"count", "number of openings", WholeNumber, 2, 50},
		{"within", "time window", Span, hour, 28 * day}}, func(r *Rules) *RuleSetting { return &r.Repeat }},
	{governance.RuleSameSurname, "", "", nil, func(r *Rules) *RuleSetting { return &r.SameSurname }},
	{governance.RuleSelfLookup, "", "", nil, func(r *Rules) *RuleSetting { return &r.SelfLookup }},
	{governance.RuleDeceased, "", "", nil, func(r *Rules) *RuleSetting { return &r.Deceased }},
	{governance.RuleRestricted, "", "", nil, func(r *Rules) *RuleSetting { return &r.Restricted }},
	{governance.RuleByDetails, "", "", nil, func(r *Rules) *RuleSetting { return &r.ByDetails }},
	{governance.RuleConcurrent, "", "", []RuleParam{{"within", "time window", Span, hour, 48 * hour}},
		func(r *Rules) *RuleSetting { return &r.Concurrent }},
	{governance.RuleFailedSignIns, "", "", []RuleParam{{"count", "number of failures", WholeNumber, 2, 50},
		{"within", "time window", Span, minute, day}}, func(r *Rules) *RuleSetting { return &r.FailedSignIns }},
	{governance.RuleRefusedRetry, "", "", []RuleParam{{"within", "time window", Span, minute, 7 * day}},
		func(r *Rules) *RuleSetting { return &r.RefusedRetry }},
}

func init() {
	for i := range ruleSpecs {
		s := &ruleSpecs[i]
		s.Key = strings.ReplaceAll(string(s.ID), "-", "_")
		s.Name = s.ID.SGPName()
		s.Params = append([]RuleParam{reviewParam}, s.Params...)
	}
}

// RuleSpecs lists the rules that may be switched off, in SGP.md's order, each with its
// thresholds (the review share first).
func RuleSpecs() []RuleSpec {
	out := make([]RuleSpec, len(ruleSpecs))
	copy(out, ruleSpecs)
	return out
}

// Spec returns the rule named key ("repeat_reopening").
func Spec(key string) (RuleSpec, bool) {
	for _, s := range ruleSpecs {
		if s.Key == key {
			return s, true
		}
	}
	return RuleSpec{}, false
}

// Setting is the rule's setting in r.
func (s RuleSpec) Setting(r Rules) RuleSetting { return *s.get(&r) }

// reviewPeriodParam is the review period's bounds.
var reviewPeriodParam = RuleParam{"review_period", "review period", Span, day, 31 * day}

// ParseSpan reads a length of time written as a whole number and a unit: m (minutes), h
// (hours) or d (days), as "10m", "72h", "3d".
func ParseSpan(text string) (time.Duration, error) {
	t := strings.TrimSpace(text)
	bad := fmt.Errorf("%q is not a length of time: write it like 10m, 72h or 3d", text)
	if len(t) < 2 {
		return 0, bad
	}
	unit := map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}[t[len(t)-1]]
	digits := t[:len(t)-1]
	n, err := strconv.Atoi(digits)
	if unit == 0 || err != nil || n <= 0 || n > 100000 || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, bad
	}
	return time.Duration(n) * unit, nil
}

// FormatSpan writes d as ParseSpan reads it: days for a whole number of days of a week or
// more ("7d"), else hours for whole hours ("72h"), else minutes ("90m").
func FormatSpan(d time.Duration) string {
	switch {
	case d >= 7*24*time.Hour && d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d >= time.Hour && d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	}
	return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
}

// value is param p of rs as a number (0: not set), or its text for a length of time.
func (p RuleParam) value(rs RuleSetting) (float64, string) {
	switch p.Key {
	case "review_percent":
		return float64(rs.ReviewPercent), ""
	case "min_chars":
		return float64(rs.MinChars), ""
	case "days":
		return float64(rs.Days), ""
	case "sigma":
		return rs.Sigma, ""
	case "floor":
		return float64(rs.Floor), ""
	case "count":
		return float64(rs.Count), ""
	case "within":
		return 0, rs.Within
	}
	return 0, ""
}

// set stores v (a number, or text for a length of time) as param p of rs.
func (p RuleParam) set(rs *RuleSetting, v float64, text string) {
	switch p.Key {
	case "review_percent":
		rs.ReviewPercent = int(v)
	case "min_chars":
		rs.MinChars = int(v)
	case "days":
		rs.Days = int(v)
	case "sigma":
		rs.Sigma = v
	case "floor":
		rs.Floor = int(v)
	case "count":
		rs.Count = int(v)
	case "within":
		rs.Within = text
	}
}

// deflt is param p's default for rule id, as governance.DefaultConfig has it.
func (p RuleParam) deflt(id governance.RuleID) float64 {
	c := governance.DefaultConfig()
	switch p.Key {
	case "review_percent":
		return math.Round(c.Rate(id) * 100)
	case "min_chars":
		return float64(c.MinReasonChars)
	case "days":
		return float64(c.SpikeDays)
	case "sigma":
		return c.SpikeSigma
	case "floor":
		return float64(c.SpikeFloor)
	case "count":
		if id == governance.RuleFailedSignIns {
			return float64(c.FailedCount)
		}
		return float64(c.RepeatCount)
	case "within":
		switch id {
		case governance.RuleRepeat:
			return float64(c.RepeatWithin)
		case governance.RuleFailedSignIns:
			return float64(c.FailedWithin)
		case governance.RuleRefusedRetry:
			return float64(c.RetryWithin)
		case governance.RuleConcurrent:
			return float64(c.SessionMax)
		}
	case "review_period":
		return float64(c.ReviewPeriod)
	}
	return 0
}

func formatNumber(kind ParamKind, v float64) string {
	switch kind {
	case Span:
		return FormatSpan(time.Duration(v))
	case WholeNumber:
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Text is the value of rule key's param in r as text, the default when it is not set:
// "3", "72h", "50". A length of time that does not read is given as written.
func (r Rules) Text(key, param string) string {
	s, ok := Spec(key)
	if !ok {
		return ""
	}
	for _, p := range s.Params {
		if p.Key == param {
			return paramText(p, s.ID, s.Setting(r))
		}
	}
	return ""
}

func paramText(p RuleParam, id governance.RuleID, rs RuleSetting) string {
	v, text := p.value(rs)
	if p.Kind == Span {
		if text == "" {
			return FormatSpan(time.Duration(p.deflt(id)))
		}
		if d, err := ParseSpan(text); err == nil {
			return FormatSpan(d)
		}
		return text
	}
	if v == 0 {
		v = p.deflt(id)
	}
	return formatNumber(p.Kind, v)
}

// ReviewPeriodText is the review period as text, the default ("7d") when it is not set.
func (r Rules) ReviewPeriodText() string {
	if r.ReviewPeriod == "" {
		return FormatSpan(time.Duration(reviewPeriodParam.deflt("")))
	}
	if d, err := ParseSpan(r.ReviewPeriod); err == nil {
		return FormatSpan(d)
	}
	return r.ReviewPeriod
}

// SetText sets rule key's param in r from text as typed on the settings screen; a value equal
// to the default, or no text, is kept as not set, so the document names only what the
// pharmacy changed.
// The error is the sentence to show.
func (r *Rules) SetText(key, param, text string) error {
	s, ok := Spec(key)
	if !ok {
		return fmt.Errorf("%q is not a rule that can be switched off", key)
	}
	for _, p := range s.Params {
		if p.Key != param {
			continue
		}
		rs := s.get(r)
		t := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(text), "%"))
		if t == "" { // an empty field is the default
			p.set(rs, 0, "")
			return nil
		}
		switch p.Kind {
		case Span:
			d, err := ParseSpan(t)
			if err != nil {
				return fmt.Errorf("%s", problem(s, p))
			}
			t = FormatSpan(d)
			if float64(d) == p.deflt(s.ID) {
				t = "" // the default: not set
			}
			p.set(rs, 0, t)
		default:
			v, err := strconv.ParseFloat(t, 64)
			if err != nil || math.IsNaN(v) || math.Abs(v) > 1e9 || p.Kind == WholeNumber && v != math.Trunc(v) {
				return fmt.Errorf("%s", problem(s, p))
			}
			switch {
			case v == p.deflt(s.ID):
				v = 0 // the default: not set
			case v == 0: // zero would read as the default; no threshold may be zero
				return fmt.Errorf("%s", problem(s, p))
			}
			p.set(rs, v, "")
		}
		return nil
	}
	return fmt.Errorf("%s has no %s setting", s.Name, param)
}

// SetOff switches rule key off (or on again).
func (r *Rules) SetOff(key string, off bool) {
	if s, ok := Spec(key); ok {
		s.get(r).Off = off
	}
}

// SetReviewPeriod sets the review period from text as typed; the default, or no text, is kept
// as not set.
func (r *Rules) SetReviewPeriod(text string) error {
	if strings.TrimSpace(text) == "" { // the default
		r.ReviewPeriod = ""
		return nil
	}
	d, err := ParseSpan(text)
	if err != nil {
		return fmt.Errorf("%s", periodProblem())
	}
	r.ReviewPeriod = FormatSpan(d)
	if float64(d) == reviewPeriodParam.deflt("") {
		r.ReviewPeriod = ""
	}
	return nil
}

// problem is the plain-English message for a bad value of param p of rule s.
func problem(s RuleSpec, p RuleParam) string {
	switch {
	case p.Key == "review_percent":
		return s.Name + ": the review share must be a whole percentage from 1 to 100 (to stop reviewing a rule, switch it off)."
	case p.Kind == Span:
		return fmt.Sprintf("%s: the %s must be a length of time from %s to %s, written like 90m, 72h or 3d.", s.Name, p.Name,
			bound(p.Min), bound(p.Max))
	case p.Kind == WholeNumber:
		return fmt.Sprintf("%s: the %s must be a whole number from %g to %g.", s.Name, p.Name, p.Min, p.Max)
	}
	return fmt.Sprintf("%s: the %s must be a number from %g to %g.", s.Name, p.Name, p.Min, p.Max)
}

func periodProblem() string {
	return fmt.Sprintf("The review period must be a length of time from %s to %s, written like 7d.",
		bound(reviewPeriodParam.Min), bound(reviewPeriodParam.Max))
}

// bound writes a limit on a length of time, in days when it is whole days ("1d", "28d").
func bound(v float64) string {
	if d := time.Duration(v); d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return FormatSpan(time.Duration(v))
}

// validate adds a problem for each rule value out of range, each threshold a rule does not
// have, and a review period that does not read.
func (r Rules) validate(add func(field, problem string)) {
	for _, s := range ruleSpecs {
		rs := s.Setting(r)
		has := map[string]bool{}
		for _, p := range s.Params {
			has[p.Key] = true
			field := "rules." + s.Key + "." + p.Key
			v, text := p.value(rs)
			switch {
			case p.Kind == Span && text != "":
				if d, err := ParseSpan(text); err != nil || float64(d) < p.Min || float64(d) > p.Max {
					add(field, problem(s, p))
				}
			case p.Kind != Span && v != 0:
				if math.IsNaN(v) || v < p.Min || v > p.Max || p.Kind == WholeNumber && v != math.Trunc(v) {
					add(field, problem(s, p))
				}
			}
		}
		for _, p := range allParams {
			if v, text := p.value(rs); !has[p.Key] && (v != 0 || text != "") {
				add("rules."+s.Key+"."+p.Key, fmt.Sprintf("%s has no %s setting: remove it.", s.Name, p.Key))
			}
		}
	}
	if r.ReviewPeriod != "" {
		if d, err := ParseSpan(r.ReviewPeriod); err != nil || float64(d) < reviewPeriodParam.Min || float64(d) > reviewPeriodParam.Max {
			add("rules.review_period", periodProblem())
		}
	}
}

// allParams is every threshold a RuleSetting can hold.
var allParams = []RuleParam{reviewParam, {Key: "min_chars"}, {Key: "days"}, {Key: "sigma"}, {Key: "floor"},
	{Key: "count"}, {Key: "within", Kind: Span}}

// fieldText lists every rule value as field name -> text (the value in force: the default
// when not set), for Diff: "rules.repeat_reopening.off" "false", "rules.repeat_reopening.count" "3".
func (r Rules) fieldText() [][2]string {
	var out [][2]string
	for _, s := range ruleSpecs {
		rs := s.Setting(r)
		out = append(out, [2]string{"rules." + s.Key + ".off", strconv.FormatBool(rs.Off)})
		for _, p := range s.Params {
			out = append(out, [2]string{"rules." + s.Key + "." + p.Key, paramText(p, s.ID, rs)})
		}
	}
	return append(out, [2]string{"rules.review_period", r.ReviewPeriodText()})
}

// FieldName names a settings field (as Diff and Validate name it) in words: "ods code",
// "Repeat re-opening: number of openings", "Out of hours: on or off", "review period".
func FieldName(field string) string {
	rest, ok := strings.CutPrefix(field, "rules.")
	if !ok {
		return strings.ReplaceAll(field, "_", " ")
	}
	key, param, _ := strings.Cut(rest, ".")
	spec, ok := Spec(key)
	if !ok {
		return strings.ReplaceAll(rest, "_", " ")
	}
	if param == "off" {
		return spec.Name + ": on or off"
	}
	for _, p := range spec.Params {
		if p.Key == param {
			return spec.Name + ": " + p.Name
		}
	}
	return spec.Name + ": " + strings.ReplaceAll(param, "_", " ")
}

// GovernanceConfig is the rules' configuration these settings give: governance.DefaultConfig
// with the opening hours (in its zone, Europe/London) and every rule's switch, thresholds and
// review share. A value that does not validate (Validate refuses it before it is kept) leaves
// the default.
func (s Settings) GovernanceConfig() governance.Config {
	cfg := governance.DefaultConfig()
	if week, err := ParseOpeningHours(s.OpeningHours); err == nil {
		for d, w := range week {
			cfg.Hours.Days[d].Open, cfg.Hours.Days[d].Close = w.Open, w.Close
		}
	}
	var bad []string
	s.Rules.validate(func(field, _ string) { bad = append(bad, field) })
	ok := func(field string) bool {
		for _, b := range bad {
			if b == field {
				return false
			}
		}
		return true
	}
	for _, spec := range ruleSpecs {
		rs := spec.Setting(s.Rules)
		if rs.Off {
			cfg.Disabled[spec.ID] = true
		}
		for _, p := range spec.Params {
			v, text := p.value(rs)
			if !ok("rules."+spec.Key+"."+p.Key) || v == 0 && text == "" {
				continue
			}
			d, _ := ParseSpan(text)
			switch p.Key {
			case "review_percent":
				if rate := v / 100; rate != cfg.Rate(spec.ID) {
					cfg.ReviewRate[spec.ID] = rate
				}
			case "min_chars":
				cfg.MinReasonChars = int(v)
			case "days":
				cfg.SpikeDays = int(v)
			case "sigma":
				cfg.SpikeSigma = v
			case "floor":
				cfg.SpikeFloor = int(v)
			case "count":
				if spec.ID == governance.RuleFailedSignIns {
					cfg.FailedCount = int(v)
				} else {
					cfg.RepeatCount = int(v)
				}
			case "within":
				switch spec.ID {
				case governance.RuleRepeat:
					cfg.RepeatWithin = d
				case governance.RuleFailedSignIns:
					cfg.FailedWithin = d
				case governance.RuleRefusedRetry:
					cfg.RetryWithin = d
				case governance.RuleConcurrent:
					cfg.SessionMax = d
				}
			}
		}
	}
	if d, err := ParseSpan(s.Rules.ReviewPeriod); err == nil && ok("rules.review_period") {
		cfg.ReviewPeriod = d
	}
	return cfg
}
