package sync

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// ErrClientKeyPassword means the client certificate's private key is encrypted and the password
// given (from the keyring) is missing or wrong.
var ErrClientKeyPassword = errors.New("the client certificate's key password is missing or wrong")

// LoadClientCertificate reads a PEM file holding a TLS client certificate (and any intermediate
// certificates) and its private key (PKCS#8, PKCS#1 or SEC 1). A key in the legacy encrypted PEM
// form ("Proc-Type: 4,ENCRYPTED") is decrypted with password, which the caller reads from the
// keyring; a PKCS#8 "ENCRYPTED PRIVATE KEY" is refused with a message saying how to convert it.
// The result goes in Config.ClientCert.
func LoadClientCertificate(path, password string) (*tls.Certificate, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read client certificate: %w", err)
	}
	var certs, key []byte
	for rest := raw; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch {
		case b.Type == "CERTIFICATE":
			certs = append(certs, pem.EncodeToMemory(b)...)
		case b.Type == "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("client certificate: the key is PKCS#8-encrypted, which SCR Desk cannot read: convert it with `openssl pkey -in key.pem -aes256 -traditional` and keep its password in the keyring")
		case isPrivateKey(b.Type) && key == nil:
			//lint:ignore SA1019 the legacy encrypted PEM form is what pharmacy IT tools still produce
			if x509.IsEncryptedPEMBlock(b) { //nolint:staticcheck
				if password == "" {
					return nil, ErrClientKeyPassword
				}
				der, err := x509.DecryptPEMBlock(b, []byte(password)) //nolint:staticcheck
				if err != nil {
					return nil, ErrClientKeyPassword
				}
				b = &pem.Block{Type: b.Type, Bytes: der}
			}
			key = pem.EncodeToMemory(b)
		}
	}
	if certs == nil || key == nil {
		return nil, errors.New("client certificate: the file must hold a CERTIFICATE and its PRIVATE KEY in PEM")
	}
	pair, err := tls.X509KeyPair(certs, key)
	if err != nil {
		return nil, fmt.Errorf("client certificate: %w", err)
	}
	return &pair, nil
}

func isPrivateKey(t string) bool {
	return t == "PRIVATE KEY" || t == "RSA PRIVATE KEY" || t == "EC PRIVATE KEY"
}
