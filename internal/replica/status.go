package replica

import (
	"fmt"
	"time"
)

// Status is the replication state the status bar and the SGP's home show.
type Status struct {
	// Enabled is false when no central database is configured.
	Enabled bool
	// Connected is true while the server answers.
	Connected bool
	// Cursor is the newest entry the central database holds; SignedSeq the newest a signed
	// head covers.
	Cursor, SignedSeq int64
	// LastOK is when the server last acknowledged (or there was nothing to send).
	LastOK time.Time
	// OfflineSince is when the server stopped answering (zero while connected).
	OfflineSince time.Time
	// Waiting is how many entries are on this workstation but not yet on the server.
	Waiting int64
	// Problem says in plain English what is wrong, or "".
	Problem string
	// KeyFingerprint is the signing key's fingerprint, for IT support to confirm.
	KeyFingerprint string
}

// Text is the one-line state: "replicated to entry 1,204, 3 s ago" or "offline since 09:14,
// 212 entries waiting". Times are shown in now's location.
func (s Status) Text(now time.Time) string {
	switch {
	case !s.Enabled:
		return "central audit log: not set up"
	case !s.Connected && !s.OfflineSince.IsZero():
		return fmt.Sprintf("central audit log offline since %s, %s waiting", clock(s.OfflineSince, now), entries(s.Waiting))
	case !s.Connected:
		return "central audit log: connecting"
	case s.Waiting > 0:
		return fmt.Sprintf("central audit log: replicated to entry %s, %s waiting", thousands(s.Cursor), entries(s.Waiting))
	}
	return fmt.Sprintf("central audit log: replicated to entry %s, %s ago", thousands(s.Cursor), ago(now.Sub(s.LastOK)))
}

func entries(n int64) string {
	if n == 1 {
		return "1 entry"
	}
	return thousands(n) + " entries"
}

func clock(t, now time.Time) string {
	t = t.In(now.Location())
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04")
	}
	return t.Format("2 Jan 15:04")
}

func ago(d time.Duration) string {
	switch {
	case d < time.Second:
		return "0 s"
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	}
	return fmt.Sprintf("%d h", int(d/time.Hour))
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, c)
	}
	return string(out)
}
