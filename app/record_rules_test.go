package app

import (
	"strings"
	"testing"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/present"
	"scrdesk/internal/sandbox"
)

// Issue 11's rules through the real controller, over real HTTP to the built-in sandbox, with a
// real SQLite audit log.

const wrongPatientText = "The Spine sent a record for a different patient, so nothing is shown. Tell IT support (reference INC-"

func lastOf(t *testing.T, es []audit.Entry, a audit.Action) audit.Entry {
	t.Helper()
	for i := len(es) - 1; i >= 0; i-- {
		if es[i].Action == a {
			return es[i]
		}
	}
	t.Fatalf("no %s row", a)
	return audit.Entry{}
}

func TestWrongPatientDocumentReferenceShowsNothing(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	h.searchNHS(sandbox.NHSWrongDocRef)
	h.until("the failure", func(c *Controller) bool { return consentView(c).Message.Title != "" })
	if h.frame.record != nil || h.frame.consent.Stage == present.ConsentAsk {
		t.Fatalf("something of the record offered: stage %v", h.frame.consent.Stage)
	}
	if !strings.HasPrefix(h.frame.consent.Message.What, wrongPatientText) {
		t.Fatalf("message %+v", h.frame.consent.Message)
	}
	e := lastOf(t, h.entries(), audit.ActionConsentRead)
	if e.Outcome != audit.OutcomeSeriousFailure || e.Detail["asked_nhs_number"] != sandbox.NHSWrongDocRef || e.Detail["answered_nhs_number"] != sandbox.NHSAsk {
		t.Fatalf("audit row %+v", e)
	}
}

func TestWrongPatientBundleShowsNothing(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	h.searchNHS(sandbox.NHSWrongBundle)
	h.until("the permission question", func(c *Controller) bool { return atStage(c, present.ConsentAsk) })
	h.inspect(func(c *Controller) { c.permission() })
	h.until("the failure", func(c *Controller) bool { return consentView(c).Message.Title != "" })
	h.inspect(func(c *Controller) {
		if c.flow.View().Record != nil {
			t.Fatal("the other patient's record is held")
		}
	})
	if h.frame.record != nil || !strings.HasPrefix(h.frame.consent.Message.What, wrongPatientText) {
		t.Fatalf("record %v, message %+v", h.frame.record, h.frame.consent.Message)
	}
	e := lastOf(t, h.entries(), audit.ActionSCRRead)
	if e.Outcome != audit.OutcomeSeriousFailure || e.Detail["asked_nhs_number"] != sandbox.NHSWrongBundle ||
		e.Detail["answered_nhs_number"] != sandbox.NHSAsk || e.Detail["part"] == "" {
		t.Fatalf("audit row %+v", e)
	}
}

func TestStaleSCRRetriedOnceThenExplained(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	h.searchNHS(sandbox.NHSStaleSCR)
	h.until("the permission question", func(c *Controller) bool { return atStage(c, present.ConsentAsk) })
	before := len(h.sb.Requests())
	h.inspect(func(c *Controller) { c.permission() })
	h.until("the explanation", func(c *Controller) bool { return consentView(c).Message.Title != "" })
	var seen []string
	for _, r := range h.sb.Requests()[before:] {
		if (r.Resource == "DocumentReference" || r.Resource == "Bundle") && r.Status != 429 { // a rate-limited try is resent
			seen = append(seen, r.Resource)
		}
	}
	if strings.Join(seen, ",") != "DocumentReference,Bundle,DocumentReference,Bundle" {
		for _, r := range h.sb.Requests()[before:] {
			t.Logf("%+v", r)
		}
		t.Fatalf("requests %v", seen)
	}
	if h.frame.consent.Message.Title != "Summary Care Record not available" || !strings.Contains(h.frame.consent.Message.What, "second look") {
		t.Fatalf("message %+v", h.frame.consent.Message)
	}
	if e := lastOf(t, h.entries(), audit.ActionSCRRead); len(e.RequestIDs) < 4 {
		t.Fatalf("audit row holds %d request ids", len(e.RequestIDs))
	}
}

