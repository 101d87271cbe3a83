package audit

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
)

// LinkSize is the size of a public chain link in bytes.
const LinkSize = sha256.Size

// The public chain. The HMAC chain (MAC) can only be checked by whoever holds the key, which
// never leaves the workstation. Beside it runs a keyless chain anyone can recompute:
//
//	link(n) = SHA-256("scrdesk link v1" || link(n-1) || n as 8 big-endian bytes || body(n))
//
// with link(0) = 32 zero bytes. A workstation replicating its log computes link(n) for every
// row it sends and, regularly, signs the newest one with its Ed25519 key (a Head). A verifier
// holding only the public key checks that every row chains from its predecessor's link and
// that the signed heads' links are the stored ones: then the bodies up to the newest head are
// exactly those the workstation signed, none changed, removed or reordered.

var linkDomain = []byte("scrdesk link v1")

// Linker computes links. It is not safe for concurrent use; give each goroutine its own.
type Linker struct {
	h   hash.Hash
	buf [len("scrdesk link v1") + LinkSize + 8]byte
	sum [LinkSize]byte
}

// NewLinker returns a Linker.
func NewLinker() *Linker {
	l := &Linker{h: sha256.New()}
	copy(l.buf[:], linkDomain)
	return l
}

// Link returns link(seq) for body after prev (nil before the first row). The result is valid
// until the next call.
func (l *Linker) Link(prev []byte, seq int64, body []byte) []byte {
	l.h.Reset()
	n := len(linkDomain)
	clear(l.buf[n : n+LinkSize])
	copy(l.buf[n:n+LinkSize], prev)
	binary.BigEndian.PutUint64(l.buf[n+LinkSize:], uint64(seq))
	l.h.Write(l.buf[:])
	l.h.Write(body)
	return l.h.Sum(l.sum[:0])
}

// Head is a workstation's signed statement that its log instance's chain reached Seq with
// Link at SignedMS (Unix ms).
type Head struct {
	Instance  string // the log instance id (a UUID)
	Seq       int64
	Link      []byte
	SignedMS  int64
	Signature []byte // Ed25519 over HeadMessage
}

// HeadMessage is the exact byte string a head's signature covers.
func HeadMessage(instance string, seq int64, link []byte, signedMS int64) []byte {
	return fmt.Appendf(nil, "scrdesk head v1\ninstance %s\nseq %d\nlink %x\nsigned %d\n", instance, seq, link, signedMS)
}

// SignHead signs the head for instance at seq with link.
func SignHead(key ed25519.PrivateKey, instance string, seq int64, link []byte, signedMS int64) Head {
	return Head{Instance: instance, Seq: seq, Link: append([]byte(nil), link...), SignedMS: signedMS,
		Signature: ed25519.Sign(key, HeadMessage(instance, seq, link, signedMS))}
}

// ErrBadSignature means a head's signature does not verify with the public key given.
var ErrBadSignature = errors.New("signed head does not verify")

// Verify checks the head's signature with pub.
func (h Head) Verify(pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize || len(h.Link) != LinkSize ||
		!ed25519.Verify(pub, HeadMessage(h.Instance, h.Seq, h.Link, h.SignedMS), h.Signature) {
		return ErrBadSignature
	}
	return nil
}

// KeyFingerprint is how a public key is shown to people (IT support reads it aloud to confirm
// a workstation's registration): the first 16 bytes of its SHA-256, hex, in groups of four.
func KeyFingerprint(pub []byte) string {
	s := sha256.Sum256(pub)
	h := fmt.Sprintf("%x", s[:16])
	out := make([]byte, 0, len(h)+len(h)/4)
	for i := 0; i < len(h); i += 4 {
		if i > 0 {
			out = append(out, ' ')
		}
		out = append(out, h[i:i+4]...)
	}
	return string(out)
}
