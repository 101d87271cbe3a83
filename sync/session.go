package sync

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"github.com/google/uuid"

	"scrdesk/internal/fhir"
	"scrdesk/internal/nhsnumber"
	"scrdesk/internal/staff"
)

// GrantTypeJWTBearer is the RFC 7523 authorization grant.
const GrantTypeJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// assertionLife is how long a sign-in assertion is valid.
const assertionLife = 4 * time.Minute

// Signer is the smartcard: its certificate and its ECDSA P-256 key.
type Signer interface {
	// Certificate returns the card's certificate (subject serialNumber = 12-digit user id).
	Certificate() *x509.Certificate
	// Sign signs a SHA-256 digest and returns a DER ECDSA signature (the card's answer).
	Sign(digest []byte) ([]byte, error)
}

// tokenBox holds a session's access token; shared by a Session and its WithRole copies.
type tokenBox struct {
	mu      gosync.Mutex
	tok     []byte
	expires time.Time
}

// Session is a signed-in user's link with the services. The token lives in memory only;
// Close wipes it. Safe for concurrent use.
type Session struct {
	c      *Client
	box    *tokenBox
	userID string
	urid   string
}

// SignIn obtains an access token with the RFC 7523 JWT-bearer grant: an assertion with iss and
// sub = userID, aud = the token endpoint, a short exp and a fresh jti, signed ES256 by the card
// with its certificate in the x5c header (RFC 7515 section 4.1.6). It is not retried. It is
// Assert then Exchange; the counter's sign-in calls them apart, so that the card signs inside
// its passcode transaction and the network wait happens after the card was let go.
func (c *Client) SignIn(ctx context.Context, userID string, s Signer) (*Session, error) {
	a, err := c.Assert(userID, s)
	if err != nil {
		return nil, err
	}
	return c.Exchange(ctx, a)
}

// Assertion is a signed sign-in assertion, ready for Exchange. It is valid for a few minutes.
type Assertion struct {
	userID string
	jwt    string
}

// Assert has the card sign a fresh sign-in assertion for userID (no network).
func (c *Client) Assert(userID string, s Signer) (Assertion, error) {
	cert := s.Certificate()
	if cert == nil || cert.Subject.SerialNumber != userID {
		return Assertion{}, errors.New("sign in: the card's certificate is not this user's")
	}
	tokenURL := c.cfg.IdentityURL + "/token"
	now := c.cfg.Now()
	hdr, _ := json.Marshal(map[string]any{"alg": "ES256", "typ": "JWT",
		"x5c": []string{base64.StdEncoding.EncodeToString(cert.Raw)}})
	claims, _ := json.Marshal(map[string]any{"iss": userID, "sub": userID, "aud": tokenURL,
		"iat": now.Unix(), "exp": now.Add(assertionLife).Unix(), "jti": uuid.NewString()})
	input := base64.RawURLEncoding.EncodeToString(hdr) + "." + base64.RawURLEncoding.EncodeToString(claims)
	digest := sha256.Sum256([]byte(input))
	der, err := s.Sign(digest[:])
	if err != nil {
		return Assertion{}, fmt.Errorf("sign in: card signature: %w", err)
	}
	raw, err := derToJOSE(der)
	if err != nil {
		return Assertion{}, fmt.Errorf("sign in: %w", err)
	}
	return Assertion{userID: userID, jwt: input + "." + base64.RawURLEncoding.EncodeToString(raw)}, nil
}

