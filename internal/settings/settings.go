// Package settings owns SCR Desk's typed settings: what they are, their defaults, how they are
// checked, how two versions differ, and how they are imported from and exported to JSON; and
// what the governance rules' settings make of governance.DefaultConfig (GovernanceConfig).
//
// Settings hold no secrets: the client key password and tokens live in the keyring (package
// secrets), never here and never in SQLite. Persistence and auditing of changes belong to the
// store (store.DB.SaveSettings records one audit row per changed field, old and new value).
//
// The package is a leaf: standard library and other leaves (staff, usermsg, governance), no
// I/O, no clock. Values are plain data, safe to copy and share.
package settings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"scrdesk/internal/staff"
	"scrdesk/internal/usermsg"
)

// Environment names the national environment SCR Desk talks to.
type Environment string

// Environments. Demo uses the built-in sandbox; Custom uses BaseURL as given.
const (
	EnvDemo        Environment = "demo"
	EnvIntegration Environment = "integration"
	EnvProduction  Environment = "production"
	EnvCustom      Environment = "custom"
)

// Base URLs of the NHS API platform (https://digital.nhs.uk/developer/guides-and-documentation/
// security-and-authorisation, "Environments and testing").
const (
	IntegrationBaseURL = "https://int.api.service.nhs.uk"
	ProductionBaseURL  = "https://api.service.nhs.uk"
)

// CardRemoval says what removing the smartcard does (docs/domain.md rule 2: it always ends the
// view).
type CardRemoval string

// Card removal actions.
const (
	CardRemovalLock    CardRemoval = "lock"     // lock; the same card and passcode resume
	CardRemovalSignOut CardRemoval = "sign-out" // end the session
)

// Limits checked by Validate.
const (
	MinIdleLockMinutes = 1
	MaxIdleLockMinutes = 60
	MinTextScale       = 0.75
	MaxTextScale       = 2.0
	maxText            = 200
)

// DefaultPermittedActivityCodes are the RBAC activity codes that allow viewing a Summary Care
// Record when none are configured: staff.DefaultSCRActivities (B0370, B0360 and B0401). They
// are configuration, not constants (docs/domain.md rule 1): IT support changes them in settings.
var DefaultPermittedActivityCodes = slices.Clone(staff.DefaultSCRActivities)

// Settings are SCR Desk's settings for one workstation.
type Settings struct {
	PharmacyName string `json:"pharmacy_name"`
	// ODSCode is the pharmacy's national organisation code, e.g. "FA123".
	ODSCode         string `json:"ods_code"`
	WorkstationName string `json:"workstation_name"`

	Environment Environment `json:"environment"`
	// BaseURL is used when Environment is custom; see EffectiveBaseURL.
	BaseURL string `json:"base_url,omitempty"`

	CardRemoval     CardRemoval `json:"card_removal"`
	IdleLockMinutes int         `json:"idle_lock_minutes"`

	// TrustAnchorsFile is an absolute path to PEM CA certificates used to check smartcards
	// and the national services; "" uses the built-in set.
	TrustAnchorsFile string `json:"trust_anchors_file,omitempty"`
	// ClientCertFile is an absolute path to a PEM file holding the workstation's TLS client
	// certificate and its private key, for environments that require one; "" sends none. An
	// encrypted key's password lives in the keyring (`scrdesk client-key-password`), never here.
	ClientCertFile string `json:"client_cert_file,omitempty"`
	// PreferredReader is the PC/SC reader name to use first; "" takes the first with a card.
	PreferredReader string `json:"preferred_reader,omitempty"`

	// PermittedActivityCodes are the activity codes that allow opening a record.
	PermittedActivityCodes []string `json:"permitted_activity_codes"`

	// TextScale enlarges or shrinks text (1 is normal).
	TextScale float64 `json:"text_scale"`

	// CentralDSN is the pharmacy's central audit database (PostgreSQL), as a URL
	// ("postgres://counter1@backoffice:5432/scrdesk?sslmode=verify-full") or key=value pairs;
	// "" keeps the log on this workstation only. It never holds the password: that lives in the
	// keyring (`scrdesk central-db-password`).
	CentralDSN string `json:"central_dsn,omitempty"`
	// CentralSGPDSN is the SGP's reading login to the same database (role scrdesk_reader), for
	// the workspace's "whole pharmacy" view; "" offers this workstation only. Its password is in
	// the keyring (`scrdesk central-db-password --sgp`).
	CentralSGPDSN string `json:"central_sgp_dsn,omitempty"`
	// OpeningHours is when the pharmacy is open, in local time, for the SCR Governance Person's
	// out-of-hours check: "Mon-Fri 09:00-18:00, Sat 09:00-13:00" (days not named are closed);
	// "" means the default, DefaultOpeningHours. See ParseOpeningHours.
	OpeningHours string `json:"opening_hours,omitempty"`
	// Rules are the governance rules' switches, thresholds and SOP review shares, and the
	// review period; every value left out is SGP.md's default (governance.DefaultConfig). See
	// Rules and GovernanceConfig.
	Rules Rules `json:"rules,omitzero"`
}

