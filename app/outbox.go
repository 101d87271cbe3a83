package app

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"scrdesk/internal/audit"
	"scrdesk/internal/fhir"
	"scrdesk/internal/present"
	"scrdesk/internal/session"
	"scrdesk/internal/store"
	"scrdesk/sync"
)

// The privacy alert outbox: an alert is stored (with its audit row, in one transaction) before
// anything is sent, so nothing is lost when the Spine is down or the app is closed. A sender
// goroutine delivers what is due whenever a signed-in link exists, retrying with capped,
// jittered backoff; a refusal by the Spine (4xx other than 429) fails the alert for good, with
// an audit row, and the status area shows it. Each alert keeps one X-Request-ID for all its
// attempts (docs/domain.md: the same id again on a retry of the same request).

// queuedAlert is what the outbox stores as an alert's payload.
type queuedAlert struct {
	RequestID string     `json:"request_id"`
	Alert     sync.Alert `json:"alert"`
}

func newQueuedAlert(a sync.Alert) ([]byte, error) {
	return json.Marshal(queuedAlert{RequestID: uuid.NewString(), Alert: a})
}

func (c *Controller) kickOutbox() {
	select {
	case c.outboxKick <- struct{}{}:
	default:
	}
}

// runOutbox delivers due alerts until ctx is done. It asks the controller goroutine for the
// current link each round: no link (locked, signed out) means wait.
func (c *Controller) runOutbox(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.outboxKick:
		}
		next := c.deliverDue(ctx)
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(next)
	}
}

// deliverDue sends what is due now and says when to look again.
func (c *Controller) deliverDue(ctx context.Context) time.Duration {
	linkCh := make(chan *sync.Session, 1)
	// Only over a signed-in link that carries a role, while the session is Ready: never while
	// signing in (no role yet: the Spine answers 400) or locked.
	c.Post(func() {
		if c.m.State() == session.Ready && c.link != nil && c.link.URID() != "" {
			linkCh <- c.link
			return
		}
		linkCh <- nil
	})
	var link *sync.Session
	select {
	case link = <-linkCh:
	case <-ctx.Done():
		return time.Hour
	}
	st := c.svc.Store
	due, err := st.Due(ctx, c.svc.Now(), 20)
	if err != nil {
		c.svc.Log.Warn("outbox not read", "err", err)
		return 30 * time.Second
	}
	if len(due) > 0 && link != nil {
		for _, a := range due {
			// Only over the link of the user and role who queued it (read from its MAC-covered
			// queued row): another user's alerts stay queued until that user signs in again.
			if a.QueuedBy != link.UserID() || a.QueuedURID != link.URID() {
				continue
			}
			c.deliver(ctx, link, a)
		}
	}
	c.refreshAlerts(ctx)
	return 15 * time.Second
}

