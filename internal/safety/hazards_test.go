package safety

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const logPath = "../../docs/safety/HAZARDS.md"

// TestHazardLogNamesRealTests fails when the hazard log is malformed or any control names a
// test function that does not exist in the package directory it names.
func TestHazardLogNamesRealTests(t *testing.T) {
	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hazards, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(hazards) < 10 {
		t.Errorf("%d hazards; the log started with ten and hazards are never removed", len(hazards))
	}
	funcs := map[string]map[string]bool{} // dir -> test funcs
	named := 0
	for _, h := range hazards {
		for _, c := range h.Controls {
			for _, ref := range c.Tests {
				named++
				fs, ok := funcs[ref.Dir]
				if !ok {
					dir := filepath.Join("..", "..", filepath.FromSlash(ref.Dir))
					if ref.Dir == "main" { // the root package (main.go): its tests, e.g. TestCLI's scripts
						dir = filepath.Join("..", "..")
					}
					fs = testFuncs(t, dir)
					funcs[ref.Dir] = fs
				}
				if !fs[ref.Func] {
					t.Errorf("%s (line %d) names %s, but no _test.go file in %s/ declares func %s",
						h.ID, c.Line, ref, ref.Dir, ref.Func)
				}
			}
		}
	}
	if named == 0 {
		t.Error("no control names a test")
	}
}

var funcDecl = regexp.MustCompile(`(?m)^func ((?:Test|Fuzz|Benchmark|Example)[A-Za-z0-9_]*)\(`)

// testFuncs returns the top-level test-like functions declared in dir's _test.go files, of any
// build tag.
func testFuncs(t *testing.T, dir string) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range funcDecl.FindAllSubmatch(b, -1) {
			out[string(m[1])] = true
		}
	}
	return out
}

func TestTestFuncsFindsThisFile(t *testing.T) {
	fs := testFuncs(t, ".")
	if !fs["TestHazardLogNamesRealTests"] || !fs["FuzzParse"] || fs["testFuncs"] {
		t.Fatalf("testFuncs(.) = %v", fs)
	}
	if len(testFuncs(t, "no-such-dir")) != 0 {
		t.Fatal("a missing directory has test functions")
	}
}

const good = "## HAZ-01: Wrong patient\n\n" +
	"- **Cause:** c\n- **Effect:** e\n- **Severity:** Major\n- **Likelihood:** Low\n- **Initial risk:** 3\n" +
	"- **Controls:**\n  - Checked. Tests: `internal/fhir.TestA`, `app.TestB/sub_case`\n  - Later. Tests: open\n" +
	"- **Residual likelihood:** Very low\n- **Residual risk:** 2: fine\n"

