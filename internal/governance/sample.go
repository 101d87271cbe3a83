package governance

import (
	"crypto/sha256"
	"encoding/binary"
	"time"
)

// Sampled reports whether the case at seq is in the review sample for a rule reviewed at rate
// (0..1), for the recorded seed. The draw is a hash of the seed and the sequence number, so
// anyone with the seed (it is in the audit log) gets the same sample: it cannot have been
// cherry-picked, and it does not change when later rows arrive.
func Sampled(seed uint64, seq int64, rule RuleID, rate float64) bool {
	if rate >= 1 {
		return true
	}
	if rate <= 0 {
		return false
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], seed)
	binary.BigEndian.PutUint64(b[8:], uint64(seq))
	h := sha256.New()
	h.Write(b[:])
	h.Write([]byte(rule))
	sum := h.Sum(nil)
	x := binary.BigEndian.Uint64(sum[:8])
	return float64(x>>11)/float64(1<<53) < rate
}

// InSample reports whether case c is in the sample: any of its rules draws it.
func (cfg Config) InSample(seed uint64, c Case) bool {
	for _, h := range c.Hits {
		if Sampled(seed, c.Seq, h.Rule, cfg.Rate(h.Rule)) {
			return true
		}
	}
	return false
}

// Coverage is review against the SOP over a set of cases.
type Coverage struct {
	Cases    int // every case
	Sampled  int // cases the sample says to review
	Reviewed int // sampled cases closed or escalated
	Overdue  int // sampled cases still open whose access is older than the review period
	Open     int // cases (sampled or not) still open
}

// Percent is the share of sampled cases reviewed, 0..100 (100 when nothing is due).
func (c Coverage) Percent() int {
	if c.Sampled == 0 {
		return 100
	}
	return c.Reviewed * 100 / c.Sampled
}

// Measure computes coverage at now with cfg for every case (a log whose rules were never set
// otherwise); Timeline.Measure judges each case by the SOP in force when it was recorded.
func (cfg Config) Measure(seed uint64, cases []Case, now time.Time) Coverage {
	var t Timeline
	t.Set(0, time.Time{}, cfg)
	return t.Measure(seed, cases, now)
}
