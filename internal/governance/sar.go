package governance

import (
	"strings"
	"time"

	"scrdesk/internal/audit"
)

// SARLine is one line of a Subject Access Request report: one thing seen about the patient.
type SARLine struct {
	Seq    int64
	Time   time.Time
	What   string // what was seen: demographics, the consent state, the record
	Role   string // the accessing person's role, in words
	Person string // the person's name, only where the pharmacy decides names must be given
	Where  string // workstation
	Basis  string // permission given, emergency with its reason, self-claimed relationship
	Review string // the review outcome, if there was one
}

// RoleName turns a role code (S…:G…:R…) into words for a patient.
func RoleName(code string) string {
	r := code
	if i := strings.LastIndex(code, ":"); i >= 0 {
		r = code[i+1:]
	}
	switch r {
	case "R8003":
		return "Pharmacist"
	case "R8004":
		return "Pharmacy technician"
	case "R8008":
		return "Counter assistant"
	case "R0001":
		return "SCR Governance Person"
	}
	return "Pharmacy staff"
}

// SARLines turns a patient's audit entries (oldest first) into the report's lines: what was
// seen, by which role, on what basis, and the review outcome of any case about it. names says
// whether to give the accessing people's names. Rows about the review itself (notes, status)
// are not lines; earlier Subject Access Request reports are.
func SARLines(es []audit.Entry, cases map[int64]Case, names bool) []SARLine {
	var out []SARLine
	basis := map[string]string{} // user -> basis of their current opening
	caseOf := map[string]int64{} // user -> the case about their current opening
	for _, e := range es {
		var what string
		switch e.Action {
		case audit.ActionPatientRead:
			what = "Name, address and contact details"
			basis[e.UserID], caseOf[e.UserID] = "Finding the patient", 0
		case audit.ActionConsentRead:
			what = "Whether the record may be shared"
		case audit.ActionAdjustmentsRead:
			what = "Reasonable adjustments (the patient's recorded needs)"
		case audit.ActionDeceasedReason:
			basis[e.UserID] = "The patient had died; reason given: " + strings.TrimSpace(e.Reason)
			continue
		case audit.ActionPermission:
			if basis[e.UserID] != "Self-claimed care relationship" {
				basis[e.UserID] = "Patient's permission"
			}
			continue
		case audit.ActionSelfClaimLR:
			basis[e.UserID] = "Self-claimed care relationship"
			caseOf[e.UserID] = e.Seq
			continue
		case audit.ActionEmergency:
			basis[e.UserID] = "Emergency access without permission: " + strings.TrimSpace(e.Reason)
			caseOf[e.UserID] = e.Seq
			continue
		case audit.ActionPermissionNo:
			what = "Nothing: the patient declined, so the record was not opened"
		case audit.ActionSCRRead:
			if e.Outcome != audit.OutcomeSuccess {
				what = "Nothing: the record could not be opened"
			} else {
				what = "The Summary Care Record"
			}
		case audit.ActionSAR:
			what = "A Subject Access Request report about this patient"
		default:
			continue
		}
		if e.Outcome != audit.OutcomeSuccess && e.Action != audit.ActionSCRRead {
			continue
		}
		l := SARLine{Seq: e.Seq, Time: e.Time, What: what, Role: RoleName(e.RoleCode), Where: e.Workstation, Basis: basis[e.UserID]}
		if e.Action == audit.ActionSAR {
			l.Basis = "Request from the patient"
		}
		if names {
			l.Person = e.UserName
		}
		c, ok := cases[e.Seq]
		if !ok && e.Action == audit.ActionSCRRead && caseOf[e.UserID] != 0 {
			c, ok = cases[caseOf[e.UserID]]
		}
		if ok {
			l.Review = c.State.Label()
		}
		out = append(out, l)
	}
	return out
}
