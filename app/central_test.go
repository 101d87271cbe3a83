package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"scrdesk/internal/audit"
	"scrdesk/internal/replica"
	"scrdesk/internal/replica/pgtest"
	"scrdesk/internal/secrets"
	"scrdesk/internal/store"
	gscreens "scrdesk/screens/governance"
)

// TestSGPSeesTheWholePharmacy: a second workstation of the same pharmacy replicates an access
// to a real PostgreSQL; the demo SGP, signed in on this workstation, switches the audit browser
// to "the whole pharmacy" and sees it, named by workstation; the search is audited with its
// scope; a page asked for before a lock changes nothing after it.
func TestSGPSeesTheWholePharmacy(t *testing.T) {
	srv := pgtest.Start(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.SuperDSN())
	if err != nil {
		t.Fatal(err)
	}
	if err := replica.ApplySchema(ctx, conn); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE ROLE counter2 LOGIN IN ROLE scrdesk_writer; CREATE ROLE sgp LOGIN IN ROLE scrdesk_reader`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)

	h, _ := sgpHarness(t)
	var ods string
	h.inspect(func(c *Controller) {
		ods = c.svc.Settings.ODSCode
		c.svc.CentralSGP = func(ctx context.Context) (*replica.CentralLog, error) {
			return replica.OpenCentral(ctx, srv.DSN("sgp", ""), "", ods)
		}
	})
	if ods == "" {
		t.Fatal("the harness's pharmacy has no ODS code")
	}

	// The second workstation: its own data folder and key file.
	dir := t.TempDir()
	keys := secrets.File(filepath.Join(dir, "secrets.json"))
	db2, err := store.Open(ctx, filepath.Join(dir, "scrdesk.db"), keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	for _, e := range []audit.Event{
		{Action: audit.ActionLogin, Outcome: audit.OutcomeSuccess, UserID: "555000009999", UserName: "Robin Second", RoleCode: "S8000:G8000:R8004"},
		{Action: audit.ActionPatientRead, Outcome: audit.OutcomeSuccess, UserID: "555000009999", UserName: "Robin Second", RoleCode: "S8000:G8000:R8004", NHSNumber: "9990000107"},
	} {
		e.Workstation, e.ODSCode = "COUNTER-2", ods
		if _, err := db2.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	key, err := replica.SigningKey(keys, db2.InstanceID())
	if err != nil {
		t.Fatal(err)
	}
	wk := replica.New(replica.Config{DSN: srv.DSN("counter2", ""), Workstation: "COUNTER-2", ODSCode: ods, Poll: 20 * time.Millisecond}, db2, key)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { wk.Run(rctx); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for wk.Status().Cursor < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("not replicated: %+v", wk.Status())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done

	// This workstation only: the switch is offered, COUNTER-2's access is not there.
	h.inspect(func(c *Controller) { c.govFilter(gscreens.PageAudit, gscreens.Filter{}) })
	h.inspect(func(c *Controller) {
		if len(c.gv.view.Audit.Scopes) != 2 {
			t.Errorf("scopes %+v", c.gv.view.Audit.Scopes)
		}
		for _, r := range c.gv.view.Audit.Rows {
			if strings.Contains(r, "Robin Second") {
				t.Errorf("this workstation's view shows another's row: %s", r)
			}
		}
	})
	// The whole pharmacy.
	h.inspect(func(c *Controller) { c.govFilter(gscreens.PageAudit, gscreens.Filter{Scope: "pharmacy"}) })
	h.until("the whole pharmacy's rows", func(c *Controller) bool {
		return c.gv != nil && len(c.gv.view.Audit.Rows) == 2 && c.gv.view.Audit.Count == "Newest first, every workstation"
	})
	h.inspect(func(c *Controller) {
		r := c.gv.view.Audit.Rows[0]
		if !strings.Contains(r, "COUNTER-2") || !strings.Contains(r, "Robin Second") || !strings.Contains(r, "999 000 0107") {
			t.Errorf("newest pharmacy row %q", r)
		}
	})
	var scoped int
	for _, e := range h.entries() {
		if e.Action == audit.ActionAuditQueried && e.Detail["scope"] == "pharmacy" {
			scoped++
		}
	}
	if scoped != 1 {
		t.Errorf("%d audited pharmacy-wide searches, want 1", scoped)
	}
	// A page asked for, then the workspace left (as at a lock) before it arrives: nothing shows.
	h.inspect(func(c *Controller) {
		c.govFilter(gscreens.PageAudit, gscreens.Filter{Scope: "pharmacy", NHS: "9990000107"})
		c.gv.gen++ // what a lock or leaving the workspace does to answers in flight
		c.gv.view.Audit.Rows = nil
	})
	time.Sleep(500 * time.Millisecond)
	h.inspect(func(c *Controller) {
		if c.gv != nil && len(c.gv.view.Audit.Rows) != 0 {
			t.Errorf("a late page was shown: %v", c.gv.view.Audit.Rows)
		}
	})
}
