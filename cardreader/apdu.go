package cardreader

import (
	"errors"
	"fmt"
)

// Transport sends one command APDU and returns the card's whole response
// APDU (data followed by the two status bytes). Transports do not handle 61xx
// chaining: the PIV layer does (transmit). A transport reports a card that
// left the reader as ErrCardRemoved (wrapped).
type Transport interface {
	Transmit(apdu []byte) ([]byte, error)
}

// Response is a parsed response APDU (ISO/IEC 7816-4 5.1.3).
type Response struct {
	Data []byte
	SW   uint16
}

// ErrShortResponse is a response APDU of fewer than two bytes.
var ErrShortResponse = errors.New("response APDU shorter than its status word")

// ParseResponse splits a response APDU into data and status word.
func ParseResponse(b []byte) (Response, error) {
	if len(b) < 2 {
		return Response{}, ErrShortResponse
	}
	n := len(b) - 2
	return Response{Data: b[:n:n], SW: uint16(b[n])<<8 | uint16(b[n+1])}, nil
}

// maxAnswer caps the bytes collected across GET RESPONSE pieces; PIV objects
// are well under it (SP 800-73-4 part 1 table 8: the largest is 12 710 bytes).
const maxAnswer = 1 << 17

// transmit sends a command and collects the whole answer: it follows 61xx with
// GET RESPONSE (00 C0 00 00 xx) until the final status, and retries once with
// the right Le on 6Cxx. A card may instead send one long (extended) answer;
// that needs nothing special here.
func transmit(t Transport, apdu []byte) (Response, error) {
	raw, err := t.Transmit(apdu)
	if err != nil {
		return Response{}, err
	}
	r, err := ParseResponse(raw)
	if err != nil {
		return Response{}, err
	}
	if r.SW&0xFF00 == 0x6C00 && len(apdu) >= 5 { // wrong Le: resend with the card's
		retry := append([]byte(nil), apdu...)
		retry[len(retry)-1] = byte(r.SW)
		if raw, err = t.Transmit(retry); err != nil {
			return Response{}, err
		}
		if r, err = ParseResponse(raw); err != nil {
			return Response{}, err
		}
	}
	data := append([]byte(nil), r.Data...)
	for r.SW&0xFF00 == 0x6100 {
		raw, err := t.Transmit([]byte{0x00, 0xC0, 0x00, 0x00, byte(r.SW)})
		if err != nil {
			return Response{}, err
		}
		if r, err = ParseResponse(raw); err != nil {
			return Response{}, err
		}
		data = append(data, r.Data...)
		if len(data) > maxAnswer {
			return Response{}, fmt.Errorf("card answer longer than %d bytes", maxAnswer)
		}
	}
	return Response{Data: data, SW: r.SW}, nil
}

// shortAPDU builds a short command APDU; le < 0 means no Le, 0 means 256.
func shortAPDU(cla, ins, p1, p2 byte, data []byte, le int) []byte {
	b := []byte{cla, ins, p1, p2}
	if len(data) > 0 {
		b = append(b, byte(len(data)))
		b = append(b, data...)
	}
	if le >= 0 {
		b = append(b, byte(le))
	}
	return b
}