// Exchange sends a signed assertion to the token endpoint and returns the signed-in link.
func (c *Client) Exchange(ctx context.Context, a Assertion) (*Session, error) {
	if a.jwt == "" {
		return nil, errors.New("sign in: no signed assertion")
	}
	tokenURL := c.cfg.IdentityURL + "/token"
	now := c.cfg.Now()
	form := url.Values{"grant_type": {GrantTypeJWTBearer}, "assertion": {a.jwt}}
	cl := call{method: "POST", url: tokenURL, resource: "token", body: []byte(form.Encode()),
		ctype: "application/x-www-form-urlencoded"}
	var tr Trace
	body, _, err := c.do(ctx, cl, &tr)
	if err != nil {
		var se *fhir.SpineError
		if errors.As(err, &se) && se.HTTPStatus == 400 {
			se.Kind, se.Code = fhir.AccessDenied, "invalid_grant"
		}
		return nil, err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" || !strings.EqualFold(tok.TokenType, "Bearer") {
		return nil, c.decodeErr(cl, &fhir.SpineError{Kind: fhir.Malformed, Code: "token"})
	}
	exp := now.Add(time.Duration(tok.ExpiresIn) * time.Second)
	if tok.ExpiresIn <= 0 {
		exp = now.Add(10 * time.Minute)
	}
	c.log.Info("signed in to the identity service", "expires_in_s", tok.ExpiresIn)
	return &Session{c: c, box: &tokenBox{tok: []byte(tok.AccessToken), expires: exp}, userID: a.userID}, nil
}

// derToJOSE converts a DER ECDSA signature to JWS's fixed 64-byte r||s (RFC 7518 section 3.4).
func derToJOSE(der []byte) ([]byte, error) {
	var sig struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &sig)
	if err != nil || len(rest) != 0 || sig.R == nil || sig.S == nil || sig.R.Sign() <= 0 || sig.S.Sign() <= 0 ||
		sig.R.BitLen() > 256 || sig.S.BitLen() > 256 {
		return nil, errors.New("card signature is not a P-256 DER ECDSA signature")
	}
	out := make([]byte, 64)
	sig.R.FillBytes(out[:32])
	sig.S.FillBytes(out[32:])
	return out, nil
}

// check wipes the token when the services say the session is over, so later calls fail fast.
func (s *Session) check(err error) error {
	var se *fhir.SpineError
	if errors.As(err, &se) && se.Kind == fhir.SignedOut && se.HTTPStatus == 401 {
		s.Close()
	}
	return err
}

// UserID returns the signed-in user's id.
func (s *Session) UserID() string { return s.userID }

// URID returns the role set by WithRole, or "".
func (s *Session) URID() string { return s.urid }

// WithRole returns a Session sending urid as NHSD-Session-URID. It shares the token: closing
// either closes both.
func (s *Session) WithRole(urid string) *Session {
	return &Session{c: s.c, box: s.box, userID: s.userID, urid: urid}
}

// Close wipes the access token. Every later call fails with SignedOut. Safe to call twice.
func (s *Session) Close() {
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	for i := range s.box.tok {
		s.box.tok[i] = 0
	}
	s.box.tok = nil
}

// bearer returns the live token, or a SignedOut error.
func (s *Session) bearer() (string, error) {
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	if s.box.tok == nil {
		return "", &fhir.SpineError{Kind: fhir.SignedOut, Code: "SESSION_CLOSED"}
	}
	if !s.c.cfg.Now().Before(s.box.expires) {
		return "", &fhir.SpineError{Kind: fhir.SignedOut, Code: "TOKEN_EXPIRED"}
	}
	return string(s.box.tok), nil
}

func (s *Session) fhirCall(method, base, path, resource string, q url.Values) (call, error) {
	tok, err := s.bearer()
	if err != nil {
		return call{}, err
	}
	u := s.c.cfg.BaseURL + base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return call{method: method, url: u, resource: resource, read: method == "GET", fhir: true,
		bearer: tok, token: s.bearer, urid: s.urid, scr: base == SCRPath}, nil
}

// UserInfo returns the user's roles from the identity service's userinfo (nhsid_nrbac_roles).
// Zero roles is an empty slice, not an error.
func (s *Session) UserInfo(ctx context.Context) ([]staff.Role, error) {
	tok, err := s.bearer()
	if err != nil {
		return nil, err
	}
	cl := call{method: "GET", url: s.c.cfg.IdentityURL + "/userinfo", resource: "userinfo", read: true, bearer: tok, token: s.bearer}
	var tr Trace
	body, _, err := s.c.do(ctx, cl, &tr)
	if err != nil {
		return nil, s.check(err)
	}
	return decodeUserInfo(body, func(e error) error { return s.c.decodeErr(cl, e) })
}