// DefaultOpeningHours are the opening hours when none are set (SGP.md).
const DefaultOpeningHours = "Mon-Sat 09:00-18:00"

// DayHours is one weekday's opening and closing minute after midnight; Open == Close is closed.
type DayHours struct{ Open, Close int }

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseOpeningHours reads opening hours written as comma-separated parts "DAY[-DAY] HH:MM-HH:MM"
// with English three-letter day names (Mon, Tue, ...): "Mon-Fri 09:00-18:00, Sat 09:00-13:00".
// The result is indexed by time.Weekday (Sunday = 0); days not named are closed. "" reads as
// DefaultOpeningHours.
func ParseOpeningHours(text string) ([7]DayHours, error) {
	var week [7]DayHours
	if strings.TrimSpace(text) == "" {
		text = DefaultOpeningHours
	}
	day := func(s string) int { return slices.Index(dayNames, strings.ToLower(s)) }
	clock := func(s string) (int, bool) {
		h, m, ok := strings.Cut(s, ":")
		hh, err1 := strconv.Atoi(h)
		mm, err2 := strconv.Atoi(m)
		if !ok || err1 != nil || err2 != nil || len(h) != 2 || len(m) != 2 || hh < 0 || hh > 24 || mm < 0 || mm > 59 || hh*60+mm > 24*60 {
			return 0, false
		}
		return hh*60 + mm, true
	}
	bad := errors.New("opening hours look like \"Mon-Fri 09:00-18:00, Sat 09:00-13:00\"")
	seen := [7]bool{}
	for _, part := range strings.Split(text, ",") {
		f := strings.Fields(part)
		if len(f) != 2 {
			return week, bad
		}
		d1, d2, isRange := strings.Cut(f[0], "-")
		from, to := day(d1), day(d1)
		if isRange {
			to = day(d2)
		}
		t1, t2, _ := strings.Cut(f[1], "-")
		open, ok1 := clock(t1)
		closing, ok2 := clock(t2)
		if from < 0 || to < 0 || !ok1 || !ok2 || open >= closing {
			return week, bad
		}
		for d := from; ; d = (d + 1) % 7 {
			if seen[d] {
				return week, fmt.Errorf("opening hours name %s twice", dayNames[d])
			}
			seen[d] = true
			week[d] = DayHours{open, closing}
			if d == to {
				break
			}
		}
	}
	return week, nil
}

// Defaults returns the settings of a new installation: demo environment, lock on card removal,
// lock after 5 idle minutes, normal text, the default activity codes.
func Defaults() Settings {
	return Settings{
		Environment:            EnvDemo,
		CardRemoval:            CardRemovalLock,
		IdleLockMinutes:        5,
		PermittedActivityCodes: slices.Clone(DefaultPermittedActivityCodes),
		TextScale:              1,
	}
}

// EffectiveBaseURL is the base URL of the national services for the environment: "" for demo
// (the built-in sandbox), the NHS API platform's for integration and production, BaseURL for
// custom.
func (s Settings) EffectiveBaseURL() string {
	switch s.Environment {
	case EnvIntegration:
		return IntegrationBaseURL
	case EnvProduction:
		return ProductionBaseURL
	case EnvCustom:
		return s.BaseURL
	}
	return ""
}

// FieldError is one problem with one setting.
type FieldError struct {
	Field   string // the JSON name
	Problem string // plain English
}

// ValidationError lists every problem Validate found.
type ValidationError []FieldError

