package patient

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"scrdesk/internal/fhir"
	"scrdesk/internal/present"
)

func enter(e fyne.Focusable) { e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) }

var sandboxMatches = []present.MatchView{
	{Name: "SMITH, Jane (Mrs)", NHS: "900 000 0009", BirthDate: "22-Oct-2010 (16y)", Gender: "Female", Address: "1 Trevelyan Square, Boar Lane, City Centre, Leeds, West Yorkshire, LS1 6AE"},
	{Name: "SMYTH, Jayne (Mrs)", NHS: "900 000 0017", BirthDate: "22-Oct-2010 (16y)", Gender: "Female", Address: "1 Trevelyan Square, Leeds, LS1 6AE"},
	{Name: "SMITH, Janet (Ms)", NHS: "900 000 0025", BirthDate: "22-Oct-2010 (16y)", Gender: "Female", Address: "Address not shown (restricted record)", Flags: []string{"Restricted"}},
}

func TestSearchGoldens(t *testing.T) {
	cases := []struct {
		name  string
		typed string
		view  *present.SearchView
	}{
		{"search_empty.xml", "", nil},
		{"search_typing.xml", "9434765", nil},
		{"search_valid_number.xml", "9434765919", nil},
		{"search_invalid_number.xml", "9434765918", &present.SearchView{State: present.SearchInvalid}},
		{"search_searching.xml", "9000000009", &present.SearchView{State: present.SearchSearching}},
		{"search_matches.xml", "", &present.SearchView{State: present.SearchMatches, Matches: sandboxMatches}},
		{"search_matches_notice.xml", "", &present.SearchView{State: present.SearchMatches, Matches: sandboxMatches[:1],
			Notice: "The closest match is shown. Check the date of birth and address with the patient."}},
		{"search_no_match.xml", "", &present.SearchView{State: present.SearchNoMatch}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			test.NewTempApp(t)
			s := NewSearch(SearchCallbacks{})
			win := show(t, s.Object(), 1000, 700)
			if c.typed != "" {
				test.Type(s.nhs, c.typed)
			}
			if c.view != nil {
				s.Render(*c.view)
			}
			golden(t, win, c.name)
		})
	}
}

// failureKinds are the failures of the Spine link a screen can show, each as a golden.
var failureKinds = []fhir.ErrorKind{fhir.Unavailable, fhir.Timeout, fhir.AccessDenied, fhir.SignedOut,
	fhir.TooManyMatches, fhir.NotFound, fhir.InvalidNHSNumber, fhir.Merged, fhir.Malformed, fhir.TooLarge,
	fhir.RateLimited, fhir.BadRequest}

func TestSearchFailureGoldens(t *testing.T) {
	for _, k := range failureKinds {
		t.Run(string(k), func(t *testing.T) {
			test.NewTempApp(t)
			s := NewSearch(SearchCallbacks{})
			win := show(t, s.Object(), 1000, 700)
			test.Type(s.nhs, "9000000009")
			s.Render(present.SearchView{State: present.SearchError,
				Message: present.Message(&fhir.SpineError{Kind: k, IncidentID: "7F3A-91C2", MergedInto: "9000000017"})})
			golden(t, win, "search_error_"+string(k)+".xml")
		})
	}
}

func TestSearchNHSField(t *testing.T) {
	cases := []struct {
		name    string
		keys    string
		shown   string
		searchd string // "" means Enter must not search
	}{
		{"typed plain", "9434765919", "943 476 5919", "9434765919"},
		{"typed spaced", "943 476 5919", "943 476 5919", "9434765919"},
		{"scanner digits", "9000000009", "900 000 0009", "9000000009"},
		{"bad check digit", "9434765918", "943 476 5918", ""},
		{"too short", "943476", "943 476", ""},
		{"letters", "94a", "94a", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			test.NewTempApp(t)
			var got []string
			s := NewSearch(SearchCallbacks{OnSearchNHS: func(n string) { got = append(got, n) }})
			show(t, s.Object(), 1000, 700)
			test.Type(s.nhs, c.keys)
			if s.nhs.Text != c.shown {
				t.Errorf("field shows %q; want %q", s.nhs.Text, c.shown)
			}
			enter(s.nhs)
			switch {
			case c.searchd == "" && len(got) != 0:
				t.Errorf("Enter searched for %q", got)
			case c.searchd != "" && (len(got) != 1 || got[0] != c.searchd):
				t.Errorf("Enter searched for %q; want %q", got, c.searchd)
			}
			if c.searchd == "" && s.state != present.SearchInvalid {
				t.Errorf("state after Enter = %v; want invalid", s.state)
			}
		})
	}
}

func TestSearchDemographics(t *testing.T) {
	test.NewTempApp(t)
	var got []present.Query
	s := NewSearch(SearchCallbacks{OnSearchDemographics: func(q present.Query) { got = append(got, q) }})
	win := show(t, s.Object(), 1000, 700)

	test.Type(s.family, "Smith")
	enter(s.family)
	if len(got) != 0 || !s.formHint.Visible() {
		t.Fatalf("searched without a date of birth: %+v", got)
	}
	golden(t, win, "search_form_missing_dob.xml")

	test.Type(s.given, "Jane")
	test.Type(s.dob, "22/10/2010")
	s.gender.SetSelected("Female")
	test.Type(s.postcode, "ls1 6ae")
	enter(s.postcode)
	want := present.Query{Family: "Smith", Given: "Jane", BirthDate: "2010-10-22", Gender: "female", Postcode: "LS1 6AE"}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("searched %+v; want %+v", got, want)
	}
	if s.formHint.Visible() {
		t.Error("form hint still shown after a good search")
	}
}

func TestSearchPickAndClear(t *testing.T) {
	test.NewTempApp(t)
	var picked []int
	s := NewSearch(SearchCallbacks{OnPick: func(i int) { picked = append(picked, i) }})
	show(t, s.Object(), 1000, 700)
	s.Render(present.SearchView{State: present.SearchMatches, Matches: sandboxMatches})
	s.list.Select(2)
	s.list.Select(2) // picking the same line again works: the list does not keep a selection
	if len(picked) != 2 || picked[0] != 2 || picked[1] != 2 {
		t.Fatalf("picked %v; want [2 2]", picked)
	}
	test.Type(s.nhs, "9000000009")
	test.Type(s.family, "Smith")
	s.Clear()
	if s.nhs.Text != "" || s.family.Text != "" || len(s.matches) != 0 || s.state != present.SearchEmpty {
		t.Errorf("Clear left nhs=%q family=%q matches=%d state=%v", s.nhs.Text, s.family.Text, len(s.matches), s.state)
	}
}

// TestSearchSandboxMatchesGolden lists the PDS sandbox's search results, decoded as the app does.
func TestSearchSandboxMatchesGolden(t *testing.T) {
	for _, f := range []string{"PatientSearch.json", "Sensitive_PatientSearch.json"} {
		t.Run(f, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(fixtures(t), "personal-demographics/sandbox-mocks", f))
			if err != nil {
				t.Fatal(err)
			}
			ps, err := fhir.DecodePatientSearch(raw)
			if err != nil || len(ps) == 0 {
				t.Fatalf("decode: %d patients, %v", len(ps), err)
			}
			test.NewTempApp(t)
			s := NewSearch(SearchCallbacks{})
			win := show(t, s.Object(), 1000, 700)
			s.Render(present.SearchView{State: present.SearchMatches, Matches: present.Matches(ps, now)})
			golden(t, win, "search_sandbox_"+strings.TrimSuffix(f, ".json")+".xml")
		})
	}
}
