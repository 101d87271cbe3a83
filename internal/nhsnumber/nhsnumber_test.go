package nhsnumber

import (
	"errors"
	"testing"
)

var cases = []struct {
	name   string
	in     string
	want   string
	err    error
	test   bool
	format string
	masked string
}{
	{name: "published example", in: "9434765919", want: "9434765919", format: "943 476 5919", masked: "*******919"},
	{name: "spaced", in: "943 476 5919", want: "9434765919", format: "943 476 5919", masked: "*******919"},
	{name: "dashed", in: "943-476-5919", want: "9434765919", format: "943 476 5919", masked: "*******919"},
	{name: "sandbox 9000000009", in: "9000000009", want: "9000000009", test: true, format: "900 000 0009", masked: "*******009"},
	{name: "sandbox 9000000017", in: "9000000017", want: "9000000017", test: true, format: "900 000 0017", masked: "*******017"},
	{name: "sandbox 9000000025", in: "9000000025", want: "9000000025", test: true, format: "900 000 0025", masked: "*******025"},
	{name: "sandbox 9000000033", in: "9000000033", want: "9000000033", test: true, format: "900 000 0033", masked: "*******033"},
	{name: "test range", in: "9990000026", want: "9990000026", test: true, format: "999 000 0026", masked: "*******026"},
	{name: "check digit 11 becomes 0", in: "9990000050", want: "9990000050", test: true, format: "999 000 0050", masked: "*******050"},
	{name: "wrong check digit", in: "9434765918", err: ErrCheckDigit, format: "943 476 5918", masked: "*******918"},
	{name: "remainder 10 is never valid", in: "1000000010", err: ErrCheckDigit, format: "100 000 0010", masked: "*******010"},
	{name: "too short", in: "943476591", err: ErrLength, format: "943476591", masked: "***"},
	{name: "too long", in: "94347659190", err: ErrLength, format: "94347659190", masked: "***"},
	{name: "letters", in: "94347A5919", err: ErrCharacters, format: "94347A5919", masked: "***"},
	{name: "empty", in: "", err: ErrLength, format: "", masked: "***"},
}

func TestNormalize(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Normalize(c.in)
			if !errors.Is(err, c.err) {
				t.Fatalf("Normalize(%q) error = %v, want %v", c.in, err, c.err)
			}
			if got != c.want {
				t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
			}
			if Valid(c.in) != (c.err == nil) {
				t.Errorf("Valid(%q) = %v", c.in, !(c.err == nil))
			}
			if IsTest(c.in) != c.test {
				t.Errorf("IsTest(%q) = %v, want %v", c.in, !c.test, c.test)
			}
			if f := Format(c.in); f != c.format {
				t.Errorf("Format(%q) = %q, want %q", c.in, f, c.format)
			}
			if m := Mask(c.in); m != c.masked {
				t.Errorf("Mask(%q) = %q, want %q", c.in, m, c.masked)
			}
		})
	}
}

func TestCheckDigitExhaustiveAgainstDefinition(t *testing.T) {
	// Every valid number's check digit must satisfy the weighted sum identity:
	// sum(d[i]*(10-i), i<9) + check ≡ 0 (mod 11), with 11 -> 0.
	for n := 0; n < 200000; n += 7 {
		nine := []byte("999000000")
		v := n
		for i := 8; i >= 3 && v > 0; i-- {
			nine[i] = byte('0' + v%10)
			v /= 10
		}
		c, ok := CheckDigit(string(nine))
		sum := 0
		for i := 0; i < 9; i++ {
			sum += int(nine[i]-'0') * (10 - i)
		}
		if !ok {
			if sum%11 != 1 {
				t.Fatalf("%s: refused but remainder %d", nine, sum%11)
			}
			continue
		}
		if (sum+c)%11 != 0 && !(c == 0 && sum%11 == 0) {
			t.Fatalf("%s: check %d does not satisfy mod 11", nine, c)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, c := range cases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Normalize(s)
		if err != nil {
			return
		}
		if len(d) != 10 {
			t.Fatalf("Normalize(%q) = %q: not 10 digits", s, d)
		}
		again, err := Normalize(Format(d))
		if err != nil || again != d {
			t.Fatalf("round trip of %q: %q, %v", d, again, err)
		}
	})
}
