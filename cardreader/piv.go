package cardreader

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"scrdesk/cardreader/internal/bertlv"
	signin "scrdesk/internal/session" // the session machine; cardreader has its own session type
)

// Identity is who a card says it belongs to. It proves nothing until
// Authenticate has succeeded with it.
type Identity struct {
	GUID        [16]byte          // CHUID GUID (tag 34)
	Cert        *x509.Certificate // PIV Authentication certificate (key 9A)
	Fingerprint [32]byte          // SHA-256 of Cert's DER
	UserID      string            // subject serialNumber (2.5.4.5): the 12-digit NHS user id
	Name        string            // subject CN
}

// Same reports whether two identities are the same card: the same CHUID GUID
// and the same certificate (docs/card-profile.md "The same card, or another"). The ATR is
// never part of this.
func (id Identity) Same(other Identity) bool {
	return id.GUID == other.GUID && id.Fingerprint == other.Fingerprint && id.Fingerprint != [32]byte{}
}

// PIV constants from SP 800-73-4 part 1 (AID, object tags) and part 2 (commands).
var selectPIV = []byte{0x00, 0xA4, 0x04, 0x00, 0x09, 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x00}

const (
	tagCHUID   = 0x5FC102
	tagCertPIV = 0x5FC105
	keyPIVAuth = 0x9A
	algECCP256 = 0x11
	algRSA2048 = 0x07
	// AlreadyVerified is what TriesLeft returns when the card says the
	// passcode is already verified in this card session (status 9000).
	AlreadyVerified = -1
)

// SelectPIV selects the PIV card application. Any refusal is ErrNotPIV.
func SelectPIV(t Transport) error {
	r, err := transmit(t, selectPIV)
	if err != nil {
		return fmt.Errorf("select PIV: %w", err)
	}
	if r.SW != 0x9000 {
		return fmt.Errorf("select PIV: %w (%04X)", ErrNotPIV, r.SW)
	}
	return nil
}

// getData reads a PIV data object (GET DATA, SP 800-73-4 part 2 3.1.2) and
// returns the contents of its 53 template. found is false on 6A82.
func getData(t Transport, tag uint32) (value []byte, found bool, err error) {
	cmd := shortAPDU(0x00, 0xCB, 0x3F, 0xFF, []byte{0x5C, 0x03, byte(tag >> 16), byte(tag >> 8), byte(tag)}, 0)
	r, err := transmit(t, cmd)
	if err != nil {
		return nil, false, fmt.Errorf("get data %X: %w", tag, err)
	}
	switch r.SW {
	case 0x9000:
	case 0x6A82:
		return nil, false, nil
	default:
		return nil, false, &CardError{Op: fmt.Sprintf("get data %X", tag), SW: r.SW}
	}
	v, err := ParseDataObject(r.Data)
	if err != nil {
		return nil, false, fmt.Errorf("get data %X: %w", tag, err)
	}
	return v, true, nil
}

// ParseDataObject returns the contents of a PIV data object's 53 template.
func ParseDataObject(b []byte) ([]byte, error) {
	list, err := bertlv.Parse(b)
	if err != nil {
		return nil, err
	}
	v, ok := bertlv.Find(list, 0x53)
	if !ok {
		return nil, fmt.Errorf("%w: no 53 template", bertlv.ErrMalformed)
	}
	return v, nil
}

// ParseCHUID returns the GUID (tag 34) of a CHUID's contents.
func ParseCHUID(b []byte) ([16]byte, error) {
	var g [16]byte
	list, err := bertlv.Parse(b)
	if err != nil {
		return g, fmt.Errorf("parse CHUID: %w", err)
	}
	v, ok := bertlv.Find(list, 0x34)
	if !ok || len(v) != 16 {
		return g, fmt.Errorf("parse CHUID: %w: no 16-byte GUID", bertlv.ErrMalformed)
	}
	copy(g[:], v)
	return g, nil
}

// maxCertSize bounds a decompressed certificate.
const maxCertSize = 16 << 10

