package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/governance"
)

// demoCasesDB is a new log with the rules on and the demo entries appended (its cases raised).
func demoCasesDB(t *testing.T) *DB {
	t.Helper()
	ctx := context.Background()
	db := openTest(t, filepath.Join(t.TempDir(), "a.db"), newMemKeys(), Options{})
	if err := db.EnableRules(ctx, governance.DefaultConfig(), nil); err != nil {
		t.Fatal(err)
	}
	if err := db.AppendBatch(ctx, demoEntries()); err != nil {
		t.Fatal(err)
	}
	return db
}

func demoEntries() []audit.Entry {
	staff := []governance.DemoStaff{
		{UserID: "555000000011", Name: "Priya Shah", URID: "555000001101", RoleCode: "S8000:G8000:R8003", Workstation: "COUNTER-1"},
		{UserID: "555000000022", Name: "Tom Evans", URID: "555000002201", RoleCode: "S8000:G8000:R8004", Workstation: "COUNTER-2"},
		{UserID: "555000000077", Name: "Siân Ó Briain", URID: "555000007701", RoleCode: "S8000:G8000:R8003", Workstation: "COUNTER-1"},
	}
	sgp := governance.DemoStaff{UserID: "555000000033", Name: "Grace Okafor", URID: "555000003302", RoleCode: "S8000:G8000:R8003", Workstation: "COUNTER-1"}
	return governance.DemoLog(1, time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC), 90, staff, sgp, "FA123")
}

var sgpWho = audit.Event{UserID: "555000000033", UserName: "Grace Okafor", URID: "555000003301",
	RoleCode: "S8000:G8000:R0001", Workstation: "COUNTER-1", ODSCode: "FA123"}

type hitRow struct {
	Seq                 int64
	Rule, User, NHS, Ev string
}

