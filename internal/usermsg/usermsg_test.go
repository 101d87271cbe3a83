package usermsg

import (
	"errors"
	"fmt"
	"testing"
)

type typed struct{ n int }

func (e *typed) Error() string { return fmt.Sprintf("typed %d", e.n) }
func (e *typed) UserMessage() string {
	if e.n == 0 {
		return "" // no sentence: Of must fall back
	}
	return fmt.Sprintf("Try %d.", e.n)
}

func TestOf(t *testing.T) {
	blocked := New("card blocked", "Your card is locked.")
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"sentinel", blocked, "Your card is locked."},
		{"wrapped sentinel", fmt.Errorf("sign in: %w", blocked), "Your card is locked."},
		{"typed", &typed{2}, "Try 2."},
		{"wrapped typed", fmt.Errorf("a: %w", fmt.Errorf("b: %w", &typed{3})), "Try 3."},
		{"joined: the first with a sentence", errors.Join(errors.New("plain"), &typed{4}), "Try 4."},
		{"plain error", errors.New("socket: connection refused"), "fallback"},
		{"empty sentence", &typed{0}, "fallback"},
	} {
		if got := Of(c.err, "fallback"); got != c.want {
			t.Errorf("%s: Of = %q, want %q", c.name, got, c.want)
		}
	}
	if !errors.Is(fmt.Errorf("x: %w", blocked), blocked) || errors.Is(blocked, New("card blocked", "Your card is locked.")) {
		t.Error("sentinels must match themselves only")
	}
	if blocked.Error() != "card blocked" {
		t.Errorf("Error() = %q", blocked.Error())
	}
}
