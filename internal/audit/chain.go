package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
)

// KeySize is the size of the chain's HMAC-SHA256 key in bytes.
const KeySize = 32

// MACSize is the size of a row's MAC in bytes.
const MACSize = sha256.Size

// Chain computes row MACs with one key. It is not safe for concurrent use: give each goroutine
// its own Chain.
type Chain struct {
	h   hash.Hash
	sum [MACSize]byte
}

// NewChain returns a Chain for key, which must be KeySize bytes.
func NewChain(key []byte) (*Chain, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("audit key must be %d bytes, not %d", KeySize, len(key))
	}
	return &Chain{h: hmac.New(sha256.New, key)}, nil
}

// MAC returns HMAC-SHA256(key, prev || seq as 8 big-endian bytes || body), where body is
// the row's canonical form (Encode). The result is valid until the next call. prev is the
// previous row's MAC, or nil for the first row (which uses 32 zero bytes).
func (c *Chain) MAC(prev []byte, seq int64, body []byte) []byte {
	c.h.Reset()
	var buf [MACSize + 8]byte
	if prev != nil {
		copy(buf[:MACSize], prev)
	}
	binary.BigEndian.PutUint64(buf[MACSize:], uint64(seq))
	c.h.Write(buf[:])
	c.h.Write(body)
	return c.h.Sum(c.sum[:0])
}

// Check reports whether mac is the right MAC for row seq with body after prev, in constant
// time.
func (c *Chain) Check(prev []byte, seq int64, body, mac []byte) bool {
	return hmac.Equal(c.MAC(prev, seq, body), mac)
}

// KeyID is a short fingerprint of key, stored beside the log so that a replaced key is named
// as such rather than as an edited first row. It reveals nothing about the key.
func KeyID(key []byte) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("scrdesk audit key id v1"))
	return fmt.Sprintf("%x", h.Sum(nil)[:8])
}

// RowSource gives random access to stored rows while a failure is diagnosed.
type RowSource interface {
	// Row returns the body and MAC stored at sequence number seq, and whether the row exists.
	Row(seq int64) (body, mac []byte, ok bool, err error)
	// LastSeq returns the newest sequence number stored (0 for an empty log).
	LastSeq() (int64, error)
}

// ReorderWindow is how many rows past a bad row Diagnose searches for the row that belongs in
// its place before calling the row edited.
const ReorderWindow = 100_000

// Diagnose explains why the row at seq (which the walk expected at this position) failed its
// MAC check after prev, the last good row's MAC (nil before the first row). checkpointMAC is
// the checkpointed MAC if the checkpoint is at seq, else nil.
//
// It tells a reordered row (the row that belongs here is found further on and verifies at this
// position), an edited row (the next row still chains from this row's MAC, or the checkpoint
// matches it), and a replaced key (the first rows do not chain with one another at all).
func Diagnose(c *Chain, seq int64, prev []byte, src RowSource, checkpointMAC []byte) (Kind, error) {
	_, badMAC, ok, err := src.Row(seq)
	if err != nil {
		return "", err
	}
	if !ok {
		return KindDeleted, nil
	}
	last, err := src.LastSeq()
	if err != nil {
		return "", err
	}
	// The row that belongs here, found later in the log?
	for j := seq + 1; j <= last && j <= seq+ReorderWindow; j++ {
		b, m, ok, err := src.Row(j)
		if err != nil {
			return "", err
		}
		if ok && c.Check(prev, seq, b, m) {
			return KindReordered, nil
		}
	}
	if checkpointMAC != nil && hmac.Equal(checkpointMAC, badMAC) {
		return KindEdited, nil
	}
	// chains reports whether row i verifies after prevMAC, whether it exists, and its MAC.
	chains := func(i int64, prevMAC []byte) (bool, bool, []byte, error) {
		b, m, ok, err := src.Row(i)
		if err != nil || !ok {
			return false, ok, nil, err
		}
		return c.Check(prevMAC, i, b, m), true, m, nil
	}
	// Does the next row chain from this row's MAC? Then the MAC is genuine and a field changed.
	next, exists, _, err := chains(seq+1, badMAC)
	if err != nil {
		return "", err
	}
	if next {
		return KindEdited, nil
	}
	if exists && prev == nil {
		// The first row fails and the second does not chain from it: does anything chain?
		// A log in which no row chains to its predecessor was written with another key.
		prevMAC := badMAC
		for i := seq + 1; i <= last && i <= seq+3; i++ {
			ok, ex, m, err := chains(i, prevMAC)
			if err != nil {
				return "", err
			}
			if !ex || ok {
				return KindEdited, nil
			}
			prevMAC = m
		}
		return KindKeyReplaced, nil
	}
	return KindEdited, nil
}