func (v ValidationError) Error() string {
	parts := make([]string, len(v))
	for i, f := range v {
		parts[i] = f.Field + ": " + f.Problem
	}
	return "invalid settings: " + strings.Join(parts, "; ")
}

// UserMessage says in plain English what to fix (usermsg.Error).
func (v ValidationError) UserMessage() string {
	parts := make([]string, len(v))
	for i, f := range v {
		parts[i] = f.Problem
	}
	return "Please correct the settings: " + strings.Join(parts, " ")
}

func isODS(s string) bool {
	if len(s) < 3 || len(s) > 10 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func isActivityCode(s string) bool {
	if len(s) != 5 || s[0] != 'B' {
		return false
	}
	for _, c := range []byte(s[1:]) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return false
		}
	}
	return true
}

// Validate checks every field and returns a ValidationError listing all problems, or nil.
func (s Settings) Validate() error {
	var v ValidationError
	add := func(field, problem string) { v = append(v, FieldError{field, problem}) }
	for field, val := range map[string]string{"pharmacy_name": s.PharmacyName,
		"workstation_name": s.WorkstationName, "preferred_reader": s.PreferredReader} {
		if len(val) > maxText || !printable(val) {
			add(field, fmt.Sprintf("%s must be plain text of at most %d characters.", strings.ReplaceAll(field, "_", " "), maxText))
		}
	}
	if s.ODSCode != "" && !isODS(s.ODSCode) {
		add("ods_code", "The ODS code must be 3 to 10 capital letters and digits, like FA123.")
	}
	switch s.Environment {
	case EnvDemo, EnvIntegration, EnvProduction:
		if s.BaseURL != "" {
			add("base_url", "A base URL is only used with the custom environment; clear it or choose custom.")
		}
	case EnvCustom:
		if err := checkBaseURL(s.BaseURL); err != "" {
			add("base_url", err)
		}
	default:
		add("environment", "The environment must be demo, integration, production or custom.")
	}
	if s.CardRemoval != CardRemovalLock && s.CardRemoval != CardRemovalSignOut {
		add("card_removal", "Removing the card must either lock or sign out.")
	}
	if s.IdleLockMinutes < MinIdleLockMinutes || s.IdleLockMinutes > MaxIdleLockMinutes {
		add("idle_lock_minutes", fmt.Sprintf("The idle lock must be between %d and %d minutes.", MinIdleLockMinutes, MaxIdleLockMinutes))
	}
	if s.TrustAnchorsFile != "" && (!filepath.IsAbs(s.TrustAnchorsFile) || !printable(s.TrustAnchorsFile) || len(s.TrustAnchorsFile) > 1024) {
		add("trust_anchors_file", "The trust anchors file must be a full path, like /etc/scrdesk/anchors.pem.")
	}
	if s.ClientCertFile != "" && (!filepath.IsAbs(s.ClientCertFile) || !printable(s.ClientCertFile) || len(s.ClientCertFile) > 1024) {
		add("client_cert_file", "The client certificate file must be a full path, like /etc/scrdesk/client.pem.")
	}
	if p := checkCentralDSN(s.CentralDSN); p != "" {
		add("central_dsn", p)
	}
	if p := checkCentralDSN(s.CentralSGPDSN); p != "" {
		add("central_sgp_dsn", p)
	}
	if len(s.PermittedActivityCodes) == 0 {
		add("permitted_activity_codes", "At least one permitted activity code is needed, or nobody can open a record.")
	}
	if len(s.PermittedActivityCodes) > 64 {
		add("permitted_activity_codes", "At most 64 permitted activity codes can be listed.")
	}
	for _, c := range s.PermittedActivityCodes {
		if !isActivityCode(c) {
			add("permitted_activity_codes", fmt.Sprintf("%q is not an activity code: they look like B0370.", c))
			break
		}
	}
	if len(s.OpeningHours) > maxText {
		add("opening_hours", "The opening hours are too long.")
	} else if _, err := ParseOpeningHours(s.OpeningHours); err != nil {
		add("opening_hours", "The opening hours must look like \"Mon-Fri 09:00-18:00, Sat 09:00-13:00\" (days not named are closed).")
	}
	s.Rules.validate(add)
	if !(s.TextScale >= MinTextScale && s.TextScale <= MaxTextScale) { // also catches NaN
		add("text_scale", fmt.Sprintf("Text size must be between %g and %g.", MinTextScale, MaxTextScale))
	}
	if len(v) == 0 {
		return nil
	}
	return v
}

