// Package virtualcard is a PIV card written in Go, for tests and the demo mode.
//
// A Card answers the PIV card application's commands (NIST SP 800-73-4 part 2,
// with the data objects of part 1) from memory: SELECT, GET DATA (CCC, CHUID,
// discovery object, key history, PIV Authentication certificate), VERIFY of the
// PIV Card Application PIN, GENERAL AUTHENTICATE with key 9A (ECC P-256, or
// RSA-2048 with Options.RSA), command chaining and GET RESPONSE. It makes its own P-256 key and certificate at run time, signed by a
// CA of the test's choosing, and can be told to be expired, untrusted, blocked
// or not a PIV card at all.
//
// It serves two transports: Transmit, in-process (the demo reader and unit
// tests), and the vsmartcard vpcd protocol over TCP (Insert/Remove), so a real
// pcscd sees it in a "Virtual PCD" reader and OpenSC can talk to it.
//
// Threading: all methods are safe for concurrent use; commands are answered
// one at a time.
package virtualcard

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"net"
	"sync"
	"time"

	"scrdesk/cardreader/internal/bertlv"
)

// DefaultATR is the ATR a card sends unless told otherwise: T=0 and T=1, with
// the historical bytes "SCRDESK1". Every default card shares it (as two cards
// of one real model do), so it never identifies a card.
var DefaultATR = atrWithHistory([]byte("SCRDESK1"))

func atrWithHistory(hist []byte) []byte {
	atr := []byte{0x3B, 0x80 | byte(len(hist)), 0x80, 0x01}
	atr = append(atr, hist...)
	var tck byte
	for _, b := range atr[1:] {
		tck ^= b
	}
	return append(atr, tck)
}

// pivAID is the PIV card application's full AID with version (SP 800-73-4 part 1, 2.2).
var pivAID = []byte{0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00}

// Options describe the card to make. The zero value of each field means the
// documented default.
type Options struct {
	UserID string // subject serialNumber; default "555000000001"
	Name   string // subject CN; default "Test User"
	PIN    string // default "123456"
	// TriesLeft is the PIN retry counter at start (default and maximum 3).
	TriesLeft int
	Blocked   bool     // start with the PIN blocked (retry counter 0)
	GUID      [16]byte // CHUID GUID; default random
	Expired   bool     // the certificate expired yesterday
	NotPIV    bool     // no PIV application: SELECT answers 6A82
	CA        *CA      // issuer; default DemoCA()
	ATR       []byte   // default DefaultATR

	// ChunkSize, when set, caps every short answer at this many bytes and
	// sends the rest through 61xx / GET RESPONSE, to exercise chaining.
	ChunkSize int
	// LongAnswers sends every answer whole, however long, as a card using
	// extended length does, even to a short command.
	LongAnswers bool
	// RSA gives the card an RSA-2048 key (algorithm 07) instead of ECC P-256.
	RSA bool
	// GzipCert stores the certificate gzip-compressed (CertInfo 71 = 01).
	GzipCert bool
	// OnCommand, if set, is called with each command's INS byte before the
	// card answers it, outside the card's lock (tests remove the card from here).
	OnCommand func(ins byte)
}

// Card is one virtual PIV card. Make it with New.
type Card struct {
	opts    Options
	key     crypto.Signer // *ecdsa.PrivateKey or *rsa.PrivateKey
	certDER []byte
	cert    *x509.Certificate
	objects map[uint32][]byte // GET DATA tag -> whole answer (53 or 7E template)

	mu       sync.Mutex
	tries    int
	verified bool
	selected bool
	pending  []byte // rest of a long answer, for GET RESPONSE
	chain    []byte // command chaining buffer

	connMu sync.Mutex
	conn   net.Conn
	done   chan struct{}
}

const maxTries = 3

