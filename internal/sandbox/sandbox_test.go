package sandbox_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"scrdesk/internal/fhir"
	"scrdesk/internal/nhsnumber"
	"scrdesk/internal/sandbox"
	"scrdesk/internal/sandbox/testca"
	"scrdesk/internal/staff"
	spine "scrdesk/sync"
)

type fixture struct {
	sb     *sandbox.Server
	srv    *httptest.Server
	ca     *testca.CA
	signer *testca.Signer
	user   staff.DemoUser
	token  string
}

func setup(t *testing.T) *fixture {
	t.Helper()
	ca, err := testca.New()
	if err != nil {
		t.Fatal(err)
	}
	user := staff.DemoUsers()[1] // technician: two roles
	signer, err := ca.Issue(user.UserID, user.Name, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	sb := sandbox.New(sandbox.Options{TrustAnchors: ca.Pool(), SCRPerSecond: -1})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	tok, err := sb.IssueToken(user.UserID)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{sb: sb, srv: srv, ca: ca, signer: signer, user: user, token: tok}
}

func dataFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("data", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHeaderChecks: the sandbox refuses requests as the real PDS does, with its own bodies.
func TestHeaderChecks(t *testing.T) {
	f := setup(t)
	const fr = "personal-demographics/functional-test-responses/"
	ok := map[string]string{"X-Request-ID": "60e0b220-8136-4ac5-a9ed-3a0a2b4b5c6d", "Authorization": "Bearer " + f.token,
		"NHSD-Session-URID": f.user.Roles[0].URID}
	cases := []struct {
		name   string
		change map[string]string // "" deletes, "<empty>" sets empty
		status int
		body   string
	}{
		{"all good", nil, 200, ""},
		{"missing X-Request-ID", map[string]string{"X-Request-ID": ""}, 400, fr + "missing_x-request_id.json"},
		{"empty X-Request-ID", map[string]string{"X-Request-ID": "<empty>"}, 400, fr + "empty_x-request_id.json"},
		{"invalid X-Request-ID", map[string]string{"X-Request-ID": "1234"}, 400, fr + "invalid_x-request_id.json"},
		{"missing Authorization", map[string]string{"Authorization": ""}, 401, fr + "missing_authorization_header.json"},
		{"empty bearer", map[string]string{"Authorization": "Bearer "}, 401, fr + "empty_authorization_header.json"},
		{"unknown token", map[string]string{"Authorization": "Bearer nope"}, 401, fr + "invalid_access_token.json"},
		{"missing URID", map[string]string{"NHSD-Session-URID": ""}, 400, fr + "missing_urid_header.json"},
		{"another user's URID", map[string]string{"NHSD-Session-URID": "555000001101"}, 400, fr + "invalid_urid_header.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", f.srv.URL+sandbox.PDSBase+"/Patient/"+sandbox.NHSAsk, nil)
			for k, v := range ok {
				req.Header.Set(k, v)
			}
			for k, v := range c.change {
				switch v {
				case "":
					req.Header.Del(k)
				case "<empty>":
					req.Header[http.CanonicalHeaderKey(k)] = []string{""}
				default:
					req.Header.Set(k, v)
				}
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, c.status)
			}
			if c.body != "" && !bytes.Equal(body, dataFile(t, c.body)) {
				t.Fatalf("body is not %s", c.body)
			}
		})
	}
}