// checkCentralDSN checks the central database's address: a postgres:// URL or key=value
// pairs, printable, and without a password (the keyring holds it).
func checkCentralDSN(raw string) string {
	if raw == "" {
		return ""
	}
	if !printable(raw) || len(raw) > 1024 {
		return "The central audit database address must be one line of plain text."
	}
	if strings.HasPrefix(raw, "postgres://") || strings.HasPrefix(raw, "postgresql://") {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return "The central audit database address must look like postgres://user@host:5432/database."
		}
		if _, has := u.User.Password(); has || u.Query().Has("password") {
			return "The central audit database address must not contain the password: keep it in the keyring with scrdesk central-db-password."
		}
		return ""
	}
	for _, kv := range strings.Fields(raw) {
		k, _, ok := strings.Cut(kv, "=")
		if !ok {
			return "The central audit database address must be a postgres:// URL or key=value pairs like host=backoffice user=counter1 dbname=scrdesk."
		}
		if strings.EqualFold(k, "password") {
			return "The central audit database address must not contain the password: keep it in the keyring with scrdesk central-db-password."
		}
	}
	return ""
}

// CheckBaseURL checks a national services base URL given outside a settings document (the
// `--api-base` flag) by the rules a settings file's base_url follows: https, or plain http to
// this computer only. The error's text is the sentence to show.
func CheckBaseURL(raw string) error {
	if msg := checkBaseURL(raw); msg != "" {
		return errors.New(msg)
	}
	return nil
}

func checkBaseURL(raw string) string {
	if raw == "" {
		return "The custom environment needs a base URL, like https://example.nhs.uk."
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "The base URL must be a plain address like https://example.nhs.uk."
	}
	switch u.Scheme {
	case "https":
	case "http":
		h := u.Hostname()
		if h != "localhost" && h != "127.0.0.1" && h != "::1" {
			return "The base URL must use https (plain http is allowed only on this computer)."
		}
	default:
		return "The base URL must start with https://."
	}
	return ""
}

// Change is one setting that differs between two versions, with both values as text.
type Change struct {
	Field    string // the JSON name
	Old, New string
}

// fieldText returns every setting as field name -> text, in a fixed order. The governance
// rules' values are the ones in force (a default shows as its value), so a change is what
// changes the rules.
func (s Settings) fieldText() [][2]string {
	return append([][2]string{
		{"pharmacy_name", s.PharmacyName},
		{"ods_code", s.ODSCode},
		{"workstation_name", s.WorkstationName},
		{"environment", string(s.Environment)},
		{"base_url", s.BaseURL},
		{"card_removal", string(s.CardRemoval)},
		{"idle_lock_minutes", strconv.Itoa(s.IdleLockMinutes)},
		{"trust_anchors_file", s.TrustAnchorsFile},
		{"client_cert_file", s.ClientCertFile},
		{"preferred_reader", s.PreferredReader},
		{"permitted_activity_codes", strings.Join(s.PermittedActivityCodes, ",")},
		{"text_scale", strconv.FormatFloat(s.TextScale, 'g', -1, 64)},
		{"central_dsn", s.CentralDSN},
		{"central_sgp_dsn", s.CentralSGPDSN},
		{"opening_hours", s.OpeningHours},
	}, s.Rules.fieldText()...)
}

// Diff lists the settings that differ from old to new, in a fixed field order.
func Diff(old, new Settings) []Change {
	o, n := old.fieldText(), new.fieldText()
	var out []Change
	for i := range o {
		if o[i][1] != n[i][1] {
			out = append(out, Change{Field: o[i][0], Old: o[i][1], New: n[i][1]})
		}
	}
	return out
}

// ErrParse is wrapped by Parse when the input is not a settings document.
var ErrParse = usermsg.New("not a settings file", "That file is not an SCR Desk settings file, or it is damaged. Export the settings again and retry.")

// parseError is a settings document Parse could not read: errors.Is(err, ErrParse), with a
// sentence naming what is wrong and where, so whoever wrote the file can fix it.
type parseError struct {
	cause   error
	message string
}

