package present

import (
	"testing"
	"time"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestAge(t *testing.T) {
	now := day(2026, 11, 21)
	cases := []struct {
		name  string
		birth time.Time
		want  string
	}{
		{"born today", now, "0d"},
		{"twelve days", day(2026, 11, 9), "12d"},
		{"four weeks", day(2026, 10, 24), "4w"},
		{"weeks and days", day(2026, 9, 1), "11w 4d"},
		{"one year", day(2025, 11, 21), "12m"},
		{"months and days", day(2025, 7, 10), "16m 11d"},
		{"years and months", day(2010, 9, 10), "16y 2m"},
		{"just under a month past", day(2010, 10, 22), "16y"},
		{"exact years under 18", day(2016, 11, 21), "10y"},
		{"adult", day(1980, 12, 1), "45y"},
		{"birthday tomorrow", day(2008, 11, 22), "17y 11m"},
		{"birthday today", day(2008, 11, 21), "18y"},
		{"leap day", day(2000, 2, 29), "26y"},
		{"future", day(2027, 1, 1), ""},
		{"zero", time.Time{}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Age(c.birth, now); got != c.want {
				t.Errorf("Age(%v) = %q; want %q", c.birth, got, c.want)
			}
		})
	}
}

func TestFHIRDate(t *testing.T) {
	cases := map[string]string{
		"2010-10-22":                "22-Oct-2010",
		"2010-10":                   "Oct-2010",
		"2010":                      "2010",
		"2020-11-17T01:00:00+00:00": "17-Nov-2020 01:00",
		"not a date":                "not a date",
		"":                          "",
	}
	for in, want := range cases {
		if got := FHIRDate(in, nil); got != want {
			t.Errorf("FHIRDate(%q) = %q; want %q", in, got, want)
		}
	}
	london, err := time.LoadLocation("Europe/London")
	if err == nil {
		if got := FHIRDate("2020-07-17T01:00:00+00:00", london); got != "17-Jul-2020 02:00" {
			t.Errorf("FHIRDate in London = %q", got)
		}
	}
}

func TestBirthAndAge(t *testing.T) {
	now := day(2026, 11, 21)
	for in, want := range map[string]string{
		"2010-10-22": "22-Oct-2010 (16y)",
		"1980-12":    "Dec-1980",
		"":           "",
		"garbage":    "garbage",
	} {
		if got := BirthAndAge(in, now); got != want {
			t.Errorf("BirthAndAge(%q) = %q; want %q", in, got, want)
		}
	}
}

var dobCases = []struct {
	name, in, want string
}{
	{"slashes", "22/10/2010", "2010-10-22"},
	{"dashes", "22-10-2010", "2010-10-22"},
	{"dots", "22.10.2010", "2010-10-22"},
	{"spaces", "22 10 2010", "2010-10-22"},
	{"single digits", "2/3/1999", "1999-03-02"},
	{"month name", "22-Oct-2010", "2010-10-22"},
	{"long month", "22 October 2010", "2010-10-22"},
	{"eight digits", "22102010", "2010-10-22"},
	{"iso", "2010-10-22", "2010-10-22"},
	{"31 February", "31/02/2010", ""},
	{"two-digit year", "22/10/10", ""},
	{"month 13", "01/13/2010", ""},
	{"too old", "01/01/1700", ""},
	{"empty", "", ""},
	{"words", "yesterday", ""},
}

func TestParseDOBInput(t *testing.T) {
	for _, c := range dobCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseDOBInput(c.in)
			if c.want == "" {
				if err == nil {
					t.Errorf("ParseDOBInput(%q) = %q; want an error", c.in, got)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("ParseDOBInput(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
		})
	}
}

func FuzzParseDOBInput(f *testing.F) {
	for _, c := range dobCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseDOBInput(s)
		if err != nil {
			return
		}
		// Whatever is accepted is a real date that reads back to itself.
		if again, err := ParseDOBInput(got); err != nil || again != got {
			t.Fatalf("ParseDOBInput(%q) = %q, which reads back as %q, %v", s, got, again, err)
		}
		if _, p, err := ParseFHIRDate(got); err != nil || p != 3 {
			t.Fatalf("ParseDOBInput(%q) = %q, not a FHIR date", s, got)
		}
	})
}
