package cli

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestReadSecretFromAPipe(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"123456\n", "123456"},
		{"123456\r\n", "123456"},
		{"123456", "123456"}, // no line end: the last line still counts
		{"first\nsecond\n", "first"},
	} {
		var stderr bytes.Buffer
		got, err := ReadSecret(strings.NewReader(c.in), &stderr, "Passcode: ", false)
		if err != nil || got != c.want {
			t.Errorf("ReadSecret(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
		if stderr.Len() != 0 {
			t.Errorf("ReadSecret(%q) prompted on a pipe: %q", c.in, stderr.String())
		}
	}
	if _, err := ReadSecret(strings.NewReader(""), io.Discard, "Passcode: ", true); err == nil {
		t.Error("empty input: no error")
	}
}
