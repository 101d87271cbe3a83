package usermsg_test

import (
	"fmt"
	"testing"

	"scrdesk/cardreader"
	"scrdesk/internal/audit"
	"scrdesk/internal/fhir"
	"scrdesk/internal/secrets"
	"scrdesk/internal/settings"
	"scrdesk/internal/store"
	"scrdesk/internal/usermsg"
)

// TestEveryPackageSpeaksThroughOneInterface: the errors a person may see, from every package
// that has them, carry their own sentence (usermsg.Error), and each package's UserMessage is
// usermsg.Of with that package's general sentence, wrapped or not.
func TestEveryPackageSpeaksThroughOneInterface(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		pkg  func(error) string
	}{
		{"cardreader.ErrNotPIV", cardreader.ErrNotPIV, cardreader.UserMessage},
		{"cardreader.ErrBlocked", cardreader.ErrBlocked, cardreader.UserMessage},
		{"cardreader.ErrCardRemoved", cardreader.ErrCardRemoved, cardreader.UserMessage},
		{"cardreader.ErrNoService", cardreader.ErrNoService, cardreader.UserMessage},
		{"cardreader.ErrNoReader", cardreader.ErrNoReader, cardreader.UserMessage},
		{"cardreader.ErrChallenge", cardreader.ErrChallenge, cardreader.UserMessage},
		{"cardreader.PasscodeError", &cardreader.PasscodeError{TriesLeft: 2}, cardreader.UserMessage},
		{"cardreader.CertificateError", &cardreader.CertificateError{Reason: "expired"}, cardreader.UserMessage},
		{"fhir.SpineError", &fhir.SpineError{Kind: fhir.NotFound}, fhir.UserMessage},
		{"secrets.ErrNotFound", secrets.ErrNotFound, secrets.UserMessage},
		{"secrets.ErrUnavailable", secrets.ErrUnavailable, secrets.UserMessage},
		{"secrets.ErrInsecureFile", secrets.ErrInsecureFile, secrets.UserMessage},
		{"settings.ErrParse", settings.ErrParse, settings.UserMessage},
		{"settings.ValidationError", settings.ValidationError{{Field: "ods_code", Problem: "The ODS code is missing."}}, settings.UserMessage},
		{"store.ErrDiskFull", store.ErrDiskFull, store.UserMessage},
		{"store.ErrKeyMissing", store.ErrKeyMissing, store.UserMessage},
		{"store.ErrKeyReplaced", store.ErrKeyReplaced, store.UserMessage},
		{"store.ErrLogReplaced", store.ErrLogReplaced, store.UserMessage},
		{"store.ErrSchemaChanged", store.ErrSchemaChanged, store.UserMessage},
		{"store.ErrIndexMismatch", store.ErrIndexMismatch, store.UserMessage},
		{"store.ErrSettingsTampered", store.ErrSettingsTampered, store.UserMessage},
		{"audit.ErrInvalidEvent", audit.ErrInvalidEvent, store.UserMessage},
	} {
		m, ok := c.err.(usermsg.Error)
		if !ok || m.UserMessage() == "" {
			t.Errorf("%s: no sentence of its own (implement usermsg.Error)", c.name)
			continue
		}
		wrapped := fmt.Errorf("somewhere: %w", c.err)
		if got := c.pkg(wrapped); got != m.UserMessage() {
			t.Errorf("%s wrapped: package UserMessage %q, want its own sentence %q", c.name, got, m.UserMessage())
		}
		if got := usermsg.Of(wrapped, "fallback"); got != m.UserMessage() {
			t.Errorf("%s wrapped: usermsg.Of %q", c.name, got)
		}
	}
	// A card error reaching the Spine's message function keeps the card's sentence.
	if got := fhir.UserMessage(fmt.Errorf("sign in: %w", cardreader.ErrBlocked)); got != cardreader.UserMessage(cardreader.ErrBlocked) {
		t.Errorf("fhir.UserMessage of a card error: %q", got)
	}
}
