package governance

import (
	"sort"
	"time"
)

// Timeline is the rules' configuration over the log: DefaultConfig from the first row, then
// each governance-rules-set row's from the row after it, as the engine follows them. The SOP's
// review shares and review period are part of it, so a case is sampled, and found overdue, by
// the SOP in force when its access was recorded: lowering a share today does not drop last
// month's sampled cases from the review, nor does a longer period hide what was overdue.
type Timeline struct {
	sets []timelineSet // in sequence order
}

type timelineSet struct {
	seq int64
	at  time.Time
	cfg Config
}

// Set records cfg as the configuration from the row after seq (recorded at at). Call in
// sequence order.
func (t *Timeline) Set(seq int64, at time.Time, cfg Config) {
	t.sets = append(t.sets, timelineSet{seq, at, cfg})
}

// At is the configuration that judged the row at seq.
func (t Timeline) At(seq int64) Config {
	i := sort.Search(len(t.sets), func(i int) bool { return t.sets[i].seq >= seq })
	if i == 0 {
		return DefaultConfig()
	}
	return t.sets[i-1].cfg
}

// Before is the configuration in force at the instant before: what the SOP said then (a
// monthly report's targets at the month's end).
func (t Timeline) Before(at time.Time) Config {
	// The last set (in sequence order) recorded before at: a clock put back can record a later
	// set at an earlier time, and it is still the later one.
	cfg := DefaultConfig()
	for _, s := range t.sets {
		if s.at.Before(at) {
			cfg = s.cfg
		}
	}
	return cfg
}

// LongestPeriod is the longest review period the SOP has set (DefaultConfig's included).
func (t Timeline) LongestPeriod() time.Duration {
	p := DefaultConfig().ReviewPeriod
	for _, s := range t.sets {
		p = max(p, s.cfg.ReviewPeriod)
	}
	return p
}

// Changes is how many times the configuration was set in [from, to).
func (t Timeline) Changes(from, to time.Time) int {
	n := 0
	for _, s := range t.sets {
		if !s.at.Before(from) && s.at.Before(to) {
			n++
		}
	}
	return n
}

// InSample reports whether case c is in the review sample, by the review shares in force when
// its access was recorded.
func (t Timeline) InSample(seed uint64, c Case) bool { return t.At(c.Seq).InSample(seed, c) }

// Measure computes coverage at now, each case by the SOP in force when its access was recorded.
func (t Timeline) Measure(seed uint64, cases []Case, now time.Time) Coverage {
	var cv Coverage
	for _, c := range cases {
		t.Count(&cv, seed, c, now)
	}
	return cv
}

// Count adds case c to cv as Measure does (for a caller that reads the cases one at a time,
// as the store does over ten million rows, rather than holding them all).
func (t Timeline) Count(cv *Coverage, seed uint64, c Case, now time.Time) {
	cfg := t.At(c.Seq)
	cv.Cases++
	if c.State.Open() {
		cv.Open++
	}
	if !cfg.InSample(seed, c) {
		return
	}
	cv.Sampled++
	if c.Reviewed() {
		cv.Reviewed++
	} else if now.Sub(c.Time) > cfg.ReviewPeriod {
		cv.Overdue++
	}
}
