package audit

import (
	"slices"
	"strings"
)

// Flag is a fact about the patient, as it was when the access happened, that a governance rule
// needs (SGP.md, "Detection rules worth shipping"). Flags are recorded in the access's own row
// (Detail["flags"], comma-separated, sorted), so the log keeps no more personal data than the
// rules need: "same surname", never the surname.
type Flag string

// The flags the counter flow records on patient-read and scr-read rows.
const (
	FlagSameSurname    Flag = "same-surname"     // the patient's family name equals the user's
	FlagSelfLookup     Flag = "self-lookup"      // the patient's whole name equals the user's own
	FlagDeceased       Flag = "deceased"         // the patient was deceased at the time of access
	FlagRestricted     Flag = "restricted"       // demographics restricted or very restricted
	FlagFoundByDetails Flag = "found-by-details" // found by a demographic search, not the NHS number
)

// The details the store adds to a row about the workstation's clock (package store): the
// reading was this many milliseconds earlier than the row before it; the wall clock moved this
// many milliseconds apart from the monotonic clock since the process's previous row (signed:
// positive forward).
const (
	DetailClockBehind = "clock_behind_ms"
	DetailClockJump   = "clock_jump_ms"
)

// DetailFlags is the Detail key that holds an entry's flags.
const DetailFlags = "flags"

// Flags returns the event's flags, in sorted order.
func (e Event) Flags() []Flag {
	v := e.Detail[DetailFlags]
	if v == "" {
		return nil
	}
	var out []Flag
	for _, s := range strings.Split(v, ",") {
		if s != "" {
			out = append(out, Flag(s))
		}
	}
	return out
}

// HasFlag reports whether the event carries f.
func (e Event) HasFlag(f Flag) bool { return slices.Contains(e.Flags(), f) }

// WithFlags returns a copy of detail with flags added to its "flags" key (nil when the result
// is empty). Duplicate flags are recorded once; the order is sorted so equal sets encode alike.
func WithFlags(detail map[string]string, flags ...Flag) map[string]string {
	set := map[Flag]bool{}
	for _, f := range (Event{Detail: detail}).Flags() {
		set[f] = true
	}
	for _, f := range flags {
		if f != "" {
			set[f] = true
		}
	}
	out := make(map[string]string, len(detail)+1)
	for k, v := range detail {
		out[k] = v
	}
	delete(out, DetailFlags)
	if len(set) > 0 {
		names := make([]string, 0, len(set))
		for f := range set {
			names = append(names, string(f))
		}
		slices.Sort(names)
		out[DetailFlags] = strings.Join(names, ",")
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
