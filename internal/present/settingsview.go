package present

import (
	"errors"
	"strconv"
	"strings"

	"scrdesk/internal/settings"
)

// SettingsForm is what the settings screen's fields hold, as typed.
type SettingsForm struct {
	PharmacyName, ODSCode, WorkstationName string
	Environment, BaseURL                   string
	TrustAnchorsFile, ClientCertFile       string
	PreferredReader                        string // "" any reader
	CardRemoval                            string
	IdleLockMinutes, TextScale             string
	OpeningHours                           string
	// Rules are the governance rules' rows in settings.RuleSpecs' order; ReviewPeriod the
	// SOP's review period ("7d").
	Rules        []RuleForm
	ReviewPeriod string
}

// RuleForm is one governance rule's row as typed: on or off, and its values by the rule's
// settings.RuleParam keys ("review_percent", "count", "within", ...).
type RuleForm struct {
	Key    string // settings.RuleSpec.Key: "repeat_reopening"
	On     bool
	Values map[string]string
}

// RuleRow is how the settings screen lays out one rule: SGP.md's name, what it flags, and its
// thresholds in the order they read. Pure data from settings.RuleSpecs, the same for every
// render, so the screen builds its rows once.
type RuleRow struct {
	Key, Name string
	// Note says what the rule flags when it has no threshold to say it ("" otherwise).
	Note string
	// Params are the thresholds after the review share: each an entry between two texts.
	Params []RuleField
}

// RuleField is one threshold's entry: Before [entry] After, on a line of its own unless Join
// (then after the one before, on its line).
type RuleField struct {
	Key, Before, After string
	Join               bool
}

// ruleWords are the settings screen's words around each rule's thresholds.
var ruleWords = map[string]struct {
	note   string
	params []RuleField
}{
	"self_claimed_relationship": {note: "the user self-claimed a care relationship"},
	"weak_reason":               {params: []RuleField{{Key: "min_chars", Before: "an emergency reason empty, reused or shorter than", After: "characters"}}},
	"out_of_hours":              {note: "outside the opening hours above, or on a closed day"},
	"volume_spike": {params: []RuleField{{Key: "sigma", Before: "a day with more than", After: "standard deviations above the user's usual"},
		{Key: "days", Before: "(their average over", After: "days) and more than"}, {Key: "floor", After: "accesses", Join: true}}},
	"repeat_reopening": {params: []RuleField{{Key: "count", After: "openings of one patient by one user within"},
		{Key: "within", Join: true}}},
	"same_surname":        {note: "the patient's family name is the user's"},
	"self_lookup":         {note: "the patient's name and date of birth are the user's own"},
	"deceased_patient":    {note: "the patient was deceased when the record was opened"},
	"restricted_patient":  {note: "the patient's demographics are restricted"},
	"found_by_details":    {note: "the patient was found by a search by details, not by NHS number"},
	"concurrent_sessions": {params: []RuleField{{Key: "within", Before: "signed in here within", After: "of a sign-in on another workstation"}}},
	"failed_sign_ins": {params: []RuleField{{Key: "count", After: "failed sign-ins on this workstation within"},
		{Key: "within", Join: true}}},
	"refused_then_retried": {params: []RuleField{{Key: "within", Before: "another attempt within", After: "of a decline or refusal"}}},
}

// RuleRows lays out the governance rules for the settings screen, in SGP.md's order.
func RuleRows() []RuleRow {
	var out []RuleRow
	for _, s := range settings.RuleSpecs() {
		w := ruleWords[s.Key]
		out = append(out, RuleRow{Key: s.Key, Name: s.Name, Note: w.note, Params: w.params})
	}
	return out
}

// rulesForm shows r's rules as the screen's rows: every value the one in force.
func rulesForm(r settings.Rules) []RuleForm {
	var out []RuleForm
	for _, s := range settings.RuleSpecs() {
		f := RuleForm{Key: s.Key, On: !s.Setting(r).Off, Values: map[string]string{}}
		for _, p := range s.Params {
			f.Values[p.Key] = r.Text(s.Key, p.Key)
		}
		out = append(out, f)
	}
	return out
}

