package app

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/fhir"
	pf "scrdesk/internal/patientflow"
	"scrdesk/internal/present"
	"scrdesk/internal/session"
	"scrdesk/internal/store"
	"scrdesk/sync"
)

// The counter's patient flow is the pure machine of internal/patientflow: it alone holds the
// open patient, the matches, the consent state, the record and which answer is awaited. The
// controller feeds it the person's intents and the Spine's answers (tagged with the request
// that asked) and carries out the effects it returns, in order; the screens render its View.
// An answer that is no longer wanted is dropped by the machine and changes nothing.

// Timeouts of the patient's requests.
const (
	patientRequestTimeout     = 60 * time.Second
	adjustmentsRequestTimeout = 30 * time.Second
)

// errNoLink: a request was due while no signed-in link was held (a lock came in between).
var errNoLink = errors.New("not signed in to the national services")

// shownError is a refusal whose message is written for the screen as it stands.
type shownError struct{ m present.MessageView }

func (e shownError) Error() string { return e.m.Title }

// patientStep feeds the patient machine one event and carries out its effects in order. When
// an audit row (or an alert's row) does not commit, nothing after it is carried out and the
// machine is told (AuditFailed): nothing more is shown. It reports whether the view may have
// changed (a stale answer changes nothing).
func (c *Controller) patientStep(e pf.Event) bool {
	fx := c.flow.Handle(e)
	c.listedFor = 0
	for _, f := range fx {
		if err := c.patientEffect(f); err != nil {
			for _, g := range c.flow.Handle(pf.AuditFailed{Err: err}) {
				_ = c.patientEffect(g) // only CancelRequests: no row is written after a failed one
			}
			break
		}
	}
	switch e.(type) {
	case pf.PatientAnswer, pf.SearchAnswer, pf.ConsentAnswer, pf.RecordAnswer, pf.AdjustmentsAnswer:
		return len(fx) > 0 // every answer that is still wanted writes its row
	}
	return true // the person's own intents always render
}

// patientEvent is patientStep, then a render when the view may have changed.
func (c *Controller) patientEvent(e pf.Event) {
	if c.patientStep(e) {
		c.render()
	}
}

// patientEffect carries out one effect of the patient machine.
func (c *Controller) patientEffect(f pf.Effect) error {
	switch f := f.(type) {
	case pf.Audit:
		return c.patientAudit(f)
	case pf.QueueAlert:
		if err := c.queueAlert(alertOf(f)); err != nil {
			return err
		}
		c.flow.Handle(pf.AlertStored{Kind: f.Kind, NHS: f.NHS}) // changes no view, returns no effect
	case pf.CancelRequests:
		c.cancelPatientRequests()
	case pf.FetchPatient, pf.SearchPDS, pf.FetchConsent, pf.FetchRecord:
		c.ask(patientRequestTimeout, f)
	case pf.FetchAdjustments:
		c.ask(adjustmentsRequestTimeout, f)
	}
	return nil
}

// ask runs one request of the patient flow on the link held now, off the controller goroutine,
// and posts its answer back to the machine (which drops it if it is no longer wanted). The
// request ends with the flow's CancelRequests, a lock, or its timeout.
func (c *Controller) ask(timeout time.Duration, f pf.Effect) {
	link := c.link
	if link == nil {
		c.Post(func() { c.patientEvent(answerOf(context.Background(), nil, f)) })
		return
	}
	if c.ptCtx == nil {
		c.ptCtx, c.ptStop = context.WithCancel(context.Background())
	}
	ctx, cancel := context.WithTimeout(c.ptCtx, timeout)
	go func() {
		ev := answerOf(ctx, link, f)
		cancel()
		c.Post(func() { c.patientEvent(ev) })
	}()
}