// New makes a card: a fresh P-256 key and a certificate for it signed by opts.CA.
func New(opts Options) (*Card, error) {
	if opts.UserID == "" {
		opts.UserID = "555000000001"
	}
	if opts.Name == "" {
		opts.Name = "Test User"
	}
	if opts.PIN == "" {
		opts.PIN = "123456"
	}
	if opts.TriesLeft <= 0 || opts.TriesLeft > maxTries {
		opts.TriesLeft = maxTries
	}
	if opts.Blocked {
		opts.TriesLeft = 0
	}
	if opts.CA == nil {
		opts.CA = DemoCA()
	}
	if opts.ATR == nil {
		opts.ATR = DefaultATR
	}
	if opts.GUID == ([16]byte{}) {
		if _, err := rand.Read(opts.GUID[:]); err != nil {
			return nil, err
		}
	}
	var key crypto.Signer
	var err error
	if opts.RSA {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		return nil, fmt.Errorf("make card key: %w", err)
	}
	from, to := time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0)
	if opts.Expired {
		from, to = time.Now().AddDate(-2, 0, 0), time.Now().AddDate(0, 0, -1)
	}
	der, err := opts.CA.issue(key.Public(), opts.UserID, opts.Name, from, to)
	if err != nil {
		return nil, fmt.Errorf("issue card certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	c := &Card{opts: opts, key: key, certDER: der, cert: cert, tries: opts.TriesLeft}
	if err := c.buildObjects(); err != nil {
		return nil, err
	}
	return c, nil
}

// Certificate returns the card's PIV Authentication certificate.
func (c *Card) Certificate() *x509.Certificate { return c.cert }

// GUID returns the card's CHUID GUID.
func (c *Card) GUID() [16]byte { return c.opts.GUID }

// ATR returns the card's ATR.
func (c *Card) ATR() []byte { return bytes.Clone(c.opts.ATR) }

// TriesLeft returns the PIN retry counter now.
func (c *Card) TriesLeft() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tries
}

func (c *Card) buildObjects() error {
	g := c.opts.GUID
	fascn := make([]byte, 25) // SP 800-73-4 part 1 3.1.2: FASC-N; all-zero agency code 9999 style placeholder
	copy(fascn, []byte{0xD4, 0xE7, 0x39, 0xDA, 0x73, 0x9C, 0xED, 0x39, 0xCE, 0x73, 0x9D, 0x83, 0x68, 0x58, 0x21, 0x08, 0x42, 0x10, 0x84, 0x21, 0xC8, 0x42, 0x10, 0xC3, 0xEB})
	expiry := []byte(time.Now().AddDate(5, 0, 0).Format("20060102"))
	chuid := bertlv.Concat(
		bertlv.TLV{Tag: 0x30, Value: fascn},
		bertlv.TLV{Tag: 0x34, Value: g[:]},
		bertlv.TLV{Tag: 0x35, Value: expiry},
		bertlv.TLV{Tag: 0x3E, Value: nil}, // issuer asymmetric signature: empty on this test card
		bertlv.TLV{Tag: 0xFE, Value: nil},
	)
	cardID := append([]byte{0xA0, 0x00, 0x00, 0x01, 0x16, 0xFF, 0x02}, g[:14]...) // CCC card identifier (21 bytes)
	ccc := bertlv.Concat(
		bertlv.TLV{Tag: 0xF0, Value: cardID},
		bertlv.TLV{Tag: 0xF1, Value: []byte{0x21}},
		bertlv.TLV{Tag: 0xF2, Value: []byte{0x21}},
		bertlv.TLV{Tag: 0xF3, Value: nil},
		bertlv.TLV{Tag: 0xF4, Value: []byte{0x00}},
		bertlv.TLV{Tag: 0xF5, Value: []byte{0x10}},
		bertlv.TLV{Tag: 0xF6, Value: nil},
		bertlv.TLV{Tag: 0xF7, Value: nil},
		bertlv.TLV{Tag: 0xFA, Value: nil},
		bertlv.TLV{Tag: 0xFB, Value: nil},
		bertlv.TLV{Tag: 0xFC, Value: nil},
		bertlv.TLV{Tag: 0xFD, Value: nil},
		bertlv.TLV{Tag: 0xFE, Value: nil},
	)
	certValue, info := c.certDER, byte(0x00)
	if c.opts.GzipCert {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(c.certDER); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		certValue, info = buf.Bytes(), 0x01
	}
	certObj := bertlv.Concat(
		bertlv.TLV{Tag: 0x70, Value: certValue},
		bertlv.TLV{Tag: 0x71, Value: []byte{info}},
		bertlv.TLV{Tag: 0xFE, Value: nil},
	)
	keyHistory := bertlv.Concat(
		bertlv.TLV{Tag: 0xC1, Value: []byte{0}},
		bertlv.TLV{Tag: 0xC2, Value: []byte{0}},
		bertlv.TLV{Tag: 0xFE, Value: nil},
	)
	// Discovery object (part 1, 3.3.2): the AID and the PIN usage policy
	// "PIV Card Application PIN only" (0x40 0x00).
	discovery := bertlv.Encode(0x7E, bertlv.Concat(
		bertlv.TLV{Tag: 0x4F, Value: pivAID},
		bertlv.TLV{Tag: 0x5F2F, Value: []byte{0x40, 0x00}},
	))
	c.objects = map[uint32][]byte{
		0x5FC107: bertlv.Encode(0x53, ccc),
		0x5FC102: bertlv.Encode(0x53, chuid),
		0x5FC105: bertlv.Encode(0x53, certObj),
		0x5FC10C: bertlv.Encode(0x53, keyHistory),
		0x7E:     discovery,
	}
	return nil
}

