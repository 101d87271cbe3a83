package app

import (
	"context"
	"crypto/x509"
	"errors"
	"time"

	"scrdesk/cardreader"
	"scrdesk/internal/audit"
	"scrdesk/internal/fhir"
	"scrdesk/internal/session"
	"scrdesk/internal/staff"
	"scrdesk/sync"
)

// The card and the identity service are slow (hundreds of milliseconds): their work runs on a
// worker goroutine and comes back to the controller goroutine as a session event carrying the
// Seq of the effect that asked for it, so an answer that arrives after the card left is ignored
// by the machine.

// readCard: connect, read the identity, check the certificate's chain and dates, read the tries
// left; answer CardRead or CardUnreadable.
func (c *Controller) readCard(f session.ReadCard) {
	c.closeCard()
	src, anchors, now := c.svc.Source, c.svc.Anchors, c.svc.Now
	log := c.svc.Log
	go func() {
		// A card just inserted may still be powering up (pcscd reports it before it answers), or
		// have been swapped within one of pcscd's presence polls (its handle then answers "card
		// removed"): a read that fails for no card-specific reason is tried again a few times on
		// a fresh connection. A card really gone makes Connect fail, and its removal event makes
		// the machine ignore this answer anyway.
		var conn cardreader.Conn
		var id cardreader.Identity
		var err error
		for attempt := 0; attempt < 4; attempt++ {
			if attempt > 0 {
				time.Sleep(250 * time.Millisecond)
			}
			if conn, err = src.Connect(f.Reader); err != nil {
				continue
			}
			if id, err = cardreader.ReadIdentity(conn); err == nil || problemOf(err) != session.ReadFailed {
				break
			}
			_ = conn.Close()
			conn = nil
		}
		if conn == nil {
			log.Warn("card not opened", "reader", f.Reader, "err", err)
			c.Post(func() { c.handle(session.CardUnreadable{Seq: f.Seq, Kind: session.ReadFailed}) })
			return
		}
		if err == nil {
			err = cardreader.CheckCertificate(id.Cert, anchors, now())
		}
		tries := 0
		if err == nil {
			tries, err = cardreader.TriesLeft(conn)
			if errors.Is(err, cardreader.ErrBlocked) {
				tries, err = 0, nil
			}
		}
		if err != nil {
			_ = conn.Close()
			log.Info("card refused", "reader", f.Reader, "err", err)
			kind := problemOf(err)
			c.Post(func() {
				c.record(audit.Event{Action: audit.ActionLogin, Outcome: audit.OutcomeMinorFailure, Reason: kind.String(),
					UserID: id.UserID})
				c.handle(session.CardUnreadable{Seq: f.Seq, Kind: kind})
			})
			return
		}
		c.Post(func() {
			c.conn, c.connRdr, c.ident = conn, f.Reader, id
			c.handle(session.CardRead{Seq: f.Seq, ID: session.CardID{GUID: id.GUID, Fingerprint: id.Fingerprint},
				User: session.User{ID: id.UserID, Name: id.Name}, TriesLeft: tries})
		})
	}()
}

func problemOf(err error) session.Problem {
	var ce *cardreader.CertificateError
	switch {
	case errors.Is(err, cardreader.ErrNotPIV):
		return session.NotStaffCard
	case errors.As(err, &ce) && ce.Reason == cardreader.CertReasonExpired:
		return session.CertExpired
	case errors.As(err, &ce) && ce.Reason == cardreader.CertReasonUntrusted:
		return session.CertUntrusted
	case errors.As(err, &ce):
		return session.CertNotValid
	case errors.Is(err, cardreader.ErrChallenge):
		return session.NotProven
	}
	return session.ReadFailed
}

