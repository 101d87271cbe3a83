package present

import (
	"strings"
	"testing"
	"unicode/utf8"
)

var nhsInputCases = []struct {
	name    string
	in      string
	status  NHSStatus
	display string
	test    bool
}{
	{"empty", "", NHSEmpty, "", false},
	{"blank", "   ", NHSEmpty, "", false},
	{"three digits", "943", NHSIncomplete, "943", false},
	{"five digits", "94347", NHSIncomplete, "943 47", false},
	{"nine digits", "943476591", NHSIncomplete, "943 476 591", false},
	{"valid plain", "9434765919", NHSValid, "943 476 5919", false},
	{"valid spaced", "943 476 5919", NHSValid, "943 476 5919", false},
	{"valid dashes", "943-476-5919", NHSValid, "943 476 5919", false},
	{"scanner with tab", "9434765919\t", NHSValid, "943 476 5919", false},
	{"sandbox number", "9000000009", NHSValid, "900 000 0009", true},
	{"test range", "9990000018", NHSValid, "999 000 0018", true},
	{"bad check digit", "9434765918", NHSInvalid, "943 476 5918", false},
	{"check digit ten", "0000000060", NHSInvalid, "000 000 0060", false},
	{"eleven digits", "94347659190", NHSInvalid, "94347659190", false},
	{"letters", "94347A5919", NHSInvalid, "94347A5919", false},
}

func TestCheckNHSInput(t *testing.T) {
	for _, c := range nhsInputCases {
		t.Run(c.name, func(t *testing.T) {
			got := CheckNHSInput(c.in)
			if got.Status != c.status || got.Display != c.display || got.Test != c.test {
				t.Errorf("CheckNHSInput(%q) = %+v; want status %d display %q test %v", c.in, got, c.status, c.display, c.test)
			}
			if got.Hint == "" {
				t.Errorf("CheckNHSInput(%q) gave no hint", c.in)
			}
			if got.Status == NHSValid && len(got.Digits) != 10 {
				t.Errorf("valid input %q gave digits %q", c.in, got.Digits)
			}
		})
	}
}

func FuzzCheckNHSInput(f *testing.F) {
	for _, c := range nhsInputCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := CheckNHSInput(s)
		if got.Hint == "" {
			t.Fatalf("no hint for %q", s)
		}
		if got.Status == NHSValid {
			if len(got.Digits) != 10 || got.Display != got.Digits[:3]+" "+got.Digits[3:6]+" "+got.Digits[6:] {
				t.Fatalf("valid %q: digits %q display %q", s, got.Digits, got.Display)
			}
			// Reading what the field shows must give the same answer.
			if again := CheckNHSInput(got.Display); again.Status != NHSValid || again.Digits != got.Digits {
				t.Fatalf("display %q does not read back: %+v", got.Display, again)
			}
		}
		if got.Status == NHSIncomplete && !utf8.ValidString(got.Display) {
			t.Fatalf("display not UTF-8 for %q", s)
		}
	})
}

func TestSpaceNHS(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "9": "9", "943": "943", "9434": "943 4", "943476": "943 476",
		"9434765": "943 476 5", "9434765919": "943 476 5919", "94347659190": "94347659190",
	} {
		if got := SpaceNHS(in); got != want {
			t.Errorf("SpaceNHS(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestCheckQuery(t *testing.T) {
	cases := []struct {
		name    string
		in      Query
		want    Query
		problem string // a word the message must hold; "" means searchable
	}{
		{"full", Query{Family: " Smith ", Given: "Jane", BirthDate: "22/10/2010", Gender: "Female", Postcode: "ls1  6ae"},
			Query{Family: "Smith", Given: "Jane", BirthDate: "2010-10-22", Gender: "female", Postcode: "LS1 6AE"}, ""},
		{"any gender", Query{Family: "Smith", BirthDate: "2010-10-22", Gender: "Any"},
			Query{Family: "Smith", BirthDate: "2010-10-22"}, ""},
		{"no family", Query{BirthDate: "22/10/2010"}, Query{}, "family name"},
		{"no birth date", Query{Family: "Smith"}, Query{Family: "Smith"}, "date of birth"},
		{"bad birth date", Query{Family: "Smith", BirthDate: "31/02/2010"}, Query{Family: "Smith"}, "could not be read"},
		{"bad gender", Query{Family: "Smith", BirthDate: "22/10/2010", Gender: "x"}, Query{Family: "Smith", Gender: "x"}, "gender"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, msg := CheckQuery(c.in)
			if c.problem == "" {
				if msg != "" || got != c.want {
					t.Errorf("CheckQuery = %+v, %q; want %+v", got, msg, c.want)
				}
				return
			}
			if !strings.Contains(msg, c.problem) {
				t.Errorf("CheckQuery message %q; want it to mention %q", msg, c.problem)
			}
		})
	}
}
