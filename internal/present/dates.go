package present

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"scrdesk/internal/fhir"
)

// DateLayout is the NHS Common User Interface date format used on screen: "22-Oct-2010".
const DateLayout = "02-Jan-2006"

// DateTimeLayout is DateLayout with a 24-hour time: "14-May-2020 14:31".
const DateTimeLayout = "02-Jan-2006 15:04"

// ErrDate means a typed or received date could not be read.
var ErrDate = errors.New("not a date")

// FormatDate shows a date as "22-Oct-2010"; the zero time shows as "".
func FormatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(DateLayout)
}

// ParseFHIRDate reads a FHIR R4 date or dateTime ("2010", "2010-10", "2010-10-22",
// "2020-11-17T01:00:00+00:00", "2007-03-14T01:00+00:00", and the other forms
// fhir.ParseDateTime accepts) and returns it with how much of it was given: 1 year, 2 month,
// 3 day, 4 time.
func ParseFHIRDate(s string) (time.Time, int, error) {
	t, p, ok := fhir.ParseDateTime(s)
	if !ok {
		return time.Time{}, 0, fmt.Errorf("read FHIR date %q: %w", strings.TrimSpace(s), ErrDate)
	}
	return t, p, nil
}

// FHIRDate shows a FHIR date or dateTime as far as it was given: "22-Oct-2010", "Oct-2010",
// "2010", or "14-May-2020 14:31" for a dateTime (shown in loc; nil means as received).
// Text that is not a FHIR date is returned unchanged, so nothing received is ever hidden.
func FHIRDate(s string, loc *time.Location) string {
	t, p, err := ParseFHIRDate(s)
	if err != nil {
		return s
	}
	switch p {
	case 1:
		return t.Format("2006")
	case 2:
		return t.Format("Jan-2006")
	case 3:
		return t.Format(DateLayout)
	}
	if loc != nil {
		t = t.In(loc)
	}
	return t.Format(DateTimeLayout)
}

// Age gives a patient's age on the day now in the NHS Common User Interface style: days under 4
// weeks ("12d"), weeks and days under a year ("3w 2d"), months and days under 2 years
// ("14m 5d"), years and months under 18 ("5y 3m"), then years ("34y"). A birth date after now,
// or a zero one, gives "".
func Age(birth, now time.Time) string {
	if birth.IsZero() {
		return ""
	}
	b := time.Date(birth.Year(), birth.Month(), birth.Day(), 0, 0, 0, 0, time.UTC)
	n := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if n.Before(b) {
		return ""
	}
	days := int(n.Sub(b).Hours() / 24)
	if days < 28 {
		return fmt.Sprintf("%dd", days)
	}
	y, m, d := diff(b, n)
	months := y*12 + m
	switch {
	case y < 1:
		w, dd := days/7, days%7
		if dd == 0 {
			return fmt.Sprintf("%dw", w)
		}
		return fmt.Sprintf("%dw %dd", w, dd)
	case y < 2:
		if d == 0 {
			return fmt.Sprintf("%dm", months)
		}
		return fmt.Sprintf("%dm %dd", months, d)
	case y < 18:
		if m == 0 {
			return fmt.Sprintf("%dy", y)
		}
		return fmt.Sprintf("%dy %dm", y, m)
	}
	return fmt.Sprintf("%dy", y)
}

// diff returns whole years, months and days from a to b (a <= b, both at midnight UTC).
func diff(a, b time.Time) (y, m, d int) {
	y = b.Year() - a.Year()
	m = int(b.Month()) - int(a.Month())
	d = b.Day() - a.Day()
	if d < 0 {
		// Borrow the length of the month before b's month.
		d += time.Date(b.Year(), b.Month(), 0, 0, 0, 0, 0, time.UTC).Day()
		m--
	}
	if m < 0 {
		m += 12
		y--
	}
	return y, m, d
}

// BirthAndAge shows a FHIR birth date with the age on now: "22-Oct-2010 (16y)". A date that
// cannot be read is shown as received.
func BirthAndAge(birthDate string, now time.Time) string {
	t, p, err := ParseFHIRDate(birthDate)
	if err != nil || p < 3 {
		return FHIRDate(birthDate, nil)
	}
	if a := Age(t, now); a != "" {
		return FormatDate(t) + " (" + a + ")"
	}
	return FormatDate(t)
}

var monthNames = map[string]time.Month{
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
	"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}

// ParseDOBInput reads a date of birth as typed at the counter and returns it as a FHIR date
// ("2010-10-22"). It takes day-month-year with '/', '-', '.' or spaces ("22/10/2010",
// "22-Oct-2010", "22 10 2010"), eight digits ("22102010") or ISO ("2010-10-22"). Two-digit
// years are refused: they are ambiguous for a date of birth.
func ParseDOBInput(s string) (string, error) {
	s = strings.TrimSpace(s)
	fail := fmt.Errorf("read date of birth %q: %w", s, ErrDate)
	if s == "" {
		return "", fail
	}
	var parts []string
	if len(s) == 8 && strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0 {
		parts = []string{s[:2], s[2:4], s[4:]}
	} else {
		parts = strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '-' || r == '.' || r == ' ' })
	}
	if len(parts) != 3 {
		return "", fail
	}
	dd, mm, yy := parts[0], parts[1], parts[2]
	if len(dd) == 4 { // ISO order
		dd, yy = yy, dd
	}
	day, err1 := strconv.Atoi(dd)
	year, err2 := strconv.Atoi(yy)
	if err1 != nil || err2 != nil || len(yy) != 4 {
		return "", fail
	}
	month, ok := monthNames[strings.ToLower(mm)]
	if !ok {
		if len(mm) >= 3 {
			month, ok = monthNames[strings.ToLower(mm[:3])]
		}
		if !ok {
			n, err := strconv.Atoi(mm)
			if err != nil || n < 1 || n > 12 {
				return "", fail
			}
			month = time.Month(n)
		}
	}
	t := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day || t.Month() != month || year < 1850 {
		return "", fail
	}
	return t.Format("2006-01-02"), nil
}
