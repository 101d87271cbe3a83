package governance

import (
	"testing"

	"scrdesk/internal/audit"
)

func TestPlain(t *testing.T) {
	for _, c := range []struct {
		e    audit.Event
		want string
	}{
		{audit.Event{Action: audit.ActionSCRRead, Outcome: audit.OutcomeSuccess, UserName: "Priya Shah", NHSNumber: "9990000107", Detail: map[string]string{"basis": "permission"}},
			"Priya Shah viewed the record of 999 000 0107 with the patient's permission"},
		{audit.Event{Action: audit.ActionEmergency, Outcome: audit.OutcomeSuccess, UserName: "Tom Evans", NHSNumber: "9990000107", Reason: " urgent "},
			`Tom Evans opened the record of 999 000 0107 in an emergency without permission, giving the reason "urgent"`},
		{audit.Event{Action: audit.ActionWrongPasscode, Outcome: audit.OutcomeMinorFailure, UserName: "Sam Lee", Reason: "wrong passcode"},
			"Sam Lee: Wrong passcode entered, failed: wrong passcode"},
		{audit.Event{Action: audit.ActionCaseInappropriate, Outcome: audit.OutcomeSuccess, UserName: "Grace Okafor", Detail: map[string]string{"case": "41", "action_taken": "retrained"}},
			"Grace Okafor: closed a review: the access was inappropriate (entry 41); action taken: retrained"},
		{audit.Event{Action: audit.ActionLogin, Outcome: audit.OutcomeSuccess}, "Someone: Signed in"},
	} {
		if got := Plain(audit.Entry{Event: c.e}); got != c.want {
			t.Errorf("Plain(%s) = %q\nwant %q", c.e.Action, got, c.want)
		}
	}
}
