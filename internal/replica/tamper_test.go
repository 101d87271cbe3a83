package replica_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"scrdesk/internal/audit"
	"scrdesk/internal/replica"
)

// TestTamperingCaughtByVerifyCentral replicates two workstations, then, for each case, copies
// the database and changes it the way someone with database access could (as the superuser,
// with the triggers switched off), and checks that VerifyCentral names exactly what was done
// and still calls the other workstation intact.
func TestTamperingCaughtByVerifyCentral(t *testing.T) {
	srv := central(t)
	ctx := context.Background()
	a, b := newWorkstation(t, "COUNTER-1"), newWorkstation(t, "COUNTER-2")
	a.bulk(t, 3000)
	b.bulk(t, 500)
	wa := a.worker(t, srv, "ws1", func(c *replica.Config) { c.Batch = 250; c.HeadRows = 500; c.HeadEvery = time.Hour })
	wb := b.worker(t, srv, "ws2", nil)
	stopA, stopB := run(wa), run(wb)
	caughtUp(t, b, wb, 30*time.Second)
	waitFor(t, "COUNTER-1 to catch up", 30*time.Second, func() bool { return wa.Status().Cursor == 3000 })
	stopA() // signs its last head
	stopB()
	if rep := verify(t, srv, replica.VerifyOptions{}); !rep.OK() {
		t.Fatalf("before tampering: %s", rep.Text())
	}
	ia, ib := a.db.InstanceID(), b.db.InstanceID()

	// relink recomputes the stored links of COUNTER-1's rows from seq on, as a careful
	// attacker would after editing a body.
	relink := func(c *pgx.Conn, from int64) error {
		var prev []byte
		if err := c.QueryRow(ctx, `SELECT link FROM scrdesk.audit_event WHERE instance_id = $1 AND seq = $2`, ia, from-1).Scan(&prev); err != nil {
			return err
		}
		rows, err := c.Query(ctx, `SELECT seq, body FROM scrdesk.audit_event WHERE instance_id = $1 AND seq >= $2 ORDER BY seq`, ia, from)
		if err != nil {
			return err
		}
		type sb struct {
			seq  int64
			body string
		}
		var all []sb
		for rows.Next() {
			var r sb
			if err := rows.Scan(&r.seq, &r.body); err != nil {
				return err
			}
			all = append(all, r)
		}
		rows.Close()
		lk := audit.NewLinker()
		for _, r := range all {
			prev = append([]byte(nil), lk.Link(prev, r.seq, []byte(r.body))...)
			if _, err := c.Exec(ctx, `UPDATE scrdesk.audit_event SET link = $3 WHERE instance_id = $1 AND seq = $2`, ia, r.seq, prev); err != nil {
				return err
			}
		}
		return nil
	}

	cases := []struct {
		name   string
		tamper func(c *pgx.Conn) error
		want   []replica.Finding
		opt    replica.VerifyOptions
	}{
		{"row edited", func(c *pgx.Conn) error {
			_, err := c.Exec(ctx, `UPDATE scrdesk.audit_event SET body = replace(body, 'Test Pharmacist', 'Someone Else') WHERE instance_id = $1 AND seq = 1234`, ia)
			return err
		}, []replica.Finding{{Kind: replica.FindChanged, From: 1234, To: 1234}}, replica.VerifyOptions{}},
		{"row deleted", func(c *pgx.Conn) error {
			_, err := c.Exec(ctx, `DELETE FROM scrdesk.audit_event WHERE instance_id = $1 AND seq = 1500`, ia)
			return err
		}, []replica.Finding{{Kind: replica.FindMissing, From: 1500, To: 1500}}, replica.VerifyOptions{}},
		{"range deleted", func(c *pgx.Conn) error {
			_, err := c.Exec(ctx, `DELETE FROM scrdesk.audit_event WHERE instance_id = $1 AND seq BETWEEN 10 AND 900`, ia)
			return err
		}, []replica.Finding{{Kind: replica.FindMissing, From: 10, To: 900}}, replica.VerifyOptions{}},
		{"newest rows cut off", func(c *pgx.Conn) error {
			_, err := c.Exec(ctx, `DELETE FROM scrdesk.audit_event WHERE instance_id = $1 AND seq > 2990`, ia)
			return err
		}, []replica.Finding{{Kind: replica.FindCutOff, From: 2991, To: 3000}}, replica.VerifyOptions{}},
		{"two rows swapped", func(c *pgx.Conn) error {
			_, err := c.Exec(ctx, `UPDATE scrdesk.audit_event e SET body = o.body FROM scrdesk.audit_event o
				WHERE e.instance_id = $1 AND o.instance_id = $1 AND ((e.seq = 100 AND o.seq = 200) OR (e.seq = 200 AND o.seq = 100))`, ia)
			return err
		}, []replica.Finding{{Kind: replica.FindReordered, From: 100, To: 100, Other: 200}, {Kind: replica.FindReordered, From: 200, To: 200, Other: 100}}, replica.VerifyOptions{}},
		{"row edited and the hashes recomputed", func(c *pgx.Conn) error {
			if _, err := c.Exec(ctx, `UPDATE scrdesk.audit_event SET body = replace(body, '9990000107', '9990000115') WHERE instance_id = $1 AND seq = 2222`, ia); err != nil {
				return err
			}
			return relink(c, 2222)
		}, nil, replica.VerifyOptions{}},
		{"a head forged", func(c *pgx.Conn) error {
			sig := make([]byte, 64)
			rand.Read(sig)
			_, err := c.Exec(ctx, `INSERT INTO scrdesk.chain_head (instance_id, seq, link, signed_ms, signature) VALUES ($1, 2999, $2, 1, $3)`, ia, make([]byte, 32), sig)
			return err
		}, []replica.Finding{{Kind: replica.FindBadSignature, From: 2999, To: 2999}}, replica.VerifyOptions{}},
		{"a workstation's rows and heads dropped", func(c *pgx.Conn) error {
			return execAll(c, ia, `DELETE FROM scrdesk.chain_head WHERE instance_id = $1`, `DELETE FROM scrdesk.audit_event WHERE instance_id = $1`)
		}, []replica.Finding{{Kind: replica.FindNoRows}}, replica.VerifyOptions{}},
		{"a workstation's rows dropped, heads kept", func(c *pgx.Conn) error {
			_, err := c.Exec(ctx, `DELETE FROM scrdesk.audit_event WHERE instance_id = $1`, ia)
			return err
		}, []replica.Finding{{Kind: replica.FindCutOff, From: 1, To: 3000}}, replica.VerifyOptions{}},
		{"a workstation erased, registration too (caught from that workstation)", func(c *pgx.Conn) error {
			return execAll(c, ia, `DELETE FROM scrdesk.chain_head WHERE instance_id = $1`, `DELETE FROM scrdesk.audit_event WHERE instance_id = $1`,
				`DELETE FROM scrdesk.workstation WHERE instance_id = $1`)
		}, []replica.Finding{{Kind: replica.FindNoKey}, {Kind: replica.FindLocalAhead, From: 1, To: 3000}}, replica.VerifyOptions{LocalInstance: ia, LocalSeq: 3000}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := fmt.Sprintf("case%d", i)
			srv.Exec(fmt.Sprintf(`CREATE DATABASE %s TEMPLATE postgres`, db))
			conn, err := pgx.Connect(ctx, srv.DSN("postgres", db))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Exec(ctx, `SET session_replication_role = replica`); err != nil { // triggers off
				t.Fatal(err)
			}
			if err := c.tamper(conn); err != nil {
				t.Fatal(err)
			}
			conn.Close(ctx)
			rep := verifyDB(t, srv, db, c.opt)
			if rep.OK() {
				t.Fatalf("not caught: %s", rep.Text())
			}
			for _, w := range rep.Workstations {
				switch w.Instance {
				case ib:
					if !w.OK() {
						t.Errorf("the untouched workstation: %+v", w.Findings)
					}
				case ia:
					if c.want == nil {
						// Rewritten rows: the signed heads from the one covering entry 2222 to the
						// newest no longer match.
						f := w.Findings
						ok := len(f) > 0 && f[0].From <= 2222 && 2222 <= f[0].To && f[len(f)-1].To == 3000
						for i, x := range f {
							ok = ok && x.Kind == replica.FindRewritten && (i == 0 || x.From == f[i-1].To+1)
						}
						if !ok {
							t.Errorf("findings %+v, want the signed heads from entry 2222 on to fail", f)
						}
					} else if !slices.Equal(w.Findings, c.want) {
						t.Errorf("findings %+v, want %+v\n%s", w.Findings, c.want, rep.Text())
					}
				default:
					t.Errorf("unknown instance %s", w.Instance)
				}
			}
			if !strings.Contains(rep.Text(), "NOT intact") || !strings.Contains(rep.Text(), "COUNTER-2 (FA123") {
				t.Errorf("text: %s", rep.Text())
			}
			t.Log(rep.Text())
		})
	}
}

func execAll(c *pgx.Conn, inst string, sqls ...string) error {
	for _, q := range sqls {
		if _, err := c.Exec(context.Background(), q, inst); err != nil {
			return err
		}
	}
	return nil
}