func allHits(t *testing.T, db *DB) []hitRow {
	t.Helper()
	rows, err := db.sql.Query(`SELECT seq, rule, user_id, nhs_number, evidence FROM rule_hit ORDER BY seq, rule`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []hitRow
	for rows.Next() {
		var h hitRow
		if err := rows.Scan(&h.Seq, &h.Rule, &h.User, &h.NHS, &h.Ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, h)
	}
	return out
}

// TestRulesLiveBackfillAndRebuildAgree: the hits found as rows are appended, by the backfill over
// an existing log, and by a rebuild from the log alone are the same rows.
func TestRulesLiveBackfillAndRebuildAgree(t *testing.T) {
	ctx := context.Background()
	es := demoEntries()
	dir := t.TempDir()

	live := openTest(t, filepath.Join(dir, "live.db"), newMemKeys(), Options{})
	if err := live.EnableRules(ctx, governance.DefaultConfig(), nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(es); i += 500 {
		if err := live.AppendBatch(ctx, es[i:min(i+500, len(es))]); err != nil {
			t.Fatal(err)
		}
	}
	liveHits := allHits(t, live)
	if len(liveHits) < 20 {
		t.Fatalf("only %d live hits", len(liveHits))
	}

	back := openTest(t, filepath.Join(dir, "back.db"), newMemKeys(), Options{})
	if err := back.AppendBatch(ctx, es); err != nil {
		t.Fatal(err)
	}
	if n := len(allHits(t, back)); n != 0 {
		t.Fatalf("%d hits before the rules were enabled", n)
	}
	var calls int
	var lastDone, lastTotal int64
	if err := back.EnableRules(ctx, governance.DefaultConfig(), func(done, total int64) { calls++; lastDone, lastTotal = done, total }); err != nil {
		t.Fatal(err)
	}
	if calls == 0 || lastDone != lastTotal || lastTotal != int64(len(es)) {
		t.Errorf("progress: %d calls, last %d of %d (want %d)", calls, lastDone, lastTotal, len(es))
	}
	if got := allHits(t, back); !reflect.DeepEqual(got, liveHits) {
		t.Errorf("backfill found %d hits, live %d", len(got), len(liveHits))
	}
	// Rows appended after the backfill are checked live.
	later := es[len(es)-1].Time.Add(time.Hour)
	e := audit.Entry{Time: later, Event: audit.Event{Action: audit.ActionEmergency, Outcome: audit.OutcomeSuccess,
		UserID: "555000000011", UserName: "Priya Shah", NHSNumber: governance.DemoNHSNumber(3), Reason: "x"}}
	if err := back.AppendBatch(ctx, []audit.Entry{e}); err != nil {
		t.Fatal(err)
	}
	n, _ := back.CaseCount(ctx, CaseFilter{Rule: governance.RuleWeakReason, NHSNumber: governance.DemoNHSNumber(3)})
	if n != 1 {
		t.Errorf("the appended emergency with a one-letter reason raised %d weak-reason cases", n)
	}
	// Rebuild from the log alone.
	before := allHits(t, back)
	if err := back.RebuildGovernance(ctx, governance.DefaultConfig(), nil); err != nil {
		t.Fatal(err)
	}
	if got := allHits(t, back); !reflect.DeepEqual(got, before) {
		t.Errorf("rebuild: %d hits, before %d", len(got), len(before))
	}
	// Reopening resumes (warm-up re-reads, hits kept once).
	back.DisableRules()
	if err := back.EnableRules(ctx, governance.DefaultConfig(), nil); err != nil {
		t.Fatal(err)
	}
	if got := allHits(t, back); !reflect.DeepEqual(got, before) {
		t.Errorf("resume: %d hits, before %d", len(got), len(before))
	}
}

// TestCaseStepsAreAuditRows: each step is one audit row with the reviewer, the note and the
// outcome; the own-access rule refuses and records nothing; a rebuild replays the steps.
func TestCaseStepsAreAuditRows(t *testing.T) {
	ctx := context.Background()
	db := demoCasesDB(t)
	cs, _, err := db.Cases(ctx, CaseFilter{Rule: governance.RuleEmergency, UserID: "555000000022"}, CaseCursor{}, 10)
	if err != nil || len(cs) == 0 {
		t.Fatalf("no emergency case for Tom: %v", err)
	}
	seq := cs[0].Seq
	count := func() int64 { n, _ := db.Count(ctx, audit.Filter{}); return n }
	rows := count()

	step := func(s governance.Step) (audit.Entry, error) {
		e, _, err := db.RecordStep(ctx, seq, s, sgpWho)
		return e, err
	}
	if _, err := step(governance.Step{Kind: governance.KindClose, Note: "fine"}); !errors.Is(err, governance.ErrNotAllowed) {
		t.Fatalf("close from new: %v", err)
	}
	e, err := step(governance.Step{Kind: governance.KindStart})
	if err != nil {
		t.Fatal(err)
	}
	if e.Action != audit.ActionCaseReview || e.UserID != sgpWho.UserID || e.Detail["case"] == "" || e.Detail["state"] != "in-review" {
		t.Errorf("start row: %+v", e)
	}
	e, err = step(governance.Step{Kind: governance.KindNote, Note: "Asked Tom: patient collapsed, confirmed by the rota"})
	if err != nil || e.Action != audit.ActionCaseNote || e.Reason == "" || e.NHSNumber != cs[0].NHSNumber {
		t.Fatalf("note row %+v, %v", e, err)
	}
	e, err = step(governance.Step{Kind: governance.KindBreach, Note: "no clinical need", ActionTaken: "Retrained; superintendent told"})
	if err != nil || e.Action != audit.ActionCaseInappropriate || e.Detail["action_taken"] != "Retrained; superintendent told" {
		t.Fatalf("breach row %+v, %v", e, err)
	}
	if got := count(); got != rows+3 {
		t.Errorf("%d rows added, want 3 (refusals add none)", got-rows)
	}
	c, err := db.Case(ctx, seq)
	if err != nil || c.State != governance.StateClosedInappropriate || len(c.Steps) != 3 || c.Hits[0].Evidence == "" {
		t.Fatalf("case after steps: %+v %v", c, err)
	}
	countsFollow(t, db, "after the steps")

	// The SGP's own access: refused, nothing recorded.
	own, _, err := db.Cases(ctx, CaseFilter{UserID: sgpWho.UserID}, CaseCursor{}, 10)
	if err != nil || len(own) == 0 {
		t.Fatalf("no case about the SGP's own access: %v", err)
	}
	rows = count()
	for _, k := range []governance.Kind{governance.KindStart, governance.KindNote} {
		if _, _, err := db.RecordStep(ctx, own[0].Seq, governance.Step{Kind: k, Note: "it was me"}, sgpWho); !errors.Is(err, governance.ErrOwnAccess) {
			t.Errorf("%s on own case: %v", k, err)
		}
	}
	if count() != rows {
		t.Error("a refused step on the SGP's own case was recorded")
	}
	// Another SGP can.
	other := sgpWho
	other.UserID, other.UserName = "555000000088", "Second SGP"
	if _, _, err := db.RecordStep(ctx, own[0].Seq, governance.Step{Kind: governance.KindStart}, other); err != nil {
		t.Errorf("second SGP: %v", err)
	}

	// Rebuilt from the log alone: the same states.
	if err := db.RebuildGovernance(ctx, governance.DefaultConfig(), nil); err != nil {
		t.Fatal(err)
	}
	c2, err := db.Case(ctx, seq)
	if err != nil || c2.State != governance.StateClosedInappropriate || len(c2.Steps) != 3 {
		t.Errorf("rebuilt case: %+v %v", c2, err)
	}
	o2, _ := db.Case(ctx, own[0].Seq)
	if o2.State != governance.StateInReview {
		t.Errorf("rebuilt own case state %s", o2.State)
	}
	countsFollow(t, db, "after the rebuild")
}

// countsFollow checks that the counts of cases by state Home reads (gov_case_count, kept by
// triggers) equal the cases, and that CaseCount answers the open and the closed-inappropriate
// counts from them as a scan of the cases would.
func countsFollow(t *testing.T, db *DB, when string) {
	t.Helper()
	ctx := context.Background()
	if differ, err := caseCountsDiffer(ctx, db.sql); err != nil || differ {
		t.Fatalf("%s: the case counts differ from the cases (%v)", when, err)
	}
	for _, f := range []CaseFilter{{OpenOnly: true}, {State: governance.StateClosedInappropriate}, {State: governance.StateNew, OpenOnly: true},
		{State: governance.StateClosedAppropriate, OpenOnly: true}} {
		got, err := db.CaseCount(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		q := `SELECT count(*) FROM gov_case WHERE 1`
		if f.OpenOnly {
			q += ` AND state IN ('new', 'in-review')`
		}
		if f.State != "" {
			q += ` AND state = '` + string(f.State) + `'`
		}
		var want int64
		if err := db.sql.QueryRow(q).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: CaseCount(%+v) = %d, the cases hold %d", when, f, got, want)
		}
	}
}

// TestCaseQueuePagesByKey: risk then newest, pages meet without gaps or repeats, filters apply.
func TestCaseQueuePagesByKey(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, filepath.Join(t.TempDir(), "a.db"), newMemKeys(), Options{})
	if err := db.AppendBatch(ctx, demoEntries()); err != nil {
		t.Fatal(err)
	}
	if err := db.EnableRules(ctx, governance.DefaultConfig(), nil); err != nil {
		t.Fatal(err)
	}
	total, err := db.CaseCount(ctx, CaseFilter{})
	if err != nil || total < 20 {
		t.Fatalf("%d cases, %v", total, err)
	}
	for _, f := range []CaseFilter{{}, {OpenOnly: true}, {Rule: governance.RuleSelfClaim}, {UserID: "555000000022"},
		{Workstation: "COUNTER-2"}, {State: governance.StateNew}, {From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}} {
		want, _ := db.CaseCount(ctx, f)
		var got []governance.Case
		cur := CaseCursor{}
		for !cur.Done {
			var page []governance.Case
			page, cur, err = db.Cases(ctx, f, cur, 7)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, page...)
		}
		if int64(len(got)) != want {
			t.Errorf("%+v: paged %d, count %d", f, len(got), want)
		}
		seen := map[int64]bool{}
		for i, c := range got {
			if seen[c.Seq] {
				t.Errorf("%+v: case %d twice", f, c.Seq)
			}
			seen[c.Seq] = true
			if i > 0 && (c.Risk() > got[i-1].Risk() || c.Risk() == got[i-1].Risk() && c.Seq > got[i-1].Seq) {
				t.Errorf("%+v: not sorted by risk then newest at %d", f, i)
			}
			if f.Rule != "" && !containsRule(c.Rules(), f.Rule) || f.UserID != "" && c.Subject.UserID != f.UserID ||
				f.Workstation != "" && c.Workstation != f.Workstation {
				t.Errorf("%+v: case %+v does not match", f, c)
			}
		}
	}
}

