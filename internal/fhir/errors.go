package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"

	"scrdesk/internal/usermsg"
)

// ErrorKind says what went wrong with a call to the national services, in terms a caller can
// branch on. Its value is a short, log-safe slug.
type ErrorKind string

// Error kinds.
const (
	InvalidNHSNumber ErrorKind = "invalid-nhs-number"
	NotFound         ErrorKind = "not-found"
	Merged           ErrorKind = "merged"
	AccessDenied     ErrorKind = "access-denied"
	TooManyMatches   ErrorKind = "too-many-matches"
	SignedOut        ErrorKind = "signed-out"
	Unavailable      ErrorKind = "unavailable"
	Timeout          ErrorKind = "timeout"
	TooLarge         ErrorKind = "too-large"
	Malformed        ErrorKind = "malformed"
	BadRequest       ErrorKind = "bad-request"
	RateLimited      ErrorKind = "rate-limited"
	// Redirected: the server answered with a redirect, which is never followed (it would carry
	// the bearer token elsewhere). Code names the hosts ("from -> to").
	Redirected ErrorKind = "redirected"
	// Untrusted: the server's TLS certificate does not chain to a root this workstation trusts.
	Untrusted ErrorKind = "untrusted-certificate"
)

// SpineError is a typed failure of a national-service call. It carries no patient data, so
// Error() is safe to log. Compare kinds with errors.Is(err, &SpineError{Kind: NotFound}).
type SpineError struct {
	Kind ErrorKind
	// Code is the Spine code: a Spine-ErrorOrWarningCode (e.g. "INVALID_RESOURCE_ID"), a PSIS
	// code (e.g. "PSIS-30418"), or an OperationOutcome issue code when nothing finer was given.
	Code       string
	HTTPStatus int
	// IncidentID ties what the person sees to the detail in the log.
	IncidentID string
	// MergedInto is the NHS number a merged record now lives under (Kind == Merged).
	MergedInto string
	// OtherNHS is the NHS number a WrongPatient answer named instead ("" when it named none).
	// It is patient data: Error() never prints it; the audit row records it.
	OtherNHS string
	// Err is the underlying transport or decoding error, if any.
	Err error
}

// Error describes the failure without patient data.
func (e *SpineError) Error() string {
	var b strings.Builder
	b.WriteString("spine: ")
	b.WriteString(string(e.Kind))
	if e.Code != "" {
		b.WriteString(" (" + e.Code + ")")
	}
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, " http %d", e.HTTPStatus)
	}
	if e.IncidentID != "" {
		b.WriteString(" incident " + e.IncidentID)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *SpineError) Unwrap() error { return e.Err }

// Is matches another *SpineError of the same Kind (and the same Code when target sets one).
func (e *SpineError) Is(target error) bool {
	t, ok := target.(*SpineError)
	if !ok {
		return false
	}
	return t.Kind == e.Kind && (t.Code == "" || t.Code == e.Code)
}

// UserMessage is the sentence shown to the person for e (usermsg.Error): what happened and what
// to do, with the Spine's incident reference when it gave one.
func (e *SpineError) UserMessage() string {
	msg := kindMessage(e)
	if e.Kind == WrongPatient {
		if e.IncidentID != "" {
			return strings.TrimSuffix(msg, ".") + " (reference " + e.IncidentID + ")."
		}
		return msg
	}
	if e.IncidentID != "" {
		msg += " (Incident " + e.IncidentID + ".)"
	}
	return msg
}

// Retryable reports whether a read that failed this way may be retried.
func (e *SpineError) Retryable() bool {
	return e.Kind == RateLimited || (e.Kind == Unavailable && e.HTTPStatus == 503)
}

var psisRE = regexp.MustCompile(`PSIS-(\d+)`)

