package app

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/fhir"
	"scrdesk/internal/present"
	"scrdesk/internal/session"
	"scrdesk/internal/store"
	"scrdesk/sync"
)

// patientState is everything the controller holds about the open patient. It is dropped whole
// (c.pt = nil, c.gen++) by Close, Escape and every lock.
type patientState struct {
	nhs     string // the NHS number asked for
	patient *fhir.Patient
	doc     *fhir.SCRDocument
	record  *fhir.Record
	consent present.ConsentView
	message present.MessageView // a failure inside the patient screens

	emergency   bool     // the record was opened by emergency access: marked while open
	adjust      []string // reasonable adjustments, in plain words
	adjustNote  string   // why they could not be read, or ""
	adjustAbort func()   // cancels the adjustments read (it runs beside the record's requests)
}

// dropPatient forgets the open patient, the search and its matches, and cancels any request
// still under way for them: their answers are ignored (gen).
func (c *Controller) dropPatient() {
	if c.pt != nil && c.pt.adjustAbort != nil {
		c.pt.adjustAbort()
	}
	if c.ptCancel != nil {
		c.ptCancel()
		c.ptCancel = nil
	}
	c.gen++
	c.pt = nil
	c.matches = nil
	c.pickedNHS = ""
	c.search = present.SearchView{}
}

// HoldsPatientData reports whether the controller holds anything about a patient. For tests:
// must be called on the controller goroutine (use Inspect).
func (c *Controller) holdsPatientData() bool {
	return c.pt != nil || len(c.matches) > 0 || c.pickedNHS != "" || len(c.search.Matches) > 0
}

