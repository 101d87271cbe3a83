package audit

import "time"

// Filter selects entries for the SGP's queries. Zero fields do not filter. All set fields must
// match (AND). Times are inclusive From, exclusive To.
type Filter struct {
	From, To  time.Time
	UserID    string
	NHSNumber string
	Action    Action
	Outcome   Outcome
}

// IsZero reports whether the filter selects every entry.
func (f Filter) IsZero() bool {
	return f.From.IsZero() && f.To.IsZero() && f.UserID == "" && f.NHSNumber == "" &&
		f.Action == "" && f.Outcome == ""
}

// Cursor marks where a page ended: pass it back to get the next page. Pages go from the newest
// entry to the oldest and are keyed by sequence number, never by offset, so a page costs the
// same however deep it is. The zero Cursor starts at the newest entry.
type Cursor struct {
	// Before is the sequence number of the last entry returned; the next page starts below it.
	Before int64
	// Done is true when there are no more entries.
	Done bool
}

// Matches reports whether e satisfies every set field of f, from e's own (MAC-covered) body:
// the store re-checks what its indexes return with it, so an index cannot add a row.
func (f Filter) Matches(e Entry) bool {
	switch {
	case !f.From.IsZero() && e.Time.Before(f.From):
		return false
	case !f.To.IsZero() && !e.Time.Before(f.To):
		return false
	case f.UserID != "" && e.UserID != f.UserID:
		return false
	case f.NHSNumber != "" && e.NHSNumber != f.NHSNumber:
		return false
	case f.Action != "" && e.Action != f.Action:
		return false
	case f.Outcome != "" && e.Outcome != f.Outcome:
		return false
	}
	return true
}