// spineCodes maps Spine-ErrorOrWarningCode values to kinds.
var spineCodes = map[string]ErrorKind{
	"INVALID_RESOURCE_ID":       InvalidNHSNumber,
	"INVALID_NHS_NUMBER":        InvalidNHSNumber,
	"RESOURCE_NOT_FOUND":        NotFound,
	"PATIENT_NOT_FOUND":         NotFound,
	"INVALIDATED_RESOURCE":      NotFound,
	"NO_RECORD_FOUND":           NotFound,
	"ACCESS_DENIED":             AccessDenied,
	"FORBIDDEN_UPDATE":          AccessDenied,
	"TOO_MANY_MATCHES":          TooManyMatches,
	"MISSING_VALUE":             BadRequest,
	"INVALID_VALUE":             BadRequest,
	"INVALID_SEARCH_DATA":       BadRequest,
	"ADDITIONAL_PROPERTIES":     BadRequest,
	"INVALID_METHOD":            BadRequest,
	"NOT_SUPPORTED_SEARCH":      BadRequest,
	"UNSUPPORTED_SERVICE":       BadRequest,
	"TOO_FEW_VALUES_SUBMITTED":  BadRequest,
	"TOO_MANY_VALUES_SUBMITTED": BadRequest,
	"SERVICE_UNAVAILABLE":       Unavailable,
	"TIMEOUT":                   Timeout,
}

// issueCodes maps FHIR issue-type codes (http://hl7.org/fhir/issue-type) to kinds.
var issueCodes = map[string]ErrorKind{
	"forbidden":        AccessDenied,
	"security":         AccessDenied,
	"login":            SignedOut,
	"expired":          SignedOut,
	"not-found":        NotFound,
	"multiple-matches": TooManyMatches,
	"throttled":        RateLimited,
	"timeout":          Timeout,
	"transient":        Unavailable,
	"too-costly":       TooLarge,
	"structure":        BadRequest,
	"required":         BadRequest,
	"value":            BadRequest,
	"invalid":          BadRequest,
	"not-supported":    BadRequest,
	"processing":       BadRequest,
}

// OutcomeError maps an HTTP status and response body (an OperationOutcome, HTML, or anything)
// to a *SpineError. It never fails: an unreadable body falls back to the status. A 200 carrying
// an OperationOutcome with an error or TOO_MANY_MATCHES issue maps too; a 2xx body that is not
// an OperationOutcome returns nil.
func OutcomeError(status int, body []byte) *SpineError {
	var oo OperationOutcome
	isOO := json.Unmarshal(body, &oo) == nil &&
		(oo.ResourceType == "OperationOutcome" || (oo.ResourceType == "" && len(oo.Issue) > 0))
	e := &SpineError{HTTPStatus: status}
	if isOO {
		var sev string
		e.Kind, e.Code, sev = fromIssues(oo.Issue)
		if status >= 200 && status < 300 && e.Kind != TooManyMatches && sev != "error" && sev != "fatal" {
			return nil
		}
	}
	// The HTTP status decides first; the Spine's code only refines within what the status
	// allows. A 5xx is the service's failure whatever code it carries (never "that NHS number
	// is not valid"); a 401 is always signed out; a 403 always refused.
	code := e.Kind
	switch {
	case status >= 200 && status < 300:
		if !isOO || e.Kind == "" {
			return nil
		}
	case status == 401:
		e.Kind = SignedOut
	case status == 403:
		e.Kind = AccessDenied
	case status == 429:
		e.Kind = RateLimited
	case status == 408 || status == 504:
		e.Kind = Timeout
	case status == 413:
		e.Kind = TooLarge
	case status >= 500:
		e.Kind = Unavailable
		if code == Timeout {
			e.Kind = Timeout
		}
	case status == 404 || status == 410:
		e.Kind = NotFound
		if code == InvalidNHSNumber {
			e.Kind = InvalidNHSNumber
		}
	case status >= 400:
		e.Kind = BadRequest
		switch code {
		case InvalidNHSNumber, TooManyMatches, NotFound, AccessDenied:
			e.Kind = code
		}
	case e.Kind == "":
		e.Kind = Unavailable // 1xx, 3xx, or no status: the answer was not one we can use
	}
	return e
}