// answerOf carries out the request the machine's effect f asks for over link and returns the
// answer, tagged with f's Req. The window runs it off its goroutine; check-access inline.
func answerOf(ctx context.Context, link *sync.Session, f pf.Effect) pf.Event {
	var err error
	if link == nil {
		err = errNoLink
	}
	switch f := f.(type) {
	case pf.FetchPatient:
		if err != nil {
			return pf.PatientAnswer{Req: f.Req, Err: err}
		}
		p, tr, err := link.Patient(ctx, f.NHS)
		return pf.PatientAnswer{Req: f.Req, Patient: p, Err: err, RequestIDs: tr.RequestIDs}
	case pf.SearchPDS:
		if err != nil {
			return pf.SearchAnswer{Req: f.Req, Err: err}
		}
		q, _ := f.Query.(present.Query)
		pq := sync.PatientQuery{Family: q.Family, Given: q.Given, Gender: q.Gender, BirthDate: q.BirthDate, Postcode: q.Postcode, Fuzzy: true, MaxResults: 10}
		ps, tr, err := link.Search(ctx, pq)
		return pf.SearchAnswer{Req: f.Req, Patients: ps, Err: err, RequestIDs: tr.RequestIDs}
	case pf.FetchConsent:
		if err != nil {
			return pf.ConsentAnswer{Req: f.Req, Err: err}
		}
		doc, tr, err := link.SCRDocument(ctx, f.NHS)
		return pf.ConsentAnswer{Req: f.Req, Doc: doc, Err: err, RequestIDs: tr.RequestIDs}
	case pf.FetchAdjustments:
		if err != nil {
			return pf.AdjustmentsAnswer{Req: f.Req, Err: err}
		}
		a, tr, err := link.Adjustments(ctx, f.NHS)
		return pf.AdjustmentsAnswer{Req: f.Req, Adjustments: a, Err: err, RequestIDs: tr.RequestIDs}
	case pf.FetchRecord:
		if err != nil {
			return pf.RecordAnswer{Req: f.Req, Err: err}
		}
		// DocumentReference then Bundle, each subject checked; a stale id is retried once.
		doc, rec, tr, err := link.LatestRecord(ctx, f.NHS)
		if err == nil && doc == nil {
			rec = nil // no record any more: nothing to show
		}
		return pf.RecordAnswer{Req: f.Req, Record: rec, Err: err, RequestIDs: tr.RequestIDs}
	}
	return nil
}

// cancelPatientRequests ends every request of the patient flow still under way.
func (c *Controller) cancelPatientRequests() {
	if c.ptStop != nil {
		c.ptStop()
		c.ptCtx, c.ptStop = nil, nil
	}
}

// patientAudit writes the machine's audit row, filled with what the rules need.
func (c *Controller) patientAudit(a pf.Audit) error {
	e := flowAuditEvent(a, c.flow.View(), c.m.Snapshot().User.Name)
	if a.Action == pf.ActPatientListed {
		e.Detail = map[string]string{"search": strconv.FormatInt(c.listedFor, 10)}
	}
	row, err := c.record(e)
	if err == nil && a.Action == pf.ActPatientSearch {
		c.listedFor = row.Seq // the patient-listed rows after it name it
	}
	return err
}

// flowAuditEvent is the audit row of the patient machine's Audit effect: its outcome (an answer
// about another patient is a serious failure naming both numbers) and the details the
// governance rules read. v is the machine's view as the effect was returned; user is the
// signed-in user's name (for the same-surname flags). check-access writes its rows with it too.
func flowAuditEvent(a pf.Audit, v pf.View, user string) audit.Event {
	e := audit.Event{Action: audit.Action(a.Action), Outcome: audit.OutcomeSuccess, NHSNumber: a.NHS,
		RequestIDs: a.RequestIDs, Reason: a.Reason}
	detail := map[string]string{}
	if a.Failed {
		e.Outcome = audit.OutcomeMinorFailure
		if o, d := subjectOutcome(a.Err, a.NHS); d != nil {
			e.Outcome = o
			for k, val := range d {
				detail[k] = val
			}
		}
	}
	switch a.Action {
	case pf.ActPatientSearch:
		detail["by"] = a.By
		if a.By == "demographics" {
			detail["matches"], detail["shown"] = itoa(len(a.Shown)), strings.Join(a.Shown, ",")
		}
	case pf.ActPatientRead:
		if v.Patient != nil {
			for k, val := range patientDetail(a.Asked, v.Patient) {
				detail[k] = val
			}
			detail = audit.WithFlags(detail, patientFlags(v.Patient, a.ByDetails, user)...)
		}
	case pf.ActConsentRead:
		if !a.Failed {
			detail["consent"] = a.Consent
		}
	case pf.ActAdjustmentsRead:
		if !a.Failed {
			detail["flags"] = itoa(a.Count)
		}
	case pf.ActSCRRead:
		detail["basis"] = string(a.Basis)
		if a.RecordID != "" {
			detail["record_id"], detail["sections"] = a.RecordID, itoa(a.Sections)
		}
		detail = audit.WithFlags(detail, patientFlags(v.Patient, a.ByDetails, user)...)
	}
	if len(detail) > 0 {
		e.Detail = detail
	}
	return e
}

