package session_test

import (
	"fmt"
	"time"

	"scrdesk/internal/session"
	"scrdesk/internal/staff"
)

// The controller's loop: feed an event, carry out the effects in order, render the snapshot.
// Answers carry the Seq of the request they answer.
func Example() {
	m := session.New(session.Config{IdleLock: 5 * time.Minute, SCRActivities: staff.DefaultSCRActivities}, time.Now)
	pharmacist := staff.DemoUsers()[0]

	var queue []session.Event // answers the controller would get from the card and Spine
	var handle func(e session.Event)
	handle = func(e session.Event) {
		for _, fx := range m.Handle(e) {
			switch fx := fx.(type) {
			case session.DropPatientData:
				fmt.Println("drop patient data")
			case session.ShowLock:
				fmt.Println("show lock screen")
			case session.ReadCard:
				queue = append(queue, session.CardRead{Seq: fx.Seq, ID: session.CardID{GUID: [16]byte{7}},
					User: session.User{ID: pharmacist.UserID, Name: pharmacist.Name}, TriesLeft: 3})
			case session.VerifyPasscode:
				queue = append(queue, session.PasscodeRight{Seq: fx.Seq})
			case session.LoadRoles:
				queue = append(queue, session.RolesLoaded{Seq: fx.Seq, Roles: pharmacist.Roles})
			case session.ShowWorkspace:
				fmt.Println("show empty patient search, resumed:", fx.Resumed)
			case session.Audit:
				fmt.Println("audit", fx.Action)
			}
		}
		for len(queue) > 0 {
			next := queue[0]
			queue = queue[1:]
			handle(next)
		}
	}
	handle(session.ReaderAttached{Count: 1})
	handle(session.CardIn{Reader: "Virtual PCD 00 00"})
	fmt.Println(m.State()) // the passcode screen shows
	handle(session.PasscodeSubmitted{})
	v := m.Snapshot()
	fmt.Println(v.State, v.CanViewSCR)
	handle(session.CardOut{})
	fmt.Println(m.State())
	handle(session.CardIn{Reader: "Virtual PCD 00 00"})
	handle(session.PasscodeSubmitted{})
	// Output:
	// Passcode
	// audit login
	// show empty patient search, resumed: false
	// Ready true
	// drop patient data
	// show lock screen
	// audit lock-card-removed
	// Locked
	// audit unlock
	// show empty patient search, resumed: true
}
