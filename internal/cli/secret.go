package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// ReadSecret reads one secret line for a headless command (a smartcard passcode for `card check`
// or `check-access`, a key's password for `client-key-password`): with echo off, after writing
// prompt to stderr, when stdin is a terminal and plain is not set; otherwise the first line of
// stdin as it comes (a pipe, or the command's --pin-stdin, which sets plain). The line end is
// dropped.
func ReadSecret(stdin io.Reader, stderr io.Writer, prompt string, plain bool) (string, error) {
	if f, ok := stdin.(*os.File); ok && !plain && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
