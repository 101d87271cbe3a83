package bertlv

import (
	"bytes"
	"errors"
	"testing"
)

var parseCases = []struct {
	name string
	in   []byte
	want []TLV
	err  bool
}{
	{name: "empty", in: nil, want: nil},
	{name: "one short", in: []byte{0x53, 0x02, 0xAA, 0xBB}, want: []TLV{{0x53, []byte{0xAA, 0xBB}}}},
	{name: "zero length", in: []byte{0xFE, 0x00}, want: []TLV{{0xFE, []byte{}}}},
	{name: "two byte tag", in: []byte{0x5F, 0x2F, 0x01, 0x40}, want: []TLV{{0x5F2F, []byte{0x40}}}},
	{name: "three byte tag", in: []byte{0x5F, 0xC1, 0x02, 0x00}, want: []TLV{{0x5FC102, []byte{}}}},
	{name: "81 length", in: append([]byte{0x70, 0x81, 0x80}, make([]byte, 0x80)...), want: []TLV{{0x70, make([]byte, 0x80)}}},
	{name: "82 length", in: append([]byte{0x70, 0x82, 0x01, 0x00}, make([]byte, 0x100)...), want: []TLV{{0x70, make([]byte, 0x100)}}},
	{name: "sequence", in: []byte{0x34, 0x01, 0x01, 0x35, 0x00, 0xFE, 0x00}, want: []TLV{{0x34, []byte{1}}, {0x35, []byte{}}, {0xFE, []byte{}}}},
	{name: "value truncated", in: []byte{0x53, 0x05, 0x01}, err: true},
	{name: "length missing", in: []byte{0x53}, err: true},
	{name: "tag truncated", in: []byte{0x5F}, err: true},
	{name: "tag too long", in: []byte{0x5F, 0x81, 0x82, 0x03, 0x00}, err: true},
	{name: "indefinite length", in: []byte{0x53, 0x80, 0x00, 0x00}, err: true},
	{name: "length too long form", in: []byte{0x53, 0x84, 0, 0, 0, 1, 0}, err: true},
	{name: "82 truncated", in: []byte{0x53, 0x82, 0x01}, err: true},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if tc.err {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("Parse(% X) error = %v, want ErrMalformed", tc.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d objects, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if got[i].Tag != tc.want[i].Tag || !bytes.Equal(got[i].Value, tc.want[i].Value) {
					t.Errorf("object %d = %X % X, want %X % X", i, got[i].Tag, got[i].Value, tc.want[i].Tag, tc.want[i].Value)
				}
			}
		})
	}
}

func TestEncodeLengths(t *testing.T) {
	for _, n := range []int{0, 1, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x10000} {
		enc := Encode(0x5FC105, make([]byte, n))
		got, err := Parse(enc)
		if err != nil || len(got) != 1 || got[0].Tag != 0x5FC105 || len(got[0].Value) != n {
			t.Fatalf("round trip of %d bytes: %v %v", n, got, err)
		}
	}
}

func TestFind(t *testing.T) {
	list, err := Parse([]byte{0x34, 0x01, 0x01, 0xFE, 0x00})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := Find(list, 0x34); !ok || !bytes.Equal(v, []byte{1}) {
		t.Errorf("Find 34 = % X %v", v, ok)
	}
	if _, ok := Find(list, 0x35); ok {
		t.Error("Find 35 found a missing tag")
	}
}

// FuzzParseTLV checks that Parse never panics and that whatever it accepts
// survives a write-then-parse round trip unchanged.
func FuzzParseTLV(f *testing.F) {
	for _, tc := range parseCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		list, err := Parse(in)
		if err != nil {
			return
		}
		again, err := Parse(Concat(list...))
		if err != nil {
			t.Fatalf("re-encoded objects do not parse: %v", err)
		}
		if len(again) != len(list) {
			t.Fatalf("round trip changed the object count: %d -> %d", len(list), len(again))
		}
		for i := range list {
			if again[i].Tag != list[i].Tag || !bytes.Equal(again[i].Value, list[i].Value) {
				t.Fatalf("round trip changed object %d", i)
			}
		}
	})
}