func TestParse(t *testing.T) {
	hs, err := Parse(strings.NewReader("# Log\n\n```\n## HAZ-99: in a fence\n```\n" + good + "\n## Another heading\n- free list\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 1 {
		t.Fatalf("%d hazards", len(hs))
	}
	h := hs[0]
	if h.ID != "HAZ-01" || h.Title != "Wrong patient" || h.InitialRisk != 3 || h.ResidualRisk != 2 || h.ResidualExplanation != "fine" {
		t.Fatalf("%+v", h)
	}
	if len(h.Controls) != 2 || h.Controls[1].Open != true || len(h.Controls[0].Tests) != 2 {
		t.Fatalf("controls %+v", h.Controls)
	}
	if got := h.Controls[0].Tests[1]; got != (TestRef{Dir: "app", Func: "TestB", Subtest: "sub_case"}) {
		t.Fatalf("ref %+v", got)
	}

	bad := []struct{ name, text, want string }{
		{"missing field", strings.Replace(good, "- **Effect:** e\n", "", 1), `no "Effect" field`},
		{"unknown severity", strings.Replace(good, "Major", "Awful", 1), `severity "Awful"`},
		{"unknown likelihood", strings.Replace(good, "- **Likelihood:** Low", "- **Likelihood:** Rare", 1), `likelihood "Rare"`},
		{"initial risk off the matrix", strings.Replace(good, "- **Initial risk:** 3", "- **Initial risk:** 1", 1), "initial risk 1, but Major x Low is 3"},
		{"residual risk off the matrix", strings.Replace(good, "Residual risk:** 2", "Residual risk:** 1", 1), "residual risk 1"},
		{"risk not a number", strings.Replace(good, "- **Initial risk:** 3", "- **Initial risk:** high", 1), "rating 1-5"},
		{"control without tests", strings.Replace(good, "Later. Tests: open", "Later.", 1), "names no tests"},
		{"empty tests", strings.Replace(good, "Later. Tests: open", "Later. Tests:", 1), "is empty"},
		{"test not in backticks", strings.Replace(good, "`internal/fhir.TestA`", "internal/fhir.TestA", 1), "backticks"},
		{"not a test name", strings.Replace(good, "internal/fhir.TestA", "internal/fhir.helper", 1), "not a test name"},
		{"no package", strings.Replace(good, "internal/fhir.TestA", "TestA", 1), "not a test name"},
		{"no controls", strings.Replace(good, "  - Checked. Tests: `internal/fhir.TestA`, `app.TestB/sub_case`\n  - Later. Tests: open\n", "", 1), "lists no controls"},
		{"misspelt field", strings.Replace(good, "- **Cause:** c", "- **Cause**: c", 1), "neither a field"},
		{"unknown field", strings.Replace(good, "- **Cause:** c", "- **Causes:** c", 1), `unknown field "Causes"`},
		{"duplicate id", good + "\n" + good, "HAZ-01 already used"},
		{"bad heading", strings.Replace(good, "## HAZ-01: ", "## HAZ-1 ", 1), "hazard heading"},
		{"nothing", "# empty\n", "no hazards"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v; want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestParseTestRef(t *testing.T) {
	for in, want := range map[string]string{
		"internal/fhir.TestEveryFixture":                      "internal/fhir|TestEveryFixture|",
		"internal/fhir.TestEveryFixture/Sensitive_Patient.js": "internal/fhir|TestEveryFixture|Sensitive_Patient.js",
		"app.TestPCSCIdleLock":                                "app|TestPCSCIdleLock|",
		"screens/patient.FuzzX":                               "screens/patient|FuzzX|",
	} {
		r, err := ParseTestRef(in)
		if err != nil || r.Dir+"|"+r.Func+"|"+r.Subtest != want || r.String() != in {
			t.Errorf("ParseTestRef(%q) = %+v, %v", in, r, err)
		}
	}
	for _, in := range []string{"TestX", "app.testX", "app.Helper", "../app.TestX", "App.TestX", "app.TestX extra", "app.TestX/with space"} {
		if _, err := ParseTestRef(in); err == nil {
			t.Errorf("ParseTestRef(%q) accepted", in)
		}
	}
}

func TestRisk(t *testing.T) {
	// The rating never falls as severity or likelihood rises.
	for l := range Likelihoods {
		for s := range Severities {
			r := Risk(Severities[s], Likelihoods[l])
			if r < 1 || r > 5 {
				t.Fatalf("Risk(%s,%s) = %d", Severities[s], Likelihoods[l], r)
			}
			if s > 0 && Risk(Severities[s-1], Likelihoods[l]) > r || l > 0 && Risk(Severities[s], Likelihoods[l-1]) > r {
				t.Fatalf("matrix not monotonic at %s,%s", Severities[s], Likelihoods[l])
			}
		}
	}
	if Risk("Catastrophic", "Very high") != 5 || Risk("Minor", "Very low") != 1 || Risk("x", "Low") != 0 {
		t.Fatal("matrix corners")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(good)
	if b, err := os.ReadFile(logPath); err == nil {
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, s string) {
		hs, _ := Parse(strings.NewReader(s))
		for _, h := range hs {
			if !strings.HasPrefix(h.ID, "HAZ-") {
				t.Fatalf("id %q", h.ID)
			}
			for _, c := range h.Controls {
				if c.Open && len(c.Tests) > 0 {
					t.Fatal("an open control with tests")
				}
			}
		}
	})
}
