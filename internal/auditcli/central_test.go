package auditcli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"scrdesk/internal/audit"
	"scrdesk/internal/replica"
	"scrdesk/internal/replica/pgtest"
)

func TestVerifyCentralCommand(t *testing.T) {
	srv := pgtest.Start(t)
	ctx := context.Background()
	var out, errb bytes.Buffer
	db, _, keys := fixture(t)
	c := Central{Keys: keys}
	if code := RunWith(ctx, []string{"central-schema"}, &out, &errb, db, who, c); code != ExitOK || !strings.Contains(out.String(), "CREATE TABLE IF NOT EXISTS scrdesk.audit_event") {
		t.Fatalf("central-schema = %d %q", code, errb.String())
	}
	srv.Exec(out.String()) // IT support pipes it into psql
	srv.Exec(`CREATE ROLE counter1 LOGIN IN ROLE scrdesk_writer; CREATE ROLE sgp LOGIN IN ROLE scrdesk_reader`)

	key, err := replica.SigningKey(keys, db.InstanceID())
	if err != nil {
		t.Fatal(err)
	}
	wk := replica.New(replica.Config{DSN: srv.DSN("counter1", ""), Workstation: "counter-1", ODSCode: "FA123", Poll: 20 * time.Millisecond, HeadEvery: time.Millisecond}, db, key)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { wk.Run(rctx); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for st := wk.Status(); !(st.Cursor == 4 && st.SignedSeq == 4); st = wk.Status() {
		if time.Now().After(deadline) {
			t.Fatalf("not replicated: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done

	out.Reset()
	if code := RunWith(ctx, []string{"central"}, &out, &errb, db, who, c); code != ExitOK ||
		!strings.Contains(out.String(), "key fingerprint:     "+wk.Status().KeyFingerprint) || !strings.Contains(out.String(), "replicated:          to entry 4") {
		t.Fatalf("central = %d %q %q", code, out.String(), errb.String())
	}

	c.DSN = srv.DSN("sgp", "")
	out.Reset()
	if code := RunWith(ctx, []string{"verify", "--central"}, &out, &errb, db, who, c); code != ExitOK || !strings.Contains(out.String(), "Verified: 4 entries from 1 workstations") {
		t.Fatalf("verify --central = %d %q %q", code, out.String(), errb.String())
	}
	// Someone with database access edits a row.
	conn, err := pgx.Connect(ctx, srv.SuperDSN())
	if err != nil {
		t.Fatal(err)
	}
	conn.Exec(ctx, `SET session_replication_role = replica`)
	if _, err := conn.Exec(ctx, `UPDATE scrdesk.audit_event SET body = replace(body, 'Alex', 'Bob') WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	out.Reset()
	code := RunWith(ctx, []string{"verify", "--central", "--ods", "FA123"}, &out, &errb, db, who, c)
	if code != ExitBad || !strings.Contains(out.String(), "entry 3 changed since the workstation sent it") || !strings.Contains(out.String(), "tell your SCR Governance Person") {
		t.Fatalf("verify --central after an edit = %d %q", code, out.String())
	}
	// Both checks are on the record, the second as a major failure.
	var outcomes []audit.Outcome
	db.Each(ctx, audit.Filter{Action: audit.ActionAuditVerified}, func(e audit.Entry) error {
		if e.Detail["central"] == "true" {
			outcomes = append(outcomes, e.Outcome)
		}
		return nil
	})
	if len(outcomes) != 2 || outcomes[0] != audit.OutcomeSuccess || outcomes[1] != audit.OutcomeMajorFailure {
		t.Fatalf("recorded central checks: %v", outcomes)
	}
	// Without a database set up, it says so.
	errb.Reset()
	if code := RunWith(ctx, []string{"verify", "--central"}, &out, &errb, db, who, Central{}); code != ExitUsage || !strings.Contains(errb.String(), "no central database") {
		t.Fatalf("no DSN: %d %q", code, errb.String())
	}
}