// Status words (ISO/IEC 7816-4 and SP 800-73-4 part 2, table 6).
const (
	swOK               = 0x9000
	swWrongLength      = 0x6700
	swSecurityStatus   = 0x6982
	swBlocked          = 0x6983
	swConditions       = 0x6985
	swWrongData        = 0x6A80
	swNotFound         = 0x6A82
	swIncorrectP1P2    = 0x6A86
	swINSNotSupported  = 0x6D00
	swCLANotSupported  = 0x6E00
	swNoPreciseDiag    = 0x6F00
	swLastCommandChain = 0x6883
)

type command struct {
	cla, ins, p1, p2 byte
	data             []byte
	le               int // 0 = none
	extended         bool
}

func parseCommand(b []byte) (command, bool) {
	if len(b) < 4 {
		return command{}, false
	}
	c := command{cla: b[0], ins: b[1], p1: b[2], p2: b[3]}
	body := b[4:]
	switch {
	case len(body) == 0:
	case len(body) == 1:
		c.le = int(body[0])
		if c.le == 0 {
			c.le = 256
		}
	case body[0] != 0:
		lc := int(body[0])
		switch len(body) {
		case 1 + lc:
			c.data = body[1:]
		case 2 + lc:
			c.data = body[1 : 1+lc]
			c.le = int(body[1+lc])
			if c.le == 0 {
				c.le = 256
			}
		default:
			return c, false
		}
	default: // extended length
		c.extended = true
		if len(body) < 3 {
			return c, false
		}
		n := int(body[1])<<8 | int(body[2])
		if len(body) == 3 {
			c.le = n
			if c.le == 0 {
				c.le = 65536
			}
			return c, true
		}
		rest := body[3:]
		switch len(rest) {
		case n:
			c.data = rest
		case n + 2:
			c.data = rest[:n]
			c.le = int(rest[n])<<8 | int(rest[n+1])
			if c.le == 0 {
				c.le = 65536
			}
		default:
			return c, false
		}
	}
	return c, true
}

func sw(code int) []byte { return []byte{byte(code >> 8), byte(code)} }