// patientCtx starts a new patient request context, cancelling the previous one.
func (c *Controller) patientCtx() (context.Context, uint64) {
	if c.ptCancel != nil {
		c.ptCancel()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	c.ptCancel = cancel
	return ctx, c.gen
}

// canOpen reports whether the signed-in role may open records, and says why not on screen.
func (c *Controller) canOpen() bool {
	v := c.m.Snapshot()
	if v.State != session.Ready {
		return false
	}
	if b := c.svc.Store.Break(); b != nil {
		// The log was removed or replaced: nothing can be recorded, so nothing is asked for.
		c.search = present.SearchView{State: present.SearchError, Message: present.MessageView{
			Title: "No patient records can be opened: the audit log was removed or replaced",
			What:  b.Message(),
			Todo:  audit.DoNewLog,
		}}
		c.render()
		return false
	}
	if c.link == nil {
		c.search = present.SearchView{State: present.SearchError, Message: present.MessageView{
			Title: "Not connected to the national services",
			What:  "SCR Desk could not sign in to the NHS identity service with your smartcard.",
			Todo:  "Check the network connection, then lock (Ctrl+L) and unlock with your passcode to sign in again.",
		}}
		c.render()
		return false
	}
	if !v.CanViewSCR {
		// A search refused is still a search tried: the log says who, under which role, and why.
		if _, err := c.record(audit.Event{Action: audit.ActionPatientSearch, Outcome: audit.OutcomeMinorFailure,
			Reason: "refused: the role may not open Summary Care Records"}); err != nil {
			c.auditFailed(err)
			return false
		}
		c.search = present.SearchView{State: present.SearchError, Message: present.MessageView{
			Title: "You cannot open records with this role",
			What:  v.NoSCRReason,
			Todo:  "Sign in with a role that allows viewing Summary Care Records, or ask your Registration Authority.",
		}}
		c.render()
		return false
	}
	return true
}

// searchNHS looks a patient up by NHS number (PDS GET /Patient/{nhs}).
func (c *Controller) searchNHS(nhs string) {
	if !c.canOpen() {
		return
	}
	c.dropPatient()
	c.search = present.SearchView{State: present.SearchSearching}
	c.render()
	ctx, gen := c.patientCtx()
	link := c.link
	go func() {
		p, tr, err := link.Patient(ctx, nhs)
		c.Post(func() {
			if gen != c.gen {
				return
			}
			c.afterPatient(nhs, p, tr, err)
		})
	}()
}

// afterPatient records the search and, on a match, the demographics seen, then shows them and
// asks the Spine for the record's consent state.
func (c *Controller) afterPatient(nhs string, p *fhir.Patient, tr sync.Trace, err error) {
	outcome := audit.OutcomeSuccess
	if err != nil {
		outcome = audit.OutcomeMinorFailure
	}
	if _, aerr := c.record(audit.Event{Action: audit.ActionPatientSearch, Outcome: outcome, NHSNumber: nhs,
		RequestIDs: tr.RequestIDs, Detail: map[string]string{"by": "nhs-number"}}); aerr != nil {
		c.auditFailed(aerr)
		return
	}
	if err != nil {
		c.search = present.SearchView{State: present.SearchError, Message: present.Message(err)}
		c.render()
		return
	}
	if _, aerr := c.record(audit.Event{Action: audit.ActionPatientRead, Outcome: audit.OutcomeSuccess, NHSNumber: p.NHSNumber,
		RequestIDs: tr.RequestIDs, Detail: audit.WithFlags(patientDetail(nhs, p), c.patientFlags(p, nhs)...)}); aerr != nil {
		c.auditFailed(aerr)
		return
	}
	c.search = present.SearchView{}
	c.pt = &patientState{nhs: nhs, patient: p, consent: present.ConsentView{Stage: present.ConsentChecking, Patient: present.PatientName(p)}}
	c.render()
	c.fetchAdjustments()
	c.fetchConsent()
}

// fetchAdjustments reads the patient's reasonable adjustments (Reasonable Adjustment Flag API)
// beside the record's requests, audits the read, and shows them in the banner. Its failure is
// said in the banner and never blocks the SCR.
func (c *Controller) fetchAdjustments() {
	pt := c.pt
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	pt.adjustAbort = cancel
	link, gen, nhs := c.link, c.gen, pt.patient.NHSNumber
	go func() {
		a, tr, err := link.Adjustments(ctx, nhs)
		c.Post(func() {
			cancel()
			if gen != c.gen || c.pt != pt {
				return
			}
			e := audit.Event{Action: audit.ActionAdjustmentsRead, Outcome: audit.OutcomeSuccess, NHSNumber: nhs,
				RequestIDs: tr.RequestIDs, Detail: map[string]string{"flags": itoa(len(a))}}
			if err != nil {
				e.Outcome, e.Detail = subjectOutcome(err, nhs)
			}
			if _, aerr := c.record(e); aerr != nil {
				c.auditFailed(aerr)
				return
			}
			pt.adjust, pt.adjustNote = present.Adjustments(a, err)
			c.render()
		})
	}()
}

// subjectOutcome is the audit outcome and detail of a failed read: a serious failure naming
// both numbers when the Spine answered about another patient, else a minor failure.
func subjectOutcome(err error, asked string) (audit.Outcome, map[string]string) {
	if other, part, ok := fhir.WrongPatientOf(err); ok {
		return audit.OutcomeSeriousFailure, map[string]string{"failure": "wrong-patient", "part": part,
			"asked_nhs_number": asked, "answered_nhs_number": other}
	}
	return audit.OutcomeMinorFailure, nil
}

func patientDetail(asked string, p *fhir.Patient) map[string]string {
	d := map[string]string{}
	if p.NHSNumber != asked {
		d["asked_nhs_number"] = asked // a superseded number answered with the current record
	}
	if p.Restriction != fhir.None {
		d["restriction"] = p.Restriction.String()
	}
	if len(d) == 0 {
		return nil
	}
	return d
}

// searchDemographics runs a PDS search and lists the matches.
func (c *Controller) searchDemographics(q present.Query) {
	if !c.canOpen() {
		return
	}
	c.dropPatient()
	c.search = present.SearchView{State: present.SearchSearching}
	c.render()
	ctx, gen := c.patientCtx()
	link := c.link
	pq := sync.PatientQuery{Family: q.Family, Given: q.Given, Gender: q.Gender, BirthDate: q.BirthDate, Postcode: q.Postcode, Fuzzy: true, MaxResults: 10}
	go func() {
		ps, tr, err := link.Search(ctx, pq)
		c.Post(func() {
			if gen != c.gen {
				return
			}
			outcome := audit.OutcomeSuccess
			if err != nil {
				outcome = audit.OutcomeMinorFailure
			}
			row, aerr := c.record(audit.Event{Action: audit.ActionPatientSearch, Outcome: outcome, RequestIDs: tr.RequestIDs,
				Detail: map[string]string{"by": "demographics", "matches": itoa(len(ps)), "shown": shownNHS(ps)}})
			if aerr != nil {
				c.auditFailed(aerr)
				return
			}
			// Each patient listed was seen: a row of their own, with their NHS number in the
			// indexed column, so a Subject Access Request for any of them finds it. Nothing is
			// listed unless every row committed.
			for _, p := range ps {
				if _, aerr := c.record(audit.Event{Action: audit.ActionPatientListed, Outcome: audit.OutcomeSuccess, NHSNumber: p.NHSNumber,
					RequestIDs: tr.RequestIDs, Detail: map[string]string{"search": strconv.FormatInt(row.Seq, 10)}}); aerr != nil {
					c.auditFailed(aerr)
					return
				}
			}
			switch {
			case err != nil:
				c.search = present.SearchView{State: present.SearchError, Message: present.Message(err)}
			case len(ps) == 0:
				c.search = present.SearchView{State: present.SearchNoMatch}
			default:
				c.matches = ps
				c.search = present.SearchView{State: present.SearchMatches, Matches: present.Matches(ps, c.svc.Now())}
			}
			c.render()
		})
	}()
}

// shownNHS lists the NHS numbers a demographic search showed (each patient listed was seen, so
// a Subject Access Request must find the row), comma-separated.
func shownNHS(ps []fhir.Patient) string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.NHSNumber)
	}
	return strings.Join(out, ",")
}

