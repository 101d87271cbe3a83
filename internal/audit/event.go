package audit

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	fastjson "github.com/goccy/go-json"

	"scrdesk/internal/usermsg"
)

// Event is one thing that happened, as the caller describes it. The store adds the sequence
// number, UUID, time and MAC when it records it (see Entry).
type Event struct {
	Action  Action
	Outcome Outcome

	// Where: the pharmacy's ODS code and the workstation's name.
	Workstation, ODSCode string

	// Who: the 12-digit user id from the smartcard, the user's name, the role profile id
	// (URID, sent to the Spine as NHSD-Session-URID) and the role code ("S…:G…:R…").
	UserID, UserName, URID, RoleCode string

	// NHSNumber is the patient's NHS number (10 digits) where the action concerns one patient.
	NHSNumber string
	// Reason is the reason given: an emergency access reason, why a sign-in failed, etc.
	Reason string
	// RequestIDs are the X-Request-ID values of the requests sent to the Spine for this action.
	RequestIDs []string
	// Detail is a small structured detail (e.g. "field", "old", "new" for a settings change).
	// It never carries free patient data beyond what the row needs.
	Detail map[string]string
}

// Limits on an Event's size; Validate enforces them so a row stays small.
const (
	MaxFieldLen   = 256  // each string field
	MaxReasonLen  = 2000 // Reason
	MaxRequestIDs = 32
	MaxDetailKeys = 32
	MaxDetailLen  = 4096 // Detail, encoded as JSON
)

// ErrInvalidEvent is wrapped by Validate's errors.
var ErrInvalidEvent = usermsg.New("invalid audit event", "SCR Desk could not record this action because its details were incomplete. Please report this to IT support.")

// Validate checks that the event can be recorded: a known action and outcome, a 10-digit
// NHS number if any, and fields within the size limits.
func (e Event) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidEvent, fmt.Sprintf(format, a...))
	}
	if !e.Action.Known() {
		return bad("unknown action %q", e.Action)
	}
	if !e.Outcome.Known() {
		return bad("unknown outcome %q", e.Outcome)
	}
	if e.NHSNumber != "" {
		if len(e.NHSNumber) != 10 {
			return bad("NHS number must be 10 digits")
		}
		for _, c := range []byte(e.NHSNumber) {
			if c < '0' || c > '9' {
				return bad("NHS number must be 10 digits")
			}
		}
	}
	for name, v := range map[string]string{"workstation": e.Workstation, "ODS code": e.ODSCode,
		"user id": e.UserID, "user name": e.UserName, "URID": e.URID, "role code": e.RoleCode} {
		if len(v) > MaxFieldLen {
			return bad("%s longer than %d bytes", name, MaxFieldLen)
		}
	}
	if len(e.Reason) > MaxReasonLen {
		return bad("reason longer than %d bytes", MaxReasonLen)
	}
	if len(e.RequestIDs) > MaxRequestIDs {
		return bad("more than %d request ids", MaxRequestIDs)
	}
	for _, id := range e.RequestIDs {
		if len(id) > MaxFieldLen {
			return bad("request id longer than %d bytes", MaxFieldLen)
		}
	}
	if len(e.Detail) > MaxDetailKeys {
		return bad("more than %d detail keys", MaxDetailKeys)
	}
	if len(encodeDetail(e.Detail)) > MaxDetailLen {
		return bad("detail longer than %d bytes", MaxDetailLen)
	}
	return nil
}

// Entry is one recorded row: the event plus what the store added.
type Entry struct {
	// Seq is the row's position in the log, from 1 with no gaps.
	Seq int64
	// ID is a random UUID (RFC 9562 version 4), the future AuditEvent.id.
	ID string
	// Time is when the row was recorded, in UTC, to the millisecond. It never goes backwards
	// from one row to the next.
	Time time.Time
	Event
	// MAC is HMAC-SHA256(key, previous row's MAC || Canonical(this row)).
	MAC []byte
}

// Recorder records audit events. Record returns only once the row is committed to disk; the
// caller shows patient data only after it returns without error.
type Recorder interface {
	Record(ctx context.Context, e Event) (Entry, error)
}

// ParseUUID parses the canonical 36-character UUID text form.
func ParseUUID(s string) ([16]byte, error) {
	var u [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, fmt.Errorf("bad UUID %q", s)
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return u, fmt.Errorf("bad UUID %q", s)
	}
	return u, nil
}

