package cardreader_test

import (
	"context"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"scrdesk/cardreader"
	"scrdesk/cardreader/virtualcard"
)

func newCA(t testing.TB, name string) *virtualcard.CA {
	t.Helper()
	ca, err := virtualcard.NewCA(name)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func newCard(t testing.TB, opts virtualcard.Options) *virtualcard.Card {
	t.Helper()
	c, err := virtualcard.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAuthenticate(t *testing.T) {
	trusted := newCA(t, "Trusted RA")
	unknown := newCA(t, "Unknown RA")
	anchors := trusted.Pool()
	cases := []struct {
		name    string
		opts    virtualcard.Options
		pin     string
		check   func(t *testing.T, err error)
		tries   int // the card's counter afterwards
		wantMsg string
	}{
		{name: "right passcode", opts: virtualcard.Options{}, pin: "123456", tries: 3},
		{name: "right passcode, 61xx pieces of 50", opts: virtualcard.Options{ChunkSize: 50}, pin: "123456", tries: 3},
		{name: "right passcode, long answers", opts: virtualcard.Options{LongAnswers: true}, pin: "123456", tries: 3},
		{name: "right passcode, gzip certificate", opts: virtualcard.Options{GzipCert: true, ChunkSize: 17}, pin: "123456", tries: 3},
		{name: "right passcode, RSA-2048 card", opts: virtualcard.Options{RSA: true}, pin: "123456", tries: 3},
		{name: "right passcode, RSA-2048 card in 61xx pieces", opts: virtualcard.Options{RSA: true, ChunkSize: 100}, pin: "123456", tries: 3},
		{name: "right 8-digit passcode", opts: virtualcard.Options{PIN: "87654321"}, pin: "87654321", tries: 3},
		{name: "right passcode resets the counter", opts: virtualcard.Options{TriesLeft: 1}, pin: "123456", tries: 3},
		{name: "wrong passcode", opts: virtualcard.Options{}, pin: "654321", tries: 2, check: func(t *testing.T, err error) {
			var pe *cardreader.PasscodeError
			if !errors.As(err, &pe) || pe.TriesLeft != 2 {
				t.Fatalf("err = %v, want PasscodeError{TriesLeft: 2}", err)
			}
		}, wantMsg: "Wrong passcode: 2 tries left before your smartcard locks."},
		{name: "last wrong passcode blocks", opts: virtualcard.Options{TriesLeft: 1}, pin: "000000", tries: 0, check: isErr(cardreader.ErrBlocked),
			wantMsg: "Your smartcard is locked after 3 wrong passcodes: your Registration Authority can unlock it."},
		{name: "blocked card", opts: virtualcard.Options{Blocked: true}, pin: "123456", tries: 0, check: isErr(cardreader.ErrBlocked)},
		{name: "passcode too short", opts: virtualcard.Options{}, pin: "1234", tries: 3, check: func(t *testing.T, err error) {
			var pe *cardreader.PasscodeError
			if !errors.As(err, &pe) || !pe.Format {
				t.Fatalf("err = %v, want a format PasscodeError", err)
			}
		}},
		{name: "expired certificate", opts: virtualcard.Options{Expired: true}, pin: "123456", tries: 3, check: isCertErr("expired"),
			wantMsg: "This smartcard's certificate is not valid here: contact your Registration Authority."},
		{name: "untrusted CA", opts: virtualcard.Options{CA: unknown}, pin: "123456", tries: 3, check: isCertErr("not trusted")},
		{name: "not a PIV card", opts: virtualcard.Options{NotPIV: true}, pin: "123456", tries: 3, check: isErr(cardreader.ErrNotPIV),
			wantMsg: "This card is not a staff smartcard."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.CA == nil {
				tc.opts.CA = trusted
			}
			card := newCard(t, tc.opts)
			id, err := cardreader.Authenticate(context.Background(), card, tc.pin, anchors, time.Now())
			if tc.check == nil {
				if err != nil {
					t.Fatalf("Authenticate: %v", err)
				}
				if id.UserID != "555000000001" || id.Name != "Test User" || id.GUID != card.GUID() {
					t.Errorf("identity = %q %q %x", id.UserID, id.Name, id.GUID)
				}
			} else {
				tc.check(t, err)
				if (id != cardreader.Identity{}) {
					t.Error("a failed sign-in returned an identity")
				}
			}
			if got := card.TriesLeft(); got != tc.tries {
				t.Errorf("card tries left = %d, want %d", got, tc.tries)
			}
			if tc.wantMsg != "" {
				if got := cardreader.UserMessage(err); got != tc.wantMsg {
					t.Errorf("UserMessage = %q, want %q", got, tc.wantMsg)
				}
			}
		})
	}
}

func isErr(want error) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Fatalf("err = %v, want %v", err, want)
		}
	}
}