// TestPatientsTable checks every documented synthetic number: valid, in the test range,
// written down in doc.go, and served.
func TestPatientsTable(t *testing.T) {
	f := setup(t)
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	nums := []string{sandbox.NHSAsk, sandbox.NHSYes, sandbox.NHSNo, sandbox.NHSNoSCR, sandbox.NHSAdditional, sandbox.NHSWithheld,
		sandbox.NHSInitialSummary, sandbox.NHSRestricted, sandbox.NHSVeryRestricted, sandbox.NHSMergedOld, sandbox.NHSMergedNew,
		sandbox.NHSDeceased, sandbox.NHSManyMeds, sandbox.NHSLongName, sandbox.NHSHostileXHTML, sandbox.NHSAccessDenied, sandbox.NHSStaleSCR,
		sandbox.NHSJaneSmith, sandbox.NHSJayneSmyth, sandbox.NHSSensitive, sandbox.NHSMinimal, sandbox.NHSUATPatient}
	for _, n := range nums {
		if !nhsnumber.Valid(n) || !nhsnumber.IsTest(n) {
			t.Errorf("%s is not a valid test number", n)
		}
		if !strings.Contains(string(doc), n) {
			t.Errorf("%s is not in doc.go's table", n)
		}
		req, _ := http.NewRequest("GET", f.srv.URL+sandbox.PDSBase+"/Patient/"+n, nil)
		req.Header.Set("X-Request-ID", "60e0b220-8136-4ac5-a9ed-3a0a2b4b5c6d")
		req.Header.Set("Authorization", "Bearer "+f.token)
		req.Header.Set("NHSD-Session-URID", f.user.Roles[0].URID)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/fhir+json" {
			t.Fatalf("%s: status %d", n, resp.StatusCode)
		}
		if _, err := fhir.DecodePatient(body, n); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
}

