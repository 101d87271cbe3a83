//go:build pcsc

package cardreader_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"scrdesk/cardreader"
	"scrdesk/cardreader/virtualcard"
)

const openscPKCS11 = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"

// TestOpenSCAcceptsVirtualCard is the independent check that the virtual
// card is a PIV card: OpenSC's own tools, under the private pcscd, list its
// certificate, read it, log in with the passcode and sign; the signature must
// verify in Go against the card's certificate.
func TestOpenSCAcceptsVirtualCard(t *testing.T) {
	needPCSC(t)
	for _, tool := range []string{"pkcs15-tool", "pkcs11-tool"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("SCRDESK_REQUIRE_PCSC") == "1" {
				t.Fatalf("%s not installed (apt-get install -y opensc)", tool)
			}
			t.Skipf("%s not installed (apt-get install -y opensc)", tool)
		}
	}
	_, events := startWatcher(t)
	for _, tc := range []struct {
		name string
		opts virtualcard.Options
	}{
		{name: "ECC P-256", opts: virtualcard.Options{UserID: "555000000042", Name: "Opensc Tester", PIN: "24681357", ChunkSize: 200}},
		{name: "RSA-2048", opts: virtualcard.Options{UserID: "555000000043", Name: "Opensc Rsa", PIN: "24681357", RSA: true}},
	} {
		t.Run(tc.name, func(t *testing.T) { openSCCheck(t, events, tc.opts) })
	}
}

func openSCCheck(t *testing.T, events <-chan cardreader.Event, opts virtualcard.Options) {
	card := newCard(t, opts)
	insert(t, card, addr0)
	waitEvent(t, events, cardreader.CardInserted, reader0)
	dir := t.TempDir()
	env := append(os.Environ(), "OPENSC_CONF=/dev/null") // OpenSC's defaults, not this machine's settings

	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	list := run("pkcs15-tool", "--reader", "0", "--list-certificates")
	if !strings.Contains(list, "PIV Authentication") {
		t.Fatalf("pkcs15-tool lists no PIV Authentication certificate:\n%s", list)
	}
	pemOut := run("pkcs15-tool", "--reader", "0", "--read-certificate", "01")
	block, _ := pem.Decode([]byte(pemOut))
	if block == nil {
		t.Fatalf("pkcs15-tool --read-certificate gave no PEM:\n%s", pemOut)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !cert.Equal(card.Certificate()) {
		t.Fatal("OpenSC read another certificate than the card's")
	}

	msg := make([]byte, 32)
	_, _ = rand.Read(msg)
	in, sigFile := filepath.Join(dir, "msg"), filepath.Join(dir, "sig")
	if err := os.WriteFile(in, msg, 0o600); err != nil {
		t.Fatal(err)
	}
	mech, format := "ECDSA", []string{"--signature-format", "openssl"}
	if opts.RSA {
		mech, format = "SHA256-RSA-PKCS", nil
	}
	run("pkcs11-tool", append([]string{"--module", openscPKCS11, "--slot-index", "0", "--login", "--pin", opts.PIN,
		"--sign", "--mechanism", mech, "--id", "01", "--input-file", in, "--output-file", sigFile}, format...)...)
	sig, err := os.ReadFile(sigFile)
	if err != nil {
		t.Fatal(err)
	}
	switch pub := card.Certificate().PublicKey.(type) {
	case *ecdsa.PublicKey: // OpenSC's ECDSA mechanism signs the input as the digest
		if !ecdsa.VerifyASN1(pub, msg, sig) {
			t.Fatal("the ECDSA signature OpenSC got from the card does not verify against its certificate")
		}
	case *rsa.PublicKey:
		digest := sha256.Sum256(msg)
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
			t.Fatalf("the RSA signature OpenSC got from the card does not verify against its certificate: %v", err)
		}
	}
	time.Sleep(pcscdPoll)
	_ = card.Remove()
	waitEvent(t, events, cardreader.CardRemoved, reader0)
}