func (e *parseError) Error() string        { return "not a settings file: " + e.cause.Error() }
func (e *parseError) UserMessage() string  { return e.message }
func (e *parseError) Unwrap() error        { return e.cause }
func (e *parseError) Is(target error) bool { return target == ErrParse }

// parseProblem says in plain words what the JSON decoder found wrong in data: the line and
// column of a punctuation mistake, a setting given the wrong kind of value, or a name SCR Desk
// does not know (a typo, or a rule that cannot be set).
func parseProblem(data []byte, err error) error {
	fix := " Correct the file in a text editor, or export the settings again from SCR Desk."
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := lineCol(data, syn.Offset-1) // Offset is just past the wrong character
		return &parseError{err, fmt.Sprintf("The settings file has a mistake in its punctuation at line %d, column %d (a missing comma, quote or bracket, perhaps).%s", line, col, fix)}
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return &parseError{err, "The settings file ends too early: a closing bracket or quote is missing, or the file is empty." + fix}
	case errors.As(err, &typ):
		if typ.Field == "" {
			return &parseError{err, "The settings file must be one { … } group of settings, as a file exported from Settings is." + fix}
		}
		if v, ok := strings.CutPrefix(typ.Value, "number "); ok && kindWords(typ.Type) == "a whole number" && !strings.ContainsAny(v, ".eE") {
			return &parseError{err, fmt.Sprintf("The setting %q is too large a number (%s).%s", typ.Field, v, fix)}
		}
		return &parseError{err, fmt.Sprintf("The setting %q must be %s, not %s.%s", typ.Field, kindWords(typ.Type), valueWords(typ.Value), fix)}
	}
	if name, ok := strings.CutPrefix(err.Error(), `json: unknown field "`); ok {
		name = strings.TrimSuffix(name, `"`)
		return &parseError{err, fmt.Sprintf("The settings file names %q, which is not a setting SCR Desk knows (or one that cannot be changed): check its spelling against a file exported from Settings.%s", name, fix)}
	}
	return &parseError{err, "That file is not an SCR Desk settings file, or it is damaged." + fix}
}

// lineCol is the 1-based line and column of byte offset off in data.
func lineCol(data []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1 // in characters, as an editor counts
	return line, col
}

func kindWords(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "text in quotes"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a [ … ] list"
	}
	return "a { … } group of settings"
}

// valueWords says the JSON value the decoder found ("number 2.5", "string", "array").
func valueWords(v string) string {
	switch {
	case strings.HasPrefix(v, "number "):
		return strings.TrimPrefix(v, "number ")
	case v == "number":
		return "that number"
	case v == "string":
		return "text"
	case v == "bool":
		return "true or false"
	case v == "array":
		return "a list"
	case v == "object":
		return "a group"
	}
	return v
}

// MaxImportSize bounds an imported settings document.
const MaxImportSize = 64 << 10

// Parse reads a settings document (JSON, as written by Marshal) from outside, e.g. an import
// file. Missing fields keep their defaults; unknown fields are refused (a typo must not pass
// silently). The result is validated.
func Parse(data []byte) (Settings, error) {
	if len(data) > MaxImportSize {
		return Settings{}, fmt.Errorf("%w: larger than %d bytes", ErrParse, MaxImportSize)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // the byte-order mark Notepad may write
	s := Defaults()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Settings{}, parseProblem(data, err)
	}
	if rest := bytes.TrimSpace(data[dec.InputOffset():]); len(rest) > 0 {
		if rest[0] == '{' {
			return Settings{}, &parseError{errors.New("more than one document"),
				"The settings file holds more than one { … } group of settings: keep one, as a file exported from Settings has."}
		}
		line, col := lineCol(data, int64(len(data)-len(bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n"))))
		return Settings{}, &parseError{errors.New("text after the document"),
			fmt.Sprintf("The settings file has text after its closing } at line %d, column %d: remove it.", line, col)}
	}
	if err := s.Validate(); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// Marshal writes s as an indented JSON document that Parse reads back.
func Marshal(s Settings) ([]byte, error) {
	return json.MarshalIndent(s, "", "  ")
}

// UserMessage says in plain English what went wrong with settings and what to do: the sentence
// the error carries (usermsg.Error), or a general one.
func UserMessage(err error) string {
	return usermsg.Of(err, "The settings could not be read or saved. Ask IT support.")
}