// alertOf is the privacy alert the machine's QueueAlert asks for.
func alertOf(q pf.QueueAlert) (typ, subtype int, nhs, msg string) {
	switch {
	case q.Kind == pf.AlertEmergency:
		return sync.AlertEmergency, 1, q.NHS, "Emergency access without the patient's permission: " + q.Reason
	case q.Reason != "":
		return sync.AlertSelfClaimedLR, 1, q.NHS, "Deceased patient's record viewed at the pharmacy counter: " + q.Reason
	}
	return sync.AlertSelfClaimedLR, 1, q.NHS, "Legitimate relationship self-claimed at the pharmacy counter; the patient gave permission to view their SCR."
}

// dropPatient forgets the open patient, the search and its matches, and cancels any request
// still under way for them (their answers will be stale).
func (c *Controller) dropPatient() { c.patientStep(pf.Drop{}) }

// holdsPatientData reports whether the controller holds anything about a patient. For tests:
// must be called on the controller goroutine (use Inspect).
func (c *Controller) holdsPatientData() bool { return c.flow.HoldsPatientData() }

// canOpen reports whether the signed-in role may open records, and says why not on screen.
func (c *Controller) canOpen() bool {
	v := c.m.Snapshot()
	if v.State != session.Ready {
		return false
	}
	if b := c.svc.Store.Break(); b != nil {
		// The log was removed or replaced: nothing can be recorded, so nothing is asked for.
		c.refuse(present.MessageView{
			Title: "No patient records can be opened: the audit log was removed or replaced",
			What:  b.Message(),
			Todo:  audit.DoNewLog,
		})
		return false
	}
	if c.link == nil {
		c.refuse(present.MessageView{
			Title: "Not connected to the national services",
			What:  "SCR Desk could not sign in to the NHS identity service with your smartcard.",
			Todo:  "Check the network connection, then lock (Ctrl+L) and unlock with your passcode to sign in again.",
		})
		return false
	}
	if !v.CanViewSCR {
		// A search refused is still a search tried: the log says who, under which role, and why.
		if _, err := c.record(audit.Event{Action: audit.ActionPatientSearch, Outcome: audit.OutcomeMinorFailure,
			Reason: "refused: the role may not open Summary Care Records"}); err != nil {
			c.patientEvent(pf.AuditFailed{Err: err})
			return false
		}
		c.refuse(present.MessageView{
			Title: "You cannot open records with this role",
			What:  v.NoSCRReason,
			Todo:  "Sign in with a role that allows viewing Summary Care Records, or ask your Registration Authority.",
		})
		return false
	}
	return true
}

func (c *Controller) refuse(m present.MessageView) { c.patientEvent(pf.Refused{Err: shownError{m}}) }

// searchNHS looks a patient up by NHS number (PDS GET /Patient/{nhs}).
func (c *Controller) searchNHS(nhs string) {
	if c.canOpen() {
		c.patientEvent(pf.SearchNHS{NHS: nhs})
	}
}

// searchDemographics runs a PDS search and lists the matches.
func (c *Controller) searchDemographics(q present.Query) {
	if c.canOpen() {
		c.patientEvent(pf.SearchDemographics{Query: q})
	}
}

// pick opens match i of the last search: its full record is read by NHS number.
func (c *Controller) pick(i int) {
	if c.canOpen() {
		c.patientEvent(pf.Pick{Index: i})
	}
}

// permission: the patient said yes.
func (c *Controller) permission() { c.patientEvent(pf.Permission{}) }

// emergencyStage moves between the question and the emergency reason (the machine holds the
// stage, so no re-render sends the reason screen back to the question).
func (c *Controller) emergencyStage(on bool) {
	if on {
		c.patientEvent(pf.EmergencyChosen{})
	} else {
		c.patientEvent(pf.Back{})
	}
}

// emergency: the patient cannot be asked; the reason is recorded and an access alert queued.
func (c *Controller) emergency(reason string) { c.patientEvent(pf.EmergencyGiven{Reason: reason}) }

// deceasedReason: the patient has died, so cannot be asked; the user's written reason.
func (c *Controller) deceasedReason(reason string) { c.patientEvent(pf.DeceasedGiven{Reason: reason}) }

// declined: the patient said no; nothing is opened.
func (c *Controller) declined() { c.patientEvent(pf.Decline{}) }

// closePatient: Escape or "Close patient".
func (c *Controller) closePatient() { c.patientEvent(pf.Close{}) }