func isCertErr(reason string) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var ce *cardreader.CertificateError
		if !errors.As(err, &ce) || ce.Reason != reason {
			t.Fatalf("err = %v, want CertificateError %q", err, reason)
		}
	}
}

func TestTriesLeft(t *testing.T) {
	card := newCard(t, virtualcard.Options{TriesLeft: 2})
	if err := cardreader.SelectPIV(card); err != nil {
		t.Fatal(err)
	}
	if n, err := cardreader.TriesLeft(card); err != nil || n != 2 {
		t.Fatalf("TriesLeft = %d, %v; want 2", n, err)
	}
	if err := cardreader.VerifyPasscode(card, "123456"); err != nil {
		t.Fatal(err)
	}
	if n, err := cardreader.TriesLeft(card); err != nil || n != cardreader.AlreadyVerified {
		t.Fatalf("TriesLeft after verify = %d, %v; want AlreadyVerified", n, err)
	}
	blocked := newCard(t, virtualcard.Options{Blocked: true})
	_ = cardreader.SelectPIV(blocked)
	if _, err := cardreader.TriesLeft(blocked); !errors.Is(err, cardreader.ErrBlocked) {
		t.Fatalf("TriesLeft on a blocked card: %v", err)
	}
}

func TestSignNeedsPasscode(t *testing.T) {
	card := newCard(t, virtualcard.Options{})
	_ = cardreader.SelectPIV(card)
	if _, err := cardreader.Sign(card, make([]byte, 32)); !errors.Is(err, cardreader.ErrNotVerified) {
		t.Fatalf("Sign without passcode: %v", err)
	}
}

// A card that answers with someone else's certificate cannot sign for it.
type wrongKeyCard struct{ real, other *virtualcard.Card }

func (w wrongKeyCard) Transmit(apdu []byte) ([]byte, error) {
	if len(apdu) > 1 && apdu[1] == 0x87 {
		_, _ = w.other.Transmit([]byte{0x00, 0xA4, 0x04, 0x00, 0x09, 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x00})
		_, _ = w.other.Transmit(append([]byte{0x00, 0x20, 0x00, 0x80, 0x08}, []byte("123456\xFF\xFF")...))
		return w.other.Transmit(apdu)
	}
	return w.real.Transmit(apdu)
}

func TestChallengeWithWrongKey(t *testing.T) {
	ca := newCA(t, "RA")
	w := wrongKeyCard{real: newCard(t, virtualcard.Options{CA: ca}), other: newCard(t, virtualcard.Options{CA: ca})}
	_, err := cardreader.Authenticate(context.Background(), w, "123456", ca.Pool(), time.Now())
	if !errors.Is(err, cardreader.ErrChallenge) {
		t.Fatalf("err = %v, want ErrChallenge", err)
	}
}

func TestSameATRToldApart(t *testing.T) {
	ca := newCA(t, "RA")
	a := newCard(t, virtualcard.Options{CA: ca})
	b := newCard(t, virtualcard.Options{CA: ca})
	if string(a.ATR()) != string(b.ATR()) {
		t.Fatal("test needs two cards with one ATR")
	}
	ida, err := cardreader.ReadIdentity(a)
	if err != nil {
		t.Fatal(err)
	}
	idb, err := cardreader.ReadIdentity(b)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := cardreader.ReadIdentity(a)
	if ida.Same(idb) {
		t.Error("two cards with one ATR are Same")
	}
	if !ida.Same(again) {
		t.Error("one card read twice is not Same")
	}
	sameGUID := newCard(t, virtualcard.Options{CA: ca, GUID: a.GUID()})
	idc, _ := cardreader.ReadIdentity(sameGUID)
	if ida.Same(idc) {
		t.Error("a cloned GUID with another certificate is Same")
	}
}

func TestRemovedDuringSignIn(t *testing.T) {
	ca := newCA(t, "RA")
	d := cardreader.NewDemoReader()
	var card *virtualcard.Card
	card = newCard(t, virtualcard.Options{CA: ca, OnCommand: func(ins byte) {
		if ins == 0x20 { // the passcode is on its way: pull the card
			d.Remove("Demo reader")
		}
	}})
	d.Insert("Demo reader", card)
	conn, err := d.Connect("Demo reader")
	if err != nil {
		t.Fatal(err)
	}
	_, err = cardreader.Authenticate(context.Background(), conn, "123456", ca.Pool(), time.Now())
	if !errors.Is(err, cardreader.ErrCardRemoved) {
		t.Fatalf("err = %v, want ErrCardRemoved", err)
	}
	if got := cardreader.UserMessage(err); got == "" {
		t.Error("no message for a removed card")
	}
}

