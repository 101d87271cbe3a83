package cardreader_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"scrdesk/cardreader"
	"scrdesk/cardreader/virtualcard"
)

func TestCheckCommand(t *testing.T) {
	trusted := newCA(t, "Trusted RA")
	unknown := newCA(t, "Unknown RA")
	anchors := filepath.Join(t.TempDir(), "anchors.pem")
	if err := os.WriteFile(anchors, trusted.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		opts     virtualcard.Options
		args     []string
		stdin    string
		code     int
		contains []string
		json     func(t *testing.T, r cardreader.CheckResult)
	}{
		{name: "good card", args: []string{"--pin-stdin"}, stdin: "123456\n", code: cardreader.CheckOK,
			contains: []string{"Reader:       Demo reader", "User id:      555000000001", "Chain:        ok", "Passcode:     ok", "Challenge:    ok", "Result:       OK"}},
		{name: "good card json", args: []string{"--pin-stdin", "--json"}, stdin: "123456", code: cardreader.CheckOK,
			json: func(t *testing.T, r cardreader.CheckResult) {
				if !r.OK || r.UserID != "555000000001" || r.Chain != "ok" || r.Passcode != "ok" || r.Challenge != "ok" || *r.TriesLeft != 3 || r.ATR == "" {
					t.Errorf("result = %+v", r)
				}
			}},
		{name: "wrong passcode", args: []string{"--pin-stdin", "--json"}, stdin: "000000\n", code: cardreader.CheckCardBad,
			json: func(t *testing.T, r cardreader.CheckResult) {
				if r.OK || r.Passcode != "wrong" || *r.TriesLeft != 2 || r.Error != "Wrong passcode: 2 tries left before your smartcard locks." {
					t.Errorf("result = %+v", r)
				}
			}},
		{name: "blocked", opts: virtualcard.Options{Blocked: true}, args: []string{"--pin-stdin"}, stdin: "123456\n", code: cardreader.CheckCardBad,
			contains: []string{"Your smartcard is locked after 3 wrong passcodes"}},
		{name: "expired", opts: virtualcard.Options{Expired: true}, args: []string{"--pin-stdin"}, stdin: "123456\n", code: cardreader.CheckCardBad,
			contains: []string{"NOT VALID", "This smartcard's certificate is not valid here: contact your Registration Authority."}},
		{name: "untrusted", opts: virtualcard.Options{CA: unknown}, args: []string{"--pin-stdin", "--json"}, stdin: "123456\n", code: cardreader.CheckCardBad,
			json: func(t *testing.T, r cardreader.CheckResult) {
				if r.OK || r.Passcode != "" || !strings.Contains(r.Chain, "not trusted") {
					t.Errorf("result = %+v", r)
				}
			}},
		{name: "not PIV", opts: virtualcard.Options{NotPIV: true}, args: []string{"--pin-stdin"}, stdin: "123456\n", code: cardreader.CheckCardBad,
			contains: []string{"This card is not a staff smartcard."}},
		{name: "other reader only", args: []string{"--pin-stdin", "--reader", "Nowhere", "--timeout", "200ms"}, stdin: "123456\n", code: cardreader.CheckNoCard},
		{name: "no anchors", args: []string{"--pin-stdin", "--trust-anchors", ""}, code: cardreader.CheckUsage},
		{name: "bad flag", args: []string{"--nope"}, code: cardreader.CheckUsage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.CA == nil {
				tc.opts.CA = trusted
			}
			d := cardreader.NewDemoReader()
			d.Insert("Demo reader", newCard(t, tc.opts))
			var stdout, stderr bytes.Buffer
			code := cardreader.CheckCommand(context.Background(), tc.args, strings.NewReader(tc.stdin), &stdout, &stderr,
				cardreader.CheckDefaults{TrustAnchorsFile: anchors, Source: d})
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, &stdout, &stderr)
			}
			for _, s := range tc.contains {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, &stdout)
				}
			}
			if strings.Contains(stdout.String()+stderr.String(), "123456") {
				t.Error("the passcode was printed")
			}
			if tc.json != nil {
				var r cardreader.CheckResult
				if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
					t.Fatalf("not one JSON object: %v\n%s", err, &stdout)
				}
				tc.json(t, r)
			}
		})
	}
}