// patientFrame fills the counter's views from the machine's view.
func (c *Controller) patientFrame(f *frame) {
	v := c.flow.View()
	now := c.svc.Now()
	f.search = searchViewOf(v, now)
	if !patientShown(v) {
		return
	}
	f.hasPatient = true
	f.banner = present.Banner(v.Patient, now)
	if v.AdjustmentsRead {
		f.banner.Adjustments, f.banner.AdjustmentsNote = present.Adjustments(v.Adjustments, v.AdjustmentsErr)
	}
	f.consent = consentViewOf(v)
	if v.State == pf.RecordShown && v.Record != nil {
		r := present.Record(v.Record, v.Patient, nil)
		f.record = &r
		f.banner.Allergies = present.AllergyLine(v.Record)
		if v.Basis == pf.BasisEmergency {
			f.banner.Emergency, f.banner.EmergencyText = true, present.EmergencyMarking
		}
	}
}

// patientShown: the machine's view has a patient on screen.
func patientShown(v pf.View) bool {
	switch v.State {
	case pf.NoPatient, pf.Searching, pf.Matches:
		return false
	case pf.Failed:
		return v.Patient != nil && v.Failure == pf.ConsentFailed
	}
	return v.Patient != nil
}

// searchViewOf is the search screen for the machine's view.
func searchViewOf(v pf.View, now time.Time) present.SearchView {
	switch v.State {
	case pf.Searching:
		return present.SearchView{State: present.SearchSearching}
	case pf.Matches:
		if len(v.Matches) == 0 {
			return present.SearchView{State: present.SearchNoMatch}
		}
		return present.SearchView{State: present.SearchMatches, Matches: present.Matches(v.Matches, now)}
	case pf.Failed:
		switch v.Failure {
		case pf.AuditNotWritten:
			return present.SearchView{State: present.SearchError, Message: auditFailedMessage(v.Err)}
		case pf.SearchRefused, pf.SearchFailed:
			if se, ok := v.Err.(shownError); ok {
				return present.SearchView{State: present.SearchError, Message: se.m}
			}
			if v.Err == nil {
				return present.SearchView{State: present.SearchError, Message: present.MessageView{Title: "Not found",
					What: "No patient was found for that NHS number."}}
			}
			return present.SearchView{State: present.SearchError, Message: present.Message(v.Err)}
		}
	}
	return present.SearchView{}
}

// consentViewOf is the consent and permission step for the machine's view.
func consentViewOf(v pf.View) present.ConsentView {
	cv := present.ConsentView{Patient: present.PatientName(v.Patient)}
	switch v.State {
	case pf.Demographics:
		cv.Stage = present.ConsentChecking
	case pf.Failed: // the consent state could not be read
		cv.Stage, cv.Message = present.ConsentChecking, present.Message(v.Err)
	case pf.ConsentRead:
		cv.Stage = present.ConsentStageFor(v.Doc)
	case pf.Asking:
		cv.Stage = present.ConsentAsk
	case pf.EmergencyReason:
		cv.Stage = present.ConsentEmergency
	case pf.DeceasedReason:
		cv.Stage = present.ConsentDeceased
	case pf.Declined:
		cv.Stage = present.ConsentDeclined
	case pf.Opening, pf.RecordShown:
		cv.Stage = present.ConsentOpening
	}
	if v.Failure == pf.RecordFailed {
		cv.Message = present.Message(v.Err) // nothing of the record is shown; the person is told why
	}
	return cv
}

// auditFailedMessage: the audit row could not be written, so nothing is shown.
func auditFailedMessage(err error) present.MessageView {
	return present.MessageView{
		Title: "Nothing was shown: the audit log could not be written",
		What:  "Every view of a record must be recorded first, and recording failed (" + store.UserMessage(err) + ").",
		Todo:  "Free some disk space or ask IT support to check the workstation, then try again.",
	}
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
	if asked != "" && p.NHSNumber != asked {
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

// patientFlags are the facts about the patient the governance rules need, recorded in the
// access's own rows as flags rather than as more personal data (audit.Flag). user is the
// signed-in user's name.
func patientFlags(p *fhir.Patient, byDetails bool, user string) []audit.Flag {
	var out []audit.Flag
	if byDetails {
		out = append(out, audit.FlagFoundByDetails)
	}
	if p == nil {
		return out
	}
	names := strings.Fields(strings.ToLower(user))
	fam := strings.ToLower(strings.TrimSpace(p.FamilyName))
	if len(names) > 0 && fam != "" && names[len(names)-1] == fam {
		out = append(out, audit.FlagSameSurname)
		given := strings.Fields(strings.ToLower(p.GivenNames))
		if len(given) > 0 && given[0] == names[0] {
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