func TestAuthenticateCancelled(t *testing.T) {
	ca := newCA(t, "RA")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	card := newCard(t, virtualcard.Options{CA: ca})
	if _, err := cardreader.Authenticate(ctx, card, "123456", ca.Pool(), time.Now()); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if card.TriesLeft() != 3 {
		t.Error("a cancelled sign-in spent a passcode try")
	}
}

func TestCheckCertificate(t *testing.T) {
	ca := newCA(t, "RA")
	cert := newCard(t, virtualcard.Options{CA: ca}).Certificate()
	cases := []struct {
		name    string
		cert    *x509.Certificate
		anchors *x509.CertPool
		now     time.Time
		reason  string
	}{
		{name: "valid", cert: cert, anchors: ca.Pool(), now: time.Now()},
		{name: "missing", cert: nil, anchors: ca.Pool(), now: time.Now(), reason: "missing"},
		{name: "no anchors", cert: cert, anchors: nil, now: time.Now(), reason: "cannot be checked: no trust anchors configured"},
		{name: "before validity", cert: cert, anchors: ca.Pool(), now: cert.NotBefore.Add(-time.Minute), reason: "not yet valid"},
		{name: "after validity", cert: cert, anchors: ca.Pool(), now: cert.NotAfter.Add(time.Minute), reason: "expired"},
		{name: "empty pool", cert: cert, anchors: x509.NewCertPool(), now: time.Now(), reason: "not trusted"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := cardreader.CheckCertificate(tc.cert, tc.anchors, tc.now)
			if tc.reason == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			isCertErr(tc.reason)(t, err)
		})
	}
}

func TestTrustAnchors(t *testing.T) {
	ca := virtualcard.DemoCA()
	pool, err := cardreader.ParseTrustAnchors(ca.PEM())
	if err != nil {
		t.Fatal(err)
	}
	card := newCard(t, virtualcard.Options{}) // DemoCA by default
	if err := cardreader.CheckCertificate(card.Certificate(), pool, time.Now()); err != nil {
		t.Fatalf("demo card against demo CA: %v", err)
	}
	if _, err := cardreader.ParseTrustAnchors([]byte("not pem")); err == nil {
		t.Error("a bundle without certificates was accepted")
	}
}

func TestUserMessage(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{cardreader.ErrNotPIV, "This card is not a staff smartcard."},
		{&cardreader.CertificateError{Reason: "expired"}, "This smartcard's certificate is not valid here: contact your Registration Authority."},
		{cardreader.ErrBlocked, "Your smartcard is locked after 3 wrong passcodes: your Registration Authority can unlock it."},
		{&cardreader.PasscodeError{TriesLeft: 1}, "Wrong passcode: 1 try left before your smartcard locks."},
	}
	for _, tc := range cases {
		if got := cardreader.UserMessage(tc.err); got != tc.want {
			t.Errorf("UserMessage(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
	for _, err := range []error{cardreader.ErrCardRemoved, cardreader.ErrNoService, cardreader.ErrNoReader, cardreader.ErrChallenge, errors.New("x")} {
		if cardreader.UserMessage(err) == "" {
			t.Errorf("no message for %v", err)
		}
	}
}

func BenchmarkSignInInProcess(b *testing.B) {
	ca := newCA(b, "RA")
	card := newCard(b, virtualcard.Options{CA: ca})
	anchors := ca.Pool()
	b.ResetTimer()
	for b.Loop() {
		card.Reset()
		if _, err := cardreader.Authenticate(context.Background(), card, "123456", anchors, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

func TestProve(t *testing.T) {
	ca := newCA(t, "RA")
	for _, rsaKey := range []bool{false, true} {
		card := newCard(t, virtualcard.Options{CA: ca, RSA: rsaKey})
		other := newCard(t, virtualcard.Options{CA: ca, RSA: rsaKey})
		_ = cardreader.SelectPIV(card)
		if err := cardreader.VerifyPasscode(card, "123456"); err != nil {
			t.Fatal(err)
		}
		if err := cardreader.Prove(card, card.Certificate()); err != nil {
			t.Errorf("RSA %v: Prove with the card's own certificate: %v", rsaKey, err)
		}
		if err := cardreader.Prove(card, other.Certificate()); !errors.Is(err, cardreader.ErrChallenge) {
			t.Errorf("RSA %v: Prove with another card's certificate: %v, want ErrChallenge", rsaKey, err)
		}
	}
}