// FormatUUID formats 16 bytes in the canonical UUID text form.
func FormatUUID(u [16]byte) string {
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func encodeDetail(d map[string]string) string {
	if len(d) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(d) // keys sorted, always marshals
	return string(b)
}

// fastDecode is goccy/go-json's Unmarshal, with a panic on a crafted body (a bug of the library)
// turned into an error, so that encoding/json reads it instead of the rules or Verify stopping.
func fastDecode(data []byte, b *body) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("fast decode: %v", r)
		}
	}()
	return fastjson.Unmarshal(data, b)
}

// BodyVersion is the "v" field of every body this package writes.
const BodyVersion = 1

// body is the canonical form of an entry: the JSON object the log stores in its body column
// and the MAC covers. Every field is always present (no omitempty), so the store's generated
// columns read ” rather than NULL. Short keys keep rows small at millions of rows.
type body struct {
	V           int               `json:"v"`
	ID          string            `json:"id"`
	Time        int64             `json:"t"` // Unix ms, UTC
	Action      string            `json:"a"`
	Outcome     string            `json:"o"`
	Workstation string            `json:"ws"`
	ODSCode     string            `json:"ods"`
	UserID      string            `json:"uid"`
	UserName    string            `json:"un"`
	URID        string            `json:"urid"`
	RoleCode    string            `json:"rc"`
	NHSNumber   string            `json:"nhs"`
	Reason      string            `json:"r"`
	RequestIDs  []string          `json:"rq"`
	Detail      map[string]string `json:"d"`
}

// Encode returns the canonical form of e (everything but Seq and MAC): a JSON object with a
// fixed key order, sorted detail keys, and Go's escaping. The same entry always encodes to the
// same bytes; the MAC covers these bytes exactly as stored, so verification never re-encodes.
func Encode(e Entry) []byte {
	b := body{V: BodyVersion, ID: e.ID, Time: e.Time.UnixMilli(), Action: string(e.Action),
		Outcome: string(e.Outcome), Workstation: e.Workstation, ODSCode: e.ODSCode,
		UserID: e.UserID, UserName: e.UserName, URID: e.URID, RoleCode: e.RoleCode,
		NHSNumber: e.NHSNumber, Reason: e.Reason, RequestIDs: e.RequestIDs, Detail: e.Detail}
	if b.RequestIDs == nil {
		b.RequestIDs = []string{}
	}
	if b.Detail == nil {
		b.Detail = map[string]string{}
	}
	out, err := json.Marshal(b)
	if err != nil {
		panic("audit: encode: " + err.Error()) // strings, ints, a string map: cannot fail
	}
	return out
}

// Decode reads a stored row back into an Entry. The body comes from outside the program (the
// database file), so anything may be in it: an error says it is not a body this package wrote.
//
// Bodies are read with github.com/goccy/go-json, about four times encoding/json's speed (the
// rules' backfill and Verify read every row of the log); a body it refuses, or one that is not
// valid UTF-8, is read again with encoding/json, whose answer (and error) then stands.
// FuzzDecode checks that the two agree on whatever encoding/json accepts.
func Decode(seq int64, data, mac []byte) (Entry, error) {
	var b body
	if !utf8.Valid(data) || fastDecode(data, &b) != nil || b.V != BodyVersion {
		b = body{}
		if err := json.Unmarshal(data, &b); err != nil {
			return Entry{Seq: seq, MAC: append([]byte(nil), mac...)}, fmt.Errorf("audit row %d: %w", seq, err)
		}
	}
	if b.V != BodyVersion {
		return Entry{Seq: seq}, fmt.Errorf("audit row %d: unknown body version %d", seq, b.V)
	}
	e := Entry{Seq: seq, ID: b.ID, Time: time.UnixMilli(b.Time).UTC(), MAC: append([]byte(nil), mac...),
		Event: Event{Action: Action(b.Action), Outcome: Outcome(b.Outcome),
			Workstation: b.Workstation, ODSCode: b.ODSCode, UserID: b.UserID, UserName: b.UserName,
			URID: b.URID, RoleCode: b.RoleCode, NHSNumber: b.NHSNumber, Reason: b.Reason}}
	if len(b.RequestIDs) > 0 {
		e.RequestIDs = b.RequestIDs
	}
	if len(b.Detail) > 0 {
		e.Detail = b.Detail
	}
	return e, nil
}
