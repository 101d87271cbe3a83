package governance

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// State is where a case is in the review workflow (SGP.md): new -> in review -> closed as
// appropriate | closed as inappropriate | escalated.
type State string

// The states. Values are stored in case rows and never change once released.
const (
	StateNew                 State = "new"
	StateInReview            State = "in-review"
	StateClosedAppropriate   State = "closed-appropriate"
	StateClosedInappropriate State = "closed-inappropriate"
	StateEscalated           State = "escalated"
)

// States lists every state in workflow order.
func States() []State {
	return []State{StateNew, StateInReview, StateClosedAppropriate, StateClosedInappropriate, StateEscalated}
}

// Label is the state in plain words.
func (s State) Label() string {
	switch s {
	case StateNew:
		return "New"
	case StateInReview:
		return "In review"
	case StateClosedAppropriate:
		return "Closed: appropriate"
	case StateClosedInappropriate:
		return "Closed: inappropriate"
	case StateEscalated:
		return "Escalated"
	}
	return string(s)
}

// Open reports whether the case still needs review.
func (s State) Open() bool { return s == StateNew || s == StateInReview || s == "" }

// Known reports whether s is one of the states.
func (s State) Known() bool {
	for _, k := range States() {
		if k == s {
			return true
		}
	}
	return false
}

// Kind is what a reviewer does to a case.
type Kind string

// The actions on a case. Values are stored in case rows.
const (
	KindNote     Kind = "note"     // add a note; the state does not change
	KindStart    Kind = "start"    // new -> in review
	KindClose    Kind = "close"    // in review -> closed as appropriate (needs a note)
	KindBreach   Kind = "breach"   // in review -> closed as inappropriate (needs a note and the action taken)
	KindEscalate Kind = "escalate" // in review -> escalated (needs to whom and a note)
)

// Person is who acted.
type Person struct{ UserID, Name string }

// Step is one thing a reviewer did to a case, as recorded in the audit log.
type Step struct {
	Kind        Kind
	By          Person
	At          time.Time
	Note        string
	ActionTaken string // KindBreach: what was done about it
	EscalatedTo string // KindEscalate: to whom
	Seq         int64  // the audit row that recorded the step (0 before it is recorded)
}

// Case is one access (or sign-in) under review: the rules that flagged it and what reviewers did.
type Case struct {
	// Seq is the flagged entry's sequence number: the case's identity.
	Seq  int64
	Time time.Time
	// Subject is whose access it is: no reviewer may act on a case about their own access.
	Subject     Person
	NHSNumber   string
	Workstation string
	Hits        []Hit
	State       State
	Steps       []Step
}

// Risk is the sum of the case's rules' risks: the queue sorts by it, then by time.
func (c Case) Risk() int {
	n := 0
	for _, h := range c.Hits {
		n += h.Rule.Risk()
	}
	return n
}

// Risk is the rule's weight in a case's risk.
func (r RuleID) Risk() int { i, _ := r.Info(); return i.Risk }

// Rules lists the rules that flagged the case.
func (c Case) Rules() []RuleID {
	out := make([]RuleID, 0, len(c.Hits))
	for _, h := range c.Hits {
		out = append(out, h.Rule)
	}
	return out
}

// Errors Apply returns; each says in plain words what to do.
var (
	ErrOwnAccess   = errors.New("this case is about your own access: another SCR Governance Person must review it")
	ErrNeedNote    = errors.New("write a note saying what you checked")
	ErrNeedAction  = errors.New("say what action was taken about the inappropriate access")
	ErrNeedWhom    = errors.New("say who the case is escalated to")
	ErrNotAllowed  = errors.New("that step is not possible from the case's current state")
	ErrUnknownStep = errors.New("unknown step")
)

// Check reports whether step s may be applied to c, without changing c. A reviewer can never act
// on a case about their own access (SGP.md): it waits for the second SGP.
func Check(c Case, s Step) error {
	if s.By.UserID == "" {
		return fmt.Errorf("%w: no reviewer", ErrNotAllowed)
	}
	if s.By.UserID == c.Subject.UserID {
		return ErrOwnAccess
	}
	note := strings.TrimSpace(s.Note) != ""
	st := c.State
	if st == "" {
		st = StateNew
	}
	switch s.Kind {
	case KindNote:
		if !note {
			return ErrNeedNote
		}
		return nil
	case KindStart:
		if st != StateNew {
			return ErrNotAllowed
		}
		return nil
	case KindClose, KindBreach, KindEscalate:
		if st != StateInReview {
			return ErrNotAllowed
		}
		if !note {
			return ErrNeedNote
		}
		if s.Kind == KindBreach && strings.TrimSpace(s.ActionTaken) == "" {
			return ErrNeedAction
		}
		if s.Kind == KindEscalate && strings.TrimSpace(s.EscalatedTo) == "" {
			return ErrNeedWhom
		}
		return nil
	}
	return ErrUnknownStep
}

// Apply returns c after step s, or c unchanged and the reason it is refused.
func Apply(c Case, s Step) (Case, error) {
	if err := Check(c, s); err != nil {
		return c, err
	}
	if c.State == "" {
		c.State = StateNew
	}
	switch s.Kind {
	case KindStart:
		c.State = StateInReview
	case KindClose:
		c.State = StateClosedAppropriate
	case KindBreach:
		c.State = StateClosedInappropriate
	case KindEscalate:
		c.State = StateEscalated
	}
	c.Steps = append(append([]Step(nil), c.Steps...), s)
	return c, nil
}

// Replay applies recorded steps in order; a recorded step that would now be refused (written
// by an older version, or tampered) is skipped and reported, never applied.
func Replay(c Case, steps []Step) (Case, []error) {
	var errs []error
	for _, s := range steps {
		n, err := Apply(c, s)
		if err != nil {
			errs = append(errs, fmt.Errorf("entry %d: %w", s.Seq, err))
			continue
		}
		c = n
	}
	return c, errs
}

// Reviewed reports whether the case has had a decision: closed or escalated.
func (c Case) Reviewed() bool { return !c.State.Open() }

// Closed returns when the case was decided (closed or escalated), and whether it has been.
func (c Case) Closed() (time.Time, bool) {
	for i := len(c.Steps) - 1; i >= 0; i-- {
		switch c.Steps[i].Kind {
		case KindClose, KindBreach, KindEscalate:
			return c.Steps[i].At, true
		}
	}
	return time.Time{}, false
}
