package testca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// WriteClientPEM makes a self-signed TLS client certificate (CN "COUNTER-1") and its key, and
// writes both to dir/client.pem. With password set the key is in the legacy encrypted PEM form
// ("Proc-Type: 4,ENCRYPTED") that sync.LoadClientCertificate decrypts.
func WriteClientPEM(dir, password string) (string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "COUNTER-1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", err
	}
	kb := &pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}
	if password != "" {
		kb, err = x509.EncryptPEMBlock(rand.Reader, kb.Type, kder, []byte(password), x509.PEMCipherAES256) //nolint:staticcheck
		if err != nil {
			return "", err
		}
	}
	p := filepath.Join(dir, "client.pem")
	out := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(kb)...)
	return p, os.WriteFile(p, out, 0o600)
}