func TestEmergencyRecordBannerLines(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	h.searchNHS(sandbox.NHSSpanning)
	h.until("the permission question and the adjustments", func(c *Controller) bool {
		return atStage(c, present.ConsentAsk) && len(bannerView(c).Adjustments) > 0
	})
	if got := strings.Join(h.frame.banner.Adjustments, "|"); got != "Requires information verbally|Requires visual alert" {
		t.Fatalf("adjustments %q", got)
	}
	if h.frame.banner.Allergies != "" || h.frame.banner.Emergency {
		t.Fatalf("allergy line or emergency marking before the record: %+v", h.frame.banner)
	}
	e := lastOf(t, h.entries(), audit.ActionAdjustmentsRead)
	if e.Outcome != audit.OutcomeSuccess || e.Detail["flags"] != "2" || len(e.RequestIDs) != 1 {
		t.Fatalf("adjustments row %+v", e)
	}
	h.inspect(func(c *Controller) {
		c.emergencyStage(true) // "2": the reason stage first (emergency access only from the question)
		c.emergency("Patient collapsed; checking allergies before treatment")
	})
	h.until("the record", func(c *Controller) bool { return recordShown(c) })
	b := h.frame.banner
	if b.Allergies != "Allergies: Penicillin allergy (Severe); Latex allergy" || !b.Emergency || b.EmergencyText != present.EmergencyMarking {
		t.Fatalf("banner %+v", b)
	}
	// Spanning cells stay under their headings; the date without seconds is read.
	r := h.frame.record
	if r.Created != "14-Mar-2025 10:30" || r.Author != "OKONJO, Ngozi (Dr)" {
		t.Fatalf("header %q by %q", r.Created, r.Author)
	}
	var ibuprofen []string
	for _, s := range r.Sections {
		for _, tb := range s.Tables {
			for _, row := range tb.Rows {
				if len(row) == 5 && row[2] == "Ibuprofen 200mg tablets" {
					ibuprofen = row
				}
				if len(row) != 1 && len(row) != len(tb.Headers) {
					t.Errorf("row %q under headings %q", row, tb.Headers)
				}
			}
		}
	}
	if ibuprofen == nil || ibuprofen[1] != "" || ibuprofen[3] != "One three times a day after food" {
		t.Fatalf("ibuprofen row %q", ibuprofen)
	}
	if len(r.Statements) == 0 || r.Statements[len(r.Statements)-1] != "Some information has been deliberately withheld from this summary." {
		t.Fatalf("statements %q", r.Statements)
	}
	// Closed and opened again with permission: no emergency marking.
	h.inspect(func(c *Controller) { c.closePatient() })
	h.searchNHS(sandbox.NHSSpanning)
	h.until("the permission question", func(c *Controller) bool { return atStage(c, present.ConsentAsk) })
	h.inspect(func(c *Controller) { c.permission() })
	h.until("the record", func(c *Controller) bool { return recordShown(c) })
	if h.frame.banner.Emergency || h.frame.banner.EmergencyText != "" {
		t.Fatal("emergency marking on a record opened with permission")
	}
}

func TestAdjustmentsFailureNeverBlocksTheRecord(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	h.sb.SetFault("Flag", sandbox.Fault{Kind: sandbox.FaultHTML5xx, Status: 500})
	h.searchNHS(sandbox.NHSNoKnownAlls)
	h.until("the permission question", func(c *Controller) bool { return atStage(c, present.ConsentAsk) })
	h.inspect(func(c *Controller) { c.permission() })
	h.until("the record and the note", func(c *Controller) bool { return recordShown(c) && bannerView(c).AdjustmentsNote != "" })
	if h.frame.banner.AdjustmentsNote == "" || len(h.frame.banner.Adjustments) != 0 || h.frame.banner.Allergies != "No known allergies" {
		t.Fatalf("banner %+v", h.frame.banner)
	}
	if e := lastOf(t, h.entries(), audit.ActionAdjustmentsRead); e.Outcome != audit.OutcomeMinorFailure {
		t.Fatalf("adjustments row %+v", e)
	}
}

// TestLateAdjustmentsChangeNothing: the flags arrive after the patient was closed and another
// opened; they are dropped, not shown against the new patient, and not audited.
func TestLateAdjustmentsChangeNothing(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	h.sb.SetFault("Flag", sandbox.Fault{Kind: sandbox.FaultLatency, Latency: 700 * time.Millisecond, Times: 1})
	h.searchNHS(sandbox.NHSSpanning)
	h.until("the patient", func(c *Controller) bool { return patientOpen(c) })
	h.inspect(func(c *Controller) { c.closePatient() })
	h.searchNHS(sandbox.NHSAsk)
	h.until("the permission question", func(c *Controller) bool { return atStage(c, present.ConsentAsk) })
	time.Sleep(time.Second)
	h.inspect(func(c *Controller) {})
	if len(h.frame.banner.Adjustments) != 0 {
		t.Fatalf("late flags shown against another patient: %q", h.frame.banner.Adjustments)
	}
	for _, e := range h.entries() {
		if e.Action == audit.ActionAdjustmentsRead && e.NHSNumber == sandbox.NHSSpanning {
			t.Fatal("the dropped read was audited as seen")
		}
	}
}

func TestDeceasedPatientGivesAWrittenReason(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	h.searchNHS(sandbox.NHSDeceased)
	h.until("the reason stage", func(c *Controller) bool { return atStage(c, present.ConsentDeceased) })
	if !strings.HasPrefix(h.frame.banner.DeceasedText, "Deceased 01-Dec-2024, aged 94y") || h.frame.banner.BirthDate != "10-Oct-1930" {
		t.Fatalf("banner %q, born %q", h.frame.banner.DeceasedText, h.frame.banner.BirthDate)
	}
	// The permission question is not put: answering it does nothing.
	h.inspect(func(c *Controller) { c.permission() })
	h.inspect(func(c *Controller) {
		if consentView(c).Stage != present.ConsentDeceased {
			t.Fatal("permission accepted for a deceased patient")
		}
	})
	const why = "Checking what was dispensed before death for the coroner's officer"
	h.inspect(func(c *Controller) { c.deceasedReason(why) })
	h.until("the record", func(c *Controller) bool { return recordShown(c) })
	es := h.entries()
	e := lastOf(t, es, audit.ActionDeceasedReason)
	if e.Reason != why || e.NHSNumber != sandbox.NHSDeceased {
		t.Fatalf("reason row %+v", e)
	}
	for _, x := range es {
		if x.Action == audit.ActionPermission && x.NHSNumber == sandbox.NHSDeceased {
			t.Fatal("audited as the patient's permission")
		}
	}
	if s := lastOf(t, es, audit.ActionSCRRead); s.Detail["basis"] != "deceased" {
		t.Fatalf("record row %+v", s)
	}
}