func decodeUserInfo(body []byte, wrap func(error) error) ([]staff.Role, error) {
	var ui struct {
		Roles []struct {
			PersonRoleID  string   `json:"person_roleid"`
			OrgCode       string   `json:"org_code"`
			OrgName       string   `json:"org_name"`
			RoleCode      string   `json:"role_code"`
			RoleName      string   `json:"role_name"`
			ActivityCodes []string `json:"activity_codes"`
		} `json:"nhsid_nrbac_roles"`
		Orgs []struct {
			OrgCode string `json:"org_code"`
			OrgName string `json:"org_name"`
		} `json:"nhsid_user_orgs"`
	}
	if err := json.Unmarshal(body, &ui); err != nil {
		return nil, wrap(&fhir.SpineError{Kind: fhir.Malformed, Code: "userinfo"})
	}
	orgs := map[string]string{}
	for _, o := range ui.Orgs {
		orgs[o.OrgCode] = o.OrgName
	}
	roles := []staff.Role{}
	for _, r := range ui.Roles {
		if r.PersonRoleID == "" {
			continue
		}
		name := r.OrgName
		if name == "" {
			name = orgs[r.OrgCode]
		}
		roles = append(roles, staff.Role{URID: r.PersonRoleID, OrgCode: r.OrgCode, OrgName: name,
			RoleCode: r.RoleCode, RoleName: r.RoleName, Activities: append([]string{}, r.ActivityCodes...)})
	}
	return roles, nil
}

func invalidNHS() error {
	return &fhir.SpineError{Kind: fhir.InvalidNHSNumber, Code: "LOCAL_CHECK"}
}

// Patient reads a patient from PDS (GET /Patient/{nhs}). A merged number answers with the
// current record: the Patient's RequestedNHSNumber then differs from NHSNumber (Patient.Merged).
func (s *Session) Patient(ctx context.Context, nhs string) (*fhir.Patient, Trace, error) {
	var tr Trace
	n, err := nhsnumber.Normalize(nhs)
	if err != nil {
		return nil, tr, invalidNHS()
	}
	cl, err := s.fhirCall("GET", PDSPath, "/Patient/"+n, "Patient", nil)
	if err != nil {
		return nil, tr, err
	}
	body, _, err := s.c.do(ctx, cl, &tr)
	if err != nil {
		return nil, tr, s.check(err)
	}
	p, err := fhir.DecodePatient(body, n)
	if err != nil {
		return nil, tr, s.c.decodeErr(cl, err)
	}
	if p.Merged() {
		s.c.log.Info("pds answered with a merged record", "requested", nhsnumber.Mask(n), "current", nhsnumber.Mask(p.NHSNumber))
	}
	return p, tr, nil
}

// PatientQuery is a PDS search. Family or BirthDate is required.
type PatientQuery struct {
	Family, Given string
	Gender        string // male, female, other, unknown
	BirthDate     string // YYYY-MM-DD
	Postcode      string
	Fuzzy         bool
	Exact         bool
	MaxResults    int // 1-50; 0 leaves PDS's default
}

// Search searches PDS (GET /Patient?...). Too many matches is a TooManyMatches error; none is
// an empty slice.
func (s *Session) Search(ctx context.Context, q PatientQuery) ([]fhir.Patient, Trace, error) {
	var tr Trace
	v := url.Values{}
	set := func(k, val string) {
		if val = strings.TrimSpace(val); val != "" {
			v.Set(k, val)
		}
	}
	set("family", q.Family)
	set("given", q.Given)
	set("gender", q.Gender)
	if q.BirthDate != "" {
		set("birthdate", "eq"+q.BirthDate)
	}
	set("address-postalcode", q.Postcode)
	if q.Fuzzy {
		v.Set("_fuzzy-match", "true")
	}
	if q.Exact {
		v.Set("_exact-match", "true")
	}
	if q.MaxResults > 0 {
		v.Set("_max-results", strconv.Itoa(q.MaxResults))
	}
	cl, err := s.fhirCall("GET", PDSPath, "/Patient", "Patient", v)
	if err != nil {
		return nil, tr, err
	}
	body, _, err := s.c.do(ctx, cl, &tr)
	if err != nil {
		return nil, tr, s.check(err)
	}
	ps, err := fhir.DecodePatientSearch(body)
	if err != nil {
		return nil, tr, s.c.decodeErr(cl, err)
	}
	return ps, tr, nil
}

