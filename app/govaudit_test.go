package app

import (
	"database/sql"
	"strconv"
	"strings"
	"testing"

	"scrdesk/internal/audit"
	gscreens "scrdesk/screens/governance"

	_ "modernc.org/sqlite"
)

// TestGovernanceOpenAndMoreAudited: opening a case (the patient's NHS number, their other
// accesses) and paging More on the queue and the browser each write an audit-queried row naming
// what was viewed, before it is shown.
func TestGovernanceOpenAndMoreAudited(t *testing.T) {
	h, _ := sgpHarness(t)
	rulesCaughtUp(h)
	act(h, func(c *Controller) { c.govGo(gscreens.PageCases) })
	rows := h.frame.gov.Cases.Rows
	if len(rows) == 0 {
		t.Fatal("no cases")
	}
	target := rows[0].Seq
	before := len(h.entries())
	act(h, func(c *Controller) { c.govOpen(target) })
	got := h.entries()[before:]
	if len(got) != 1 || got[0].Action != audit.ActionAuditQueried || got[0].Detail["view"] != "case" ||
		got[0].Detail["case"] != strconv.FormatInt(target, 10) {
		t.Fatalf("opening case %d wrote %+v", target, got)
	}
	if h.frame.gov.Page != gscreens.PageCase || h.frame.gov.Case.Seq != target {
		t.Fatalf("case not shown: %+v", h.frame.gov.Case)
	}

	act(h, func(c *Controller) { c.govGo(gscreens.PageCases) })
	if !h.frame.gov.Cases.More {
		t.Fatal("the demo queue fits one page: no More to test")
	}
	before = len(h.entries())
	act(h, func(c *Controller) { c.govMore(gscreens.PageCases) })
	got = h.entries()[before:]
	if len(got) != 1 || got[0].Action != audit.ActionAuditQueried || got[0].Detail["view"] != "cases, more" ||
		got[0].Detail["after_case"] == "" || got[0].Detail["after_case"] == "0" {
		t.Fatalf("More on the queue wrote %+v", got)
	}

	act(h, func(c *Controller) { c.govGo(gscreens.PageAudit) })
	before = len(h.entries())
	act(h, func(c *Controller) { c.govMore(gscreens.PageAudit) })
	got = h.entries()[before:]
	if len(got) != 1 || got[0].Action != audit.ActionAuditQueried || got[0].Detail["view"] != "audit log, more" ||
		got[0].Detail["before_seq"] == "" {
		t.Fatalf("More on the browser wrote %+v", got)
	}
}

// TestGovernanceAuditRefusedShowsNothing: when the store refuses the audit row (a trigger on
// the real file aborts every insert), opening a case, paging More, filtering and re-entering
// the workspace show nothing of the log, only a plain message.
func TestGovernanceAuditRefusedShowsNothing(t *testing.T) {
	h, _ := sgpHarness(t)
	rulesCaughtUp(h)
	act(h, func(c *Controller) { c.govGo(gscreens.PageCases) })
	target := h.frame.gov.Cases.Rows[0].Seq

	x, err := sql.Open("sqlite", h.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if _, err := x.Exec(`CREATE TRIGGER refuse_all BEFORE INSERT ON audit_event BEGIN SELECT RAISE(ABORT, 'refused'); END`); err != nil {
		t.Fatal(err)
	}
	shown := func(what string) {
		t.Helper()
		v := h.frame.gov
		if !v.Problem || !strings.HasPrefix(v.Message, "Nothing was shown: the audit log could not be written") {
			t.Errorf("%s: message %q", what, v.Message)
		}
		if v.Page == gscreens.PageCase || v.Case.Seq != 0 || len(v.Case.Facts) != 0 || len(v.Case.Patient) != 0 ||
			len(v.Cases.Rows) != 0 || len(v.Audit.Rows) != 0 || v.Home.Open != "" {
			t.Errorf("%s: something was shown: %+v", what, v)
		}
	}
	act(h, func(c *Controller) { c.govOpen(target) })
	shown("open a case")
	act(h, func(c *Controller) { c.govGo(gscreens.PageCases) })
	shown("the queue")
	act(h, func(c *Controller) { c.govFilter(gscreens.PageAudit, gscreens.Filter{}) })
	shown("the audit browser")
	act(h, func(c *Controller) { c.govMore(gscreens.PageAudit) })
	shown("More")
	act(h, func(c *Controller) { c.enterGov(); c.render() })
	shown("entering the workspace")
	act(h, func(c *Controller) { c.govGo(gscreens.PageHome) })
	shown("home after a failed entry")

	// Once the store writes again, the workspace opens as before.
	if _, err := x.Exec(`DROP TRIGGER refuse_all`); err != nil {
		t.Fatal(err)
	}
	act(h, func(c *Controller) { c.govOpen(target) })
	if h.frame.gov.Page != gscreens.PageCase || h.frame.gov.Case.Seq != target {
		t.Errorf("after the store recovered: %+v", h.frame.gov)
	}
}

// rulesCaughtUp waits for the rules' backfill over the demo log (slow under -race).
func rulesCaughtUp(h *harness) {
	h.rulesBackfilled()
	h.until("the integrity line", func(c *Controller) bool { return c.gv != nil && c.gv.integrity != "Checking the audit log…" })
}

// TestAuditBrowserSaysWhenNothingMatches: a filter that matches no entry says so under the
// list (it showed a blank list and nothing else).
func TestAuditBrowserSaysWhenNothingMatches(t *testing.T) {
	h, _ := sgpHarness(t)
	h.inspect(func(c *Controller) { c.govFilter(gscreens.PageAudit, gscreens.Filter{User: "no-such-user"}) })
	h.inspect(func(c *Controller) {
		if a := c.gv.view.Audit; len(a.Rows) != 0 || a.Count != "No entry matches these filters." {
			t.Errorf("a filter matching nothing: %d rows, %q", len(a.Rows), a.Count)
		}
	})
	h.inspect(func(c *Controller) { c.govFilter(gscreens.PageAudit, gscreens.Filter{}) })
	h.inspect(func(c *Controller) {
		if a := c.gv.view.Audit; len(a.Rows) == 0 || a.Count != "Newest first" {
			t.Errorf("no filter: %d rows, %q", len(a.Rows), a.Count)
		}
	})
}
