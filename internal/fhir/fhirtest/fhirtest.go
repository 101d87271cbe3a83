// Package fhirtest is for tests only: it finds NHS England's published example payloads, which
// live in the repository once, in internal/sandbox/data (the sandbox embeds the same files; see
// SOURCES.md there for each file's origin and licence), and decodes them with package fhir
// exactly as the app does. It is the one place a test learns where the fixtures are.
package fhirtest

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"scrdesk/internal/fhir"
)

// Fixtures is the folder of the NHS payloads: <repo>/internal/sandbox/data.
func Fixtures(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("fhirtest: cannot tell where its own source file is")
	}
	dir := filepath.Join(filepath.Dir(file), "..", "..", "sandbox", "data")
	if _, err := os.Stat(filepath.Join(dir, "SOURCES.md")); err != nil {
		t.Fatalf("NHS fixtures not found in the repository: %v", err)
	}
	return filepath.Clean(dir)
}

// Path is the file at rel (slash-separated, e.g. "personal-demographics/sandbox-mocks/Patient.json")
// under Fixtures.
func Path(t testing.TB, rel string) string {
	t.Helper()
	return filepath.Join(Fixtures(t), filepath.FromSlash(rel))
}

// Read returns the bytes of the fixture at rel under Fixtures.
func Read(t testing.TB, rel string) []byte {
	t.Helper()
	return read(t, Path(t, rel))
}

// All lists every JSON fixture, relative to Fixtures and slash-separated, sorted.
func All(t testing.TB) (root string, files []string) {
	t.Helper()
	root = Fixtures(t)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".json") {
			rel, _ := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk fixtures: %v", err)
	}
	sort.Strings(files)
	return root, files
}

// Record decodes a GET /Bundle fixture at path (as returned by Path, or joined to Fixtures).
func Record(t testing.TB, path string) *fhir.Record {
	t.Helper()
	r, err := fhir.DecodeRecord(read(t, path))
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return r
}

// Patient decodes a PDS GET /Patient/{id} fixture asked for as requested.
func Patient(t testing.TB, path, requested string) *fhir.Patient {
	t.Helper()
	p, err := fhir.DecodePatient(read(t, path), requested)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return p
}

func read(t testing.TB, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
