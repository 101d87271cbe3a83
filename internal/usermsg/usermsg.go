// Package usermsg is the one way an error in SCR Desk says, in plain English, what happened and
// what to do: an error that has a sentence for a person implements Error. Any code that shows an
// error to a person asks Of, whichever package the error came from and however it was wrapped;
// nothing joins one package's message function to another's.
//
// The sentence is safe to show and to log: it never holds patient data, passcodes, tokens or a
// technical detail a person cannot act on (those stay in Error(), for the log).
package usermsg

import "errors"

// Error is an error with a sentence for the person at the screen.
type Error interface {
	error
	UserMessage() string
}

// Of returns the sentence of the first error in err's chain that has one, or fallback when
// none has (or "" when err is nil).
func Of(err error, fallback string) string {
	if err == nil {
		return ""
	}
	var m Error
	if errors.As(err, &m) {
		if s := m.UserMessage(); s != "" {
			return s
		}
	}
	return fallback
}

// New returns a sentinel error: text is its Error() (for logs and errors.Is), message its
// UserMessage() (for people). Each call returns a distinct error.
func New(text, message string) error { return &sentinel{text, message} }

type sentinel struct{ text, message string }

func (s *sentinel) Error() string       { return s.text }
func (s *sentinel) UserMessage() string { return s.message }