// FormOf shows s in the settings screen's fields.
func FormOf(s settings.Settings) SettingsForm {
	return SettingsForm{PharmacyName: s.PharmacyName, ODSCode: s.ODSCode, WorkstationName: s.WorkstationName,
		Environment: string(s.Environment), BaseURL: s.BaseURL, TrustAnchorsFile: s.TrustAnchorsFile,
		ClientCertFile: s.ClientCertFile, PreferredReader: s.PreferredReader, CardRemoval: string(s.CardRemoval),
		IdleLockMinutes: strconv.Itoa(s.IdleLockMinutes), TextScale: strconv.FormatFloat(s.TextScale, 'g', -1, 64),
		OpeningHours: s.OpeningHours, Rules: rulesForm(s.Rules), ReviewPeriod: s.Rules.ReviewPeriodText()}
}

// SettingsOf reads the fields over base (which keeps what the screen does not show, such as the
// permitted activity codes) and checks the result exactly as a settings file is checked
// (settings.Validate). It returns the settings and, per field (the settings file's JSON
// name), what is wrong with it in plain English; no problems means the settings may be saved.
func SettingsOf(base settings.Settings, f SettingsForm) (settings.Settings, map[string]string) {
	s := base
	problems := map[string]string{}
	s.PharmacyName, s.ODSCode = strings.TrimSpace(f.PharmacyName), strings.ToUpper(strings.TrimSpace(f.ODSCode))
	s.WorkstationName = strings.TrimSpace(f.WorkstationName)
	s.Environment, s.BaseURL = settings.Environment(f.Environment), strings.TrimSpace(f.BaseURL)
	s.TrustAnchorsFile, s.ClientCertFile = strings.TrimSpace(f.TrustAnchorsFile), strings.TrimSpace(f.ClientCertFile)
	s.PreferredReader, s.CardRemoval = f.PreferredReader, settings.CardRemoval(f.CardRemoval)
	s.OpeningHours = strings.TrimSpace(f.OpeningHours)
	if n, err := strconv.Atoi(strings.TrimSpace(f.IdleLockMinutes)); err == nil {
		s.IdleLockMinutes = n
	} else {
		s.IdleLockMinutes = 0
		problems["idle_lock_minutes"] = "The idle lock must be a whole number of minutes, like 5."
	}
	if x, err := strconv.ParseFloat(strings.TrimSpace(f.TextScale), 64); err == nil {
		s.TextScale = x
	} else {
		problems["text_scale"] = "Text size must be a number, like 1 or 1.25."
	}
	s.Rules = base.Rules // a rule the form does not name keeps its setting
	for _, rf := range f.Rules {
		spec, ok := settings.Spec(rf.Key)
		if !ok {
			continue
		}
		s.Rules.SetOff(spec.Key, !rf.On)
		for _, p := range spec.Params {
			text, typed := rf.Values[p.Key]
			if !typed {
				continue
			}
			if err := s.Rules.SetText(spec.Key, p.Key, text); err != nil {
				problems["rules."+spec.Key+"."+p.Key] = err.Error()
			}
		}
	}
	if f.Rules != nil || f.ReviewPeriod != "" { // (a form without the rules' rows keeps base's)
		if err := s.Rules.SetReviewPeriod(f.ReviewPeriod); err != nil {
			problems["rules.review_period"] = err.Error()
		}
	}
	var v settings.ValidationError
	if err := s.Validate(); errors.As(err, &v) {
		for _, fe := range v {
			if _, ok := problems[fe.Field]; !ok {
				problems[fe.Field] = fe.Problem
			}
		}
	}
	return s, problems
}

// CheckView is the result of one check the settings screen runs ("Test connection", "Check a
// card"): running, then passed or failed with lines saying what was found.
type CheckView struct {
	Running bool
	Done    bool
	OK      bool
	Lines   []string
}

// SettingsView is the settings screen.
type SettingsView struct {
	Demo bool
	Form SettingsForm
	// Problems per field (JSON name), as SettingsOf found them.
	Problems map[string]string
	// Readers are the readers present, for the preferred reader's list.
	Readers []string
	// Anchors describe the trust anchors file's certificates (subject and expiry), or say
	// what is wrong with it.
	Anchors []string
	// Saved says what the last save did ("Saved and applied ...") or why it was refused.
	Saved    string
	SavedBad bool
	// Connection and Card are the two checks' results.
	Connection CheckView
	Card       CheckView
}
