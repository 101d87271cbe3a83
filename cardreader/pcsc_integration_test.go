//go:build pcsc

package cardreader_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"scrdesk/cardreader"
	"scrdesk/cardreader/virtualcard"
)

func TestPCSCInsertRemoveBothReaders(t *testing.T) {
	needPCSC(t)
	w, events := startWatcher(t)
	waitEvent(t, events, cardreader.ReaderAttached, reader0)
	waitEvent(t, events, cardreader.ReaderAttached, reader1)
	if got := w.Readers(); len(got) != 2 || got[0] != reader0 || got[1] != reader1 {
		t.Fatalf("Readers() = %q", got)
	}
	for _, r := range []struct{ name, addr string }{{reader0, addr0}, {reader1, addr1}} {
		t.Run(r.name, func(t *testing.T) {
			card := newCard(t, virtualcard.Options{})
			insert(t, card, r.addr)
			ev := waitEvent(t, events, cardreader.CardInserted, r.name)
			if !bytes.Equal(ev.ATR, virtualcard.DefaultATR) {
				t.Errorf("ATR = % X, want % X", ev.ATR, virtualcard.DefaultATR)
			}
			// Using the card (in-use state changes) must not look like a swap.
			conn, err := cardreader.ConnectPCSC(r.name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cardreader.ReadIdentity(conn); err != nil {
				t.Fatal(err)
			}
			conn.Close()
			time.Sleep(pcscdPoll)
			if err := card.Remove(); err != nil {
				t.Fatal(err)
			}
			// Strict: the very next event is this removal.
			select {
			case ev := <-events:
				if ev.Kind != cardreader.CardRemoved || ev.Reader != r.name {
					t.Fatalf("next event = %v %q, want card removed from %q", ev.Kind, ev.Reader, r.name)
				}
			case <-time.After(15 * time.Second):
				t.Fatal("no removal event")
			}
		})
	}
}

func TestPCSCSignIn(t *testing.T) {
	needPCSC(t)
	trusted := newCA(t, "Trusted RA")
	unknown := newCA(t, "Unknown RA")
	_, events := startWatcher(t)
	cases := []struct {
		name   string
		reader string
		addr   string
		opts   virtualcard.Options
		pin    string
		check  func(t *testing.T, err error)
	}{
		{name: "right passcode", opts: virtualcard.Options{}, pin: "123456"},
		{name: "right passcode in the second reader", reader: reader1, addr: addr1, opts: virtualcard.Options{}, pin: "123456"},
		{name: "right passcode, 61xx pieces", opts: virtualcard.Options{ChunkSize: 64}, pin: "123456"},
		{name: "right passcode, long answers", opts: virtualcard.Options{LongAnswers: true}, pin: "123456"},
		{name: "right passcode, RSA-2048 card", opts: virtualcard.Options{RSA: true}, pin: "123456"},
		{name: "wrong passcode", pin: "999999", check: func(t *testing.T, err error) {
			var pe *cardreader.PasscodeError
			if !errors.As(err, &pe) || pe.TriesLeft != 2 {
				t.Fatalf("err = %v, want 2 tries left", err)
			}
		}},
		{name: "blocked card", opts: virtualcard.Options{Blocked: true}, pin: "123456", check: isErr(cardreader.ErrBlocked)},
		{name: "expired certificate", opts: virtualcard.Options{Expired: true}, pin: "123456", check: isCertErr("expired")},
		{name: "untrusted CA", opts: virtualcard.Options{CA: unknown}, pin: "123456", check: isCertErr("not trusted")},
		{name: "not a PIV card", opts: virtualcard.Options{NotPIV: true}, pin: "123456", check: isErr(cardreader.ErrNotPIV)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.reader == "" {
				tc.reader, tc.addr = reader0, addr0
			}
			if tc.opts.CA == nil {
				tc.opts.CA = trusted
			}
			card := newCard(t, tc.opts)
			insert(t, card, tc.addr)
			waitEvent(t, events, cardreader.CardInserted, tc.reader)
			conn, err := cardreader.ConnectPCSC(tc.reader)
			if err != nil {
				t.Fatal(err)
			}
			id, err := cardreader.Authenticate(context.Background(), conn, tc.pin, trusted.Pool(), time.Now())
			if cerr := conn.Close(); cerr != nil {
				t.Errorf("Close: %v", cerr)
			}
			if tc.check != nil {
				tc.check(t, err)
			} else if err != nil {
				t.Fatalf("Authenticate: %v", err)
			} else if id.GUID != card.GUID() || !id.Cert.Equal(card.Certificate()) {
				t.Error("identity is not the card's")
			}
			time.Sleep(pcscdPoll)
			_ = card.Remove()
			waitEvent(t, events, cardreader.CardRemoved, tc.reader)
		})
	}
}