func (c *Controller) deliver(ctx context.Context, link *sync.Session, a store.Alert) {
	var q queuedAlert
	if err := json.Unmarshal(a.Payload, &q); err != nil {
		_, _ = c.svc.Store.MarkFailed(ctx, a.ID, "unreadable alert", c.alertEvent(audit.ActionAlertFailed, q, nil))
		return
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	tr, err := link.SendAlert(cctx, q.Alert, q.RequestID)
	cancel()
	// What happened is written even when SCR Desk is stopping (the stop waits for it): an alert
	// the Spine took must be marked sent, or it would go again at the next start.
	ctx = context.WithoutCancel(ctx)
	if err == nil {
		// Delivered: the payload's patient details are purged; the alert's kind stays for the
		// status list, and the audit rows keep what happened.
		kept, _ := json.Marshal(queuedAlert{RequestID: q.RequestID, Alert: sync.Alert{Type: q.Alert.Type, Subtype: q.Alert.Subtype}})
		if _, err := c.svc.Store.MarkSentKeeping(ctx, a.ID, c.alertEvent(audit.ActionAlertSent, q, tr.RequestIDs), kept); err != nil {
			c.svc.Log.Error("alert sent but not marked", "err", err)
		}
		return
	}
	var se *fhir.SpineError
	isSpine := errors.As(err, &se)
	// A refusal caused by the link (the token expired, the role refused, another user's token)
	// says nothing about the alert: it stays queued, visible, and goes with the next good link.
	linkCaused := isSpine && (se.Kind == fhir.SignedOut || se.Kind == fhir.AccessDenied)
	permanent := isSpine && (se.Kind == fhir.BadRequest || se.Kind == fhir.InvalidNHSNumber)
	if !linkCaused && (permanent || a.Attempts+1 >= maxAlertAttempts) {
		ev := c.alertEvent(audit.ActionAlertFailed, q, tr.RequestIDs)
		ev.Reason = fhir.UserMessage(err)
		if _, err := c.svc.Store.MarkFailed(ctx, a.ID, err.Error(), ev); err != nil {
			c.svc.Log.Error("alert failure not recorded", "err", err)
		}
		return
	}
	if err := c.svc.Store.MarkRetry(ctx, a.ID, c.svc.Now().Add(backoff(a.Attempts+1)), err.Error()); err != nil {
		c.svc.Log.Error("alert retry not scheduled", "err", err)
	}
}

// maxAlertAttempts is how often a transient failure is retried (about a day with the backoff).
const maxAlertAttempts = 40

// backoff is 10 s doubling to at most 30 min, with ±20 % jitter.
func backoff(attempt int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < attempt && d < 30*time.Minute; i++ {
		d *= 2
	}
	d = min(d, 30*time.Minute)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

func (c *Controller) alertEvent(act audit.Action, q queuedAlert, ids []string) audit.Event {
	return audit.Event{Action: act, Outcome: outcomeFor(act), Workstation: c.svc.Settings.WorkstationName, ODSCode: c.svc.Settings.ODSCode,
		UserID: q.Alert.UserID, URID: q.Alert.URID, RoleCode: q.Alert.RoleCode, NHSNumber: q.Alert.NHSNumber, RequestIDs: ids,
		Detail: map[string]string{"type": itoa(q.Alert.Type), "subtype": itoa(q.Alert.Subtype)}}
}

func outcomeFor(a audit.Action) audit.Outcome {
	if a == audit.ActionAlertFailed {
		return audit.OutcomeSeriousFailure
	}
	return audit.OutcomeSuccess
}

// refreshAlerts reads the outbox's recent alerts for the status area (no patient in them).
func (c *Controller) refreshAlerts(ctx context.Context) {
	var views []userAlert
	for _, state := range []store.AlertState{store.AlertQueued, store.AlertFailed, store.AlertSent} {
		list, err := c.svc.Store.List(ctx, state, 5)
		if err != nil {
			return
		}
		for _, a := range list {
			var q queuedAlert
			_ = json.Unmarshal(a.Payload, &q)
			user := q.Alert.UserID
			if user == "" && a.AuditSeq > 0 { // a sent alert's payload is purged: its queued row names the user
				if e, err := c.svc.Store.Entry(ctx, a.AuditSeq); err == nil {
					user = e.UserID
				}
			}
			views = append(views, userAlert{user: user, view: alertView(a, c.svc.Now())})
		}
	}
	c.Post(func() {
		c.alerts = views
		c.render()
	})
}

// userAlert is an alert for the status area and whose access raised it: each user sees only
// their own (the next user at the counter must not see the last one's).
type userAlert struct {
	user string
	view present.AlertView
}

// alertsFor returns the views of user's alerts.
func alertsFor(all []userAlert, user string) []present.AlertView {
	var out []present.AlertView
	for _, a := range all {
		if user != "" && a.user == user {
			out = append(out, a.view)
		}
	}
	return out
}

func alertView(a store.Alert, now time.Time) present.AlertView {
	var q queuedAlert
	_ = json.Unmarshal(a.Payload, &q)
	kind := "Self-claimed relationship alert"
	if q.Alert.Type == sync.AlertEmergency {
		kind = "Emergency access alert"
	}
	v := present.AlertView{Kind: kind, When: a.Created.Local().Format("15:04")}
	switch {
	case a.State == store.AlertSent:
		v.State = present.AlertSent
	case a.State == store.AlertFailed:
		v.State = present.AlertFailed
		v.Detail = "refused: the SGP must be told another way"
	case a.Attempts > 0:
		v.State = present.AlertRetrying
		v.Detail = "tried " + itoa(a.Attempts) + " times; next try at " + a.Next.Local().Format("15:04")
	default:
		v.State = present.AlertQueued
	}
	return v
}
