package report_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/auditcli"
	"scrdesk/internal/governance"
	"scrdesk/internal/report"
	"scrdesk/internal/secrets"
	"scrdesk/internal/store"
)

var london, _ = time.LoadLocation("Europe/London")

func uk(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, london) }

type person struct{ id, name, urid, role string }

var (
	priya = person{"555000000011", "Priya Shah", "555000001101", "S8000:G8000:R8003"}
	sian  = person{"555000000077", "Siân Ó Briain", "555000007701", "S8000:G8000:R8003"}
	grace = person{"555000000033", "Grace Okafor", "555000003301", "S8000:G8000:R0001"}
)

func ev(p person, a audit.Action, nhs string) audit.Event {
	return audit.Event{Action: a, Outcome: audit.OutcomeSuccess, Workstation: "COUNTER-1", ODSCode: "FA123", UserID: p.id,
		UserName: p.name, URID: p.urid, RoleCode: p.role, NHSNumber: nhs}
}

// seededStore is a real SQLite store (a temp file) with a known November 2026: four emergency
// accesses by Priya and two self-claimed relationships by Siân, each followed by a record view
// and a queued alert; three record views in October (the trend); five alerts sent and one
// failed; and Grace's reviews: one emergency closed appropriate after 26 hours, one
// inappropriate after 24, one escalated to the superintendent after 52, one self-claim closed
// after 8 days; the rest open. Rows are appended in time order, each batch through the rules.
func seededStore(t testing.TB) *store.DB {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "scrdesk.db"), secrets.File(filepath.Join(dir, "k.json")), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.EnableRules(ctx, governance.DefaultConfig(), nil); err != nil {
		t.Fatal(err)
	}
	at := func(t0 time.Time, e audit.Event) audit.Entry { return audit.Entry{Time: t0, Event: e} }
	add := func(es ...audit.Entry) {
		if err := db.AppendBatch(ctx, es); err != nil {
			t.Fatal(err)
		}
	}
	newest := func(a audit.Action) int64 {
		es, _, err := db.Query(ctx, audit.Filter{Action: a}, audit.Cursor{}, 1)
		if err != nil || len(es) != 1 {
			t.Fatalf("no %s row: %v", a, err)
		}
		return es[0].Seq
	}
	for i, d := range []int{6, 13, 20} { // October: record views only
		add(at(uk(time.October, d, 11, 0), ev(priya, audit.ActionSCRRead, governance.DemoNHSNumber(40+i))))
	}
	access := func(p person, a audit.Action, t0 time.Time, k int) int64 {
		nhs := governance.DemoNHSNumber(k)
		e := ev(p, a, nhs)
		if a == audit.ActionEmergency {
			e.Reason = "Patient " + strconv.Itoa(k) + " collapsed at the counter; allergy check before treatment"
		}
		add(at(t0, e))
		seq := newest(a)
		add(at(t0.Add(time.Second), ev(p, audit.ActionAlertQueued, nhs)), at(t0.Add(2*time.Second), ev(p, audit.ActionSCRRead, nhs)))
		return seq
	}
	step := func(t0 time.Time, a audit.Action, caseSeq int64, note string, extra ...string) {
		e := ev(grace, a, "")
		e.Reason = note
		e.Detail = map[string]string{"case": strconv.FormatInt(caseSeq, 10)}
		for i := 0; i+1 < len(extra); i += 2 {
			e.Detail[extra[i]] = extra[i+1]
		}
		add(at(t0, e))
	}
	e1 := access(priya, audit.ActionEmergency, uk(time.November, 3, 10, 0), 1)
	step(uk(time.November, 4, 10, 0), audit.ActionCaseReview, e1, "")
	step(uk(time.November, 4, 12, 0), audit.ActionCaseAppropriate, e1, "Checked the dispensing record: the patient was treated")
	e2 := access(priya, audit.ActionEmergency, uk(time.November, 5, 10, 0), 2)
	step(uk(time.November, 6, 9, 0), audit.ActionCaseReview, e2, "")
	step(uk(time.November, 6, 10, 0), audit.ActionCaseInappropriate, e2, "No care was given that day", "action_taken", "Retrained; told the superintendent")
	e3 := access(priya, audit.ActionEmergency, uk(time.November, 10, 10, 0), 3)
	s1 := access(sian, audit.ActionSelfClaimLR, uk(time.November, 12, 10, 0), 4)
	step(uk(time.November, 12, 13, 0), audit.ActionCaseReview, e3, "")
	step(uk(time.November, 12, 14, 0), audit.ActionCaseEscalated, e3, "The reason does not match our records", "escalated_to", "Siân Ó Briain, superintendent pharmacist")
	access(priya, audit.ActionEmergency, uk(time.November, 17, 10, 0), 5)
	access(sian, audit.ActionSelfClaimLR, uk(time.November, 19, 10, 0), 6)
	step(uk(time.November, 20, 9, 0), audit.ActionCaseReview, s1, "")
	step(uk(time.November, 20, 10, 0), audit.ActionCaseAppropriate, s1, "The patient's carer: confirmed by phone")
	for i := 0; i < 6; i++ {
		a := audit.ActionAlertSent
		if i == 5 {
			a = audit.ActionAlertFailed
		}
		add(at(uk(time.November, 24, 9, i), ev(priya, a, "")))
	}
	add(at(uk(time.December, 1, 9, 0), ev(priya, audit.ActionSCRRead, governance.DemoNHSNumber(50)))) // December: not counted
	return db
}