func TestPCSCRemovedDuringSignIn(t *testing.T) {
	needPCSC(t)
	ca := newCA(t, "RA")
	_, events := startWatcher(t)
	var card *virtualcard.Card
	card = newCard(t, virtualcard.Options{CA: ca, OnCommand: func(ins byte) {
		if ins == 0x20 && card.Inserted() { // the passcode is on its way: pull the card
			go card.Remove()
			time.Sleep(100 * time.Millisecond) // let the socket close before the answer
		}
	}})
	insert(t, card, addr0)
	waitEvent(t, events, cardreader.CardInserted, reader0)
	conn, err := cardreader.ConnectPCSC(reader0)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = cardreader.Authenticate(context.Background(), conn, "123456", ca.Pool(), time.Now())
	if !errors.Is(err, cardreader.ErrCardRemoved) {
		t.Fatalf("err = %v, want ErrCardRemoved", err)
	}
	t.Logf("removed mid sign-in: %v", err)
	waitEvent(t, events, cardreader.CardRemoved, reader0)
}

func TestPCSCSameATRToldApart(t *testing.T) {
	needPCSC(t)
	ca := newCA(t, "RA")
	_, events := startWatcher(t)
	a := newCard(t, virtualcard.Options{CA: ca})
	b := newCard(t, virtualcard.Options{CA: ca})
	read := func(card *virtualcard.Card) (cardreader.Identity, []byte) {
		t.Helper()
		insert(t, card, addr0)
		ev := waitEvent(t, events, cardreader.CardInserted, reader0)
		conn, err := cardreader.ConnectPCSC(reader0)
		if err != nil {
			t.Fatal(err)
		}
		id, err := cardreader.ReadIdentity(conn)
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(pcscdPoll)
		_ = card.Remove()
		waitEvent(t, events, cardreader.CardRemoved, reader0)
		return id, ev.ATR
	}
	ida, atrA := read(a)
	idb, atrB := read(b)
	ida2, _ := read(a)
	if !bytes.Equal(atrA, atrB) {
		t.Fatalf("ATRs differ: % X / % X", atrA, atrB)
	}
	if ida.Same(idb) {
		t.Error("two cards with the same ATR are Same")
	}
	if !ida.Same(ida2) {
		t.Error("the same card re-inserted is not Same")
	}
}

// TestPCSCCheckCommand runs `scrdesk card check` over the real PC/SC stack.
func TestPCSCCheckCommand(t *testing.T) {
	needPCSC(t)
	ca := newCA(t, "RA")
	anchors := filepath.Join(t.TempDir(), "anchors.pem")
	if err := os.WriteFile(anchors, ca.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	card := newCard(t, virtualcard.Options{CA: ca})
	insert(t, card, addr1)
	var stdout, stderr bytes.Buffer
	code := cardreader.CheckCommand(context.Background(), []string{"--pin-stdin", "--reader", reader1, "--timeout", "15s"},
		strings.NewReader("123456\n"), &stdout, &stderr, cardreader.CheckDefaults{TrustAnchorsFile: anchors})
	if code != cardreader.CheckOK {
		t.Fatalf("exit %d\n%s\n%s", code, &stdout, &stderr)
	}
	t.Logf("card check:\n%s", &stdout)
	// The check verified the passcode and had the card sign; it leaves the card as it found it:
	// another program's connection must not find the passcode verified.
	conn, err := cardreader.ConnectPCSC(reader1)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := cardreader.SelectPIV(conn); err != nil {
		t.Fatal(err)
	}
	if cardreader.Verified(conn) {
		t.Error("after card check a second PC/SC connection sees the passcode verified")
	}
	time.Sleep(pcscdPoll)
}