// pick opens match i of the last search: its full record is read by NHS number (the
// demographics view is audited there).
func (c *Controller) pick(i int) {
	if i < 0 || i >= len(c.matches) {
		return
	}
	nhs := c.matches[i].NHSNumber
	c.searchNHS(nhs)
	c.pickedNHS = nhs // found by details: the patient-read row says so
}

// patientFlags are the facts about the patient the governance rules need, recorded in the
// access's own rows as flags rather than as more personal data (audit.Flag).
func (c *Controller) patientFlags(p *fhir.Patient, asked string) []audit.Flag {
	var out []audit.Flag
	if c.pickedNHS != "" && c.pickedNHS == asked {
		out = append(out, audit.FlagFoundByDetails)
	}
	if p == nil {
		return out
	}
	user := strings.Fields(strings.ToLower(c.m.Snapshot().User.Name))
	fam := strings.ToLower(strings.TrimSpace(p.FamilyName))
	if len(user) > 0 && fam != "" && user[len(user)-1] == fam {
		out = append(out, audit.FlagSameSurname)
		given := strings.Fields(strings.ToLower(p.GivenNames))
		if len(given) > 0 && given[0] == user[0] {
			out = append(out, audit.FlagSelfLookup)
		}
	}
	if p.Deceased {
		out = append(out, audit.FlagDeceased)
	}
	if p.Restriction != fhir.None {
		out = append(out, audit.FlagRestricted)
	}
	return out
}

// fetchConsent asks for the latest SCR's consent state (GET /DocumentReference).
func (c *Controller) fetchConsent() {
	pt := c.pt
	ctx, gen := c.patientCtx()
	link := c.link
	go func() {
		doc, tr, err := link.SCRDocument(ctx, pt.patient.NHSNumber)
		c.Post(func() {
			if gen != c.gen || c.pt != pt {
				return
			}
			outcome := audit.OutcomeSuccess
			detail := map[string]string{}
			switch {
			case err != nil:
				outcome, detail = subjectOutcome(err, pt.patient.NHSNumber)
			case doc == nil:
				detail["consent"] = "no record"
			default:
				detail["consent"] = doc.Consent.String()
			}
			if _, aerr := c.record(audit.Event{Action: audit.ActionConsentRead, Outcome: outcome, NHSNumber: pt.patient.NHSNumber,
				RequestIDs: tr.RequestIDs, Detail: detail}); aerr != nil {
				c.auditFailed(aerr)
				return
			}
			if err != nil {
				pt.consent.Message = present.Message(err)
			} else {
				pt.doc = doc
				pt.consent.Stage = present.ConsentStageFor(doc)
				if pt.consent.Stage == present.ConsentAsk && pt.patient.Deceased {
					pt.consent.Stage = present.ConsentDeceased // not asked as if they could answer
				}
				pt.consent.Message = present.MessageView{}
			}
			c.render()
		})
	}()
}