func buildNovember(t *testing.T, db *store.DB) report.Monthly {
	t.Helper()
	m, err := auditcli.BuildMonthly(context.Background(), db, auditcli.MonthlyRequest{Month: uk(time.November, 15, 12, 0),
		Pharmacy: "Demo Pharmacy, Leeds", ODS: "FA123", ProducedBy: "Grace Okafor, SCR Governance Person", Seed: 42,
		Now: uk(time.December, 2, 9, 30), Location: london})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMonthlyFromStore: the monthly governance report built from a real store holds exactly the
// seeded month's figures (cases by rule against the SOP target, outcomes, the median time to a
// decision, the escalation and to whom, alerts, records viewed per week with the trend weeks
// before); its PDF reads back with pdftotext (figures, names with their accents, the hash, the
// integrity statement) and its first page renders with pdftoppm to a PNG that is not blank,
// kept as build/monthly-report.png.
func TestMonthlyFromStore(t *testing.T) {
	db := seededStore(t)
	m := buildNovember(t, db)
	if m.MonthName() != "November 2026" || m.MonthCode() != "2026-11" {
		t.Errorf("month %q %q", m.MonthName(), m.MonthCode())
	}
	byRule := map[governance.RuleID]report.RuleFigures{}
	for _, r := range m.Rules {
		byRule[r.Rule] = r
	}
	em, sc := byRule[governance.RuleEmergency], byRule[governance.RuleSelfClaim]
	if em.Cases != 4 || em.Reviewed != 3 || em.Appropriate != 1 || em.Inappropriate != 1 || em.Escal != 1 || em.Open != 1 || em.Target != 1 || em.MeetsTarget() {
		t.Errorf("emergency access: %+v", em)
	}
	if sc.Cases != 2 || sc.Reviewed != 1 || sc.Appropriate != 1 || sc.Open != 1 || sc.Target != 0.5 || !sc.MeetsTarget() {
		t.Errorf("self-claimed relationship: %+v", sc)
	}
	if len(m.Rules) != 2 || m.Total.Cases != 6 || m.Total.Reviewed != 4 {
		t.Errorf("rules %+v, total %+v", m.Rules, m.Total)
	}
	// 24 h, 26 h, 52 h, 192 h: the median is 39 hours
	if m.Decided != 4 || m.MedianToClose != 39*time.Hour {
		t.Errorf("median to close %v over %d", m.MedianToClose, m.Decided)
	}
	if len(m.Escalations) != 1 || m.Escalations[0].To != "Siân Ó Briain, superintendent pharmacist" || m.Escalations[0].By != "Grace Okafor" ||
		m.Escalations[0].Rules != "Emergency access" || !m.Escalations[0].CaseTime.Equal(uk(time.November, 10, 10, 0)) {
		t.Errorf("escalations %+v", m.Escalations)
	}
	if m.Accesses != 6 || m.AlertsQueued != 6 || m.AlertsSent != 5 || m.AlertsFailed != 1 {
		t.Errorf("accesses %d, alerts %d/%d/%d", m.Accesses, m.AlertsQueued, m.AlertsSent, m.AlertsFailed)
	}
	// weeks beginning Monday: 4 trend weeks from 28 Sep, then 26 Oct (holding 1 Nov) to 30 Nov
	var weeks []string
	for _, w := range m.Weeks {
		weeks = append(weeks, w.Start.Format("01-02")+":"+strconv.FormatInt(w.Accesses, 10)+"/"+strconv.FormatInt(w.Cases, 10)+":"+strconv.FormatBool(w.InMonth))
	}
	want := "09-28:0/0:false 10-05:1/0:false 10-12:1/0:false 10-19:1/0:false 10-26:0/0:true 11-02:2/2:true 11-09:2/2:true 11-16:2/2:true 11-23:0/0:true 11-30:1/0:true"
	if got := strings.Join(weeks, " "); got != want {
		t.Errorf("weeks\n got %s\nwant %s", got, want)
	}
	if !m.IntegrityOK || !strings.Contains(m.Integrity, "verified intact") {
		t.Errorf("integrity %q", m.Integrity)
	}

	var b bytes.Buffer
	if err := m.WritePDF(&b); err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(report.PDFText(t, b.Bytes())), " ")
	for _, w := range []string{"SCR governance report: November 2026", "Demo Pharmacy, Leeds (ODS FA123)", "1 November 2026 to 30 November 2026",
		"Summary Care Records were viewed 6 times", "raised 6 cases for review; 4 (67%) had been reviewed",
		"Emergency access", "Self-claimed relationship", "no (1 short)", "100%", "50%",
		"1 day 15 hours", "Siân Ó Briain,", "superintendent", "Grace Okafor", "Queued: 6. Sent: 5. Could not be sent: 1.",
		"The log was verified intact", "One rule's review target in the SOP was not met", m.Hash()[:32], "page 1 of"} {
		if !strings.Contains(flat, w) {
			t.Errorf("the PDF's text lacks %q", w)
		}
	}
	var b2 bytes.Buffer
	m.WritePDF(&b2)
	if !bytes.Equal(b.Bytes(), b2.Bytes()) {
		t.Error("the same report gave different PDF bytes")
	}
	page := report.RenderFirstPage(t, b.Bytes())
	img, err := png.Decode(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	// not blank: a good share of the page is not white, and the chart's blue bars are there
	var dark, blue, all int
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			all++
			if cr < 0xc000 || cg < 0xc000 || cb < 0xc000 {
				dark++
			}
			if cb > 0x9000 && cr < 0x4000 && cg < 0x8000 {
				blue++
			}
		}
	}
	if dark*100 < all || blue < 50 {
		t.Errorf("page 1 looks blank: %d of %d pixels not white, %d chart blue", dark, all, blue)
	}
	out := filepath.Join("..", "..", "build")
	if err := os.MkdirAll(out, 0o755); err == nil {
		os.WriteFile(filepath.Join(out, "monthly-report.png"), page, 0o644)
		os.WriteFile(filepath.Join(out, "monthly-report.pdf"), b.Bytes(), 0o644)
	}
	if d := os.Getenv("SCRDESK_SCREENSHOTS"); d != "" {
		os.WriteFile(filepath.Join(d, "monthly-report.png"), page, 0o644)
	}
}