// fromIssues picks the most telling issue: a Spine coding, then a PSIS code in the text, then
// the FHIR issue code. It returns the kind, the code and the chosen issue's severity.
func fromIssues(issues []OutcomeIssue) (kind ErrorKind, code, severity string) {
	for _, is := range issues {
		if is.Details != nil {
			for _, c := range is.Details.Coding {
				if k, ok := spineCodes[c.Code]; ok {
					return k, c.Code, is.Severity
				}
			}
			if m := psisRE.FindAllStringSubmatch(is.Details.Text, -1); len(m) > 0 {
				p := m[len(m)-1][1]
				switch p {
				case "30418", "420":
					return AccessDenied, "PSIS-" + p, is.Severity
				case "35160":
					return InvalidNHSNumber, "PSIS-" + p, is.Severity
				}
				if kind == "" {
					kind, code, severity = BadRequest, "PSIS-"+p, is.Severity
				}
			}
		}
		if k, ok := issueCodes[is.Code]; ok && kind == "" {
			kind, code, severity = k, is.Code, is.Severity
		}
	}
	return kind, code, severity
}

// UserMessage says in plain English what happened and what to do. It accepts any error; for
// errors it does not know it gives a general message. Safe to show: no patient data.
func UserMessage(err error) string {
	if err == nil {
		return ""
	}
	var se *SpineError
	if errors.As(err, &se) {
		return se.UserMessage()
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return (&SpineError{Kind: Timeout}).UserMessage()
	case errors.Is(err, context.Canceled):
		return "The request was cancelled."
	case errors.As(err, &ne):
		return (&SpineError{Kind: Unavailable}).UserMessage()
	}
	return usermsg.Of(err, "Something went wrong talking to the national services. Try again; if it keeps happening, call IT support.")
}

func kindMessage(se *SpineError) string {
	switch se.Kind {
	case InvalidNHSNumber:
		return "That NHS number is not valid. Check the ten digits with the patient and try again."
	case NotFound:
		if se.Code == "STALE_SCR_ID" {
			return "The Spine said this patient has a Summary Care Record but could not supply it, even after a second look: its pointer to the record is out of date. Try again in a few minutes; if it goes on, call IT support."
		}
		return "No patient or record was found. Check the details with the patient and search again."
	case Merged:
		if se.MergedInto != "" {
			return "This patient's record has been merged into NHS number " + formatNHS(se.MergedInto) + ". Use that number from now on."
		}
		return "This patient's record has been merged into another NHS number. Search again to find it."
	case AccessDenied:
		if se.Code == "invalid_grant" {
			return "The identity service did not accept your smartcard. Check it is your card and in date; if this goes on, contact your Registration Authority."
		}
		return "The Spine refused access to this record. Check you have picked the right role; if you believe you should have access, contact your Registration Authority."
	case TooManyMatches:
		return "Too many patients match. Add more details (date of birth, postcode, gender) to narrow the search."
	case SignedOut:
		return "You have been signed out of the national services. Remove and re-insert your smartcard and sign in again."
	case Unavailable:
		return "The national service is not available just now. Try again in a few minutes; if it goes on, call IT support."
	case Timeout:
		return "The national service took too long to answer. Try again."
	case TooLarge:
		return "The national service sent an answer too large to show safely. Call IT support."
	case Malformed:
		return "The national service sent an answer SCR Desk could not read. Try again; if it keeps happening, call IT support."
	case WrongPatient:
		return "The Spine sent a record for a different patient, so nothing is shown. Tell IT support."
	case RateLimited:
		return "The national service is busy. Wait a few seconds and try again."
	case Redirected:
		return "The national service answered by sending SCR Desk to another address (" + se.Code + "). SCR Desk never follows such a redirect, so nothing was sent there. Call IT support."
	case Untrusted:
		return "The national service's certificate is not trusted by this workstation: call IT support."
	case BadRequest:
		return "The national service could not accept the request. Check the details entered and try again; if it keeps happening, call IT support."
	}
	return "Something went wrong talking to the national services. Try again; if it keeps happening, call IT support."
}

func formatNHS(s string) string {
	if len(s) != 10 {
		return s
	}
	return s[:3] + " " + s[3:6] + " " + s[6:]
}