// ParseCertObject returns the DER certificate in an X.509 certificate
// object's contents (70 certificate, 71 CertInfo: 01 = gzip).
func ParseCertObject(b []byte) ([]byte, error) {
	list, err := bertlv.Parse(b)
	if err != nil {
		return nil, err
	}
	der, ok := bertlv.Find(list, 0x70)
	if !ok || len(der) == 0 {
		return nil, fmt.Errorf("%w: no certificate (tag 70)", bertlv.ErrMalformed)
	}
	info, _ := bertlv.Find(list, 0x71)
	if len(info) > 0 && info[0]&0x01 != 0 {
		zr, err := gzip.NewReader(bytes.NewReader(der))
		if err != nil {
			return nil, fmt.Errorf("gunzip certificate: %w", err)
		}
		out, err := io.ReadAll(io.LimitReader(zr, maxCertSize+1))
		if err != nil {
			return nil, fmt.Errorf("gunzip certificate: %w", err)
		}
		if len(out) > maxCertSize {
			return nil, errors.New("gunzip certificate: too large")
		}
		der = out
	}
	return der, nil
}

// ReadIdentity selects the PIV application and reads the CHUID and the PIV
// Authentication certificate. It does not check the certificate's trust.
func ReadIdentity(t Transport) (Identity, error) {
	var id Identity
	if err := SelectPIV(t); err != nil {
		return id, err
	}
	chuid, found, err := getData(t, tagCHUID)
	if err != nil {
		return id, err
	}
	if !found {
		return id, fmt.Errorf("read CHUID: %w (no CHUID)", ErrNotPIV)
	}
	if id.GUID, err = ParseCHUID(chuid); err != nil {
		return id, fmt.Errorf("%w: %w", ErrNotPIV, err)
	}
	obj, found, err := getData(t, tagCertPIV)
	if err != nil {
		return id, err
	}
	if !found {
		return id, &CertificateError{Reason: "missing"}
	}
	der, err := ParseCertObject(obj)
	if err != nil {
		return id, &CertificateError{Reason: "unreadable", Err: err}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return id, &CertificateError{Reason: "unreadable", Err: err}
	}
	id.Cert = cert
	id.Fingerprint = sha256.Sum256(cert.Raw)
	id.UserID = cert.Subject.SerialNumber
	id.Name = cert.Subject.CommonName
	if !validUserID(id.UserID) {
		return id, &CertificateError{Reason: "has no 12-digit user id in its subject serialNumber"}
	}
	return id, nil
}

func validUserID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// pinStatus turns a VERIFY status word into an error (SP 800-73-4 part 2 3.2.1).
func pinStatus(op string, sw uint16) error {
	switch {
	case sw == 0x9000:
		return nil
	case sw == 0x6983 || sw == 0x63C0:
		return ErrBlocked
	case sw&0xFFF0 == 0x63C0:
		return &PasscodeError{TriesLeft: int(sw & 0x0F)}
	default:
		return &CardError{Op: op, SW: sw}
	}
}

// TriesLeft asks the card how many passcode tries remain (VERIFY with no
// data). It returns AlreadyVerified if the passcode is verified in this card
// session, and (0, ErrBlocked) if the card is blocked. The PIV application
// must be selected.
func TriesLeft(t Transport) (int, error) {
	r, err := transmit(t, []byte{0x00, 0x20, 0x00, 0x80})
	if err != nil {
		return 0, fmt.Errorf("read tries left: %w", err)
	}
	err = pinStatus("read tries left", r.SW)
	var pe *PasscodeError
	switch {
	case err == nil:
		return AlreadyVerified, nil
	case errors.As(err, &pe):
		return pe.TriesLeft, nil
	default:
		return 0, err
	}
}

// VerifyPasscode presents the PIV Card Application PIN, padded with FF to 8
// bytes. A wrong one is *PasscodeError{TriesLeft}; a blocked card ErrBlocked.
// It never retries. The PIV application must be selected.
func VerifyPasscode(t Transport, pin string) error {
	if !signin.ValidPasscode(pin) {
		return &PasscodeError{Format: true}
	}
	data := bytes.Repeat([]byte{0xFF}, 8)
	copy(data, pin)
	cmd := shortAPDU(0x00, 0x20, 0x00, 0x80, data, -1)
	r, err := transmit(t, cmd)
	clear(cmd)
	clear(data)
	if err != nil {
		return fmt.Errorf("verify passcode: %w", err)
	}
	return pinStatus("verify passcode", r.SW)
}

