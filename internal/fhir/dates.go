package fhir

import (
	"strings"
	"time"
)

// Precision of a date as sent: how much of it was given.
const (
	PrecisionYear  = 1
	PrecisionMonth = 2
	PrecisionDay   = 3
	PrecisionTime  = 4
)

// dateLayouts are every date form the NHS services were seen to send, most precise first:
// FHIR R4 date and dateTime (https://hl7.org/fhir/R4/datatypes.html#dateTime), with or without
// seconds ("2007-03-14T01:00+00:00" is in the SCR API's published payloads), with a zone
// written without a colon, without a zone, with a space for the T, and the HL7 v2/v3 compact
// forms ("20070314010000", "200703140100", "20070314").
var dateLayouts = []struct {
	layout    string
	precision int
}{
	{time.RFC3339Nano, PrecisionTime},
	{"2006-01-02T15:04Z07:00", PrecisionTime},
	{"2006-01-02T15:04:05.999999999Z0700", PrecisionTime},
	{"2006-01-02T15:04Z0700", PrecisionTime},
	{"2006-01-02T15:04:05.999999999", PrecisionTime},
	{"2006-01-02T15:04", PrecisionTime},
	{"2006-01-02 15:04:05.999999999Z07:00", PrecisionTime},
	{"2006-01-02 15:04:05", PrecisionTime},
	{"2006-01-02 15:04", PrecisionTime},
	{"20060102150405.999999999-0700", PrecisionTime},
	{"20060102150405-0700", PrecisionTime},
	{"20060102150405", PrecisionTime},
	{"200601021504", PrecisionTime},
	{"2006-01-02", PrecisionDay},
	{"20060102", PrecisionDay},
	{"2006-01", PrecisionMonth},
	{"2006", PrecisionYear},
}

// ParseDateTime reads a date or date-time in any form in dateLayouts and says how much of it
// was given. A form without a zone is read as UTC. ok is false when s is none of them: callers
// then show s as written, never drop it.
func ParseDateTime(s string) (t time.Time, precision int, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, 0, false
	}
	for _, f := range dateLayouts {
		if t, err := time.Parse(f.layout, s); err == nil {
			return t, f.precision, true
		}
	}
	return time.Time{}, 0, false
}

func parseTime(s string) time.Time {
	t, _, _ := ParseDateTime(s)
	return t
}