func jwt(t *testing.T, s *testca.Signer, header, claims map[string]any) string {
	t.Helper()
	hb, _ := json.Marshal(header)
	cb, _ := json.Marshal(claims)
	in := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
	d := sha256.Sum256([]byte(in))
	r, ss, err := ecdsa.Sign(rand.Reader, s.Key, d[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	ss.FillBytes(sig[32:])
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestTokenEndpoint(t *testing.T) {
	f := setup(t)
	uid := f.user.UserID
	x5c := []string{base64.StdEncoding.EncodeToString(f.signer.Cert.Raw)}
	now := time.Now()
	good := func() (map[string]any, map[string]any) {
		return map[string]any{"alg": "ES256", "x5c": x5c},
			map[string]any{"iss": uid, "sub": uid, "aud": f.srv.URL + sandbox.TokenPath, "iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "jti": "1"}
	}
	cases := []struct {
		name   string
		mod    func(h, c map[string]any)
		grant  string
		raw    string
		status int
	}{
		{name: "valid", status: 200},
		{name: "wrong grant type", grant: "client_credentials", status: 400},
		{name: "not a JWS", raw: "abc", status: 400},
		{name: "alg none", mod: func(h, c map[string]any) { h["alg"] = "none" }, status: 400},
		{name: "no x5c", mod: func(h, c map[string]any) { delete(h, "x5c") }, status: 400},
		{name: "sub is someone else", mod: func(h, c map[string]any) { c["sub"] = "555000000011"; c["iss"] = "555000000011" }, status: 400},
		{name: "expired", mod: func(h, c map[string]any) { c["exp"] = now.Add(-time.Minute).Unix() }, status: 400},
		{name: "lives too long", mod: func(h, c map[string]any) { c["exp"] = now.Add(time.Hour).Unix() }, status: 400},
		{name: "wrong audience", mod: func(h, c map[string]any) { c["aud"] = "https://elsewhere/token" }, status: 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, cl := good()
			if c.mod != nil {
				c.mod(h, cl)
			}
			a := c.raw
			if a == "" {
				a = jwt(t, f.signer, h, cl)
			}
			grant := c.grant
			if grant == "" {
				grant = sandbox.GrantTypeJWTBearer
			}
			resp, err := http.PostForm(f.srv.URL+sandbox.TokenPath, url.Values{"grant_type": {grant}, "assertion": {a}})
			if err != nil {
				t.Fatal(err)
			}
			var body map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Fatalf("status %d (%v), want %d", resp.StatusCode, body, c.status)
			}
			if c.status == 200 && (body["access_token"] == "" || body["token_type"] != "Bearer") {
				t.Fatalf("token answer %v", body)
			}
		})
	}
	t.Run("tampered signature", func(t *testing.T) {
		h, cl := good()
		a := jwt(t, f.signer, h, cl)
		parts := strings.Split(a, ".")
		cb, _ := json.Marshal(map[string]any{"iss": uid, "sub": uid, "aud": "x" + sandbox.TokenPath, "exp": now.Add(time.Minute).Unix(), "jti": "2"})
		a = parts[0] + "." + base64.RawURLEncoding.EncodeToString(cb) + "." + parts[2]
		resp, _ := http.PostForm(f.srv.URL+sandbox.TokenPath, url.Values{"grant_type": {sandbox.GrantTypeJWTBearer}, "assertion": {a}})
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
}

// TestSignInThroughClient signs in with the client and reads roles for a user with two roles.
func TestSignInThroughClient(t *testing.T) {
	f := setup(t)
	c, err := spine.New(spine.Config{BaseURL: f.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.SignIn(context.Background(), f.user.UserID, f.signer)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	roles, err := s.UserInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(roles, f.user.Roles) {
		t.Fatalf("roles %+v", roles)
	}
}

func TestFaultHeader(t *testing.T) {
	f := setup(t)
	for _, c := range []struct {
		header string
		status int
		ctype  string
	}{
		{"html5xx;502", 502, "text/html"},
		{"ratelimit;7", 429, "application/fhir+json"},
		{"malformed", 200, "application/fhir+json"},
	} {
		req, _ := http.NewRequest("GET", f.srv.URL+sandbox.PDSBase+"/Patient/"+sandbox.NHSAsk, nil)
		req.Header.Set("X-Sandbox-Fault", c.header)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != c.ctype {
			t.Errorf("%s: %d %s", c.header, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if c.status == 429 && resp.Header.Get("Retry-After") != "7" {
			t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
		}
	}
	if _, err := sandbox.ParseFault("explode"); err == nil {
		t.Error("unknown fault accepted")
	}
}

func TestCommand(t *testing.T) {
	dir := t.TempDir()
	ca, _ := testca.New()
	anchors := filepath.Join(dir, "ca.pem")
	users := filepath.Join(dir, "users.json")
	_ = os.WriteFile(anchors, ca.PEM(), 0o600)
	ub, _ := json.Marshal(map[string][]staff.Role{"123456789012": {{URID: "1", OrgCode: "FA123"}}})
	_ = os.WriteFile(users, ub, 0o600)
	_ = os.WriteFile(filepath.Join(dir, "bad.pem"), []byte("nope"), 0o600)
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"serves until cancelled", []string{"--listen", "127.0.0.1:0", "--trust-anchors", anchors, "--users", users}, 0},
		{"refuses a non-loopback address", []string{"--listen", "0.0.0.0:0"}, 2},
		{"bad trust anchors", []string{"--listen", "127.0.0.1:0", "--trust-anchors", filepath.Join(dir, "bad.pem")}, 1},
		{"missing users file", []string{"--listen", "127.0.0.1:0", "--users", filepath.Join(dir, "none.json")}, 1},
		{"unknown flag", []string{"--frobnicate"}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			var out, errb bytes.Buffer
			code := sandbox.Command(ctx, c.args, &out, &errb, sandbox.Options{})
			if code != c.code {
				t.Fatalf("exit %d, want %d (stderr %s)", code, c.code, errb.String())
			}
			if code == 0 && !strings.Contains(out.String(), "listening on http://127.0.0.1:") {
				t.Fatalf("stdout %q", out.String())
			}
		})
	}
}

func TestStart(t *testing.T) {
	sb, base, stop, err := sandbox.Start(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if sb == nil || !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("base %q", base)
	}
	resp, err := http.Get(base + sandbox.PDSBase + "/Patient/" + sandbox.NHSAsk)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 { // no X-Request-ID
		t.Fatalf("status %d", resp.StatusCode)
	}
}
