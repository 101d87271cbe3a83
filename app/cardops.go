package app

import (
	"context"
	"crypto/x509"
	"errors"
	"time"

	"scrdesk/cardreader"
	"scrdesk/internal/fhir"
	"scrdesk/internal/session"
	"scrdesk/sync"
)

// The card and the identity service are slow (hundreds of milliseconds): their work runs on a
// worker goroutine and comes back to the controller goroutine as a session event carrying the
// Seq of the effect that asked for it, so an answer that arrives after the card left is ignored
// by the machine.

// openCard is what a CardRead answer carries: the open connection and what was read from it.
// It becomes the controller's open card only through the machine's UseCard effect.
type openCard struct {
	conn   cardreader.Conn
	reader string
	id     cardreader.Identity
}

// signedIn is what a PasscodeRight answer carries: the Spine sign-in the card signed. It
// becomes the controller's link only through the machine's UseLink effect; a late one is closed
// (Discard).
type signedIn struct {
	link   *sync.Session
	userID string
}

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
			c.Post(func() {
				c.handle(session.CardUnreadable{Seq: f.Seq, Kind: session.ReadFailed, Check: "the card did not answer"})
			})
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
			kind, check := problemOf(err), checkOf(err)
			user := session.User{ID: id.UserID, Name: id.Name}
			c.Post(func() { c.handle(session.CardUnreadable{Seq: f.Seq, Kind: kind, Check: check, User: user}) })
			return
		}
		card := &openCard{conn: conn, reader: f.Reader, id: id}
		c.Post(func() {
			c.handle(session.CardRead{Seq: f.Seq, ID: session.CardID{GUID: id.GUID, Fingerprint: id.Fingerprint},
				User: session.User{ID: id.UserID, Name: id.Name}, TriesLeft: tries, Card: card})
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

// checkOf names the check that failed, for the audit row (no card data beyond the reason).
func checkOf(err error) string {
	var ce *cardreader.CertificateError
	switch {
	case errors.Is(err, cardreader.ErrNotPIV):
		return "not a PIV card"
	case errors.As(err, &ce):
		return "the certificate " + ce.Reason
	case errors.Is(err, cardreader.ErrChallenge):
		return "the card's signature did not match its certificate"
	case errors.Is(err, cardreader.ErrNotReset):
		return "the card's passcode check could not be undone"
	case errors.Is(err, cardreader.ErrCardRemoved):
		return "the card was removed"
	}
	return "the card did not answer as expected"
}

// verifyPasscode sends the passcode the user typed to the card, has the card sign a fresh
// challenge that must verify against its certificate (docs/card-profile.md: all three
// must hold), and has it
// sign the Spine sign-in assertion: all inside one PC/SC transaction, after which the card's
// security status is reset (cardreader.WithPasscode), so no other program can use the card. The
// assertion is exchanged for a token after the card is let go. A new sign-in always needs the
// link (for the roles); an unlock signs the link in again under the held role (the token was
// dropped at lock).
func (c *Controller) verifyPasscode(f session.VerifyPasscode) {
	pin := string(c.passcode)
	wipe(c.passcode)
	c.passcode = nil
	conn, id := c.conn, c.ident
	// The held session's role: the machine's view shows it only while Ready or Locked, the
	// controller keeps it until the session ends.
	resuming, heldRole := c.m.Snapshot().Resuming, c.role
	if conn == nil {
		c.handle(session.CardUnreadable{Seq: f.Seq, Kind: session.ReadFailed, Check: "the card is not open"})
		return
	}
	needLink := !resuming || heldRole.URID != ""
	spine, log := c.svc.Spine, c.svc.Log
	go func() {
		link, linkErr, err := cardSignIn(context.Background(), spine, conn, id, pin, needLink)
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
			kind, check := problemOf(err), checkOf(err)
			user := session.User{ID: id.UserID, Name: id.Name}
			c.Post(func() { c.handle(session.CardUnreadable{Seq: f.Seq, Kind: kind, Check: check, User: user}) })
			return
		}
		ans := session.PasscodeRight{Seq: f.Seq}
		switch {
		case link != nil:
			ans.Link = &signedIn{link: link, userID: id.UserID}
		case linkErr != nil:
			log.Warn("identity service sign-in failed", "err", linkErr)
			ans.LinkProblem = fhir.UserMessage(linkErr)
		}
		c.Post(func() { c.handle(ans) })
	}()
}

// cardSignIn is the one sign-in with a card, for the window and check-access alike. Inside one
// PC/SC transaction the passcode is verified, the card signs a fresh challenge that must verify
// with its certificate's key and (when link is wanted) signs the Spine sign-in assertion; then
// the card's security status is reset before the card is let go (cardreader.WithPasscode), so
// no other program can have it sign. The assertion is exchanged for a token after that. err is
// the card's failure (nothing was signed in); linkErr the identity service's (the card was
// fine); link is nil unless wanted and signed in.
func cardSignIn(ctx context.Context, spine *sync.Client, conn cardreader.Transport, id cardreader.Identity, pin string, wantLink bool) (link *sync.Session, linkErr, err error) {
	var assertion sync.Assertion
	err = cardreader.WithPasscode(conn, pin, func() error {
		if err := cardreader.Prove(conn, id.Cert); err != nil {
			return err
		}
		if wantLink {
			assertion, linkErr = spine.Assert(id.UserID, cardSigner{conn: conn, cert: id.Cert})
		}
		return nil
	})
	if err != nil || !wantLink || linkErr != nil {
		return nil, linkErr, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	link, linkErr = spine.Exchange(ctx, assertion)
	return link, linkErr, nil
}

// loadRoles asks the identity service for the signed-in user's roles over the session's link.
func (c *Controller) loadRoles(f session.LoadRoles) {
	link := c.link
	if link == nil {
		c.handle(session.RolesFailed{Seq: f.Seq, Why: "not signed in to the identity service"})
		return
	}
	st, log, userID := c.svc.Store, c.svc.Log, link.UserID()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		roles, err := link.UserInfo(ctx)
		if err != nil {
			log.Warn("roles not loaded", "err", err)
			why := fhir.UserMessage(err)
			c.Post(func() { c.handle(session.RolesFailed{Seq: f.Seq, Why: why}) })
			return
		}
		last, err := st.LastRole(ctx, userID)
		if err != nil {
			log.Warn("last role not read", "err", err)
		}
		c.Post(func() {
			if c.m.Awaits(f.Seq) { // a late answer changes nothing, not even the role list
				c.allRoles = roles
			}
			c.handle(session.RolesLoaded{Seq: f.Seq, Roles: roles, LastURID: last})
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