func TestCheckCommandWaitsForCard(t *testing.T) {
	ca := newCA(t, "RA")
	anchors := filepath.Join(t.TempDir(), "anchors.pem")
	_ = os.WriteFile(anchors, ca.PEM(), 0o600)
	d := cardreader.NewDemoReader()
	go func() {
		time.Sleep(50 * time.Millisecond)
		d.Insert("Late reader", newCard(t, virtualcard.Options{CA: ca}))
	}()
	var stdout, stderr bytes.Buffer
	code := cardreader.CheckCommand(context.Background(), []string{"--pin-stdin"}, strings.NewReader("123456\n"), &stdout, &stderr,
		cardreader.CheckDefaults{TrustAnchorsFile: anchors, Source: d})
	if code != cardreader.CheckOK {
		t.Fatalf("exit %d\n%s\n%s", code, &stdout, &stderr)
	}
}

func TestDemoReaderEvents(t *testing.T) {
	d := cardreader.NewDemoReader()
	first := newCard(t, virtualcard.Options{})
	d.Insert("A", first) // before Run: reported as the initial state
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan cardreader.Event, 16)
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, events) }()
	next := func(kind cardreader.EventKind, reader string) cardreader.Event {
		t.Helper()
		select {
		case ev := <-events:
			if ev.Kind != kind || ev.Reader != reader {
				t.Fatalf("event = %v %q, want %v %q", ev.Kind, ev.Reader, kind, reader)
			}
			return ev
		case <-time.After(5 * time.Second):
			t.Fatalf("no %v event", kind)
		}
		return cardreader.Event{}
	}
	next(cardreader.ReaderAttached, "A")
	if ev := next(cardreader.CardInserted, "A"); !bytes.Equal(ev.ATR, virtualcard.DefaultATR) {
		t.Errorf("ATR = % X", ev.ATR)
	}
	conn, err := d.Connect("A")
	if err != nil {
		t.Fatal(err)
	}
	d.Remove("A")
	next(cardreader.CardRemoved, "A")
	if _, err := conn.Transmit([]byte{0, 0xA4, 4, 0}); err == nil {
		t.Error("a removed card still answers")
	}
	d.Insert("B", newCard(t, virtualcard.Options{}))
	next(cardreader.ReaderAttached, "B")
	next(cardreader.CardInserted, "B")
	d.Detach("B")
	next(cardreader.CardRemoved, "B")
	next(cardreader.ReaderDetached, "B")
	if _, err := d.Connect("B"); err == nil {
		t.Error("connected to a detached reader")
	}
	d.Attach("C")
	next(cardreader.ReaderAttached, "C")
	d.Attach("C") // already there: no event
	d.Remove("C") // empty: no event
	d.Insert("C", newCard(t, virtualcard.Options{}))
	next(cardreader.CardInserted, "C")
	d.Detach("C")
	next(cardreader.CardRemoved, "C")
	next(cardreader.ReaderDetached, "C")
	if got := d.Readers(); len(got) != 1 || got[0] != "A" {
		t.Errorf("Readers() = %q", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// Both sources satisfy the interface the app uses.
var (
	_ cardreader.Source = (*cardreader.Watcher)(nil)
	_ cardreader.Source = (*cardreader.DemoReader)(nil)
)

// TestCheckCommandSaysAtOnceWhenNoCardCanCome: with no PC/SC service, no reader, or not the
// reader asked for, card check answers at once (exit 4) in words for a terminal, without
// waiting for a card.
func TestCheckCommandSaysAtOnceWhenNoCardCanCome(t *testing.T) {
	anchors := filepath.Join(t.TempDir(), "anchors.pem")
	if err := os.WriteFile(anchors, newCA(t, "Trusted RA").PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		probe func() ([]string, error)
		args  []string
		want  string
	}{
		{"no service", func() ([]string, error) { return nil, cardreader.ErrNoService }, nil, "The smartcard service (PC/SC) is not running on this computer"},
		{"no reader", func() ([]string, error) { return nil, cardreader.ErrNoReader }, nil, "No smartcard reader is attached to this computer. Plug the reader in"},
		{"not that reader", func() ([]string, error) { return []string{"ACS ACR39U 00 00"}, nil }, []string{"--reader", "Omnikey 3121"},
			`The reader "Omnikey 3121" is not attached. Attached: ACS ACR39U 00 00.`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			start := time.Now()
			code := cardreader.CheckCommand(context.Background(), append(c.args, "--trust-anchors", anchors), strings.NewReader(""), &out, &errb,
				cardreader.CheckDefaults{Probe: c.probe})
			if code != cardreader.CheckNoSystem || !strings.Contains(out.String(), "Result:       FAILED\n"+c.want) {
				t.Errorf("exit %d\n%s\n%s", code, out.String(), errb.String())
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %s: it waited", d)
			}
			if strings.Contains(errb.String(), "Waiting") {
				t.Errorf("said it was waiting: %s", errb.String())
			}
		})
	}
}