// permission: the patient said yes. The self-claimed legitimate relationship and the permission
// are recorded, the LR alert queued (stored first, delivered in the background), then the
// record is fetched.
func (c *Controller) permission() {
	pt := c.pt
	if pt == nil || pt.doc == nil || pt.consent.Stage != present.ConsentAsk {
		return
	}
	nhs := pt.patient.NHSNumber
	if _, err := c.record(audit.Event{Action: audit.ActionSelfClaimLR, Outcome: audit.OutcomeSuccess, NHSNumber: nhs}); err != nil {
		c.auditFailed(err)
		return
	}
	if _, err := c.record(audit.Event{Action: audit.ActionPermission, Outcome: audit.OutcomeSuccess, NHSNumber: nhs}); err != nil {
		c.auditFailed(err)
		return
	}
	if err := c.queueAlert(sync.AlertSelfClaimedLR, 1, nhs, "Legitimate relationship self-claimed at the pharmacy counter; the patient gave permission to view their SCR."); err != nil {
		c.auditFailed(err)
		return
	}
	c.openRecord(pt, "permission")
}

// emergencyStage moves between the question and the emergency reason (the controller's view
// holds the stage, so no re-render sends the reason screen back to the question).
func (c *Controller) emergencyStage(on bool) {
	pt := c.pt
	if pt == nil || pt.doc == nil {
		return
	}
	switch {
	case on && pt.consent.Stage == present.ConsentAsk:
		pt.consent.Stage = present.ConsentEmergency
	case !on && pt.consent.Stage == present.ConsentEmergency:
		pt.consent.Stage = present.ConsentAsk
	default:
		return
	}
	pt.consent.Message = present.MessageView{}
	c.render()
}

// emergency: the patient cannot be asked; the reason is recorded and an access alert queued.
func (c *Controller) emergency(reason string) {
	pt := c.pt
	if pt == nil || pt.doc == nil || reason == "" || pt.consent.Stage != present.ConsentEmergency {
		return
	}
	nhs := pt.patient.NHSNumber
	if _, err := c.record(audit.Event{Action: audit.ActionEmergency, Outcome: audit.OutcomeSuccess, NHSNumber: nhs, Reason: reason}); err != nil {
		c.auditFailed(err)
		return
	}
	if err := c.queueAlert(sync.AlertEmergency, 1, nhs, "Emergency access without the patient's permission: "+reason); err != nil {
		c.auditFailed(err)
		return
	}
	pt.emergency = true
	c.openRecord(pt, "emergency")
}

// deceasedReason: the patient has died, so cannot be asked; the user's written reason for
// needing the record is recorded as such, with the self-claimed relationship and its alert.
func (c *Controller) deceasedReason(reason string) {
	pt := c.pt
	if pt == nil || pt.doc == nil || reason == "" || pt.consent.Stage != present.ConsentDeceased {
		return
	}
	nhs := pt.patient.NHSNumber
	if _, err := c.record(audit.Event{Action: audit.ActionSelfClaimLR, Outcome: audit.OutcomeSuccess, NHSNumber: nhs}); err != nil {
		c.auditFailed(err)
		return
	}
	if _, err := c.record(audit.Event{Action: audit.ActionDeceasedReason, Outcome: audit.OutcomeSuccess, NHSNumber: nhs, Reason: reason}); err != nil {
		c.auditFailed(err)
		return
	}
	if err := c.queueAlert(sync.AlertSelfClaimedLR, 1, nhs, "Deceased patient's record viewed at the pharmacy counter: "+reason); err != nil {
		c.auditFailed(err)
		return
	}
	c.openRecord(pt, "deceased")
}

