package patientflow_test

import (
	"testing"

	"scrdesk/internal/audit"
	"scrdesk/internal/patientflow"
)

// TestActionsAreTheAuditLogs: the machine's actions are the audit log's own values.
func TestActionsAreTheAuditLogs(t *testing.T) {
	for _, c := range []struct {
		got  patientflow.Action
		want audit.Action
	}{
		{patientflow.ActPatientSearch, audit.ActionPatientSearch},
		{patientflow.ActPatientRead, audit.ActionPatientRead},
		{patientflow.ActConsentRead, audit.ActionConsentRead},
		{patientflow.ActPermission, audit.ActionPermission},
		{patientflow.ActPermissionNo, audit.ActionPermissionNo},
		{patientflow.ActEmergency, audit.ActionEmergency},
		{patientflow.ActSelfClaimLR, audit.ActionSelfClaimLR},
		{patientflow.ActSCRRead, audit.ActionSCRRead},
		{patientflow.ActDeceasedReason, audit.ActionDeceasedReason},
		{patientflow.ActPatientListed, audit.ActionPatientListed},
		{patientflow.ActAdjustmentsRead, audit.ActionAdjustmentsRead},
		{patientflow.ActAccessCheck, audit.ActionAccessCheck},
	} {
		if string(c.got) != string(c.want) {
			t.Errorf("patientflow action %q, audit action %q", c.got, c.want)
		}
	}
}
