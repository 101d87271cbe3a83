package cardreader

import (
	"bytes"
	"errors"
	"testing"

	"scrdesk/cardreader/internal/bertlv"
)

var responseCases = []struct {
	name string
	in   []byte
	data []byte
	sw   uint16
	err  bool
}{
	{name: "ok no data", in: []byte{0x90, 0x00}, sw: 0x9000, data: []byte{}},
	{name: "data", in: []byte{1, 2, 3, 0x90, 0x00}, data: []byte{1, 2, 3}, sw: 0x9000},
	{name: "more data", in: []byte{1, 0x61, 0x10}, data: []byte{1}, sw: 0x6110},
	{name: "tries", in: []byte{0x63, 0xC2}, data: []byte{}, sw: 0x63C2},
	{name: "one byte", in: []byte{0x90}, err: true},
	{name: "empty", in: nil, err: true},
}

func TestParseResponse(t *testing.T) {
	for _, tc := range responseCases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseResponse(tc.in)
			if tc.err {
				if !errors.Is(err, ErrShortResponse) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || r.SW != tc.sw || !bytes.Equal(r.Data, tc.data) {
				t.Fatalf("ParseResponse = % X %04X %v", r.Data, r.SW, err)
			}
		})
	}
}

// scripted is a transport that answers from a list and records commands.
type scripted struct {
	answers [][]byte
	sent    [][]byte
}

func (s *scripted) Transmit(apdu []byte) ([]byte, error) {
	s.sent = append(s.sent, append([]byte(nil), apdu...))
	if len(s.answers) == 0 {
		return []byte{0x6F, 0x00}, nil
	}
	a := s.answers[0]
	s.answers = s.answers[1:]
	return a, nil
}

func TestTransmitChaining(t *testing.T) {
	cases := []struct {
		name    string
		answers [][]byte
		data    []byte
		sw      uint16
		sent    int
	}{
		{name: "single", answers: [][]byte{{1, 0x90, 0x00}}, data: []byte{1}, sw: 0x9000, sent: 1},
		{name: "61xx twice", answers: [][]byte{{1, 0x61, 0x02}, {2, 3, 0x61, 0x01}, {4, 0x90, 0x00}}, data: []byte{1, 2, 3, 4}, sw: 0x9000, sent: 3},
		{name: "6Cxx then data", answers: [][]byte{{0x6C, 0x03}, {1, 2, 3, 0x90, 0x00}}, data: []byte{1, 2, 3}, sw: 0x9000, sent: 2},
		{name: "61xx then error", answers: [][]byte{{1, 0x61, 0x05}, {0x6F, 0x00}}, data: []byte{1}, sw: 0x6F00, sent: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &scripted{answers: tc.answers}
			r, err := transmit(s, []byte{0x00, 0xCB, 0x3F, 0xFF, 0x00})
			if err != nil || r.SW != tc.sw || !bytes.Equal(r.Data, tc.data) || len(s.sent) != tc.sent {
				t.Fatalf("transmit = % X %04X %v after %d commands", r.Data, r.SW, err, len(s.sent))
			}
		})
	}
}

func TestTransmitEndlessPieces(t *testing.T) {
	s := &endless{}
	if _, err := transmit(s, []byte{0, 0xCB, 0x3F, 0xFF, 0}); err == nil {
		t.Fatal("an endless 61xx answer was accepted")
	}
}

type endless struct{}

func (endless) Transmit([]byte) ([]byte, error) {
	return append(make([]byte, 255), 0x61, 0xFF), nil
}

// FuzzResponse feeds arbitrary card answers through every parser of card
// output: it must never panic.
func FuzzResponse(f *testing.F) {
	for _, tc := range responseCases {
		f.Add(tc.in)
	}
	f.Add(bertlv.Encode(0x53, bertlv.Concat(bertlv.TLV{Tag: 0x34, Value: make([]byte, 16)})))
	f.Add(bertlv.Encode(0x53, bertlv.Concat(bertlv.TLV{Tag: 0x70, Value: []byte{0x1F, 0x8B}}, bertlv.TLV{Tag: 0x71, Value: []byte{1}})))
	f.Add(bertlv.Encode(0x7C, bertlv.Encode(0x82, []byte{0x30, 0x00})))
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := ParseResponse(b); err == nil && len(r.Data)+2 != len(b) {
			t.Fatal("ParseResponse lost bytes")
		}
		if v, err := ParseDataObject(b); err == nil {
			_, _ = ParseCHUID(v)
			_, _ = ParseCertObject(v)
		}
		_, _ = ParseCHUID(b)
		_, _ = ParseCertObject(b)
		_, _ = ParseAuthResponse(b)
		_, _ = transmit(&scripted{answers: [][]byte{b, b, b}}, []byte{0, 0xCB, 0x3F, 0xFF, 0})
	})
}
