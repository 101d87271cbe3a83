package session_test

import (
	"testing"

	"scrdesk/internal/audit"
	"scrdesk/internal/session"
)

// TestActionsAreTheAuditLogs checks that the machine's audit actions and outcomes are the audit
// log's own values, so the controller converts with audit.Action(a) and audit.Outcome(o).
func TestActionsAreTheAuditLogs(t *testing.T) {
	for _, c := range []struct {
		got  session.Action
		want audit.Action
	}{
		{session.ActLogin, audit.ActionLogin},
		{session.ActWrongPasscode, audit.ActionWrongPasscode},
		{session.ActCardBlocked, audit.ActionCardBlocked},
		{session.ActRoleSelected, audit.ActionRoleSelected},
		{session.ActLockCardRemoved, audit.ActionLockCardRemoved},
		{session.ActLockIdle, audit.ActionLockIdle},
		{session.ActLockManual, audit.ActionLockManual},
		{session.ActLockServiceLost, audit.ActionLockServiceLost},
		{session.ActUnlock, audit.ActionUnlock},
		{session.ActLogout, audit.ActionLogout},
		{session.ActCardSwapped, audit.ActionCardSwapped},
	} {
		if string(c.got) != string(c.want) {
			t.Errorf("session action %q, audit action %q", c.got, c.want)
		}
	}
	for _, c := range []struct {
		got  session.Outcome
		want audit.Outcome
	}{
		{session.Success, audit.OutcomeSuccess},
		{session.MinorFailure, audit.OutcomeMinorFailure},
		{session.SeriousFailure, audit.OutcomeSeriousFailure},
		{session.MajorFailure, audit.OutcomeMajorFailure},
	} {
		if string(c.got) != string(c.want) {
			t.Errorf("session outcome %q, audit outcome %q", c.got, c.want)
		}
	}
}
