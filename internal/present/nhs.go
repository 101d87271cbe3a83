package present

import (
	"errors"
	"fmt"
	"strings"

	"scrdesk/internal/nhsnumber"
)

// NHSStatus says how far a typed NHS number has got.
type NHSStatus int

// The states of a typed NHS number.
const (
	NHSEmpty      NHSStatus = iota // nothing typed yet
	NHSIncomplete                  // fewer than ten digits so far
	NHSInvalid                     // wrong characters, too many digits, or a failed check digit
	NHSValid                       // ten digits with a good Modulus 11 check digit
)

// NHSInput is the as-you-type reading of the NHS number field.
type NHSInput struct {
	Status  NHSStatus
	Digits  string // the digits typed, without spaces (empty when a non-digit was typed)
	Display string // the text the field should show: digits spaced 3-3-4 as far as typed
	Hint    string // one plain-English line for under the field
	Test    bool   // a test-range or sandbox number (never a real patient)
}

// CheckNHSInput reads what has been typed or scanned into the NHS number field: spaces, dashes
// and tabs are ignored, digits are spaced 3-3-4 as they come, and the Modulus 11 check digit is
// checked once ten digits are there (docs/domain.md rule 8).
func CheckNHSInput(text string) NHSInput {
	var d strings.Builder
	bad := false
	for _, r := range text {
		switch {
		case r >= '0' && r <= '9':
			d.WriteRune(r)
		case r == ' ' || r == '-' || r == '\t':
		default:
			bad = true
		}
	}
	digits := d.String()
	switch {
	case strings.TrimSpace(text) == "":
		return NHSInput{Status: NHSEmpty, Display: "", Hint: "Type or scan the 10-digit NHS number, then press Enter."}
	case bad:
		return NHSInput{Status: NHSInvalid, Display: text,
			Hint: "An NHS number has only digits. Clear the field and type the number again."}
	case len(digits) < 10:
		return NHSInput{Status: NHSIncomplete, Digits: digits, Display: SpaceNHS(digits),
			Hint: fmt.Sprintf("%d of 10 digits.", len(digits))}
	case len(digits) > 10:
		return NHSInput{Status: NHSInvalid, Digits: digits, Display: text,
			Hint: fmt.Sprintf("An NHS number has 10 digits; this has %d. Check the number and type it again.", len(digits))}
	}
	n, err := nhsnumber.Normalize(digits)
	if errors.Is(err, nhsnumber.ErrCheckDigit) || err != nil {
		return NHSInput{Status: NHSInvalid, Digits: digits, Display: nhsnumber.Format(digits),
			Hint: nhsnumber.Format(digits) + " is not a valid NHS number: its check digit does not match. Check the number with the patient."}
	}
	in := NHSInput{Status: NHSValid, Digits: n, Display: nhsnumber.Format(n), Test: nhsnumber.IsTest(n)}
	in.Hint = "Valid NHS number. Press Enter to search."
	if in.Test {
		in.Hint = "Valid test NHS number. Press Enter to search."
	}
	return in
}

// SpaceNHS spaces up to ten digits 3-3-4 as far as they go: "943", "943 47", "943 476 5919".
// Anything longer than ten is returned unchanged.
func SpaceNHS(digits string) string {
	switch n := len(digits); {
	case n <= 3 || n > 10:
		return digits
	case n <= 6:
		return digits[:3] + " " + digits[3:]
	default:
		return digits[:3] + " " + digits[3:6] + " " + digits[6:]
	}
}

// FormatNHS shows a stored NHS number spaced 3-3-4; anything else is shown as given.
func FormatNHS(s string) string { return nhsnumber.Format(s) }

// CheckQuery tidies a demographic search as typed (trimmed, date of birth as a FHIR date, gender
// in lower case, postcode in capitals) and says in plain English what is missing: a PDS search
// needs at least a family name and a date of birth. An empty message means it can be searched.
func CheckQuery(q Query) (Query, string) {
	out := Query{
		Family:   strings.TrimSpace(q.Family),
		Given:    strings.TrimSpace(q.Given),
		Gender:   strings.ToLower(strings.TrimSpace(q.Gender)),
		Postcode: strings.ToUpper(strings.Join(strings.Fields(q.Postcode), " ")),
	}
	switch out.Gender {
	case "", "female", "male", "other", "unknown":
	case "any":
		out.Gender = ""
	default:
		return out, "Choose the gender from the list, or leave it as Any."
	}
	if out.Family == "" {
		return out, "Type the patient's family name, then search again."
	}
	if strings.TrimSpace(q.BirthDate) == "" {
		return out, "Type the patient's date of birth (for example 22/10/2010), then search again."
	}
	d, err := ParseDOBInput(q.BirthDate)
	if err != nil {
		return out, "The date of birth could not be read. Type it as day/month/year, for example 22/10/2010."
	}
	out.BirthDate = d
	return out, ""
}
