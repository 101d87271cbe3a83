package fhir

import (
	"encoding/json"
	"errors"
	"strings"
)

// Reasonable Adjustment Flag API (FHIR STU3; the published API is being replaced by the Patient
// Flags service, with the same resources): GET /Flag, /Consent and /List, each a searchset
// Bundle. An empty Bundle means none recorded.
const (
	SystemRACategory            = "https://fhir.nhs.uk/STU3/CodeSystem/RARecord-FlagCategory-1"
	RACategoryNRAF              = "NRAF"
	ExtensionAdjustmentCategory = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-RARecord-AdjustmentCategory-1"
	FlagSubject                 = "FLAG_SUBJECT"
)

// Adjustment is one reasonable adjustment the patient needs, in the flag's own plain words.
type Adjustment struct {
	Code     string // SNOMED CT, e.g. 7961610000001018
	Text     string // "Requires visual alert"
	Category string // "requires specific contact method"
}

type raResource struct {
	ResourceType string           `json:"resourceType"`
	Status       string           `json:"status"`
	Code         *CodeableConcept `json:"code"`
	Subject      *Reference       `json:"subject"`
	Patient      *Reference       `json:"patient"`
	Title        string           `json:"title"`
	Extension    []struct {
		URL                  string           `json:"url"`
		ValueCodeableConcept *CodeableConcept `json:"valueCodeableConcept"`
	} `json:"extension"`
	Contained []json.RawMessage `json:"contained"`
}

// referencedNHS is the NHS number a STU3 patient reference names: a logical NHS-number
// identifier, or a ten-digit last path segment (".../Patient/9000000009"). "" otherwise.
func referencedNHS(r *Reference) string {
	if r == nil {
		return ""
	}
	if r.Identifier != nil && r.Identifier.System == SystemNHSNumber {
		return r.Identifier.Value
	}
	ref := strings.TrimRight(r.Reference, "/")
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		ref = ref[i+1:]
	}
	if tenDigits(ref) {
		return ref
	}
	return ""
}

func display(c *CodeableConcept) string {
	if c == nil {
		return ""
	}
	if t := collapse(c.Text); t != "" {
		return t
	}
	for _, cd := range c.Coding {
		if d := collapse(cd.Display); d != "" {
			return d
		}
	}
	return ""
}

// raEntries decodes a Reasonable Adjustment searchset Bundle and returns its resources of type
// kind, after checking each names the patient want (a resource about anyone else is a
// WrongPatient error; one naming no patient is refused too).
func raEntries(body []byte, kind, want string) ([]raResource, error) {
	b, err := bundleOf(body)
	if err != nil {
		return nil, err
	}
	var out []raResource
	for _, e := range b.Entry {
		var r raResource
		if err := json.Unmarshal(e.Resource, &r); err != nil {
			return nil, malformed(err)
		}
		if r.ResourceType != kind {
			continue
		}
		subj := r.Subject
		if subj == nil {
			subj = r.Patient
		}
		if got := referencedNHS(subj); got != want {
			return nil, &SpineError{Kind: WrongPatient, Code: FlagSubject, OtherNHS: got}
		}
		out = append(out, r)
	}
	return out, nil
}

// DecodeFlags decodes GET /Flag: the patient's active reasonable adjustments, in order. Every
// Flag must be about want (the NHS number asked for).
func DecodeFlags(body []byte, want string) ([]Adjustment, error) {
	rs, err := raEntries(body, "Flag", want)
	if err != nil {
		return nil, err
	}
	out := []Adjustment{}
	for _, r := range rs {
		if r.Status != "" && r.Status != "active" {
			continue
		}
		a := Adjustment{Text: display(r.Code)}
		if r.Code != nil && len(r.Code.Coding) > 0 {
			a.Code = r.Code.Coding[0].Code
		}
		for _, x := range r.Extension {
			if x.URL == ExtensionAdjustmentCategory {
				a.Category = display(x.ValueCodeableConcept)
			}
		}
		if a.Text == "" {
			return nil, &SpineError{Kind: Malformed, Err: errors.New("decode: Flag without a code")}
		}
		out = append(out, a)
	}
	return out, nil
}

// DecodeRAConsent decodes GET /Consent: whether the patient has an active consent to record
// reasonable adjustments.
func DecodeRAConsent(body []byte, want string) (bool, error) {
	rs, err := raEntries(body, "Consent", want)
	if err != nil {
		return false, err
	}
	for _, r := range rs {
		if r.Status == "active" {
			return true, nil
		}
	}
	return false, nil
}

// DecodeRAConditions decodes GET /List: the underlying conditions behind the adjustments, in
// their own words (the contained Conditions' codes).
func DecodeRAConditions(body []byte, want string) ([]string, error) {
	rs, err := raEntries(body, "List", want)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, r := range rs {
		for _, c := range r.Contained {
			var cond raResource
			if json.Unmarshal(c, &cond) != nil || cond.ResourceType != "Condition" {
				continue
			}
			if t := display(cond.Code); t != "" {
				out = append(out, t)
			}
		}
	}
	return out, nil
}