func containsRule(rs []governance.RuleID, r governance.RuleID) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

func TestSampleSeedIsRecordedOnce(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, filepath.Join(t.TempDir(), "a.db"), newMemKeys(), Options{})
	s1, err := db.SampleSeed(ctx, sgpWho)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := db.SampleSeed(ctx, sgpWho)
	n, _ := db.Count(ctx, audit.Filter{Action: audit.ActionSampleSeed})
	if s1 != s2 || n != 1 {
		t.Errorf("seeds %d %d, %d seed rows", s1, s2, n)
	}
}

// TestUnrecordedRulesSettingsRaiseACase: rules that start with settings the log never recorded
// (here: a lowered repeat threshold no save wrote) are recorded by SCR Desk with the mark, that
// row is a security-setting case for the SGP, a second start with the same settings adds
// neither, and Verify, re-judging the log, agrees with the cases stored.
func TestUnrecordedRulesSettingsRaiseACase(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, filepath.Join(t.TempDir(), "a.db"), newMemKeys(), Options{})
	if err := db.AppendBatch(ctx, demoEntries()); err != nil {
		t.Fatal(err)
	}
	cfg := governance.DefaultConfig()
	cfg.RepeatCount = 7
	if err := db.EnableRules(ctx, cfg, nil); err != nil {
		t.Fatal(err)
	}
	sets, _, err := db.Query(ctx, audit.Filter{Action: audit.ActionRulesSet}, audit.Cursor{}, 10)
	if err != nil || len(sets) != 1 || sets[0].Detail[audit.DetailRulesUnrecorded] != "1" {
		t.Fatalf("rules-set rows %+v (%v), want one marked unrecorded", sets, err)
	}
	cases := func() []governance.Case {
		cs, _, err := db.Cases(ctx, CaseFilter{Rule: governance.RuleSecuritySetting}, CaseCursor{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	cs := cases()
	if len(cs) != 1 || cs[0].Seq != sets[0].Seq {
		t.Fatalf("security-setting cases %+v, want one on entry %d", cs, sets[0].Seq)
	}
	c, err := db.Case(ctx, cs[0].Seq)
	if err != nil || len(c.Hits) != 1 || !strings.Contains(c.Hits[0].Evidence, "Repeat re-opening: openings 7 (was 3)") {
		t.Errorf("the case %+v (%v) does not name the threshold", c, err)
	}
	db.DisableRules()
	if err := db.EnableRules(ctx, cfg, nil); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.Count(ctx, audit.Filter{Action: audit.ActionRulesSet}); n != 1 || len(cases()) != 1 {
		t.Errorf("a second start with the same settings: %d rules-set rows, %d cases", n, len(cases()))
	}
	rep, err := db.Verify(ctx)
	if err != nil || !rep.OK {
		t.Errorf("verify: %v, %+v", err, rep)
	}
}

// TestRestartedRulesAgreeWithVerify: rules restarted part-way through a long log (a warm-up
// of 29 days, not the whole log) raise exactly the cases a rebuild from the whole log raises,
// and Verify, re-judging every row, finds nothing changed. The log is shaped to catch where an
// engine's memory reaches further back than the warm-up: a user back after 80 days doing 25
// record views in one day (the volume spike's baseline of days without accesses), a weekday
// worker (weekends as zeros in the baseline), an emergency reason used before the warm-up, 30
// days later inside it, and 25 days after that, past the restart, each time for another patient.
func TestRestartedRulesAgreeWithVerify(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, filepath.Join(t.TempDir(), "a.db"), newMemKeys(), Options{})
	cfg := governance.DefaultConfig()
	if err := db.EnableRules(ctx, cfg, nil); err != nil {
		t.Fatal(err)
	}
	base := time.Now().Add(-100 * 24 * time.Hour).Truncate(24 * time.Hour)
	read := func(at time.Time, user string, k int) audit.Entry {
		return audit.Entry{Time: at, Event: audit.Event{Action: audit.ActionPatientRead, Outcome: audit.OutcomeSuccess,
			UserID: user, UserName: "User " + user, Workstation: "COUNTER-1", ODSCode: "FA123", NHSNumber: governance.DemoNHSNumber(k)}}
	}
	emergency := func(at time.Time, user string, k int, reason string) audit.Entry {
		e := read(at, user, k)
		e.Action, e.Reason = audit.ActionEmergency, reason
		return e
	}
	day := func(from, to int) []audit.Entry {
		var es []audit.Entry
		for d := from; d < to; d++ {
			t0 := base.Add(time.Duration(d) * 24 * time.Hour)
			if wd := t0.Weekday(); wd != time.Saturday && wd != time.Sunday {
				for i := 0; i < 5; i++ {
					es = append(es, read(t0.Add(time.Duration(9+i)*time.Hour), "555000000011", 1000+10*d+i))
				}
			}
			if d < 6 {
				es = append(es, read(t0.Add(15*time.Hour), "555000000022", 200+d)) // then away
			}
			if d == 30 || d == 60 { // the same reason three times: before the warm-up, in it, after it
				es = append(es, emergency(t0.Add(16*time.Hour), "555000000077", 300+d,
					"Patient collapsed at the counter, allergy check needed"))
			}
			if d == -1 {
				es = append(es, emergency(t0.Add(16*time.Hour), "555000000077", 300, "Patient collapsed at the counter, allergy check needed"))
			}
			if d == 85 {
				es = append(es, emergency(t0.Add(16*time.Hour), "555000000077", 301, "Patient collapsed at the counter, allergy check needed"))
			}
			if d == 95 { // back after 89 days: 25 views in an afternoon; and Priya's busiest day, 25 views
				for i := 0; i < 25; i++ {
					es = append(es, read(t0.Add(time.Duration(60*i)*time.Second+14*time.Hour), "555000000022", 400+i),
						read(t0.Add(time.Duration(60*i+30)*time.Second+14*time.Hour), "555000000011", 500+i))
				}
			}
		}
		slices.SortStableFunc(es, func(a, b audit.Entry) int { return a.Time.Compare(b.Time) })
		return es
	}
	if err := db.AppendBatch(ctx, day(0, 80)); err != nil {
		t.Fatal(err)
	}
	db.DisableRules() // the window closed; rows arrive unchecked (another process's writes)
	if err := db.AppendBatch(ctx, day(80, 100)); err != nil {
		t.Fatal(err)
	}
	if err := db.EnableRules(ctx, cfg, nil); err != nil { // the restart: a 29-day warm-up
		t.Fatal(err)
	}
	restarted := allHits(t, db)
	rep, err := db.Verify(ctx)
	if err != nil || !rep.OK {
		t.Errorf("verify after the restart: %v, %s", err, rep.Message())
	}
	if err := db.RebuildGovernance(ctx, cfg, nil); err != nil {
		t.Fatal(err)
	}
	whole := allHits(t, db)
	if !reflect.DeepEqual(restarted, whole) {
		t.Errorf("restarted rules raised\n %+v\nthe whole log\n %+v", restarted, whole)
	}
	var spikes, reasons int
	for _, h := range whole {
		switch governance.RuleID(h.Rule) {
		case governance.RuleVolumeSpike:
			spikes++
		case governance.RuleWeakReason:
			reasons++
		}
	}
	if spikes != 2 || reasons != 1 {
		t.Errorf("%d volume spikes (want Tom's return and Priya's day), %d reused reasons (want 1: days 60 and 85; day 30 is 30 days before 60): %+v", spikes, reasons, whole)
	}
}

// TestOtherRulesVersionsCasesAreKept: the rows after a start of another version of the rules
// (an application-start row without this governance.EngineVersion) keep the cases those rules
// raised: Verify does not re-judge them by this version's rules, so a case the older rules did
// not raise is no false alarm and nothing reviewed is dropped; from a start of this version on,
// a case deleted outside SCR Desk is found.
func TestOtherRulesVersionsCasesAreKept(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, filepath.Join(t.TempDir(), "a.db"), newMemKeys(), Options{})
	if err := db.EnableRules(ctx, governance.DefaultConfig(), nil); err != nil {
		t.Fatal(err)
	}
	start := func(version string) {
		t.Helper()
		d := map[string]string{audit.DetailRulesLogged: "1"}
		if version != "" {
			d[audit.DetailRulesEngine] = version
		}
		if _, err := db.Record(ctx, audit.Event{Action: audit.ActionAppStart, Outcome: audit.OutcomeSuccess, UserName: "scrdesk", Detail: d}); err != nil {
			t.Fatal(err)
		}
	}
	emergency := func(nhs string) int64 {
		t.Helper()
		e, err := db.Record(ctx, audit.Event{Action: audit.ActionEmergency, Outcome: audit.OutcomeSuccess, UserID: "555000000022",
			UserName: "Tom Evans", Workstation: "COUNTER-2", NHSNumber: nhs, Reason: "Patient collapsed at the counter, allergy check"})
		if err != nil {
			t.Fatal(err)
		}
		return e.Seq
	}
	drop := func(seq int64) {
		t.Helper()
		if _, err := db.sql.Exec(`DELETE FROM rule_hit WHERE seq = ?; DELETE FROM gov_case WHERE seq = ?`, seq, seq); err != nil {
			t.Fatal(err)
		}
	}
	start("") // a version that did not say which rules it ran
	older := emergency(governance.DemoNHSNumber(1))
	reviewed := emergency(governance.DemoNHSNumber(2))
	if _, _, err := db.RecordStep(ctx, reviewed, governance.Step{Kind: governance.KindNote, Note: "Checked with the patient"}, sgpWho); err != nil {
		t.Fatal(err)
	}
	drop(older) // as if the older rules had not raised it
	db.DisableRules()
	start(strconv.Itoa(governance.EngineVersion))
	if err := db.EnableRules(ctx, governance.DefaultConfig(), nil); err != nil {
		t.Fatal(err)
	}
	if rep, err := db.Verify(ctx); err != nil || !rep.OK {
		t.Errorf("verify over the older rules' rows: %v, %s", err, rep.Message())
	}
	if c, err := db.Case(ctx, reviewed); err != nil || len(c.Steps) != 1 {
		t.Errorf("the reviewed case after the upgrade: %+v, %v", c.Steps, err)
	}
	drop(emergency(governance.DemoNHSNumber(3)))
	if rep, err := db.Verify(ctx); err != nil || rep.OK || !strings.Contains(rep.Message(), "flagged by the rules but has no case") {
		t.Errorf("a case deleted after this version's start: %v, %s", err, rep.Message())
	}
}

