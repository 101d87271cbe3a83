package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/governance"
)

// TestGovernanceCacheTamperIsFound: the review cases are a cache; someone with the file closes a
// case, deletes one, hands a case to another user (to defeat the own-access rule) or pushes the
// rules' checked mark ahead, through SQL on the real file. Verify says the cases were changed
// outside SCR Desk (not Verified), rebuilds them from the log, and verifies clean after; the
// own-access refusal and the case's state come from the log all along.
func TestGovernanceCacheTamperIsFound(t *testing.T) {
	// Verify reads the cases a page at a time: pages of 3 make every finding cross pages.
	defer func(n int) { govPageRows = n }(govPageRows)
	govPageRows = 3
	// Every case starts from a copy of one log holding the demo entries with the rules on
	// (appending them is most of a case's time): the file, and keys of its own.
	tmpl := filepath.Join(t.TempDir(), "template.db")
	tmplKeys := newMemKeys()
	{
		db, err := OpenWith(context.Background(), tmpl, tmplKeys, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.EnableRules(context.Background(), governance.DefaultConfig(), nil); err != nil {
			t.Fatal(err)
		}
		if err := db.AppendBatch(context.Background(), demoEntries()); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	copyLog := func(t *testing.T) (string, *memKeys) {
		path := filepath.Join(t.TempDir(), "a.db")
		b, err := os.ReadFile(tmpl)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		keys := newMemKeys()
		tmplKeys.mu.Lock()
		for k, v := range tmplKeys.m {
			if k == IdentityName(tmpl) { // the keyring names the log by its path
				k = IdentityName(path)
			}
			keys.m[k] = v
		}
		tmplKeys.mu.Unlock()
		return path, keys
	}
	for _, rulesOn := range []bool{true, false} {
		for _, tc := range []struct {
			name     string
			sql      func(seq, own int64) []string
			needRule bool // needs the rules on to be seen (a case no step row mentions)
		}{
			{"case closed", func(seq, own int64) []string {
				return []string{`UPDATE gov_case SET state = 'closed-appropriate', closed_ms = 1 WHERE seq = ` + itoa(seq)}
			}, false},
			{"case deleted", func(seq, own int64) []string {
				return []string{`DELETE FROM gov_case WHERE seq = ` + itoa(seq), `DELETE FROM rule_hit WHERE seq = ` + itoa(seq)}
			}, true},
			{"user changed", func(seq, own int64) []string {
				return []string{`UPDATE gov_case SET user_id = '555000000099', user_name = 'Someone Else' WHERE seq = ` + itoa(own)}
			}, false},
			{"open count changed", func(seq, own int64) []string {
				return []string{`UPDATE gov_case_count SET n = 0 WHERE state = 'new'`}
			}, false},
			{"checked mark pushed ahead", func(seq, own int64) []string {
				return []string{`UPDATE meta SET value = '999999999' WHERE key = 'rules_checked_seq'`}
			}, false},
			{"step row dropped from the cache", func(seq, own int64) []string {
				return []string{`DELETE FROM gov_step WHERE case_seq = ` + itoa(seq)}
			}, false},
			// Cases added about entries the log cannot hold (the paging once began after entry 0,
			// and read neither; an attacker's review found them missed).
			{"case added about entry -5", func(seq, own int64) []string {
				return []string{`INSERT INTO gov_case (seq, time_ms, user_id, user_name, nhs_number, workstation, risk, rules)
					VALUES (-5, 1, '555000000099', 'Someone Else', '9990000107', 'C1', 9, 'emergency')`}
			}, false},
			{"case added about entry 0", func(seq, own int64) []string {
				return []string{`INSERT INTO gov_case (seq, time_ms, user_id, user_name, nhs_number, workstation, risk, rules)
					VALUES (0, 1, '555000000099', 'Someone Else', '9990000107', 'C1', 9, 'emergency')`}
			}, false},
			{"case added beyond the log's end", func(seq, own int64) []string {
				return []string{`INSERT INTO gov_case (seq, time_ms, user_id, user_name, nhs_number, workstation, risk, rules)
					VALUES (999999, 1, '555000000099', 'Someone Else', '9990000107', 'C1', 9, 'emergency')`}
			}, false},
		} {
			if tc.needRule && !rulesOn {
				continue
			}
			name := tc.name
			if !rulesOn {
				name += ", rules off"
			}
			t.Run(name, func(t *testing.T) {
				ctx := context.Background()
				path, keys := copyLog(t)
				db := openTest(t, path, keys, Options{})
				if err := db.EnableRules(ctx, governance.DefaultConfig(), nil); err != nil {
					t.Fatal(err)
				}
				if rep, err := db.Verify(ctx); err != nil || !rep.OK || rep.LastSeq < int64(len(demoEntries())) {
					t.Fatalf("the copy of the demo log: %v %q", err, rep.Message())
				}
				cs, _, err := db.Cases(ctx, CaseFilter{Rule: governance.RuleEmergency, UserID: "555000000022"}, CaseCursor{}, 10)
				if err != nil || len(cs) == 0 {
					t.Fatalf("no emergency case: %v", err)
				}
				seq := cs[0].Seq
				if _, _, err := db.RecordStep(ctx, seq, governance.Step{Kind: governance.KindStart}, sgpWho); err != nil {
					t.Fatal(err)
				}
				own, _, err := db.Cases(ctx, CaseFilter{UserID: sgpWho.UserID}, CaseCursor{}, 10)
				if err != nil || len(own) == 0 {
					t.Fatalf("no case about the SGP's own access: %v", err)
				}
				if !rulesOn {
					db.DisableRules()
				}
				if rep, err := db.Verify(ctx); err != nil || govFinding(rep) != "" {
					t.Fatalf("before tampering: %v %q", err, govFinding(rep))
				}

				x, err := sql.Open("sqlite", path)
				if err != nil {
					t.Fatal(err)
				}
				for _, q := range tc.sql(seq, own[0].Seq) {
					if _, err := x.Exec(q); err != nil {
						t.Fatal(err)
					}
				}
				x.Close()

				// Before any verify: the own-access rule and the state come from the log.
				if tc.name == "user changed" {
					rows, _ := db.Count(ctx, audit.Filter{})
					if _, _, err := db.RecordStep(ctx, own[0].Seq, governance.Step{Kind: governance.KindStart}, sgpWho); !errors.Is(err, governance.ErrOwnAccess) {
						t.Errorf("own access after user_id was changed: %v", err)
					}
					if n, _ := db.Count(ctx, audit.Filter{}); n != rows {
						t.Error("a step on her own case was recorded")
					}
				}
				if tc.name == "case closed" {
					if c, err := db.Case(ctx, seq); err != nil || c.State != governance.StateInReview {
						t.Errorf("case read after the cache was closed: %s %v", c.State, err)
					}
				}

				rep, err := db.Verify(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if rep.OK || govFinding(rep) == "" || strings.HasPrefix(rep.Message(), "Verified") {
					t.Fatalf("tampering not found: ok=%v %q", rep.OK, rep.Message())
				}
				if !strings.Contains(govFinding(rep), "The review cases were changed outside SCR Desk") {
					t.Errorf("finding: %q", govFinding(rep))
				}
				// Rebuilt from the log: the next verify is clean, the case is back as it was.
				rep, err = db.Verify(ctx)
				if err != nil || govFinding(rep) != "" {
					t.Fatalf("after the rebuild: %v %q", err, govFinding(rep))
				}
				if rulesOn {
					c, err := db.Case(ctx, seq)
					if err != nil || c.State != governance.StateInReview || c.Subject.UserID != "555000000022" {
						t.Errorf("rebuilt case: %+v %v", c, err)
					}
				}
				if k, err := caseRow(ctx, db.sql, own[0].Seq); err != nil || k.Subject.UserID != sgpWho.UserID {
					t.Errorf("rebuilt own case: %+v %v", k.Subject, err)
				}
				if n, _ := db.RulesChecked(ctx); n > rep.LastSeq {
					t.Errorf("checked mark %d after the rebuild, log ends at %d", n, rep.LastSeq)
				}
			})
		}
	}
}

func govFinding(rep audit.Report) string {
	var out []string
	for _, f := range rep.Findings {
		if f.Kind == audit.KindCasesChanged {
			out = append(out, f.What)
		}
	}
	return strings.Join(out, " | ")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestDeletedOutOfHoursCaseIsFound: on a log whose rule settings were never changed (so it has
// no governance-rules-set row), a deleted out-of-hours case is found once the log holds a start
// by a version that records the rules' settings (review finding: the out-of-hours exemption for
// logs older than that never ended). Without the mark, the rows are an old version's, judged by
// opening hours the log did not hold, and their out-of-hours cases are not compared.
func TestDeletedOutOfHoursCaseIsFound(t *testing.T) {
	for _, marked := range []bool{true, false} {
		t.Run(map[bool]string{true: "marked start", false: "old log"}[marked], func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "h.db")
			db := openTest(t, path, newMemKeys(), Options{})
			if err := db.EnableRules(ctx, governance.DefaultConfig(), nil); err != nil {
				t.Fatal(err)
			}
			es := demoEntries()
			start := audit.Entry{Event: audit.Event{Action: audit.ActionAppStart, Outcome: audit.OutcomeSuccess,
				Workstation: "COUNTER-1", ODSCode: "FA123", Detail: map[string]string{"demo": "false"}}, Time: es[0].Time.Add(-time.Hour)}
			if marked { // as this version's window writes it
				start.Detail[audit.DetailRulesLogged] = "1"
				start.Detail[audit.DetailRulesEngine] = strconv.Itoa(governance.EngineVersion)
			}
			if err := db.AppendBatch(ctx, append([]audit.Entry{start}, es...)); err != nil {
				t.Fatal(err)
			}
			if n, err := db.Count(ctx, audit.Filter{Action: audit.ActionRulesSet}); err != nil || n != 0 {
				t.Fatalf("%d governance-rules-set rows (%v), want none", n, err)
			}
			cs, _, err := db.Cases(ctx, CaseFilter{Rule: governance.RuleOutOfHours}, CaseCursor{}, 10)
			if err != nil || len(cs) == 0 {
				t.Fatalf("no out-of-hours case in the demo log: %v", err)
			}
			if rep, err := db.Verify(ctx); err != nil || govFinding(rep) != "" {
				t.Fatalf("before: %v %q", err, govFinding(rep))
			}
			x, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{`DELETE FROM gov_case WHERE seq = ` + itoa(cs[0].Seq), `DELETE FROM rule_hit WHERE seq = ` + itoa(cs[0].Seq)} {
				if _, err := x.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			x.Close()
			rep, err := db.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			found := strings.Contains(govFinding(rep), "The review cases were changed outside SCR Desk")
			if found != marked {
				t.Fatalf("deleted out-of-hours case found %v, want %v (ok=%v %q)", found, marked, rep.OK, govFinding(rep))
			}
		})
	}
}
