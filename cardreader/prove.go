package cardreader

import (
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"io"
)

// Prove has the card sign a fresh random 32-byte challenge with its PIV Authentication key and
// verifies the signature with cert's public key (docs/card-profile.md: possession must be proven; a
// card's certificate alone proves nothing). It returns ErrChallenge when the signature does not
// verify. The passcode must already be verified. The controller uses it after VerifyPasscode, on
// the sign-in and unlock paths that Authenticate joins into one call.
func Prove(t Transport, cert *x509.Certificate) error {
	challenge := make([]byte, 32)
	if _, err := rand.Read(challenge); err != nil {
		return fmt.Errorf("make challenge: %w", err)
	}
	return proveKey(t, cert, challenge)
}

// Attach plugs in an empty demo reader (so the lock screen says "Insert your smartcard" before
// any demo card is inserted). A reader already attached is left as it is.
func (d *DemoReader) Attach(reader string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.slots[reader]; ok {
		return
	}
	d.slots[reader] = &demoSlot{}
	d.push(Event{Kind: ReaderAttached, Reader: reader})
}

// ReadPasscode reads a passcode for a headless command: without echo from a terminal when
// prompt is set, else the first line of stdin (--pin-stdin).
func ReadPasscode(stdin io.Reader, stderr io.Writer, prompt bool) (string, error) {
	return readPasscode(stdin, stderr, prompt)
}
