package app

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"scrdesk/cardreader"
	"scrdesk/internal/present"
	"scrdesk/internal/session"
	"scrdesk/internal/settings"
	"scrdesk/screens"
)

// settingsUI is the settings screen's state, owned by the controller goroutine; the window and
// screen are touched only on the UI goroutine.
type settingsUI struct {
	view   present.SettingsView
	seq    uint64 // bumped by every check started and when the screen closes: late answers are dropped
	win    fyne.Window
	screen *screens.Settings
}

// mayOpenSettings: a signed-in SCR Governance Person, or anyone signed in to the demo.
func (c *Controller) mayOpenSettings() bool {
	v := c.m.Snapshot()
	if v.State != session.Ready {
		return false
	}
	return c.svc.Demo || v.Role.Can(sessionConfig(c.svc.Settings).SGPActivities)
}

// OpenSettings opens the settings screen (its own window) for whoever may change settings; the
// SGP workspace and the Session menu link here. Safe from any goroutine.
func (c *Controller) OpenSettings() { c.Post(c.openSettings) }

func (c *Controller) openSettings() {
	if !c.mayOpenSettings() {
		c.svc.Log.Info("settings refused: not a signed-in SCR Governance Person")
		return
	}
	if c.set != nil {
		c.ui(func() {
			if c.set != nil && c.set.win != nil {
				c.set.win.RequestFocus()
			}
		})
		return
	}
	st := &settingsUI{view: present.SettingsView{Demo: c.svc.Demo, Form: present.FormOf(c.svc.Settings)}}
	c.set = st
	c.refreshReaders()
	c.describeAnchors(st.view.Form)
	cb := screens.SettingsCallbacks{
		Save:           func(f present.SettingsForm) { c.Post(func() { c.saveSettings(f) }) },
		TestConnection: func(f present.SettingsForm) { c.Post(func() { c.testConnection(f) }) },
		CheckCard:      func(f present.SettingsForm, pin string) { c.Post(func() { c.checkCard(f, pin) }) },
		AnchorsChosen:  func(f present.SettingsForm) { c.Post(func() { c.describeAnchors(f) }) },
		Close:          func() { c.Post(c.closeSettings) },
	}
	v := st.view
	c.ui(func() {
		a := fyne.CurrentApp()
		if a == nil {
			return
		}
		w := a.NewWindow("SCR Desk settings")
		// Ctrl+L, Ctrl+Shift+L, Ctrl+G and the demo cards from this window too.
		if c.sh != nil {
			w.SetMainMenu(fyne.NewMainMenu(c.sh.menus(c, false)...))
		}
		scr := screens.NewSettings(w, cb)
		scr.Render(v)
		w.SetContent(scr.Object())
		// 720 px high: the whole window, Save and Close included, on a 1280x800 counter screen
		// with its taskbar (it was 820 and its buttons were below the screen's edge); the form
		// scrolls.
		w.Resize(fyne.NewSize(900, 720))
		w.SetOnClosed(func() { c.Post(func() { c.settingsClosed(st) }) })
		st.win, st.screen = w, scr
		w.Show()
		w.Canvas().Focus(scr.Focusable())
	})
}

// renderSettings shows the settings screen's view (controller goroutine).
func (c *Controller) renderSettings() { c.renderSettingsThen(nil) }

// renderSettingsThen is renderSettings, then drawn (if not nil) in the same UI update, once the
// screen has rendered the view.
func (c *Controller) renderSettingsThen(drawn func()) {
	st := c.set
	if st == nil {
		return
	}
	v := st.view
	c.ui(func() {
		if st.screen != nil {
			st.screen.Render(v)
			if drawn != nil {
				drawn()
			}
		}
	})
}

// settingsFollow closes the settings screen when its user may no longer have it (lock, sign
// out, card out): called from every render.
func (c *Controller) settingsFollow() {
	if c.set != nil && !c.mayOpenSettings() {
		c.closeSettings()
	}
}

func (c *Controller) closeSettings() {
	st := c.set
	if st == nil {
		return
	}
	c.settingsClosed(st)
	c.ui(func() {
		if st.screen != nil {
			st.screen.ClearPasscode()
		}
		if st.win != nil {
			st.win.SetOnClosed(nil)
			st.win.Close()
		}
	})
}

func (c *Controller) settingsClosed(st *settingsUI) {
	if c.set == st {
		st.seq++
		c.set = nil
	}
}

func (c *Controller) refreshReaders() {
	if c.set == nil {
		return
	}
	var names []string
	if c.svc.Readers != nil {
		names = c.svc.Readers()
	} else {
		for r := range c.readers {
			names = append(names, r)
		}
	}
	c.set.view.Readers = names
}

