package app

import (
	"fmt"
	"time"

	"scrdesk/cardreader"
	"scrdesk/cardreader/virtualcard"
	"scrdesk/internal/session"
	"scrdesk/internal/staff"
)

// DemoReaderName is the demo reader's name, as the lock screen and status bar show it.
const DemoReaderName = "Demo card reader"

func demoUsers() []staff.DemoUser { return staff.DemoUsers() }

// DemoPharmacy is the demo's pharmacy name and ODS code.
func DemoPharmacy() (string, string) { return staff.DemoPharmacy, staff.DemoODS }

// NewDemoReader makes the in-process demo reader and one virtual PIV card per demo user (keys
// and certificates made now, signed by the demo CA). The cards run the same PIV code as real
// ones. insert and remove put a card in the reader and take it out.
func NewDemoReader() (*cardreader.DemoReader, func(string), func(string), error) {
	dr := cardreader.NewDemoReader()
	cards := map[string]*virtualcard.Card{}
	for _, u := range staff.DemoUsers() {
		c, err := virtualcard.New(virtualcard.Options{UserID: u.UserID, Name: u.Name, PIN: u.PIN, TriesLeft: u.TriesLeft,
			Blocked: u.Blocked, Expired: u.Expired, CA: virtualcard.DemoCA()})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("demo card %s: %w", u.Key, err)
		}
		cards[u.Key] = c
	}
	insert := func(key string) {
		if c, ok := cards[key]; ok {
			dr.Remove(DemoReaderName)
			dr.Insert(DemoReaderName, c)
		}
	}
	remove := func(string) { dr.Remove(DemoReaderName) }
	dr.Attach(DemoReaderName)
	return dr, insert, remove, nil
}

// demoInsert and demoRemove are the demo panel's buttons (controller goroutine).
func (c *Controller) demoInsert(key string) {
	if c.svc.DemoInsert == nil {
		return
	}
	c.inserted = key
	c.svc.DemoInsert(key)
	c.render()
}

func (c *Controller) demoRemove(key string) {
	if c.svc.DemoRemove == nil {
		return
	}
	c.inserted = ""
	c.svc.DemoRemove(key)
	c.render()
}

// submitPasscode keeps the digits until the machine asks for them (VerifyPasscode).
func (c *Controller) submitPasscode(p []byte, forRead uint64) {
	wipe(c.passcode)
	c.passcode = p
	c.handle(session.PasscodeSubmitted{For: forRead})
	if c.m.State() != session.Verifying {
		wipe(c.passcode)
		c.passcode = nil
	}
}

// activity resets the idle timer, at most once a second.
func (c *Controller) activity() {
	now := c.svc.Now()
	if now.Sub(c.lastActivity) < time.Second {
		return
	}
	c.lastActivity = now
	c.handle(session.Activity{})
}