// TestMonthlyHashAndEmpty: a month with nothing in it says so in words; a month still running
// says its figures are so far; the hash covers the figures.
func TestMonthlyHashAndEmpty(t *testing.T) {
	db := seededStore(t)
	m, err := auditcli.BuildMonthly(context.Background(), db, auditcli.MonthlyRequest{Month: uk(time.August, 1, 0, 0),
		Pharmacy: "Demo Pharmacy, Leeds", ODS: "FA123", ProducedBy: "Grace Okafor", Now: uk(time.December, 2, 9, 30), Location: london})
	if err != nil {
		t.Fatal(err)
	}
	if m.Total.Cases != 0 || m.Accesses != 0 || len(m.Rules) != 0 {
		t.Fatalf("August: %+v", m)
	}
	var b bytes.Buffer
	if err := m.WritePDF(&b); err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(report.PDFText(t, b.Bytes())), " ")
	for _, w := range []string{"viewed 0 times", "raised no cases", "No case was escalated this month"} {
		if !strings.Contains(flat, w) {
			t.Errorf("an empty month's PDF lacks %q", w)
		}
	}
	if strings.Contains(m.Summary(), "not over") {
		t.Error("August is over")
	}
	// a month still running says its figures are so far
	part, err := auditcli.BuildMonthly(context.Background(), db, auditcli.MonthlyRequest{Month: uk(time.November, 1, 0, 0),
		Now: uk(time.November, 18, 12, 0), Location: london})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(part.Summary(), "November 2026 is not over yet: these are the figures up to 18 November 2026 12:00.") {
		t.Errorf("summary %q", part.Summary())
	}
	n := buildNovember(t, db)
	h := n.Hash()
	n.Rules[0].Reviewed--
	if n.Hash() == h {
		t.Error("the hash does not cover the figures")
	}
}

