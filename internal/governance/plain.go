package governance

import (
	"fmt"
	"strings"

	"scrdesk/internal/audit"
)

func nhs(n string) string {
	if len(n) != 10 {
		return n
	}
	return n[:3] + " " + n[3:6] + " " + n[6:]
}

// Plain says what an audit entry records in plain words, for the audit browser: "Priya Shah
// viewed the record of 999 000 0107 with the patient's permission".
func Plain(e audit.Entry) string {
	who := e.UserName
	if who == "" {
		who = "Someone"
	}
	p := nhs(e.NHSNumber)
	failed := e.Outcome != "" && e.Outcome != audit.OutcomeSuccess
	switch e.Action {
	case audit.ActionPatientRead:
		return who + " viewed the details of " + p
	case audit.ActionSCRRead:
		if failed {
			return who + " tried to view the record of " + p + " but it could not be opened"
		}
		switch e.Detail["basis"] {
		case "permission":
			return who + " viewed the record of " + p + " with the patient's permission"
		case "emergency":
			return who + " viewed the record of " + p + " in an emergency"
		}
		return who + " viewed the record of " + p
	case audit.ActionEmergency:
		return fmt.Sprintf("%s opened the record of %s in an emergency without permission, giving the reason %q", who, p, strings.TrimSpace(e.Reason))
	case audit.ActionSelfClaimLR:
		return who + " claimed a care relationship with " + p
	case audit.ActionPermission:
		return who + " recorded that " + p + " gave permission to view the record"
	case audit.ActionPermissionNo:
		return who + " recorded that " + p + " declined; the record was not opened"
	case audit.ActionConsentRead:
		return who + " saw whether the record of " + p + " may be shared"
	case audit.ActionPatientListed:
		return who + " saw " + p + " listed among the matches of a search by name and details"
	case audit.ActionPatientSearch:
		if e.Detail["by"] == "demographics" {
			return who + " searched for a patient by name and details"
		}
		return who + " searched for " + p
	case audit.ActionCaseNote:
		return fmt.Sprintf("%s added a note to the review of entry %s: %q", who, e.Detail["case"], e.Reason)
	case audit.ActionCaseReview, audit.ActionCaseAppropriate, audit.ActionCaseInappropriate, audit.ActionCaseEscalated:
		s := fmt.Sprintf("%s: %s (entry %s)", who, strings.ToLower(e.Action.Label()[:1])+e.Action.Label()[1:], e.Detail["case"])
		if v := e.Detail["action_taken"]; v != "" {
			s += "; action taken: " + v
		}
		if v := e.Detail["escalated_to"]; v != "" {
			s += "; escalated to " + v
		}
		return s
	}
	s := who + ": " + e.Action.Label()
	if p != "" {
		s += " (" + p + ")"
	}
	if failed {
		s += ", failed"
		if e.Reason != "" {
			s += ": " + e.Reason
		}
	}
	return s
}