func subject(nhs string) string { return fhir.SystemNHSNumber + "|" + nhs }

// SCRDocument finds the patient's latest SCR (GET /DocumentReference). A nil document with a
// nil error means the patient has no SCR.
func (s *Session) SCRDocument(ctx context.Context, nhs string) (*fhir.SCRDocument, Trace, error) {
	var tr Trace
	n, err := nhsnumber.Normalize(nhs)
	if err != nil {
		return nil, tr, invalidNHS()
	}
	cl, err := s.fhirCall("GET", SCRPath, "/DocumentReference", "DocumentReference", url.Values{"patient": {subject(n)}})
	if err != nil {
		return nil, tr, err
	}
	body, _, err := s.c.do(ctx, cl, &tr)
	if err != nil {
		return nil, tr, s.check(err)
	}
	d, err := fhir.DecodeDocumentReference(body)
	if err == nil {
		// The same patient throughout: a DocumentReference about anyone else is refused whole.
		err = fhir.CheckDocumentSubject(n, d)
	}
	if err != nil {
		return nil, tr, s.c.decodeErr(cl, err)
	}
	return d, tr, nil
}

// SCRRecord fetches the record doc points to (GET /Bundle). Always ask SCRDocument first: a
// stale id answers an empty Bundle, returned as NotFound.
func (s *Session) SCRRecord(ctx context.Context, doc *fhir.SCRDocument, nhs string) (*fhir.Record, Trace, error) {
	var tr Trace
	if doc == nil || doc.ID == "" {
		return nil, tr, &fhir.SpineError{Kind: fhir.NotFound, Code: "NO_RECORD_FOUND"}
	}
	n, err := nhsnumber.Normalize(nhs)
	if err != nil {
		return nil, tr, invalidNHS()
	}
	cl, err := s.fhirCall("GET", SCRPath, "/Bundle", "Bundle", url.Values{
		"composition.identifier":                 {doc.ID},
		"composition.subject:Patient.identifier": {subject(n)}})
	if err != nil {
		return nil, tr, err
	}
	body, _, err := s.c.do(ctx, cl, &tr)
	if err != nil {
		return nil, tr, s.check(err)
	}
	r, err := fhir.DecodeRecord(body)
	if err == nil {
		// The Composition and every Patient in the Bundle must be the patient asked for.
		err = fhir.CheckRecordSubject(n, r)
	}
	if err != nil {
		return nil, tr, s.c.decodeErr(cl, err)
	}
	return r, tr, nil
}

// StaleSCR is the Code of the NotFound error LatestRecord gives when the Spine's pointer to the
// record still leads to an empty Bundle after one fresh look.
const StaleSCR = "STALE_SCR_ID"

