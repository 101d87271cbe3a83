// Package fhirtest is for tests only: it finds NHS England's published example payloads (the
// shared fixtures beside the repository, as CI lays them out) and decodes them with package
// fhir exactly as the app does.
package fhirtest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"scrdesk/internal/fhir"
)

// Fixtures is the folder of the shared NHS sandbox payloads: <repo>/../shared/fixtures/nhs-sandbox.
func Fixtures(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "shared", "fixtures", "nhs-sandbox")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("shared fixtures not found beside the repository: %v", err)
	}
	return filepath.Clean(dir)
}

// Record decodes a GET /Bundle fixture.
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
