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
}

// FormOf shows s in the settings screen's fields.
func FormOf(s settings.Settings) SettingsForm {
	return SettingsForm{PharmacyName: s.PharmacyName, ODSCode: s.ODSCode, WorkstationName: s.WorkstationName,
		Environment: string(s.Environment), BaseURL: s.BaseURL, TrustAnchorsFile: s.TrustAnchorsFile,
		ClientCertFile: s.ClientCertFile, PreferredReader: s.PreferredReader, CardRemoval: string(s.CardRemoval),
		IdleLockMinutes: strconv.Itoa(s.IdleLockMinutes), TextScale: strconv.FormatFloat(s.TextScale, 'g', -1, 64),
		OpeningHours: s.OpeningHours}
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
