package virtualcard

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"io"
	"net"
	"testing"
	"time"
)

var commandCases = []struct {
	name     string
	in       []byte
	ok       bool
	data     []byte
	le       int
	extended bool
}{
	{name: "case 1", in: []byte{0, 0x20, 0, 0x80}, ok: true},
	{name: "case 2", in: []byte{0, 0xC0, 0, 0, 0x10}, ok: true, le: 0x10},
	{name: "case 2 Le 00", in: []byte{0, 0xC0, 0, 0, 0}, ok: true, le: 256},
	{name: "case 3", in: []byte{0, 0x20, 0, 0x80, 2, 1, 2}, ok: true, data: []byte{1, 2}},
	{name: "case 4", in: []byte{0, 0xCB, 0x3F, 0xFF, 1, 0x7E, 0}, ok: true, data: []byte{0x7E}, le: 256},
	{name: "case 2 extended", in: []byte{0, 0xCB, 0, 0, 0, 0x01, 0x00}, ok: true, le: 256, extended: true},
	{name: "case 4 extended", in: []byte{0, 0xCB, 0x3F, 0xFF, 0, 0, 1, 0x7E, 0, 0}, ok: true, data: []byte{0x7E}, le: 65536, extended: true},
	{name: "too short", in: []byte{0, 0x20, 0}, ok: false},
	{name: "Lc too long", in: []byte{0, 0x20, 0, 0x80, 5, 1}, ok: false},
	{name: "extended truncated", in: []byte{0, 0x20, 0, 0x80, 0, 1}, ok: false},
}

func TestParseCommand(t *testing.T) {
	for _, tc := range commandCases {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := parseCommand(tc.in)
			if ok != tc.ok {
				t.Fatalf("ok = %v", ok)
			}
			if ok && (!bytes.Equal(c.data, tc.data) || c.le != tc.le || c.extended != tc.extended) {
				t.Errorf("command = % X le %d ext %v", c.data, c.le, c.extended)
			}
		})
	}
}

// FuzzCommand sends arbitrary command APDUs to a card: it must always answer
// with at least a status word, and never panic.
func FuzzCommand(f *testing.F) {
	for _, tc := range commandCases {
		f.Add(tc.in)
	}
	card, err := New(Options{ChunkSize: 40})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, apdu []byte) {
		_, _ = card.Transmit([]byte{0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08})
		r, _ := card.Transmit(apdu)
		if len(r) < 2 {
			t.Fatalf("answer % X has no status word", r)
		}
	})
}

func TestDemoCAIsDeterministic(t *testing.T) {
	seed := sha256.Sum256([]byte(demoCALabel))
	want, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), seed[:])
	if err != nil {
		t.Fatal(err)
	}
	if !DemoCA().key.Equal(want) {
		t.Fatal("demo CA key is not the published derivation")
	}
	if DemoCA() != DemoCA() {
		t.Error("DemoCA made twice")
	}
}

func TestChunkedAnswer(t *testing.T) {
	card, err := New(Options{ChunkSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = card.Transmit([]byte{0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08})
	r, _ := card.Transmit([]byte{0x00, 0xCB, 0x3F, 0xFF, 0x05, 0x5C, 0x03, 0x5F, 0xC1, 0x05, 0x00})
	var got []byte
	for {
		got = append(got, r[:len(r)-2]...)
		sw1, sw2 := r[len(r)-2], r[len(r)-1]
		if sw1 == 0x90 {
			break
		}
		if sw1 != 0x61 || len(r)-2 > 100 {
			t.Fatalf("piece of %d bytes ended %02X%02X", len(r)-2, sw1, sw2)
		}
		r, _ = card.Transmit([]byte{0x00, 0xC0, 0x00, 0x00, sw2})
	}
	if !bytes.Equal(got, card.objects[0x5FC105]) {
		t.Fatal("pieces do not add up to the object")
	}
	// An extended command gets the whole answer at once.
	r, _ = card.Transmit([]byte{0x00, 0xCB, 0x3F, 0xFF, 0x00, 0x00, 0x05, 0x5C, 0x03, 0x5F, 0xC1, 0x05, 0x00, 0x00})
	if !bytes.Equal(r[:len(r)-2], card.objects[0x5FC105]) || r[len(r)-2] != 0x90 {
		t.Fatal("extended GET DATA did not answer whole")
	}
}

// TestVPCDProtocol plays the reader side of vpcd over loopback.
func TestVPCDProtocol(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	card, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	if err := card.Insert(ln.Addr().String()); err != nil {
		t.Fatal(err)
	}
	if err := card.Insert(ln.Addr().String()); err == nil {
		t.Error("inserted twice")
	}
	conn := <-accepted
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	send := func(msg []byte) {
		t.Helper()
		if _, err := conn.Write(append([]byte{byte(len(msg) >> 8), byte(len(msg))}, msg...)); err != nil {
			t.Fatal(err)
		}
	}
	recv := func() []byte {
		t.Helper()
		var hdr [2]byte
		if _, err := io.ReadFull(conn, hdr[:]); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, int(hdr[0])<<8|int(hdr[1]))
		if _, err := io.ReadFull(conn, b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	send([]byte{0x01}) // power on: no answer
	send([]byte{0x04})
	if got := recv(); !bytes.Equal(got, DefaultATR) {
		t.Fatalf("ATR = % X", got)
	}
	send([]byte{0x00, 0xA4, 0x04, 0x00, 0x09, 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x00})
	if got := recv(); len(got) < 2 || !bytes.Equal(got[len(got)-2:], []byte{0x90, 0x00}) || got[0] != 0x61 {
		t.Fatalf("SELECT answer % X", got)
	}
	if err := card.Remove(); err != nil {
		t.Fatal(err)
	}
	if card.Inserted() {
		t.Error("still inserted after Remove")
	}
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Error("connection still open after Remove")
	}
}
