package sandbox

import (
	"encoding/json"
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestEveryPayloadHasItsSource: every NHS payload embedded from data/ (the same folder the tests
// read through fhirtest.Fixtures) has a row in data/SOURCES.md naming its upstream path and
// commit, every row names a payload that is there, and each payload is JSON.
func TestEveryPayloadHasItsSource(t *testing.T) {
	sources, err := dataFS.ReadFile("data/SOURCES.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sources), "Open Government Licence") || !strings.Contains(string(sources), "MIT") {
		t.Fatal("SOURCES.md does not state the licence")
	}
	row := regexp.MustCompile("(?m)^\\| `([^`]+\\.json)` \\| `([^`]+)` \\| `([0-9a-f]{7,40})` \\|$")
	listed := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(string(sources), -1) {
		if listed[m[1]] {
			t.Errorf("SOURCES.md lists %s twice", m[1])
		}
		listed[m[1]] = true
	}
	embedded := 0
	err = fs.WalkDir(dataFS, "data", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == "data/SOURCES.md" {
			return err
		}
		rel := strings.TrimPrefix(p, "data/")
		if !strings.HasSuffix(rel, ".json") {
			t.Errorf("%s: only NHS JSON payloads and SOURCES.md belong in data/", rel)
			return nil
		}
		embedded++
		if !listed[rel] {
			t.Errorf("%s has no row in SOURCES.md (upstream path and commit)", rel)
		}
		delete(listed, rel)
		b, _ := dataFS.ReadFile(p)
		if !json.Valid(b) {
			t.Errorf("%s is not JSON", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for rel := range listed {
		t.Errorf("SOURCES.md lists %s, which is not in data/", rel)
	}
	if embedded < 70 {
		t.Fatalf("only %d payloads embedded", embedded)
	}
}