// LatestRecord finds the patient's latest SCR and fetches it: GET /DocumentReference, then
// GET /Bundle. When the Bundle is empty (a stale SCR id), it asks /DocumentReference once more
// and tries the id it then gives; if that is still empty the error is NotFound with Code
// StaleSCR, which says so. doc is nil when the patient has no SCR. The Trace holds every
// request id sent. Subjects are checked on every answer (CheckDocumentSubject,
// CheckRecordSubject).
func (s *Session) LatestRecord(ctx context.Context, nhs string) (*fhir.SCRDocument, *fhir.Record, Trace, error) {
	var all Trace
	for try := 0; ; try++ {
		doc, tr, err := s.SCRDocument(ctx, nhs)
		all.RequestIDs = append(all.RequestIDs, tr.RequestIDs...)
		if err != nil || doc == nil {
			return doc, nil, all, err
		}
		rec, tr, err := s.SCRRecord(ctx, doc, nhs)
		all.RequestIDs = append(all.RequestIDs, tr.RequestIDs...)
		if !errors.Is(err, &fhir.SpineError{Kind: fhir.NotFound, Code: "NO_RECORD_FOUND"}) {
			return doc, rec, all, err
		}
		if try == 1 {
			return doc, nil, all, &fhir.SpineError{Kind: fhir.NotFound, Code: StaleSCR, IncidentID: newIncident()}
		}
	}
}

// raCategory is the search parameter for the National Reasonable Adjustments Flag category.
var raCategory = fhir.SystemRACategory + "|" + fhir.RACategoryNRAF

// raGet sends GET {RAPath}/{resource} for the patient nhs, with the same headers as the SCR
// calls (request id, bearer token, URID), and returns the body.
func (s *Session) raGet(ctx context.Context, resource, nhs string, q url.Values, tr *Trace) ([]byte, call, error) {
	n, err := nhsnumber.Normalize(nhs)
	if err != nil {
		return nil, call{}, invalidNHS()
	}
	q.Set("patient", n)
	cl, err := s.fhirCall("GET", RAPath, "/"+resource, resource, q)
	if err != nil {
		return nil, cl, err
	}
	body, _, err := s.c.do(ctx, cl, tr)
	if err != nil {
		return nil, cl, s.check(err)
	}
	return body, cl, nil
}

// Adjustments reads the patient's active reasonable adjustments (Reasonable Adjustment Flag
// API, GET /Flag?patient=&category=...|NRAF&status=active). None recorded is an empty slice.
// Every Flag must be about nhs (fhir.DecodeFlags). A failure here must never block the SCR:
// callers show it beside the record, not instead of it.
func (s *Session) Adjustments(ctx context.Context, nhs string) ([]fhir.Adjustment, Trace, error) {
	var tr Trace
	body, cl, err := s.raGet(ctx, "Flag", nhs, url.Values{"category": {raCategory}, "status": {"active"}}, &tr)
	if err != nil {
		return nil, tr, err
	}
	n, _ := nhsnumber.Normalize(nhs)
	a, err := fhir.DecodeFlags(body, n)
	if err != nil {
		return nil, tr, s.c.decodeErr(cl, err)
	}
	return a, tr, nil
}

// AdjustmentConsent reads whether the patient consented to their reasonable adjustments being
// recorded (GET /Consent?patient=&category=...|NRAF&status=active).
func (s *Session) AdjustmentConsent(ctx context.Context, nhs string) (bool, Trace, error) {
	var tr Trace
	body, cl, err := s.raGet(ctx, "Consent", nhs, url.Values{"category": {raCategory}, "status": {"active"}}, &tr)
	if err != nil {
		return false, tr, err
	}
	n, _ := nhsnumber.Normalize(nhs)
	ok, err := fhir.DecodeRAConsent(body, n)
	if err != nil {
		return false, tr, s.c.decodeErr(cl, err)
	}
	return ok, tr, nil
}

// AdjustmentConditions reads the underlying conditions behind the adjustments
// (GET /List?patient=&status=active&code=http://snomed.info/sct|1094391000000102).
func (s *Session) AdjustmentConditions(ctx context.Context, nhs string) ([]string, Trace, error) {
	var tr Trace
	body, cl, err := s.raGet(ctx, "List", nhs, url.Values{"status": {"active"}, "code": {"http://snomed.info/sct|1094391000000102"}}, &tr)
	if err != nil {
		return nil, tr, err
	}
	n, _ := nhsnumber.Normalize(nhs)
	c, err := fhir.DecodeRAConditions(body, n)
	if err != nil {
		return nil, tr, s.c.decodeErr(cl, err)
	}
	return c, tr, nil
}
