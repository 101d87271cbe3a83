package app

import (
	"strconv"
	"strings"
	"testing"

	"scrdesk/cardreader"
	"scrdesk/cardreader/virtualcard"
	"scrdesk/internal/audit"
	"scrdesk/internal/present"
	"scrdesk/internal/sandbox"
	"scrdesk/internal/session"
	"scrdesk/internal/staff"
)

// TestRefusalsAreAudited: a user whose only role may not open records is audited at sign-in
// with the roles offered, and a search they try is audited as refused; a demographic search
// records the NHS number of every patient it listed (each was seen).
func TestRefusalsAreAudited(t *testing.T) {
	ca, err := virtualcard.NewCA("Test RA")
	if err != nil {
		t.Fatal(err)
	}
	asst, card := demoCard(t, ca, "assistant")
	dr := cardreader.NewDemoReader()
	dr.Attach(demoReader)
	h := newHarness(t, dr, ca.Pool(), harnessOpts{})
	dr.Insert(demoReader, card)
	h.typePasscode(asst.PIN)
	h.waitState(session.Ready)
	login := lastOf(t, h.entries(), audit.ActionLogin)
	if login.UserID != asst.UserID || !strings.Contains(login.Reason, "may not open records") || !strings.Contains(login.Reason, asst.Roles[0].URID) {
		t.Errorf("login row %+v: want the refusal with the roles offered", login)
	}
	h.searchNHS(sandbox.NHSAsk)
	h.until("the refusal on screen", func(c *Controller) bool { return searchView(c).State == present.SearchError })
	e := lastOf(t, h.entries(), audit.ActionPatientSearch)
	if e.Outcome != audit.OutcomeMinorFailure || e.UserID != asst.UserID || !strings.Contains(e.Reason, "refused") || e.URID != asst.Roles[0].URID {
		t.Errorf("refused search row %+v", e)
	}
	for _, r := range h.sb.Requests() {
		if r.Resource == "Patient" {
			t.Errorf("a refused search reached PDS: %+v", r)
		}
	}
}

func TestDemographicSearchRecordsEveryPatientShown(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	h.inspect(func(c *Controller) { c.searchDemographics(present.Query{Family: "Asker"}) })
	h.until("the matches", func(c *Controller) bool { return len(c.flow.View().Matches) > 0 })
	var listed []string
	h.inspect(func(c *Controller) {
		for _, p := range c.flow.View().Matches {
			listed = append(listed, p.NHSNumber)
		}
	})
	e := lastOf(t, h.entries(), audit.ActionPatientSearch)
	if e.Detail["by"] != "demographics" || e.Detail["shown"] != strings.Join(listed, ",") || !strings.Contains(e.Detail["shown"], sandbox.NHSAsk) {
		t.Errorf("search row %+v, listed %v", e, listed)
	}
	// One row per patient listed, after the search's, with the NHS number in its own column, so
	// a Subject Access Request (the store's patient filter, its index) finds each of them.
	var rows []string
	for _, r := range h.entries() {
		if r.Action == audit.ActionPatientListed {
			rows = append(rows, r.NHSNumber)
			if r.Seq <= e.Seq || r.Detail["search"] != strconv.FormatInt(e.Seq, 10) || r.UserID != e.UserID {
				t.Errorf("listed row %+v after search row %d", r, e.Seq)
			}
		}
	}
	if strings.Join(rows, ",") != strings.Join(listed, ",") {
		t.Errorf("listed rows %v, want %v", rows, listed)
	}
	for _, nhs := range listed {
		found := false
		if err := h.db.Each(t.Context(), audit.Filter{NHSNumber: nhs}, func(r audit.Entry) error {
			found = found || r.Action == audit.ActionPatientListed
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !found {
			t.Errorf("a Subject Access Request for %s does not find the search that listed them", nhs)
		}
	}
}

// TestIdentityServiceRefusalIsAudited: the card proved itself but the identity service did not
// answer: the sign-in stops, and its row says it was the identity service and what it said.
func TestIdentityServiceRefusalIsAudited(t *testing.T) {
	h, dr, card := demoHarness(t)
	h.sb.SetFault("token", sandbox.Fault{Kind: sandbox.FaultHTML5xx, Status: 503, Times: 1})
	dr.Insert(demoReader, card)
	h.typePasscode(staff.DemoUsers()[0].PIN)
	h.until("the sign-in stopped", func(c *Controller) bool {
		return c.m.State() == session.WaitingForCard && c.m.Snapshot().Message == session.MsgRolesFailed
	})
	e := lastOf(t, h.entries(), audit.ActionLogin)
	if e.Outcome != audit.OutcomeSeriousFailure || !strings.HasPrefix(e.Reason, "identity service: ") || e.UserID == "" {
		t.Errorf("login row %+v", e)
	}
	var link bool
	h.inspect(func(c *Controller) { link = c.link != nil })
	if link {
		t.Error("a link is held after the identity service refused")
	}
}