// Sign asks the card to sign a 32-byte digest with the PIV Authentication key
// (GENERAL AUTHENTICATE, key 9A, ECC P-256, SP 800-73-4 part 2 3.2.4) and
// returns the DER ECDSA signature. The passcode must be verified.
func Sign(t Transport, digest []byte) ([]byte, error) {
	if len(digest) != 32 {
		return nil, fmt.Errorf("sign: digest is %d bytes, want 32", len(digest))
	}
	tmpl := bertlv.Encode(0x7C, bertlv.Concat(
		bertlv.TLV{Tag: 0x82, Value: nil},
		bertlv.TLV{Tag: 0x81, Value: digest},
	))
	r, err := transmit(t, shortAPDU(0x00, 0x87, algECCP256, keyPIVAuth, tmpl, 0))
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	switch r.SW {
	case 0x9000:
	case 0x6982:
		return nil, fmt.Errorf("sign: %w", ErrNotVerified)
	default:
		return nil, &CardError{Op: "sign", SW: r.SW}
	}
	sig, err := ParseAuthResponse(r.Data)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return sig, nil
}

// sha256DigestInfo is the DER prefix of a SHA-256 DigestInfo (RFC 8017 9.2).
var sha256DigestInfo = []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}

// SignRSA asks the card to sign a 32-byte SHA-256 digest with an RSA-2048
// PIV Authentication key (algorithm 07): the card computes the raw RSA
// private operation on the PKCS #1 v1.5 block built here, sent with command
// chaining (SP 800-73-4 part 2 3.2.4). It returns the 256-byte signature.
func SignRSA(t Transport, digest []byte) ([]byte, error) {
	if len(digest) != 32 {
		return nil, fmt.Errorf("sign: digest is %d bytes, want 32", len(digest))
	}
	block := make([]byte, 256)
	block[1] = 0x01
	tail := append(append([]byte(nil), sha256DigestInfo...), digest...)
	for i := 2; i < len(block)-len(tail)-1; i++ {
		block[i] = 0xFF
	}
	copy(block[len(block)-len(tail):], tail)
	tmpl := bertlv.Encode(0x7C, bertlv.Concat(
		bertlv.TLV{Tag: 0x82, Value: nil},
		bertlv.TLV{Tag: 0x81, Value: block},
	))
	r, err := transmitChained(t, 0x87, algRSA2048, keyPIVAuth, tmpl)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	switch r.SW {
	case 0x9000:
	case 0x6982:
		return nil, fmt.Errorf("sign: %w", ErrNotVerified)
	default:
		return nil, &CardError{Op: "sign", SW: r.SW}
	}
	sig, err := ParseAuthResponse(r.Data)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return sig, nil
}

// transmitChained sends data longer than a short APDU allows in 255-byte
// pieces with command chaining (CLA bit 10, ISO/IEC 7816-4 5.1.1.1); every
// piece but the last must answer 9000.
func transmitChained(t Transport, ins, p1, p2 byte, data []byte) (Response, error) {
	for len(data) > 255 {
		r, err := transmit(t, shortAPDU(0x10, ins, p1, p2, data[:255], -1))
		if err != nil {
			return Response{}, err
		}
		if r.SW != 0x9000 {
			return r, nil
		}
		data = data[255:]
	}
	return transmit(t, shortAPDU(0x00, ins, p1, p2, data, 0))
}

// ParseAuthResponse returns the response (tag 82) inside a GENERAL
// AUTHENTICATE answer's dynamic authentication template (7C).
func ParseAuthResponse(b []byte) ([]byte, error) {
	outer, err := bertlv.Parse(b)
	if err != nil {
		return nil, err
	}
	tmpl, ok := bertlv.Find(outer, 0x7C)
	if !ok {
		return nil, fmt.Errorf("%w: no 7C template", bertlv.ErrMalformed)
	}
	inner, err := bertlv.Parse(tmpl)
	if err != nil {
		return nil, err
	}
	sig, ok := bertlv.Find(inner, 0x82)
	if !ok || len(sig) == 0 {
		return nil, fmt.Errorf("%w: no response (tag 82)", bertlv.ErrMalformed)
	}
	return sig, nil
}