// TestMonthlyUsesTheMonthsSOP: the report for a past month samples its cases and states its
// targets and switched-off rules by the SOP the log recorded for that month, not by settings
// changed since (a self-claim share lowered to 0% and a rule switched off in December leave
// November's figures as they were); the month holding the change says so.
func TestMonthlyUsesTheMonthsSOP(t *testing.T) {
	db := seededStore(t)
	ctx := context.Background()
	before := buildNovember(t, db)
	cfg := governance.DefaultConfig()
	cfg.ReviewRate[governance.RuleSelfClaim] = 0
	cfg.Disabled[governance.RuleSameSurname] = true
	if _, err := db.Record(ctx, audit.Event{Action: audit.ActionRulesSet, Outcome: audit.OutcomeSuccess, UserID: grace.id, UserName: grace.name,
		Detail: map[string]string{audit.DetailRulesConfig: cfg.Encode()}}); err != nil {
		t.Fatal(err)
	}
	after := buildNovember(t, db)
	if !reflect.DeepEqual(after.Rules, before.Rules) || after.Total != before.Total || len(after.RulesOff) != 0 || after.RulesChanged != 0 {
		t.Errorf("November after a December change:\n rules %+v\n total %+v\n off %v, changed %d\nwas\n rules %+v\n total %+v",
			after.Rules, after.Total, after.RulesOff, after.RulesChanged, before.Rules, before.Total)
	}
	now := time.Now()
	dec, err := auditcli.BuildMonthly(ctx, db, auditcli.MonthlyRequest{Month: now, Seed: 42, Now: now, Location: london})
	if err != nil {
		t.Fatal(err)
	}
	if dec.RulesChanged != 1 || !slices.Equal(dec.RulesOff, []string{"Same surname"}) || !strings.Contains(dec.Summary(), "changed once during the month") {
		t.Errorf("the month of the change: changed %d, off %v, summary %q", dec.RulesChanged, dec.RulesOff, dec.Summary())
	}
}

// TestMonthlyWhileTheRulesAreBehind: a report whose month holds entries the detection rules
// have not checked yet (a backfill running, or entries written while SCR Desk was closed) says
// its case figures may be incomplete and is not marked intact; a month they have checked is.
func TestMonthlyWhileTheRulesAreBehind(t *testing.T) {
	db := seededStore(t)
	ctx := context.Background()
	db.DisableRules()
	if _, err := db.Record(ctx, ev(priya, audit.ActionEmergency, governance.DemoNHSNumber(60))); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	dec, err := auditcli.BuildMonthly(ctx, db, auditcli.MonthlyRequest{Month: now, Seed: 42, Now: now, Location: london})
	if err != nil {
		t.Fatal(err)
	}
	if dec.IntegrityOK || !strings.Contains(dec.Integrity, "the detection rules have not yet checked 1 entry of the month") {
		t.Errorf("this month, one entry unchecked: ok=%v %q", dec.IntegrityOK, dec.Integrity)
	}
	if nov := buildNovember(t, db); !nov.IntegrityOK || strings.Contains(nov.Integrity, "not yet checked") {
		t.Errorf("November, all checked: ok=%v %q", nov.IntegrityOK, nov.Integrity)
	}
}