// Transmit answers one command APDU with its response APDU (data and status
// word). It is the in-process transport; it works whether or not the card is
// inserted in a vpcd reader, and shares the card's state with it.
func (c *Card) Transmit(apdu []byte) ([]byte, error) {
	if len(apdu) >= 2 && c.opts.OnCommand != nil {
		c.opts.OnCommand(apdu[1])
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.handle(apdu), nil
}

func (c *Card) handle(apdu []byte) []byte {
	cmd, ok := parseCommand(apdu)
	if !ok {
		c.pending = nil
		return sw(swWrongLength)
	}
	if cmd.ins == 0xC0 && cmd.cla&0xEF == 0 {
		return c.getResponse(cmd)
	}
	c.pending = nil
	if cmd.cla&0xEF != 0 {
		return sw(swCLANotSupported)
	}
	if cmd.cla&0x10 != 0 { // command chaining, ISO 7816-4 5.1.1.1
		c.chain = append(c.chain, cmd.data...)
		return sw(swOK)
	}
	if c.chain != nil {
		cmd.data = append(c.chain, cmd.data...)
		c.chain = nil
	}
	data, status := c.dispatch(cmd)
	return c.respond(cmd, data, status)
}

// respond sends data whole or in 61xx pieces, as the command and options ask.
func (c *Card) respond(cmd command, data []byte, status int) []byte {
	limit := 256
	if cmd.le > 0 && cmd.le < limit {
		limit = cmd.le
	}
	if c.opts.ChunkSize > 0 && c.opts.ChunkSize < limit {
		limit = c.opts.ChunkSize
	}
	if cmd.extended || c.opts.LongAnswers || len(data) <= limit || status != swOK {
		return append(bytes.Clone(data), sw(status)...)
	}
	return c.piece(data, limit)
}

func (c *Card) piece(data []byte, limit int) []byte {
	first, rest := data[:limit], data[limit:]
	out := bytes.Clone(first)
	if len(rest) == 0 {
		c.pending = nil
		return append(out, sw(swOK)...)
	}
	c.pending = bytes.Clone(rest)
	next := len(rest)
	if next > 255 {
		next = 0 // 6100: 256 or more bytes remain
	}
	return append(out, 0x61, byte(next))
}

func (c *Card) getResponse(cmd command) []byte {
	if c.pending == nil {
		return sw(swConditions)
	}
	limit := cmd.le
	if limit == 0 || limit > 256 {
		limit = 256
	}
	if c.opts.ChunkSize > 0 && c.opts.ChunkSize < limit {
		limit = c.opts.ChunkSize
	}
	if limit > len(c.pending) {
		limit = len(c.pending)
	}
	return c.piece(c.pending, limit)
}

func (c *Card) dispatch(cmd command) ([]byte, int) {
	if cmd.ins == 0xA4 {
		return c.selectApp(cmd)
	}
	if !c.selected {
		return nil, swINSNotSupported
	}
	switch cmd.ins {
	case 0xCB:
		return c.getData(cmd)
	case 0x20:
		return nil, c.verify(cmd)
	case 0x2C: // RESET RETRY COUNTER: not offered by the test card
		return nil, swSecurityStatus
	case 0x87:
		return c.generalAuthenticate(cmd)
	default:
		return nil, swINSNotSupported
	}
}

func (c *Card) selectApp(cmd command) ([]byte, int) {
	if cmd.p1 != 0x04 {
		c.selected = false
		return nil, swNotFound
	}
	aid := cmd.data
	if c.opts.NotPIV || len(aid) < 5 || len(aid) > len(pivAID) || !bytes.Equal(aid, pivAID[:len(aid)]) {
		c.selected = false
		return nil, swNotFound
	}
	c.selected = true
	if cmd.p2 == 0x0C {
		return nil, swOK
	}
	// Application property template, SP 800-73-4 part 2, 3.1.1.
	apt := bertlv.Encode(0x61, bertlv.Concat(
		bertlv.TLV{Tag: 0x4F, Value: pivAID[5:]},
		bertlv.TLV{Tag: 0x79, Value: bertlv.Encode(0x4F, pivAID[:5])},
		bertlv.TLV{Tag: 0x50, Value: []byte("SCR Desk virtual PIV")},
		bertlv.TLV{Tag: 0xAC, Value: bertlv.Concat(
			bertlv.TLV{Tag: 0x80, Value: []byte{c.alg()}},
			bertlv.TLV{Tag: 0x06, Value: nil},
		)},
	))
	return apt, swOK
}

func (c *Card) getData(cmd command) ([]byte, int) {
	if cmd.p1 != 0x3F || cmd.p2 != 0xFF {
		return nil, swIncorrectP1P2
	}
	list, err := bertlv.Parse(cmd.data)
	if err != nil {
		return nil, swWrongData
	}
	tagBytes, ok := bertlv.Find(list, 0x5C)
	if !ok || len(tagBytes) == 0 || len(tagBytes) > 3 {
		return nil, swWrongData
	}
	var tag uint32
	for _, b := range tagBytes {
		tag = tag<<8 | uint32(b)
	}
	obj, ok := c.objects[tag]
	if !ok {
		return nil, swNotFound
	}
	return obj, swOK
}

func (c *Card) verify(cmd command) int {
	if cmd.p2 != 0x80 || (cmd.p1 != 0x00 && cmd.p1 != 0xFF) {
		return swIncorrectP1P2
	}
	if cmd.p1 == 0xFF { // reset the security status, SP 800-73-4 part 2, 3.2.1
		c.verified = false
		return swOK
	}
	if len(cmd.data) == 0 {
		switch {
		case c.tries == 0:
			return swBlocked
		case c.verified:
			return swOK
		default:
			return 0x63C0 | c.tries
		}
	}
	if len(cmd.data) != 8 {
		return swWrongData
	}
	if c.tries == 0 {
		return swBlocked
	}
	pin := bytes.TrimRight(cmd.data, "\xFF")
	if string(pin) == c.opts.PIN {
		c.tries = maxTries
		c.verified = true
		return swOK
	}
	c.tries--
	c.verified = false
	return 0x63C0 | c.tries
}

func (c *Card) generalAuthenticate(cmd command) ([]byte, int) {
	if cmd.p2 != 0x9A {
		return nil, swNotFound
	}
	alg := byte(0x11)
	if c.opts.RSA {
		alg = 0x07
	}
	if cmd.p1 != alg {
		return nil, swIncorrectP1P2
	}
	if !c.verified {
		return nil, swSecurityStatus
	}
	outer, err := bertlv.Parse(cmd.data)
	if err != nil {
		return nil, swWrongData
	}
	tmpl, ok := bertlv.Find(outer, 0x7C)
	if !ok {
		return nil, swWrongData
	}
	inner, err := bertlv.Parse(tmpl)
	if err != nil {
		return nil, swWrongData
	}
	challenge, ok := bertlv.Find(inner, 0x81)
	if _, want := bertlv.Find(inner, 0x82); !ok || !want {
		return nil, swWrongData
	}
	var sig []byte
	switch key := c.key.(type) {
	case *ecdsa.PrivateKey:
		if len(challenge) != 32 {
			return nil, swWrongData
		}
		var err error
		if sig, err = ecdsa.SignASN1(rand.Reader, key, challenge); err != nil {
			return nil, swNoPreciseDiag
		}
	case *rsa.PrivateKey:
		// The PIV card's RSA operation is raw: the host sends the padded block.
		m := new(big.Int).SetBytes(challenge)
		if len(challenge) != key.Size() || m.Cmp(key.N) >= 0 {
			return nil, swWrongData
		}
		sig = new(big.Int).Exp(m, key.D, key.N).FillBytes(make([]byte, key.Size()))
	}
	return bertlv.Encode(0x7C, bertlv.Encode(0x82, sig)), swOK
}

// Reset forgets the verified passcode, the selected application and any
// unfinished answer, as a card reset does. The demo reader calls it on insert
// and removal.
func (c *Card) Reset() { c.powerCycle() }

// alg is the PIV algorithm identifier of the card's key.
func (c *Card) alg() byte {
	if c.opts.RSA {
		return 0x07
	}
	return 0x11
}

// powerCycle resets the card's volatile state, as a real card's reset does.
func (c *Card) powerCycle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.verified, c.selected, c.pending, c.chain = false, false, nil, nil
}