// CheckCertificate checks that cert is inside its validity dates at now,
// chains to one of anchors, and allows digital signatures. Every failure is a
// *CertificateError.
func CheckCertificate(cert *x509.Certificate, anchors *x509.CertPool, now time.Time) error {
	switch {
	case cert == nil:
		return &CertificateError{Reason: "missing"}
	case anchors == nil:
		return &CertificateError{Reason: "cannot be checked: no trust anchors configured"}
	case now.Before(cert.NotBefore):
		return &CertificateError{Reason: "not yet valid"}
	case now.After(cert.NotAfter):
		return &CertificateError{Reason: CertReasonExpired}
	case cert.KeyUsage != 0 && cert.KeyUsage&x509.KeyUsageDigitalSignature == 0:
		return &CertificateError{Reason: "does not allow digital signatures"}
	}
	_, err := cert.Verify(x509.VerifyOptions{
		Roots:       anchors,
		CurrentTime: now,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return &CertificateError{Reason: CertReasonUntrusted, Err: err}
	}
	return nil
}

// LoadTrustAnchors reads a PEM bundle of CA certificates.
func LoadTrustAnchors(pemFile string) (*x509.CertPool, error) {
	b, err := os.ReadFile(pemFile)
	if err != nil {
		return nil, fmt.Errorf("read trust anchors: %w", err)
	}
	return ParseTrustAnchors(b)
}

// ParseTrustAnchors parses a PEM bundle of CA certificates; it fails if the
// bundle holds none.
func ParseTrustAnchors(b []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	n := 0
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse trust anchor %d: %w", n+1, err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, errors.New("trust anchors: no certificate in the PEM bundle")
	}
	return pool, nil
}

// Authenticate signs a user in with the card behind t, in docs/card-profile.md's order:
// read the identity, check the certificate (before spending a passcode try on
// a card that cannot pass), verify the passcode, then have the card sign a
// fresh random 32-byte challenge and verify the signature with the
// certificate's public key (ECC P-256, algorithm 11; or RSA-2048, algorithm
// 07, PKCS #1 v1.5 with SHA-256). It returns the identity only if all of it holds.
// It checks ctx between card commands, so cancelling stops a sign-in between
// steps.
func Authenticate(ctx context.Context, t Transport, pin string, anchors *x509.CertPool, now time.Time) (Identity, error) {
	id, err := ReadIdentity(t)
	if err != nil {
		return Identity{}, err
	}
	if err := CheckCertificate(id.Cert, anchors, now); err != nil {
		return Identity{}, err
	}
	switch pub := id.Cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if pub.Curve == elliptic.P256() {
			break
		}
		return Identity{}, &CertificateError{Reason: "has a key type SCR Desk does not support (needs ECC P-256 or RSA-2048)"}
	case *rsa.PublicKey:
		if pub.Size() == 256 {
			break
		}
		return Identity{}, &CertificateError{Reason: "has a key type SCR Desk does not support (needs ECC P-256 or RSA-2048)"}
	default:
		return Identity{}, &CertificateError{Reason: "has a key type SCR Desk does not support (needs ECC P-256 or RSA-2048)"}
	}
	if err := ctx.Err(); err != nil {
		return Identity{}, err
	}
	if err := VerifyPasscode(t, pin); err != nil {
		return Identity{}, err
	}
	if err := ctx.Err(); err != nil {
		return Identity{}, err
	}
	challenge := make([]byte, 32)
	if _, err := rand.Read(challenge); err != nil {
		return Identity{}, fmt.Errorf("make challenge: %w", err)
	}
	if err := proveKey(t, id.Cert, challenge); err != nil {
		return Identity{}, err
	}
	return id, nil
}

// Prove has the card sign a fresh random 32-byte challenge with its PIV Authentication key and
// verifies the signature with cert's public key (docs/card-profile.md "Who the card belongs
// to": possession must be proven; a card's certificate alone proves nothing). It returns
// ErrChallenge when the signature does not verify. The passcode must already be verified. The
// controller uses it after VerifyPasscode, on the sign-in and unlock paths that Authenticate
// joins into one call.
func Prove(t Transport, cert *x509.Certificate) error {
	challenge := make([]byte, 32)
	if _, err := rand.Read(challenge); err != nil {
		return fmt.Errorf("make challenge: %w", err)
	}
	return proveKey(t, cert, challenge)
}

// proveKey has the card sign challenge with its PIV Authentication key and
// verifies the signature with cert's public key: ErrChallenge if it fails.
func proveKey(t Transport, cert *x509.Certificate, challenge []byte) error {
	switch pub := cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		sig, err := Sign(t, challenge)
		if err != nil {
			return err
		}
		if !ecdsa.VerifyASN1(pub, challenge, sig) {
			return ErrChallenge
		}
	case *rsa.PublicKey:
		sig, err := SignRSA(t, challenge)
		if err != nil {
			return err
		}
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, challenge, sig) != nil {
			return ErrChallenge
		}
	default:
		return &CertificateError{Reason: "has a key type SCR Desk does not support (needs ECC P-256 or RSA-2048)"}
	}
	return nil
}