// saveSettings checks the fields exactly as a settings file is checked; good settings are kept,
// audited (old and new value of each change) and applied (applySettings).
func (c *Controller) saveSettings(f present.SettingsForm) {
	st := c.set
	if st == nil {
		return
	}
	s, problems := present.SettingsOf(c.svc.Settings, f)
	st.view.Form, st.view.Problems = f, problems
	if len(problems) > 0 {
		st.view.Saved, st.view.SavedBad = "Nothing was saved: correct the fields marked in red.", true
		c.renderSettings()
		return
	}
	msg, err := c.applySettings(s, "settings screen")
	st.view.Saved, st.view.SavedBad = msg, err != nil
	if err == nil {
		st.view.Form = present.FormOf(c.svc.Settings)
	}
	c.renderSettings()
}

// testConnection reaches the environment the fields name, over a link made as a sign-in
// would make it (its proxy, TLS and client certificate), on a worker.
func (c *Controller) testConnection(f present.SettingsForm) {
	st := c.set
	if st == nil {
		return
	}
	s, problems := present.SettingsOf(c.svc.Settings, f)
	if len(problems) > 0 {
		st.view.Problems = problems
		st.view.Connection = present.CheckView{Done: true, Lines: []string{"Correct the fields marked in red first."}}
		c.renderSettings()
		return
	}
	st.seq++
	seq := st.seq
	st.view.Connection = present.CheckView{Running: true}
	c.renderSettings()
	reconnect := c.svc.Reconnect
	base := s.EffectiveBaseURL()
	if c.svc.Demo || base == "" {
		base = "the built-in sandbox"
	}
	go func() {
		res := present.CheckView{Done: true}
		if reconnect == nil {
			res.Lines = []string{"No link can be made here."}
		} else if _, spine, err := reconnect(s); spine == nil {
			res.Lines = []string{err.Error() + "."}
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			code, took, err := spine.Reach(ctx)
			cancel()
			if err != nil {
				res.Lines = []string{err.Error() + "."}
			} else {
				res.OK = true
				res.Lines = []string{reachWords(base, code, took)}
			}
		}
		c.Post(func() {
			if c.set == st && st.seq == seq {
				st.view.Connection = res
				c.renderSettings()
			}
		})
	}()
}

// checkCard reads the card in the reader (the preferred one, else the one in use, else the
// first with a card) on a worker: identity, certificate against the trust anchors the fields
// name, and the passcode tries left; with a passcode (pin, typed beside the button) it also
// verifies it and has the card sign a fresh challenge, as `scrdesk card check` does. pin goes
// to the worker only: it is kept in no view or field and never logged.
func (c *Controller) checkCard(f present.SettingsForm, pin string) {
	st := c.set
	if st == nil {
		return
	}
	s, _ := present.SettingsOf(c.svc.Settings, f)
	st.seq++
	seq := st.seq
	st.view.Card = present.CheckView{Running: true}
	c.renderSettings()
	reader := s.PreferredReader
	if reader == "" {
		reader = c.connRdr
	}
	if reader == "" {
		for r := range c.readers {
			reader = r
			break
		}
	}
	anchors := c.svc.Anchors
	src, now, demo := c.svc.Source, c.svc.Now, c.svc.Demo
	go func() {
		res := present.CheckView{Done: true}
		res.OK, res.Lines = cardCheck(src, reader, s, anchors, demo, now(), pin)
		c.Post(func() {
			if c.set == st && st.seq == seq {
				st.view.Card = res
				c.renderSettings()
			}
		})
	}()
}

