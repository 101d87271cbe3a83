package present

import (
	"slices"
	"strings"
)

// SectionKind says what a record section is, and so where it goes and how it looks.
type SectionKind string

// Section kinds, from the Composition section codes of the SCR FHIR API
// (`AllergiesHeader`, `AcuteMedsHeader`, ...). The GP Summary's title section is KindSummary;
// additional-information sections with a known code are KindAdditional; a section the viewer
// does not know (no code, or a code it has never seen) is KindOther and is shown as plain text.
const (
	KindSummary     SectionKind = "summary"
	KindAllergies   SectionKind = "allergies"
	KindAcuteMeds   SectionKind = "acute-medication"
	KindRepeatMeds  SectionKind = "repeat-medication"
	KindDiscRepeats SectionKind = "discontinued-repeat-medication"
	KindRisks       SectionKind = "risks"
	KindAdditional  SectionKind = "additional"
	KindOther       SectionKind = "other"
)

// sectionCodes maps the SCR API's section codes to kinds.
var sectionCodes = map[string]SectionKind{
	"Title":                KindSummary,
	"AllergiesHeader":      KindAllergies,
	"AcuteMedsHeader":      KindAcuteMeds,
	"RepeatMedsHeader":     KindRepeatMeds,
	"DiscRepeatMedsHeader": KindDiscRepeats,
	"RisksToPatientHeader": KindRisks,
	// Additional information, shown with the patient's express consent.
	"DiagnosesHeader":      KindAdditional,
	"ProblemsHeader":       KindAdditional,
	"ObservationsHeader":   KindAdditional,
	"TreatmentsHeader":     KindAdditional,
	"ResultsHeader":        KindAdditional,
	"EventsHeader":         KindAdditional,
	"ProceduresHeader":     KindAdditional,
	"AdviceHeader":         KindAdditional,
	"PreferencesHeader":    KindAdditional,
	"HistoryHeader":        KindAdditional,
	"FamilyHistoryHeader":  KindAdditional,
	"SocialHeader":         KindAdditional,
	"LifestyleHeader":      KindAdditional,
	"InvestigationsHeader": KindAdditional,
	"ImmunisationsHeader":  KindAdditional,
}

// ClassifySection gives a section's kind from its code, or, for the older Initial Summary whose
// sections carry no code, from its title: allergies and medication are still put first there,
// because a pharmacist must not miss them. Anything else without a known code is KindOther.
func ClassifySection(code, title string) SectionKind {
	if k, ok := sectionCodes[strings.TrimSpace(code)]; ok {
		return k
	}
	if strings.TrimSpace(code) != "" {
		return KindOther
	}
	t := strings.ToLower(title)
	switch {
	case strings.Contains(t, "allerg") || strings.Contains(t, "adverse reaction"):
		return KindAllergies
	case strings.Contains(t, "discontinued"):
		return KindDiscRepeats
	case strings.Contains(t, "acute med"):
		return KindAcuteMeds
	case strings.Contains(t, "repeat med"):
		return KindRepeatMeds
	case strings.Contains(t, "risks to patient"):
		return KindRisks
	}
	return KindOther
}

// rank is the place of each kind on screen (docs/domain.md): allergies, acute medication, repeat
// medication, discontinued repeats, risks, then additional information, then what the viewer
// does not know. The summary's title section is not listed as a section: its facts go in the
// record header.
func rank(k SectionKind) int {
	switch k {
	case KindSummary:
		return 0
	case KindAllergies:
		return 1
	case KindAcuteMeds:
		return 2
	case KindRepeatMeds:
		return 3
	case KindDiscRepeats:
		return 4
	case KindRisks:
		return 5
	case KindAdditional:
		return 6
	}
	return 7
}

// OrderSections sorts sections into the on-screen order, keeping the source order within a kind.
// It sorts a copy; the argument is left alone.
func OrderSections(s []SectionView) []SectionView {
	out := slices.Clone(s)
	slices.SortStableFunc(out, func(a, b SectionView) int { return rank(a.Kind) - rank(b.Kind) })
	return out
}

// Heading is the heading a section kind is shown under when the record gives no title.
func (k SectionKind) Heading() string {
	switch k {
	case KindAllergies:
		return "Allergies and adverse reactions"
	case KindAcuteMeds:
		return "Acute medication"
	case KindRepeatMeds:
		return "Repeat medication"
	case KindDiscRepeats:
		return "Discontinued repeat medication"
	case KindRisks:
		return "Risks to patient"
	case KindAdditional:
		return "Additional information"
	}
	return "Other information"
}

// IsStatement reports whether a paragraph of a record is one of the statements that must be
// shown as written and stand out: "withheld" and "recently registered" statements, and anything
// the record itself marks as a HighlightedStatement (its class or an id ending in "Statement").
func IsStatement(text, id, class string) bool {
	if strings.Contains(class, "HighlightedStatement") || strings.HasSuffix(id, "Statement") {
		return true
	}
	t := strings.ToLower(text)
	for _, w := range []string{"withheld", "recently registered", "not been verified", "not verified",
		"unverified", "may not include", "may be incomplete", "may not be complete", "not been reviewed"} {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}