// verifyPasscode sends the passcode the user typed to the card, then has the card sign a fresh
// challenge that must verify against its certificate (docs/card-profile.md: all three must hold).
// When the passcode unlocks a held session, the link with the Spine is signed in again too (the
// token was dropped at lock), under the held role.
func (c *Controller) verifyPasscode(f session.VerifyPasscode) {
	pin := string(c.passcode)
	wipe(c.passcode)
	c.passcode = nil
	conn, id := c.conn, c.ident
	// The held session's role: the machine's view shows it only while Ready or Locked, the
	// controller keeps it until the session ends.
	resuming, heldRole := c.m.Snapshot().Resuming, c.role
	if conn == nil {
		c.handle(session.CardUnreadable{Seq: f.Seq, Kind: session.ReadFailed})
		return
	}
	spine, log := c.svc.Spine, c.svc.Log
	go func() {
		err := cardreader.VerifyPasscode(conn, pin)
		if err == nil {
			err = cardreader.Prove(conn, id.Cert)
		}
		var pe *cardreader.PasscodeError
		switch {
		case err == nil:
		case errors.As(err, &pe) && !pe.Format:
			c.Post(func() { c.handle(session.PasscodeWrong{Seq: f.Seq, TriesLeft: pe.TriesLeft}) })
			return
		case errors.Is(err, cardreader.ErrBlocked):
			c.Post(func() { c.handle(session.PasscodeBlocked{Seq: f.Seq}) })
			return
		default:
			log.Warn("passcode check failed", "err", err)
			kind := problemOf(err)
			c.Post(func() { c.handle(session.CardUnreadable{Seq: f.Seq, Kind: kind}) })
			return
		}
		var link *sync.Session
		if resuming && heldRole.URID != "" {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			l, err := spine.SignIn(ctx, id.UserID, cardSigner{conn: conn, cert: id.Cert})
			if err != nil {
				log.Warn("identity service sign-in on unlock failed", "err", err)
			} else {
				link = l.WithRole(heldRole.URID)
			}
		}
		c.Post(func() {
			if link != nil {
				c.endLink()
				c.link = link
				c.role = heldRole
				c.conState = "Connected"
			}
			c.handle(session.PasscodeRight{Seq: f.Seq})
		})
	}()
}

// loadRoles signs in to the identity service with a JWT the card signs, then asks for the
// user's roles.
func (c *Controller) loadRoles(f session.LoadRoles) {
	conn, id := c.conn, c.ident
	if conn == nil {
		c.handle(session.RolesFailed{Seq: f.Seq})
		return
	}
	spine, st, log := c.svc.Spine, c.svc.Store, c.svc.Log
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		link, err := spine.SignIn(ctx, id.UserID, cardSigner{conn: conn, cert: id.Cert})
		var roles []staff.Role
		if err == nil {
			roles, err = link.UserInfo(ctx)
		}
		if err != nil {
			log.Warn("roles not loaded", "err", err)
			if link != nil {
				link.Close()
			}
			c.Post(func() {
				c.conState = "Not connected: " + fhir.UserMessage(err)
				c.record(audit.Event{Action: audit.ActionLogin, Outcome: audit.OutcomeSeriousFailure, Reason: "roles not loaded"})
				c.handle(session.RolesFailed{Seq: f.Seq})
			})
			return
		}
		last, err := st.LastRole(ctx, id.UserID)
		if err != nil {
			log.Warn("last role not read", "err", err)
		}
		c.Post(func() {
			c.endLink()
			c.link = link
			c.conState = "Connected"
			c.allRoles = roles
			c.handle(session.RolesLoaded{Seq: f.Seq, Roles: roles, LastURID: last})
			if c.m.State() == session.Ready && c.link != nil {
				// One role: the machine chose it.
				c.role = c.m.Snapshot().Role
				c.link = c.link.WithRole(c.role.URID)
			}
		})
	}()
}

// cardSigner lets the Spine link sign its JWT with the card (ES256 over the card's key).
type cardSigner struct {
	conn cardreader.Transport
	cert *x509.Certificate
}

func (s cardSigner) Certificate() *x509.Certificate { return s.cert }

func (s cardSigner) Sign(digest []byte) ([]byte, error) { return cardreader.Sign(s.conn, digest) }