// cardCheck is the settings screen's card check. With pin it verifies the passcode and proves
// the key inside cardreader.WithPasscode (one card transaction; the card's security status
// reset after, as at sign-in); a wrong passcode spends one of the card's tries.
func cardCheck(src cardreader.Source, reader string, s settings.Settings, current *x509.CertPool, demo bool, now time.Time, pin string) (bool, []string) {
	if reader == "" {
		return false, []string{"No smartcard reader is attached to this computer."}
	}
	anchors := current
	if !demo {
		if s.TrustAnchorsFile == "" {
			return false, []string{"No trust anchors are set, so every card is refused."}
		}
		p, err := cardreader.LoadTrustAnchors(s.TrustAnchorsFile)
		if err != nil {
			return false, []string{"The trust anchors could not be read: " + err.Error() + "."}
		}
		anchors = p
	}
	conn, err := src.Connect(reader)
	if err != nil {
		return false, []string{"Reader " + reader + ": " + cardreader.UserMessage(err)}
	}
	defer conn.Close()
	id, err := cardreader.ReadIdentity(conn)
	if err != nil {
		return false, []string{"Reader " + reader + ": " + cardreader.UserMessage(err)}
	}
	lines := []string{fmt.Sprintf("Reader %s: %s (%s);", reader, id.Name, id.UserID)}
	if err := cardreader.CheckCertificate(id.Cert, anchors, now); err != nil {
		return false, append(lines, "the certificate is NOT valid here: "+err.Error()+".")
	}
	lines = append(lines, "the certificate chains to a trust anchor, valid to "+id.Cert.NotAfter.Format("02-Jan-2006")+";")
	tries, err := cardreader.TriesLeft(conn)
	switch {
	case errors.Is(err, cardreader.ErrBlocked):
		return false, append(lines, "Passcode: BLOCKED.", cardreader.UserMessage(err))
	case err != nil:
		return false, append(lines, cardreader.UserMessage(err))
	case tries == cardreader.AlreadyVerified:
		lines = append(lines, "the passcode is already verified (signed in).")
	default:
		lines = append(lines, fmt.Sprintf("%d passcode tries left.", tries))
	}
	if pin == "" {
		return true, append(lines, "Passcode: not checked (type it beside the button to check it and the card's key).")
	}
	verified := false
	err = cardreader.WithPasscode(conn, pin, func() error {
		verified = true // WithPasscode runs this only once the passcode is verified
		return cardreader.Prove(conn, id.Cert)
	})
	var pe *cardreader.PasscodeError
	switch {
	case err == nil:
		return true, append(lines, "Passcode: ok;", "Challenge: ok (the card signed a fresh challenge with the certificate's key).")
	case !verified && errors.As(err, &pe) && !pe.Format:
		return false, append(lines, fmt.Sprintf("Passcode: WRONG, %d tries left.", pe.TriesLeft))
	case !verified && errors.Is(err, cardreader.ErrBlocked):
		return false, append(lines, "Passcode: BLOCKED.", cardreader.UserMessage(err))
	case !verified:
		return false, append(lines, "Passcode: not checked: "+cardreader.UserMessage(err))
	case errors.Is(err, cardreader.ErrChallenge):
		return false, append(lines, "Passcode: ok;", "Challenge: FAILED (the card does not hold the certificate's key).")
	case errors.Is(err, cardreader.ErrNotReset):
		return false, append(lines, "Passcode: ok;", "Challenge: ok;", "but the card could not be set back to needing its passcode: take it out and insert it again.")
	default:
		return false, append(lines, "Passcode: ok;", "Challenge: FAILED: "+cardreader.UserMessage(err))
	}
}

// describeAnchors lists the trust anchors file's certificates: subject and expiry.
func (c *Controller) describeAnchors(f present.SettingsForm) {
	st := c.set
	if st == nil {
		return
	}
	path, demo, now := f.TrustAnchorsFile, c.svc.Demo, c.svc.Now()
	go func() {
		lines := anchorLines(path, demo, now)
		c.Post(func() {
			if c.set == st {
				st.view.Anchors = lines
				c.renderSettingsThen(func() {
					// For tools driving the window (as the shell's "screen shown"): the form
					// is whole once this line is drawn. It names no certificate.
					if c.svc.Log != nil {
						c.svc.Log.Debug("settings trust anchors shown")
					}
				})
			}
		})
	}()
}

func anchorLines(path string, demo bool, now time.Time) []string {
	if path == "" {
		if demo {
			return []string{"The demo trusts its own demo smartcard authority only."}
		}
		return []string{"No trust anchors are set: every card is refused."}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return []string{"This file cannot be read: " + err.Error() + "."}
	}
	var lines []string
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			lines = append(lines, "A certificate in this file is damaged.")
			continue
		}
		state := "expires " + cert.NotAfter.Format("02-Jan-2006")
		if now.After(cert.NotAfter) {
			state = "EXPIRED " + cert.NotAfter.Format("02-Jan-2006")
		}
		lines = append(lines, cert.Subject.String()+": "+state)
	}
	if len(lines) == 0 {
		return []string{"This file holds no certificates (PEM)."}
	}
	return lines
}

// reachWords says what a connection test's answer means: any HTTP answer shows the network,
// the proxy and TLS work; a status other than success is said as what it is (the test asks for
// the service's root address, not a record), never as if it were a record answering ("passed.
// the built-in sandbox answered (HTTP 404)", a keyboard walk).
func reachWords(base string, code int, took time.Duration) string {
	who := base
	if who != "" && !strings.Contains(who, "://") { // "the built-in sandbox", not an address
		who = strings.ToUpper(who[:1]) + who[1:]
	}
	ms := took.Milliseconds()
	if code >= 200 && code < 400 {
		return fmt.Sprintf("%s answered in %d ms (HTTP %d).", who, ms, code)
	}
	return fmt.Sprintf("%s answered in %d ms, so the network, the proxy and the secure connection work. Its root address answered HTTP %d, which is usual: records are asked for at their own addresses.", who, ms, code)
}
