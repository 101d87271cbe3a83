// Package nhsnumber validates, normalises, formats and masks NHS numbers.
//
// An NHS number is ten digits whose last digit is a Modulus 11 check digit over the first nine
// (weights 10 down to 2; check = 11 - (sum mod 11); 11 becomes 0; 10 means the number is invalid).
// Numbers from 999 000 0000 to 999 999 9999 pass the check but are never issued: they are for
// testing, as are the NHS API sandbox numbers listed in SandboxNumbers.
//
// The package is a leaf: standard library only, no state, safe for concurrent use.
package nhsnumber

import (
	"errors"
	"strings"
)

// Errors returned by Normalize. Callers branch on them with errors.Is.
var (
	// ErrLength means the input does not hold exactly ten digits.
	ErrLength = errors.New("an NHS number has 10 digits")
	// ErrCharacters means the input holds something other than digits, spaces and dashes.
	ErrCharacters = errors.New("an NHS number holds only digits")
	// ErrCheckDigit means the tenth digit does not match the Modulus 11 check.
	ErrCheckDigit = errors.New("the NHS number's check digit is wrong")
)

// SandboxNumbers are the NHS API sandbox's test patients.
var SandboxNumbers = []string{"9000000009", "9000000017", "9000000025", "9000000033"}

// Normalize strips spaces and dashes and checks the result: ten digits with a valid check digit.
// It returns the ten digits, or one of ErrLength, ErrCharacters, ErrCheckDigit.
func Normalize(s string) (string, error) {
	var b strings.Builder
	b.Grow(10)
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '\t':
		default:
			return "", ErrCharacters
		}
	}
	d := b.String()
	if len(d) != 10 {
		return "", ErrLength
	}
	c, ok := CheckDigit(d[:9])
	if !ok || byte('0'+c) != d[9] {
		return "", ErrCheckDigit
	}
	return d, nil
}

// Valid reports whether s (spaces and dashes allowed) is a well-formed NHS number.
func Valid(s string) bool {
	_, err := Normalize(s)
	return err == nil
}

// CheckDigit returns the Modulus 11 check digit for nine digits, and false when no digit is
// possible (a remainder giving 10) or the input is not nine digits.
func CheckDigit(nine string) (int, bool) {
	if len(nine) != 9 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		c := nine[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		sum += int(c-'0') * (10 - i)
	}
	check := 11 - sum%11
	switch check {
	case 11:
		return 0, true
	case 10:
		return 0, false
	}
	return check, true
}

// Format spaces ten digits as 3-3-4 ("943 476 5919"). Input that is not ten digits after
// removing spaces and dashes is returned unchanged.
func Format(s string) string {
	d := digits(s)
	if len(d) != 10 {
		return s
	}
	return d[:3] + " " + d[3:6] + " " + d[6:]
}

// IsTest reports whether s is a valid NHS number that is never issued to a real patient: the
// test range 999 000 0000 to 999 999 9999 or one of SandboxNumbers.
func IsTest(s string) bool {
	d, err := Normalize(s)
	if err != nil {
		return false
	}
	if strings.HasPrefix(d, "999") {
		return true
	}
	for _, n := range SandboxNumbers {
		if d == n {
			return true
		}
	}
	return false
}

// Mask hides all but the last three digits, for logs: "*******919". Anything that is not an
// NHS number-like string is masked whole.
func Mask(s string) string {
	d := digits(s)
	if len(d) != 10 {
		return "***"
	}
	return "*******" + d[7:]
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '\t':
		default:
			return ""
		}
	}
	return b.String()
}
