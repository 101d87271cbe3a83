package session

// ValidPasscode reports whether pin has the form a smartcard passcode must have: 6 to 8 ASCII
// digits (docs/card-profile.md "The passcode"). The passcode screen refuses anything else before
// it reaches the card, and the card layer checks again before sending it, so a mistyped letter
// never costs one of the card's three tries.
func ValidPasscode(pin string) bool {
	if len(pin) < 6 || len(pin) > 8 {
		return false
	}
	for _, c := range pin {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
