package governance

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

var (
	subject = Person{UserID: "555000000011", Name: "Priya Shah"}
	sgp1    = Person{UserID: "555000000033", Name: "Grace Okafor"}
)

func TestCaseMachine(t *testing.T) {
	t0 := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	base := Case{Seq: 7, Time: t0, Subject: subject, Hits: []Hit{{Rule: RuleEmergency, Seq: 7}}}
	in := func(s State) Case { c := base; c.State = s; return c }
	step := func(k Kind, by Person, note string) Step { return Step{Kind: k, By: by, Note: note, At: t0} }
	for _, c := range []struct {
		name    string
		from    Case
		step    Step
		want    State
		wantErr error
	}{
		{"note on a new case", in(StateNew), step(KindNote, sgp1, "asked the pharmacist"), StateNew, nil},
		{"zero state is new", in(""), step(KindStart, sgp1, ""), StateInReview, nil},
		{"start review", in(StateNew), step(KindStart, sgp1, ""), StateInReview, nil},
		{"start twice", in(StateInReview), step(KindStart, sgp1, ""), StateInReview, ErrNotAllowed},
		{"close from new is refused", in(StateNew), step(KindClose, sgp1, "fine"), StateNew, ErrNotAllowed},
		{"close as appropriate", in(StateInReview), step(KindClose, sgp1, "patient collapsed; confirmed with the pharmacist"), StateClosedAppropriate, nil},
		{"close needs a note", in(StateInReview), step(KindClose, sgp1, "  "), StateInReview, ErrNeedNote},
		{"inappropriate needs the action taken", in(StateInReview), step(KindBreach, sgp1, "no reason to look"), StateInReview, ErrNeedAction},
		{"inappropriate with action", in(StateInReview), Step{Kind: KindBreach, By: sgp1, Note: "no reason to look", ActionTaken: "retrained; superintendent told"}, StateClosedInappropriate, nil},
		{"escalate needs whom", in(StateInReview), step(KindEscalate, sgp1, "unclear"), StateInReview, ErrNeedWhom},
		{"escalate", in(StateInReview), Step{Kind: KindEscalate, By: sgp1, Note: "unclear", EscalatedTo: "Superintendent pharmacist"}, StateEscalated, nil},
		{"closed cannot be closed again", in(StateClosedAppropriate), step(KindClose, sgp1, "again"), StateClosedAppropriate, ErrNotAllowed},
		{"escalated cannot be restarted", in(StateEscalated), step(KindStart, sgp1, ""), StateEscalated, ErrNotAllowed},
		{"a correction note on a closed case", in(StateClosedAppropriate), step(KindNote, sgp1, "correction: it was Tuesday"), StateClosedAppropriate, nil},
		{"empty note refused", in(StateNew), step(KindNote, sgp1, ""), StateNew, ErrNeedNote},
		{"own access: cannot start", in(StateNew), step(KindStart, subject, ""), StateNew, ErrOwnAccess},
		{"own access: cannot close", in(StateInReview), step(KindClose, subject, "it was fine"), StateInReview, ErrOwnAccess},
		{"own access: cannot even note", in(StateNew), step(KindNote, subject, "it was me, it was fine"), StateNew, ErrOwnAccess},
		{"no reviewer", in(StateNew), step(KindStart, Person{}, ""), StateNew, ErrNotAllowed},
		{"unknown step", in(StateNew), step(Kind("delete"), sgp1, "x"), StateNew, ErrUnknownStep},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Apply(c.from, c.step)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("error %v, want %v", err, c.wantErr)
			}
			if got.State != c.want && !(c.want == StateNew && got.State == "") {
				t.Errorf("state %q, want %q", got.State, c.want)
			}
			if err != nil && len(got.Steps) != len(c.from.Steps) {
				t.Error("a refused step was recorded")
			}
			if err == nil && len(got.Steps) != len(c.from.Steps)+1 {
				t.Error("an applied step was not kept")
			}
		})
	}
}

func TestReplaySkipsRefusedSteps(t *testing.T) {
	c := Case{Seq: 1, Subject: subject}
	steps := []Step{
		{Kind: KindStart, By: sgp1, Seq: 10},
		{Kind: KindClose, By: subject, Note: "mine, fine", Seq: 11}, // tampered or old: refused
		{Kind: KindClose, By: sgp1, Note: "checked the rota", Seq: 12},
	}
	got, errs := Replay(c, steps)
	if got.State != StateClosedAppropriate || len(errs) != 1 || len(got.Steps) != 2 {
		t.Fatalf("state %s, errors %v, steps %d", got.State, errs, len(got.Steps))
	}
	if at, ok := got.Closed(); !ok || !at.IsZero() {
		t.Errorf("Closed() = %v %v", at, ok)
	}
}

func TestRiskOrdersByRules(t *testing.T) {
	low := Case{Hits: []Hit{{Rule: RuleByDetails}}}
	high := Case{Hits: []Hit{{Rule: RuleEmergency}, {Rule: RuleWeakReason}}}
	if low.Risk() >= high.Risk() {
		t.Errorf("risk low %d >= high %d", low.Risk(), high.Risk())
	}
}

func TestSamplingIsSeededAndFollowsTheRate(t *testing.T) {
	cfg := DefaultConfig()
	for _, seed := range []uint64{1, 42, 1 << 40} {
		n, emerg := 0, 0
		for seq := int64(1); seq <= 10000; seq++ {
			if Sampled(seed, seq, RuleSelfClaim, cfg.Rate(RuleSelfClaim)) {
				n++
			}
			if Sampled(seed, seq, RuleEmergency, cfg.Rate(RuleEmergency)) {
				emerg++
			}
			// the same seed always draws the same sample
			if Sampled(seed, seq, RuleSelfClaim, 0.5) != Sampled(seed, seq, RuleSelfClaim, 0.5) {
				t.Fatal("not deterministic")
			}
		}
		if n < 4700 || n > 5300 {
			t.Errorf("seed %d: %d of 10000 self-claims sampled at 50%%", seed, n)
		}
		if emerg != 10000 {
			t.Errorf("seed %d: %d of 10000 emergency accesses sampled at 100%%", seed, emerg)
		}
	}
	diff := 0
	for seq := int64(1); seq <= 1000; seq++ {
		if Sampled(1, seq, RuleSelfClaim, 0.5) != Sampled(2, seq, RuleSelfClaim, 0.5) {
			diff++
		}
	}
	if diff < 300 {
		t.Errorf("seeds 1 and 2 draw nearly the same sample (%d differences)", diff)
	}
}

func TestCoverageAndOverdue(t *testing.T) {
	cfg := DefaultConfig()
	now := time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)
	var cases []Case
	for i := 0; i < 10; i++ {
		c := Case{Seq: int64(i + 1), Time: now.Add(-time.Duration(i) * 24 * time.Hour), Hits: []Hit{{Rule: RuleEmergency}}, State: StateNew}
		if i < 4 {
			c.State = StateClosedAppropriate
		}
		cases = append(cases, c)
	}
	cv := cfg.Measure(99, cases, now)
	// 10 emergency cases, all sampled; 4 reviewed; open ones older than 7 days: days 8, 9
	if cv.Sampled != 10 || cv.Reviewed != 4 || cv.Open != 6 || cv.Overdue != 2 || cv.Percent() != 40 {
		t.Errorf("coverage %+v (%d%%)", cv, cv.Percent())
	}
	if got := (Coverage{}).Percent(); got != 100 {
		t.Errorf("nothing due: %d%%", got)
	}
	_ = fmt.Sprint()
}
