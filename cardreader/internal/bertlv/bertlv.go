// Package bertlv parses and writes the BER-TLV data objects that PIV cards use
// (ISO/IEC 7816-4 section 5.2, as profiled by NIST SP 800-73-4 part 2 and part 1
// appendix A: tags of one to three bytes, definite lengths of at most three
// length bytes).
//
// It is shared by the card session (cardreader) and the virtual card
// (cardreader/virtualcard) so both speak exactly the same encoding. Parse never
// panics on any input and never returns values that alias beyond the input.
// All functions are pure and safe for concurrent use.
package bertlv

import (
	"errors"
	"fmt"
)

// TLV is one data object: its tag, written as the big-endian value of the tag
// bytes (0x53, 0x5FC102, 0x7C), and its value.
type TLV struct {
	Tag   uint32
	Value []byte
}

// ErrMalformed is returned (wrapped) for any input that is not a well-formed
// sequence of BER-TLV objects.
var ErrMalformed = errors.New("malformed BER-TLV")

// Parse reads a sequence of data objects that fills b exactly. Values are
// sub-slices of b. Padding bytes 0x00 and 0xFF between objects are not
// accepted: PIV containers never use them.
func Parse(b []byte) ([]TLV, error) {
	var out []TLV
	for len(b) > 0 {
		tag, rest, err := readTag(b)
		if err != nil {
			return nil, err
		}
		n, rest, err := readLength(rest)
		if err != nil {
			return nil, err
		}
		if n > len(rest) {
			return nil, fmt.Errorf("%w: value of tag %X needs %d bytes, %d left", ErrMalformed, tag, n, len(rest))
		}
		out = append(out, TLV{Tag: tag, Value: rest[:n:n]})
		b = rest[n:]
	}
	return out, nil
}

func readTag(b []byte) (uint32, []byte, error) {
	tag := uint32(b[0])
	i := 1
	if b[0]&0x1F == 0x1F {
		for {
			if i >= len(b) {
				return 0, nil, fmt.Errorf("%w: tag truncated", ErrMalformed)
			}
			if i >= 3 {
				return 0, nil, fmt.Errorf("%w: tag longer than 3 bytes", ErrMalformed)
			}
			tag = tag<<8 | uint32(b[i])
			i++
			if b[i-1]&0x80 == 0 {
				break
			}
		}
	}
	return tag, b[i:], nil
}

func readLength(b []byte) (int, []byte, error) {
	if len(b) == 0 {
		return 0, nil, fmt.Errorf("%w: length missing", ErrMalformed)
	}
	first := b[0]
	if first < 0x80 {
		return int(first), b[1:], nil
	}
	k := int(first & 0x7F)
	if k == 0 || k > 3 {
		return 0, nil, fmt.Errorf("%w: unsupported length form %02X", ErrMalformed, first)
	}
	if len(b) < 1+k {
		return 0, nil, fmt.Errorf("%w: length truncated", ErrMalformed)
	}
	n := 0
	for _, c := range b[1 : 1+k] {
		n = n<<8 | int(c)
	}
	return n, b[1+k:], nil
}

// Find returns the value of the first object with the given tag.
func Find(list []TLV, tag uint32) ([]byte, bool) {
	for _, t := range list {
		if t.Tag == tag {
			return t.Value, true
		}
	}
	return nil, false
}

// Encode writes one data object with the shortest length form.
func Encode(tag uint32, value []byte) []byte {
	return Append(nil, tag, value)
}

// Append appends one encoded data object to dst and returns the result.
// Values longer than 16 MiB - 1 cannot be encoded and panic: callers build
// them from data they own.
func Append(dst []byte, tag uint32, value []byte) []byte {
	switch {
	case tag > 0xFFFF:
		dst = append(dst, byte(tag>>16), byte(tag>>8), byte(tag))
	case tag > 0xFF:
		dst = append(dst, byte(tag>>8), byte(tag))
	default:
		dst = append(dst, byte(tag))
	}
	n := len(value)
	switch {
	case n < 0x80:
		dst = append(dst, byte(n))
	case n <= 0xFF:
		dst = append(dst, 0x81, byte(n))
	case n <= 0xFFFF:
		dst = append(dst, 0x82, byte(n>>8), byte(n))
	case n <= 0xFFFFFF:
		dst = append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		panic("bertlv: value too long")
	}
	return append(dst, value...)
}

// Concat encodes each object in turn.
func Concat(list ...TLV) []byte {
	var out []byte
	for _, t := range list {
		out = Append(out, t.Tag, t.Value)
	}
	return out
}
