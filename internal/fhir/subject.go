package fhir

import (
	"encoding/json"
	"errors"
	"strings"
)

// WrongPatient is the error kind of an answer whose subject is not the patient asked for
// (see CheckSubject). It is not the Spine's code: SCR Desk found it.
const WrongPatient ErrorKind = "wrong-patient"

// Codes of a WrongPatient error: which part of the answer named another patient, or named none.
const (
	SubjectDocumentReference = "DOCUMENTREFERENCE_SUBJECT"
	SubjectComposition       = "COMPOSITION_SUBJECT"
	SubjectBundlePatient     = "BUNDLE_PATIENT"
)

// patientIndex maps the ways a Bundle entry can be referenced (its fullUrl, "Patient/{id}", the
// id alone) to the NHS number of the Patient it holds.
type patientIndex map[string]string

func indexPatients(entries []BundleEntry) (patientIndex, []string) {
	idx := patientIndex{}
	var numbers []string
	for _, e := range entries {
		if !strings.Contains(string(e.Resource), `"Patient"`) {
			continue
		}
		var r struct {
			ResourceType string       `json:"resourceType"`
			ID           string       `json:"id"`
			Identifier   []Identifier `json:"identifier"`
		}
		if json.Unmarshal(e.Resource, &r) != nil || r.ResourceType != "Patient" {
			continue
		}
		nhs := ""
		for _, id := range r.Identifier {
			if id.System == SystemNHSNumber && id.Value != "" {
				nhs = id.Value
				break
			}
		}
		numbers = append(numbers, nhs) // "" too: a Patient that names no NHS number
		if nhs == "" {
			continue
		}
		for _, k := range []string{e.FullURL, lastTwo(e.FullURL), "Patient/" + r.ID, r.ID} {
			if k != "" && k != "Patient/" {
				idx[k] = nhs
			}
		}
	}
	return idx, numbers
}

// lastTwo returns the last two path segments of a URL ("Patient/{id}"), or "".
func lastTwo(u string) string {
	parts := strings.Split(strings.TrimRight(u, "/"), "/")
	if len(parts) < 2 {
		return ""
	}
	return parts[len(parts)-2] + "/" + parts[len(parts)-1]
}

// subjectNHS resolves a subject reference to an NHS number: a logical identifier with the NHS
// number system, else the Bundle's Patient entry it points to. "" when it cannot be resolved.
func subjectNHS(ref *Reference, idx patientIndex) string {
	if ref == nil {
		return ""
	}
	if ref.Identifier != nil && ref.Identifier.System == SystemNHSNumber && ref.Identifier.Value != "" {
		return ref.Identifier.Value
	}
	if ref.Reference == "" {
		return ""
	}
	if nhs, ok := idx[ref.Reference]; ok {
		return nhs
	}
	if nhs, ok := idx[lastTwo(ref.Reference)]; ok {
		return nhs
	}
	return ""
}

// CheckDocumentSubject reports whether the DocumentReference is about the patient whose NHS
// number is want (the number asked for, or the current one after PDS said it was superseded).
// A document whose subject names another patient, or none that can be resolved, is a
// *SpineError of kind WrongPatient; OtherNHS holds the number found ("" when none). A nil
// document (no SCR) passes.
func CheckDocumentSubject(want string, doc *SCRDocument) error {
	if doc == nil || doc.Subject == want {
		return nil
	}
	return &SpineError{Kind: WrongPatient, Code: SubjectDocumentReference, OtherNHS: doc.Subject}
}

// CheckRecordSubject reports whether the record Bundle is about the patient want: the
// Composition's subject and every Patient in the Bundle must carry that NHS number. Anything
// else is a *SpineError of kind WrongPatient naming the part that differed.
func CheckRecordSubject(want string, rec *Record) error {
	if rec == nil {
		return nil
	}
	if rec.Subject != want {
		return &SpineError{Kind: WrongPatient, Code: SubjectComposition, OtherNHS: rec.Subject}
	}
	for _, nhs := range rec.Patients {
		if nhs != want {
			return &SpineError{Kind: WrongPatient, Code: SubjectBundlePatient, OtherNHS: nhs}
		}
	}
	return nil
}

// WrongPatientOf reports whether err is a WrongPatient error, with the NHS number the answer
// named instead ("" when none) and the part that named it.
func WrongPatientOf(err error) (other, part string, ok bool) {
	var se *SpineError
	if !errors.As(err, &se) || se.Kind != WrongPatient {
		return "", "", false
	}
	return se.OtherNHS, se.Code, true
}