// TestDamagedBodyIsNamedAndRulesStart: a row whose body is no longer JSON (one byte of the file
// changed; SQL cannot write such a body) is named by Verify as changed, not answered with a
// database error, and the rules still start (review finding: the users-before-the-warm-up
// query stopped them for good).
func TestDamagedBodyIsNamedAndRulesStart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	keys := newMemKeys()
	db, err := OpenWith(ctx, path, keys, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.EnableRules(ctx, governance.DefaultConfig(), nil); err != nil {
		t.Fatal(err)
	}
	if err := db.AppendBatch(ctx, demoEntries()); err != nil {
		t.Fatal(err)
	}
	var seq int64
	var body string
	if err := db.sql.QueryRow(`SELECT seq, body FROM audit_event WHERE user_id = '555000000011' ORDER BY seq LIMIT 1`).Scan(&seq, &body); err != nil {
		t.Fatal(err)
	}
	if _, err := db.sql.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	k := bytes.Index(raw, []byte(body))
	if k < 0 || bytes.Count(raw, []byte(body)) != 1 {
		t.Fatalf("the body is not in the file once (%d)", bytes.Count(raw, []byte(body)))
	}
	raw[k] = 'X' // '{' -> 'X': not JSON any more, the same length
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	db2, err := OpenWith(ctx, path, keys, nil, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db2.Close()
	rep, err := db2.Verify(ctx)
	if err != nil || rep.OK || !strings.Contains(rep.Message(), strconv.FormatInt(seq, 10)) {
		t.Errorf("verify: %v, ok=%v, %q: want the damaged entry %d named", err, rep.OK, rep.Message(), seq)
	}
	db2.DisableRules()
	if err := db2.EnableRules(ctx, governance.DefaultConfig(), nil); err != nil {
		t.Errorf("the rules after entry %d was damaged: %v", seq, err)
	}
}

// TestCaseCountUpTo: a filter's count stops past its limit and says there are more; under it,
// it is exact; a state-only filter is answered from the kept counts, exact up to the limit.
func TestCaseCountUpTo(t *testing.T) {
	ctx := context.Background()
	db := demoCasesDB(t)
	for _, f := range []CaseFilter{{Rule: governance.RuleEmergency}, {OpenOnly: true}, {UserID: "555000000022"}} {
		all, err := db.CaseCount(ctx, f)
		if err != nil || all < 2 {
			t.Fatalf("%+v: %d cases, %v (the demo log should have some)", f, all, err)
		}
		n, more, err := db.CaseCountUpTo(ctx, f, all)
		if err != nil || n != all || more {
			t.Errorf("%+v up to %d: %d, more %v, %v; want %d, no more", f, all, n, more, err, all)
		}
		n, more, err = db.CaseCountUpTo(ctx, f, all-1)
		if err != nil || n != all-1 || !more {
			t.Errorf("%+v up to %d: %d, more %v, %v; want %d and more", f, all-1, n, more, err, all-1)
		}
	}
}

// TestCoverageMatchesMeasure: the coverage counted inside SQLite (Coverage, what Home shows)
// equals governance's Measure over the same cases read out (CasesSince), for every window
// start and with cases in review and closed, under two seeds and a timeline with a changed SOP.
func TestCoverageMatchesMeasure(t *testing.T) {
	ctx := context.Background()
	db := demoCasesDB(t)
	all, err := db.CasesSince(ctx, time.Time{})
	if err != nil || len(all) < 20 {
		t.Fatalf("%d cases: %v", len(all), err)
	}
	n := 0
	for _, c := range all {
		if k, err := db.Case(ctx, c.Seq); err != nil || k.Subject.UserID == sgpWho.UserID {
			continue
		}
		if _, _, err := db.RecordStep(ctx, c.Seq, governance.Step{Kind: governance.KindStart}, sgpWho); err != nil {
			t.Fatal(err)
		}
		if n%2 == 0 {
			if _, _, err := db.RecordStep(ctx, c.Seq, governance.Step{Kind: governance.KindClose, Note: "checked"}, sgpWho); err != nil {
				t.Fatal(err)
			}
		}
		if n++; n == 8 {
			break
		}
	}
	var tl governance.Timeline
	tl.Set(0, time.Time{}, governance.DefaultConfig())
	lower := governance.DefaultConfig()
	lower.ReviewRate = map[governance.RuleID]float64{}
	lower.DefaultRate = 0.3
	lower.ReviewPeriod = 3 * 24 * time.Hour
	tl.Set(all[len(all)/2].Seq, all[len(all)/2].Time, lower)
	now := all[len(all)-1].Time.Add(40 * 24 * time.Hour)
	for _, seed := range []uint64{1, 987654321} {
		for _, from := range []time.Time{{}, all[len(all)/3].Time, all[len(all)-1].Time, now} {
			cases, err := db.CasesSince(ctx, from)
			if err != nil {
				t.Fatal(err)
			}
			want := tl.Measure(seed, cases, now)
			got, err := db.Coverage(ctx, from, tl, seed, now)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("seed %d from %v: Coverage %+v, Measure %+v", seed, from, got, want)
			}
			if from.IsZero() && (want.Sampled == 0 || want.Reviewed == 0 || want.Sampled == want.Cases) {
				t.Errorf("seed %d: coverage %+v: the test needs sampled, reviewed and unsampled cases", seed, want)
			}
		}
	}
}
