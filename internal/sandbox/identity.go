package sandbox

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"time"
)

// GrantTypeJWTBearer is the RFC 7523 authorization grant type.
const GrantTypeJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// maxAssertionLife is the longest exp - iat the token endpoint accepts.
const maxAssertionLife = 5 * time.Minute

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	b, _ := json.Marshal(map[string]string{"error": code, "error_description": desc})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (s *Server) newToken(user string) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	s.mu.Lock()
	s.tokens[tok] = token{user: user, expires: s.opts.Now().Add(s.opts.TokenTTL)}
	s.mu.Unlock()
	return tok
}

// handleToken implements the JWT-bearer grant (RFC 7523 section 2.1): the assertion is a JWS
// (RFC 7515) signed ES256 (RFC 7518 section 3.4) by the card's key, its certificate chain in x5c.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, 400, "invalid_request", "unreadable form")
		return
	}
	if r.PostForm.Get("grant_type") != GrantTypeJWTBearer {
		oauthError(w, 400, "unsupported_grant_type", "grant_type must be "+GrantTypeJWTBearer)
		return
	}
	user, err := s.verifyAssertion(r.PostForm.Get("assertion"))
	if err != nil {
		s.opts.Log.Info("sandbox sign-in refused", "reason", err.Error())
		oauthError(w, 400, "invalid_grant", err.Error())
		return
	}
	tok := s.newToken(user)
	b, _ := json.Marshal(map[string]any{"access_token": tok, "token_type": "Bearer",
		"expires_in": int(s.opts.TokenTTL / time.Second)})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

type jwsHeader struct {
	Alg string   `json:"alg"`
	X5c []string `json:"x5c"`
}

type jwtClaims struct {
	Iss string `json:"iss"`
	Sub string `json:"sub"`
	Aud any    `json:"aud"`
	Exp int64  `json:"exp"`
	Iat int64  `json:"iat"`
	Jti string `json:"jti"`
}

func (s *Server) verifyAssertion(jwt string) (string, error) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return "", errors.New("assertion is not a compact JWS")
	}
	dec := base64.RawURLEncoding
	hb, err1 := dec.DecodeString(parts[0])
	cb, err2 := dec.DecodeString(parts[1])
	sig, err3 := dec.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return "", errors.New("assertion is not base64url")
	}
	var h jwsHeader
	var c jwtClaims
	if json.Unmarshal(hb, &h) != nil || json.Unmarshal(cb, &c) != nil {
		return "", errors.New("assertion header or claims unreadable")
	}
	if h.Alg != "ES256" {
		return "", errors.New("assertion must be signed ES256")
	}
	if len(h.X5c) == 0 {
		return "", errors.New("assertion has no x5c certificate")
	}
	var chain []*x509.Certificate
	for _, c64 := range h.X5c {
		der, err := base64.StdEncoding.DecodeString(c64)
		if err != nil {
			return "", errors.New("x5c is not base64")
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return "", errors.New("x5c certificate unreadable")
		}
		chain = append(chain, cert)
	}
	leaf := chain[0]
	if s.opts.TrustAnchors == nil {
		return "", errors.New("no trust anchors configured")
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	now := s.opts.Now()
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: s.opts.TrustAnchors, Intermediates: inter,
		CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return "", errors.New("certificate does not chain to a trust anchor or is out of date")
	}
	if leaf.KeyUsage != 0 && leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return "", errors.New("certificate does not allow digital signatures")
	}
	pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() || len(sig) != 64 {
		return "", errors.New("ES256 needs a P-256 key and a 64-byte signature")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return "", errors.New("assertion signature does not verify")
	}
	uid := leaf.Subject.SerialNumber
	if uid == "" || c.Iss != uid || c.Sub != uid {
		return "", errors.New("iss and sub must be the certificate's subject serialNumber")
	}
	if c.Exp == 0 || !now.Before(time.Unix(c.Exp, 0)) {
		return "", errors.New("assertion expired")
	}
	if c.Iat != 0 && time.Unix(c.Exp, 0).Sub(time.Unix(c.Iat, 0)) > maxAssertionLife {
		return "", errors.New("assertion lives too long")
	}
	if !audOK(c.Aud) {
		return "", errors.New("assertion audience is not this token endpoint")
	}
	if _, ok := s.opts.Users[uid]; !ok {
		return "", errors.New("unknown user")
	}
	return uid, nil
}

func audOK(aud any) bool {
	check := func(v string) bool { return strings.HasSuffix(v, TokenPath) }
	switch a := aud.(type) {
	case string:
		return check(a)
	case []any:
		for _, v := range a {
			if s, ok := v.(string); ok && check(s) {
				return true
			}
		}
	}
	return false
}

type userInfoRole struct {
	PersonRoleID  string   `json:"person_roleid"`
	OrgCode       string   `json:"org_code"`
	RoleCode      string   `json:"role_code"`
	RoleName      string   `json:"role_name"`
	ActivityCodes []string `json:"activity_codes"`
}

type userInfoOrg struct {
	OrgCode string `json:"org_code"`
	OrgName string `json:"org_name"`
}

// handleUserInfo answers like the CIS2 userinfo endpoint (see the fixture userInfo.json).
func (s *Server) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	user, live := s.tokenUser(strings.TrimSpace(bearer))
	if !ok || !live {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		oauthError(w, 401, "invalid_token", "access token missing, invalid or expired")
		return
	}
	roles := []userInfoRole{}
	orgs := []userInfoOrg{}
	seen := map[string]bool{}
	for _, ro := range s.opts.Users[user] {
		roles = append(roles, userInfoRole{PersonRoleID: ro.URID, OrgCode: ro.OrgCode, RoleCode: ro.RoleCode,
			RoleName: ro.RoleName, ActivityCodes: append([]string{}, ro.Activities...)})
		if !seen[ro.OrgCode] {
			seen[ro.OrgCode] = true
			orgs = append(orgs, userInfoOrg{OrgCode: ro.OrgCode, OrgName: ro.OrgName})
		}
	}
	b, _ := json.Marshal(map[string]any{"sub": user, "nhsid_useruid": user, "nhsid_nrbac_roles": roles, "nhsid_user_orgs": orgs})
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
