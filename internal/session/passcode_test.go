package session

import (
	"strings"
	"testing"
)

var passcodeCases = []struct {
	in   string
	want bool
}{
	{"123456", true}, {"12345678", true}, {"1234567", true},
	{"12345", false}, {"123456789", false}, {"", false}, {"12345a", false}, {"123 456", false},
	{"١٢٣٤٥٦", false}, // Arabic-Indic digits are not what the card takes
}

func TestValidPasscode(t *testing.T) {
	for _, c := range passcodeCases {
		if got := ValidPasscode(c.in); got != c.want {
			t.Errorf("ValidPasscode(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func FuzzValidPasscode(f *testing.F) {
	for _, c := range passcodeCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidPasscode(s) {
			return
		}
		if len(s) < 6 || len(s) > 8 || strings.Trim(s, "0123456789") != "" {
			t.Fatalf("ValidPasscode(%q) = true", s)
		}
	})
}
