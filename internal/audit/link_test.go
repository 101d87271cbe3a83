package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"testing"
)

func TestLinkIsTheDocumentedHash(t *testing.T) {
	prev := bytes.Repeat([]byte{7}, LinkSize)
	body := []byte(`{"v":1}`)
	var seq [8]byte
	binary.BigEndian.PutUint64(seq[:], 42)
	want := sha256.Sum256(append(append(append([]byte("scrdesk link v1"), prev...), seq[:]...), body...))
	if got := NewLinker().Link(prev, 42, body); !bytes.Equal(got, want[:]) {
		t.Fatalf("link = %x, want %x", got, want)
	}
	zero := sha256.Sum256(append(append(append([]byte("scrdesk link v1"), make([]byte, 32)...), 0, 0, 0, 0, 0, 0, 0, 1), body...))
	if got := NewLinker().Link(nil, 1, body); !bytes.Equal(got, zero[:]) {
		t.Fatalf("first link = %x, want %x", got, zero)
	}
	l := NewLinker()
	a := append([]byte(nil), l.Link(nil, 1, body)...)
	if b := l.Link(nil, 2, body); bytes.Equal(a, b) {
		t.Fatal("the sequence number must change the link")
	}
}

func TestHeadSignVerify(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	otherPub, _, _ := ed25519.GenerateKey(nil)
	link := NewLinker().Link(nil, 1, []byte("x"))
	h := SignHead(priv, "0b0f6c4e-0000-4000-8000-000000000001", 1, link, 1700000000000)
	if err := h.Verify(pub); err != nil {
		t.Fatal(err)
	}
	if err := h.Verify(otherPub); err == nil {
		t.Fatal("verified with another key")
	}
	for name, mut := range map[string]func(*Head){
		"seq":      func(h *Head) { h.Seq++ },
		"link":     func(h *Head) { h.Link = bytes.Repeat([]byte{1}, LinkSize) },
		"instance": func(h *Head) { h.Instance = "other" },
		"time":     func(h *Head) { h.SignedMS++ },
	} {
		c := h
		mut(&c)
		if err := c.Verify(pub); err == nil {
			t.Errorf("a head with another %s verified", name)
		}
	}
	if fp := KeyFingerprint(pub); len(fp) != 39 {
		t.Errorf("fingerprint %q", fp)
	}
}