// declined: the patient said no; nothing is opened.
func (c *Controller) declined() {
	pt := c.pt
	if pt == nil {
		return
	}
	if _, err := c.record(audit.Event{Action: audit.ActionPermissionNo, Outcome: audit.OutcomeSuccess, NHSNumber: pt.patient.NHSNumber}); err != nil {
		c.auditFailed(err)
		return
	}
	pt.consent.Stage = present.ConsentDeclined
	c.render()
}

// openRecord fetches the SCR (always asking /DocumentReference first: a stale id gives an empty
// Bundle), records that it was viewed, then shows it.
func (c *Controller) openRecord(pt *patientState, basis string) {
	pt.consent.Stage = present.ConsentOpening
	c.render()
	ctx, gen := c.patientCtx()
	link := c.link
	nhs := pt.patient.NHSNumber
	go func() {
		// DocumentReference then Bundle, each subject checked; a stale id is retried once.
		doc, rec, tr, err := link.LatestRecord(ctx, nhs)
		ids := tr.RequestIDs
		c.Post(func() {
			if gen != c.gen || c.pt != pt {
				return
			}
			outcome := audit.OutcomeSuccess
			if err != nil || rec == nil {
				outcome = audit.OutcomeMinorFailure
			}
			detail := audit.WithFlags(map[string]string{"basis": basis}, c.patientFlags(pt.patient, pt.nhs)...)
			if err != nil {
				var d map[string]string
				if outcome, d = subjectOutcome(err, nhs); d != nil {
					for k, v := range d {
						detail[k] = v
					}
				}
			}
			if rec != nil {
				detail["record_id"] = rec.ID
				detail["sections"] = itoa(len(rec.Sections))
			}
			if _, aerr := c.record(audit.Event{Action: audit.ActionSCRRead, Outcome: outcome, NHSNumber: nhs, RequestIDs: ids, Detail: detail}); aerr != nil {
				c.auditFailed(aerr)
				return
			}
			switch {
			case err != nil:
				// Nothing of the record is shown; the person is told what happened.
				pt.record, pt.emergency = nil, false
				pt.consent.Stage = present.ConsentAsk
				if pt.patient.Deceased {
					pt.consent.Stage = present.ConsentDeceased
				}
				pt.consent.Message = present.Message(err)
			case rec == nil || doc == nil:
				pt.consent.Stage = present.ConsentNoRecord
			default:
				pt.record = rec
			}
			c.render()
		})
	}()
}

// closePatient: Escape or "Close patient".
func (c *Controller) closePatient() {
	c.dropPatient()
	c.render()
}

// auditFailed: the audit row could not be written, so nothing is shown, and the person is told.
func (c *Controller) auditFailed(err error) {
	c.dropPatient()
	c.search = present.SearchView{State: present.SearchError, Message: present.MessageView{
		Title: "Nothing was shown: the audit log could not be written",
		What:  "Every view of a record must be recorded first, and recording failed (" + store.UserMessage(err) + ").",
		Todo:  "Free some disk space or ask IT support to check the workstation, then try again.",
	}}
	c.render()
}

// queueAlert stores a privacy alert in the outbox with its audit row, then wakes the sender.
func (c *Controller) queueAlert(typ, subtype int, nhs, msg string) error {
	v := c.m.Snapshot()
	a := sync.Alert{Type: typ, Subtype: subtype, NHSNumber: nhs, ODS: c.svc.Settings.ODSCode, UserID: v.User.ID,
		URID: v.Role.URID, RoleCode: v.Role.RoleCode, Message: msg, When: c.svc.Now().UTC()}
	if err := a.Validate(); err != nil {
		return err
	}
	payload, err := newQueuedAlert(a)
	if err != nil {
		return err
	}
	if _, _, err := c.svc.Store.Enqueue(context.Background(), payload, c.who(audit.Event{Action: audit.ActionAlertQueued,
		Outcome: audit.OutcomeSuccess, NHSNumber: nhs, Detail: map[string]string{"type": itoa(typ), "subtype": itoa(subtype)}})); err != nil {
		return err
	}
	c.kickOutbox()
	return nil
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
