package sandbox

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"scrdesk/internal/fhir"
	"scrdesk/internal/nhsnumber"
	"scrdesk/internal/staff"
)

// Base paths of the services, as published.
const (
	PDSBase      = "/personal-demographics/FHIR/R4"
	SCRBase      = "/summary-care-record/FHIR/R4"
	RABase       = "/reasonable-adjustment-flag/FHIR/STU3"
	TokenPath    = "/oauth2/token"
	UserInfoPath = "/oauth2/userinfo"
)

// Options configure a Server.
type Options struct {
	// TrustAnchors are the roots a card certificate must chain to. Nil trusts nothing: every
	// sign-in is refused.
	TrustAnchors *x509.CertPool
	// Users maps 12-digit user ids to their roles. Nil means staff.DemoRoles().
	Users map[string][]staff.Role
	// Log receives one line per request (method, path, status, masked ids). Nil discards.
	Log *slog.Logger
	// Now is the clock for token expiry, certificate validity and the rate limit. Nil is time.Now.
	Now func() time.Time
	// TokenTTL is how long an access token lives; zero means 10 minutes.
	TokenTTL time.Duration
	// SCRPerSecond is the SCR rate limit; zero means 5, negative disables it.
	SCRPerSecond int
}

// Server is the built-in sandbox Spine. Create it with New.
type Server struct {
	opts     Options
	mux      *http.ServeMux
	patients map[string]*patient

	mu       sync.Mutex
	faults   map[string]*Fault
	tokens   map[string]token
	requests []Request
	scrHits  []time.Time
	alerts   []fhir.AuditEventResource
}

type token struct {
	user    string
	expires time.Time
}

// Request is what the sandbox saw of one request, for tests. It holds no patient data.
type Request struct {
	Method, Resource, RequestID, CorrelationID, URID string
	// User is whose access token the request carried ("" when none, or not one this sandbox
	// issued): tests check every request goes out under the signed-in user's token.
	User   string
	Status int
	Fault  FaultKind
}

var (
	patientsOnce sync.Once
	patientsData map[string]*patient
	patientsErr  error
)

// New returns a sandbox Spine serving Options' users and trust anchors.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Users == nil {
		opts.Users = staff.DemoRoles()
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.TokenTTL == 0 {
		opts.TokenTTL = 10 * time.Minute
	}
	if opts.SCRPerSecond == 0 {
		opts.SCRPerSecond = 5
	}
	patientsOnce.Do(func() { patientsData, patientsErr = buildPatients() })
	if patientsErr != nil {
		panic(patientsErr) // embedded data is fixed at build time: a failure is a bug
	}
	s := &Server{opts: opts, patients: patientsData, faults: map[string]*Fault{}, tokens: map[string]token{}}
	m := http.NewServeMux()
	m.HandleFunc("POST "+TokenPath, s.handleToken)
	m.HandleFunc("GET "+UserInfoPath, s.handleUserInfo)
	m.HandleFunc("GET "+PDSBase+"/Patient/{id}", s.fhirHandler(false, s.handlePatient))
	m.HandleFunc("GET "+PDSBase+"/Patient", s.fhirHandler(false, s.handleSearch))
	m.HandleFunc("GET "+SCRBase+"/DocumentReference", s.fhirHandler(true, s.handleDocRef))
	m.HandleFunc("GET "+SCRBase+"/Bundle", s.fhirHandler(true, s.handleBundle))
	m.HandleFunc("POST "+SCRBase+"/AuditEvent", s.fhirHandler(true, s.handleAlert))
	m.HandleFunc("GET "+RABase+"/Flag", s.fhirHandler(false, s.handleRA("Flag")))
	m.HandleFunc("GET "+RABase+"/Consent", s.fhirHandler(false, s.handleRA("Consent")))
	m.HandleFunc("GET "+RABase+"/List", s.fhirHandler(false, s.handleRA("List")))
	s.mux = m
	return s
}

// resourceOf names a path's resource for faults and the request log.
func resourceOf(path string) string {
	switch path {
	case TokenPath:
		return "token"
	case UserInfoPath:
		return "userinfo"
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(path, PDSBase), SCRBase), RABase)
	rest = strings.TrimPrefix(rest, "/")
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (for the drop fault).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ServeHTTP answers one request. Safe for concurrent use.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	res := resourceOf(r.URL.Path)
	sw := &statusWriter{ResponseWriter: w}
	req := Request{Method: r.Method, Resource: res, RequestID: r.Header.Get("X-Request-ID"),
		CorrelationID: r.Header.Get("X-Correlation-ID"), URID: r.Header.Get("NHSD-Session-URID")}
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		s.mu.Lock()
		req.User = s.tokens[bearer].user
		s.mu.Unlock()
	}
	// Record on arrival, so a client that gave up still finds its request logged.
	s.mu.Lock()
	idx := len(s.requests)
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	defer func() {
		req.Status = sw.status
		s.mu.Lock()
		s.requests[idx] = req
		s.mu.Unlock()
		s.opts.Log.Debug("sandbox request", "method", r.Method, "resource", res, "status", sw.status,
			"request_id", req.RequestID, "fault", string(req.Fault))
	}()
	f := s.takeFault(res, r.Header.Get("X-Sandbox-Fault"))
	if f != nil {
		req.Fault = f.Kind
		if done := f.apply(r.Context(), sw, r); done {
			return
		}
	}
	s.mux.ServeHTTP(sw, r)
}

