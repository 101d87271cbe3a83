package governance

import (
	"testing"
	"time"
)

// TestTimelineJudgesEachCaseByItsSOP: coverage samples each case, and finds it overdue, by the
// review share and period in force when its access was recorded. Self-claims at 50% drawn into
// the sample before the share is lowered to 0% stay in it (and overdue by the weekly period)
// after a change to 0% and a 31-day period, where judging them by today's SOP drops them all.
func TestTimelineJudgesEachCaseByItsSOP(t *testing.T) {
	now := time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)
	var cases []Case
	for i := 0; i < 40; i++ { // seq 1..40, 10 to 29 days old, all open
		cases = append(cases, Case{Seq: int64(i + 1), Time: now.Add(-time.Duration(10+i%20) * 24 * time.Hour),
			Hits: []Hit{{Rule: RuleSelfClaim}}, State: StateNew})
	}
	lowered := DefaultConfig()
	lowered.ReviewRate[RuleSelfClaim] = 0
	lowered.ReviewPeriod = 31 * 24 * time.Hour
	var tl Timeline
	tl.Set(50, now.Add(-24*time.Hour), lowered) // after every case
	then := DefaultConfig().Measure(7, cases, now)
	if then.Sampled == 0 || then.Sampled == 40 || then.Overdue != then.Sampled {
		t.Fatalf("at 50%% and weekly: %+v", then)
	}
	if got := tl.Measure(7, cases, now); got != then {
		t.Errorf("after the SOP changed, by the timeline: %+v, want %+v as it was", got, then)
	}
	if today := lowered.Measure(7, cases, now); today.Sampled != 0 {
		t.Errorf("by today's SOP %+v: the test does not tell the two apart", today)
	}
	// From the row after a change, the new SOP: a case at seq 51 is not sampled at 0%.
	late := Case{Seq: 51, Time: now, Hits: []Hit{{Rule: RuleSelfClaim}}, State: StateNew}
	if tl.InSample(7, late) || tl.At(50).Rate(RuleSelfClaim) != 0.5 || tl.At(51).Rate(RuleSelfClaim) != 0 {
		t.Errorf("the change applies from the row after it: at 50 %v, at 51 %v", tl.At(50).Rate(RuleSelfClaim), tl.At(51).Rate(RuleSelfClaim))
	}
	if tl.Before(now.Add(-48*time.Hour)).Rate(RuleSelfClaim) != 0.5 || tl.Before(now).Rate(RuleSelfClaim) != 0 ||
		tl.Changes(now.Add(-48*time.Hour), now) != 1 || tl.Changes(now, now.Add(time.Hour)) != 0 {
		t.Error("Before or Changes does not follow the change's time")
	}
}

// TestTimelineBeforeAndLongestPeriod: the settings in force at an instant are the last set, in
// sequence order, recorded before it, even when a clock put back recorded a later set at an
// earlier time; the longest review period counts every set and the default.
func TestTimelineBeforeAndLongestPeriod(t *testing.T) {
	t0 := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)
	a, b := DefaultConfig(), DefaultConfig()
	a.ReviewRate[RuleSelfClaim], a.ReviewPeriod = 0.2, 31*24*time.Hour
	b.ReviewRate[RuleSelfClaim], b.ReviewPeriod = 0.3, 3*24*time.Hour
	var tl Timeline
	tl.Set(10, t0, a)
	tl.Set(20, t0.Add(-time.Hour), b) // the clock was put back an hour and more
	if got := tl.Before(t0.Add(time.Minute)).Rate(RuleSelfClaim); got != 0.3 {
		t.Errorf("in force after both: %v, want the later set's 0.3", got)
	}
	if got := tl.Before(t0.Add(-2 * time.Hour)).Rate(RuleSelfClaim); got != 0.5 {
		t.Errorf("in force before both: %v, want the default 0.5", got)
	}
	if got := tl.LongestPeriod(); got != 31*24*time.Hour {
		t.Errorf("longest period %v", got)
	}
}