// Insert connects the card to a vpcd reader at addr (for example
// "127.0.0.1:35963", pcscd's "Virtual PCD 00 00") and serves it on a goroutine
// until Remove. It returns once the connection is open.
func (c *Card) Insert(addr string) error {
	c.connMu.Lock()
	defer c.connMu.Unlock()
	if c.conn != nil {
		return errors.New("virtual card is already inserted")
	}
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return fmt.Errorf("insert virtual card into %s: %w", addr, err)
	}
	c.powerCycle()
	c.conn = conn
	c.done = make(chan struct{})
	go c.serve(conn, c.done)
	return nil
}

// Remove takes the card out: it closes the vpcd connection and waits for the
// serving goroutine to end. Removing a card that is not inserted is a no-op.
func (c *Card) Remove() error {
	c.connMu.Lock()
	conn, done := c.conn, c.done
	c.conn, c.done = nil, nil
	c.connMu.Unlock()
	if conn == nil {
		return nil
	}
	err := conn.Close()
	<-done
	c.powerCycle()
	return err
}

// Inserted reports whether the card is in a vpcd reader.
func (c *Card) Inserted() bool {
	c.connMu.Lock()
	defer c.connMu.Unlock()
	return c.conn != nil
}

// serve speaks the vpcd protocol: every message is a 2-byte big-endian length
// and that many bytes; the reader speaks first; 1-byte messages are control
// codes (00 power off, 01 power on, 02 reset, 04 get ATR), longer ones APDUs.
func (c *Card) serve(conn net.Conn, done chan struct{}) {
	defer close(done)
	var hdr [2]byte
	for {
		quickAck(conn)
		if _, err := readFull(conn, hdr[:]); err != nil {
			return
		}
		msg := make([]byte, int(hdr[0])<<8|int(hdr[1]))
		quickAck(conn)
		if _, err := readFull(conn, msg); err != nil {
			return
		}
		var answer []byte
		switch {
		case len(msg) == 1 && msg[0] == 0x04:
			answer = c.opts.ATR
		case len(msg) == 1:
			c.powerCycle()
			continue
		default:
			answer, _ = c.Transmit(msg)
		}
		out := append([]byte{byte(len(answer) >> 8), byte(len(answer))}, answer...)
		if _, err := conn.Write(out); err != nil {
			return
		}
	}
}

func readFull(conn net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := conn.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