// Requests returns what the sandbox has seen so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Alerts returns the privacy alerts accepted so far.
func (s *Server) Alerts() []fhir.AuditEventResource {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]fhir.AuditEventResource(nil), s.alerts...)
}

// ExpireTokens makes every access token issued so far invalid, as if it had expired.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]token{}
}

// IssueToken issues an access token for userID without a card, for tests and demo wiring that
// bypass sign-in. The user must be known.
func (s *Server) IssueToken(userID string) (string, error) {
	if _, ok := s.opts.Users[userID]; !ok {
		return "", fmt.Errorf("sandbox: unknown user")
	}
	return s.newToken(userID), nil
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/fhir+json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func outcomeText(text string) []byte {
	b, _ := json.Marshal(fhir.OperationOutcome{ResourceType: "OperationOutcome",
		Issue: []fhir.OutcomeIssue{{Severity: "error", Code: "value", Details: &fhir.CodeableConcept{Text: text}}}})
	return b
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

type fhirCall struct {
	user string
}

// fhirHandler checks the headers the PDS and SCR APIs require, then the SCR rate limit.
func (s *Server) fhirHandler(isSCR bool, h func(http.ResponseWriter, *http.Request, fhirCall)) http.HandlerFunc {
	const fr = "personal-demographics/functional-test-responses/"
	return func(w http.ResponseWriter, r *http.Request) {
		ids := r.Header.Values("X-Request-ID")
		switch {
		case len(ids) == 0:
			writeJSON(w, 400, mustData(fr+"missing_x-request_id.json"))
			return
		case ids[0] == "":
			writeJSON(w, 400, mustData(fr+"empty_x-request_id.json"))
			return
		case !uuidRE.MatchString(ids[0]):
			writeJSON(w, 400, mustData(fr+"invalid_x-request_id.json"))
			return
		}
		auth := r.Header.Values("Authorization")
		if len(auth) == 0 {
			writeJSON(w, 401, mustData(fr+"missing_authorization_header.json"))
			return
		}
		bearer, ok := strings.CutPrefix(auth[0], "Bearer ")
		if !ok || strings.TrimSpace(bearer) == "" {
			writeJSON(w, 401, mustData(fr+"empty_authorization_header.json"))
			return
		}
		user, ok := s.tokenUser(bearer)
		if !ok {
			writeJSON(w, 401, mustData(fr+"invalid_access_token.json"))
			return
		}
		urids := r.Header.Values("NHSD-Session-URID")
		if len(urids) == 0 {
			writeJSON(w, 400, mustData(fr+"missing_urid_header.json"))
			return
		}
		if !s.userHasURID(user, urids[0]) {
			writeJSON(w, 400, mustData(fr+"invalid_urid_header.json"))
			return
		}
		if isSCR && !s.allowSCR() {
			w.Header().Set("Retry-After", "1")
			writeJSON(w, 429, throttledBody)
			return
		}
		h(w, r, fhirCall{user: user})
	}
}

var throttledBody = []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"throttled","details":{"coding":[{"system":"https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode","version":"1","code":"TOO_MANY_REQUESTS","display":"Too many requests"}]},"diagnostics":"You have exceeded your application's rate limit"}]}`)

func (s *Server) userHasURID(user, urid string) bool {
	for _, role := range s.opts.Users[user] {
		if role.URID == urid {
			return true
		}
	}
	return false
}

// allowSCR applies the SCR API's limit of SCRPerSecond requests in any one-second window.
func (s *Server) allowSCR() bool {
	if s.opts.SCRPerSecond < 0 {
		return true
	}
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := s.scrHits[:0]
	for _, t := range s.scrHits {
		if now.Sub(t) < time.Second {
			keep = append(keep, t)
		}
	}
	s.scrHits = keep
	if len(keep) >= s.opts.SCRPerSecond {
		return false
	}
	s.scrHits = append(s.scrHits, now)
	return true
}

func (s *Server) lookup(nhs string) *patient {
	p := s.patients[nhs]
	if p != nil && p.mergedInto != "" {
		return s.patients[p.mergedInto]
	}
	return p
}

func (s *Server) handlePatient(w http.ResponseWriter, r *http.Request, _ fhirCall) {
	const er = "personal-demographics/karate-stubs/errorResponses/"
	id := r.PathValue("id")
	if !nhsnumber.Valid(id) {
		writeJSON(w, 400, mustData(er+"INVALID_RESOURCE_ID.json"))
		return
	}
	p := s.lookup(id)
	if p == nil {
		writeJSON(w, 404, mustData(er+"RESOURCE_NOT_FOUND.json"))
		return
	}
	w.Header().Set("ETag", `W/"1"`)
	writeJSON(w, 200, p.raw)
}

func fold(s string) string {
	r := strings.NewReplacer("á", "a", "à", "a", "â", "a", "ä", "a", "é", "e", "è", "e", "ê", "e", "ë", "e",
		"í", "i", "î", "i", "ï", "i", "ó", "o", "ô", "o", "ö", "o", "ú", "u", "û", "u", "ü", "u",
		"ŵ", "w", "ŷ", "y", "ý", "y", "ñ", "n", "ç", "c")
	return r.Replace(strings.ToLower(strings.TrimSpace(s)))
}

// nameMatch compares as PDS does: exact (case-insensitive), a trailing * as a wildcard, and
// for fuzzy searches accent-insensitive prefixes.
func nameMatch(want, have string, fuzzy bool) bool {
	w, h := fold(want), fold(have)
	if p, ok := strings.CutSuffix(w, "*"); ok {
		return strings.HasPrefix(h, p)
	}
	if fuzzy {
		return h == w || (len(w) >= 2 && strings.HasPrefix(h, w))
	}
	return strings.EqualFold(strings.TrimSpace(want), strings.TrimSpace(have))
}

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request, _ fhirCall) {
	const er = "personal-demographics/karate-stubs/errorResponses/"
	q := r.URL.Query()
	family, given, gender := q.Get("family"), q.Get("given"), q.Get("gender")
	birth := strings.TrimPrefix(q.Get("birthdate"), "eq")
	postcode := strings.ReplaceAll(strings.ToUpper(q.Get("address-postalcode")), " ", "")
	fuzzy := q.Get("_fuzzy-match") == "true"
	max := 10
	if v := q.Get("_max-results"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50 {
			writeJSON(w, 400, mustData(er+"INVALID_SEARCH_DATA.json"))
			return
		}
		max = n
	}
	if family == "" && birth == "" {
		writeJSON(w, 400, mustData(er+"INVALID_SEARCH_DATA.json"))
		return
	}
	if birth != "" {
		if _, err := time.Parse("2006-01-02", birth); err != nil {
			writeJSON(w, 400, mustData(er+"INVALID_SEARCH_DATA.json"))
			return
		}
	}
	if strings.EqualFold(family, TooManyFamily) && birth == "" {
		writeJSON(w, 200, mustData("personal-demographics/functional-test-responses/too_many_matches.json"))
		return
	}
	var hits []*patient
	for _, p := range s.patients {
		if p.mergedInto != "" {
			continue
		}
		res := &p.res
		var n fhir.HumanName
		if len(res.Name) > 0 {
			n = res.Name[0]
		}
		if family != "" && !nameMatch(family, n.Family, fuzzy) {
			continue
		}
		if given != "" {
			ok := false
			for _, g := range n.Given {
				for _, part := range strings.Fields(g) {
					ok = ok || nameMatch(given, part, fuzzy) || nameMatch(given, g, fuzzy)
				}
			}
			if !ok {
				continue
			}
		}
		if gender != "" && gender != res.Gender {
			continue
		}
		if birth != "" && birth != res.BirthDate {
			continue
		}
		if postcode != "" {
			ok := false
			for _, a := range res.Address {
				pc := strings.ReplaceAll(strings.ToUpper(a.PostalCode), " ", "")
				ok = ok || pc == postcode || (fuzzy && len(postcode) >= 2 && strings.HasPrefix(pc, postcode))
			}
			if !ok {
				continue
			}
		}
		hits = append(hits, p)
	}
	if len(hits) > max {
		writeJSON(w, 200, mustData("personal-demographics/functional-test-responses/too_many_matches.json"))
		return
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].nhs < hits[j].nhs })
	total := len(hits)
	b := fhir.Bundle{ResourceType: "Bundle", Type: "searchset", Timestamp: s.opts.Now().UTC().Format(time.RFC3339), Total: &total}
	for _, p := range hits {
		score := 1.0
		if fuzzy {
			score = 0.75
		}
		b.Entry = append(b.Entry, fhir.BundleEntry{FullURL: "https://api.service.nhs.uk" + PDSBase + "/Patient/" + p.nhs,
			Search: &fhir.EntrySearch{Score: &score}, Resource: p.raw})
	}
	out, _ := marshal(b)
	writeJSON(w, 200, out)
}

// subjectNHS pulls the NHS number out of "https://fhir.nhs.uk/Id/nhs-number|{nhs}".
func subjectNHS(v string) (string, bool) {
	sys, nhs, ok := strings.Cut(v, "|")
	if !ok || sys != fhir.SystemNHSNumber || !nhsnumber.Valid(nhs) {
		return "", false
	}
	return nhs, true
}

func (s *Server) handleDocRef(w http.ResponseWriter, r *http.Request, _ fhirCall) {
	nhs, ok := subjectNHS(r.URL.Query().Get("patient"))
	if !ok {
		writeJSON(w, 400, mustData("summary-care-record/uat/set_acs/spine_error/1-nhsNumberNotFound.response.json"))
		return
	}
	p := s.lookup(nhs)
	if p == nil || p.scr == nil {
		writeJSON(w, 200, mustData("summary-care-record/uat/get_scr_id/no_results/1-basic.response.json"))
		return
	}
	if p.scr.denied {
		writeJSON(w, 403, mustData("summary-care-record/uat/get_scr_id/no_consent/1-basic.response.json"))
		return
	}
	writeJSON(w, 200, docRefBundle(p))
}

func (s *Server) handleBundle(w http.ResponseWriter, r *http.Request, _ fhirCall) {
	q := r.URL.Query()
	nhs, ok := subjectNHS(q.Get("composition.subject:Patient.identifier"))
	id := q.Get("composition.identifier")
	if !ok || id == "" {
		writeJSON(w, 400, outcomeText("Invalid request: composition.identifier and composition.subject:Patient.identifier are required"))
		return
	}
	p := s.lookup(nhs)
	if p == nil || p.scr == nil || p.scr.stale || !strings.EqualFold(id, p.scr.docID) {
		writeJSON(w, 200, mustData("summary-care-record/uat/get_scr/no_results/1-basic.response.json"))
		return
	}
	if p.scr.denied || p.scr.consent == "No" {
		writeJSON(w, 403, mustData("summary-care-record/uat/get_scr/no_consent/1-basic.response.json"))
		return
	}
	writeJSON(w, 200, p.scr.bundle)
}

func (s *Server) handleAlert(w http.ResponseWriter, r *http.Request, _ fhirCall) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeJSON(w, 400, outcomeText("Invalid request: unreadable body"))
		return
	}
	a, err := fhir.DecodeAuditEvent(body)
	if err != nil {
		writeJSON(w, 400, outcomeText("Invalid request: "+alertReason(err)))
		return
	}
	s.mu.Lock()
	s.alerts = append(s.alerts, *a)
	s.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
}

func alertReason(err error) string {
	var se *fhir.SpineError
	if e, ok := err.(*fhir.SpineError); ok {
		se = e
	}
	if se != nil && se.Err != nil {
		return se.Err.Error()
	}
	return "invalid AuditEvent"
}

// tokenUser returns the live token's user.
func (s *Server) tokenUser(tok string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tok]
	if !ok || !s.opts.Now().Before(t.expires) {
		return "", false
	}
	return t.user, true
}

// raPatient is the patient of NHS England's published Reasonable Adjustment Flag examples; the
// sandbox serves those payloads with the asked-for patient's number in its place.
const raPatient = "5900026175"

// handleRA answers the Reasonable Adjustment Flag API (FHIR STU3) for resource Flag, Consent or
// List: the published examples for patients the sandbox gives flags, an empty searchset for
// everyone else, and the published error for a patient it does not know.
func (s *Server) handleRA(resource string) func(http.ResponseWriter, *http.Request, fhirCall) {
	return func(w http.ResponseWriter, r *http.Request, _ fhirCall) {
		nhs := strings.TrimSpace(r.URL.Query().Get("patient"))
		if _, id, ok := strings.Cut(nhs, "|"); ok {
			nhs = id
		}
		p := s.lookup(nhs)
		if p == nil {
			writeJSON(w, 404, mustData("reasonable-adjustment-flag/sandbox-mocks/flagGETerror.json"))
			return
		}
		file := ""
		switch {
		case p.ra == "":
		case resource == "Flag" && p.ra == "two":
			file = "reasonable-adjustment-flag/specification-examples/readTwoFlagResponse.json"
		case resource == "Flag":
			file = "reasonable-adjustment-flag/sandbox-mocks/flagGET.json"
		case resource == "Consent":
			file = "reasonable-adjustment-flag/sandbox-mocks/consentGET.json"
		case resource == "List":
			file = "reasonable-adjustment-flag/specification-examples/readListResponse.json"
		}
		if file == "" {
			writeJSON(w, 200, []byte(`{"resourceType":"Bundle","type":"searchset","total":0}`))
			return
		}
		writeJSON(w, 200, bytes.ReplaceAll(mustData(file), []byte(raPatient), []byte(p.nhs)))
	}
}
