package virtualcard

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"sync"
	"time"
)

// CA is a certificate authority that issues the virtual cards' PIV
// Authentication certificates. Its methods are safe for concurrent use.
type CA struct {
	name string
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
}

// NewCA makes a CA with a fresh random P-256 key, valid from an hour ago for
// ten years. Tests use one per "organisation" (a trusted one and an unknown one).
func NewCA(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("make CA key: %w", err)
	}
	now := time.Now()
	return newCA(name, key, big.NewInt(now.UnixNano()), now.Add(-time.Hour), now.AddDate(10, 0, 0))
}

// demoCALabel is hashed into the demo CA's private key. It is public on
// purpose: the demo CA proves nothing and is trusted in demo mode only.
const demoCALabel = "SCR Desk demo CA key - public, trusted in demo mode only - v1"

var (
	demoOnce sync.Once
	demoCA   *CA
)

// DemoCA returns the demo mode's CA. Its key is SHA-256 of a fixed, published
// label, so a separate `scrdesk sandbox` process and the app agree on it without
// sharing files. Its certificate's subject, serial, dates and key are fixed; the
// signature bytes differ between processes (ECDSA signing is randomised) but
// any process's copy verifies the same card certificates.
//
// Anyone can sign with this key: trust its PEM in demo mode only, never in a
// real installation.
func DemoCA() *CA {
	demoOnce.Do(func() {
		seed := sha256.Sum256([]byte(demoCALabel))
		key, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), seed[:])
		if err != nil {
			panic("virtualcard: demo CA key: " + err.Error())
		}
		demoCA, err = newCA("SCR Desk Demo CA (not for real use)", key, big.NewInt(1),
			time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2049, 12, 31, 0, 0, 0, 0, time.UTC))
		if err != nil {
			panic("virtualcard: demo CA: " + err.Error())
		}
	})
	return demoCA
}

func newCA(name string, key *ecdsa.PrivateKey, serial *big.Int, from, to time.Time) (*CA, error) {
	ski := sha256.Sum256(elliptic.MarshalCompressed(elliptic.P256(), key.X, key.Y)) //nolint:staticcheck // only a key id
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"SCR Desk test"}},
		NotBefore:             from,
		NotAfter:              to,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		SubjectKeyId:          ski[:20],
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("make CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate: %w", err)
	}
	return &CA{name: name, key: key, cert: cert}, nil
}

// Certificate returns the CA's self-signed certificate.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// PEM returns the CA certificate as a PEM bundle, the form settings keep
// trust anchors in.
func (ca *CA) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})
}

// Pool returns a certificate pool holding only this CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// issue signs a PIV Authentication certificate for a card key.
func (ca *CA) issue(pub crypto.PublicKey, userID, name string, from, to time.Time) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:   name,
			SerialNumber: userID, // docs/card-profile.md: subject serialNumber (2.5.4.5) is the NHS user id
			Organization: []string{"SCR Desk test"},
		},
		NotBefore:   from,
		NotAfter:    to,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	return x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
}
