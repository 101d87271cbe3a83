// Package cardreader is SCR Desk's smartcard layer: it watches the PC/SC
// readers, and it authenticates staff cards that carry the PIV card
// application (NIST SP 800-73-4 part 2), as docs/card-profile.md profiles it.
//
// It owns three things:
//
//   - The Watcher, over github.com/ebfe/scard: one goroutine owns the PC/SC
//     context and reports typed Events (reader attached/detached, card
//     inserted/removed, PC/SC service lost/back). DemoReader delivers the same
//     events from in-process cards for the demo mode. Both satisfy Source.
//   - The PIV card session (ReadIdentity, TriesLeft, VerifyPasscode, Sign,
//     CheckCertificate, Authenticate) over any Transport: a PC/SC card
//     (ConnectPCSC) or an in-process virtual card. Long answers, in 61xx pieces
//     or one extended answer, are collected here, not in the transports.
//   - `scrdesk card check` (CheckCommand), for IT support.
//
// Security contract: a user is authenticated only by Authenticate returning
// nil, which means the card verified the passcode, signed a fresh random
// challenge that verifies against the certificate's public key, and the
// certificate chains to a configured trust anchor and is in date. The ATR and
// the certificate alone prove nothing; Identity.Same (CHUID GUID + certificate
// fingerprint) tells cards apart.
//
// Errors are typed (ErrNotPIV, *CertificateError, *PasscodeError, ErrBlocked,
// ErrCardRemoved, ErrNoService, ErrNoReader, ErrChallenge); UserMessage gives
// the sentence a person is shown. Nothing here logs passcodes, names, user ids
// or APDU payloads.
//
// cardreader imports no other SCR Desk adapter and never Fyne.
//
// Tests: `go test -race ./cardreader/...` runs everything that needs no
// PC/SC service (the PIV session against in-process virtual cards, the demo
// reader, card check, fuzz seeds). The integration tests and benchmarks run
// against a private pcscd with the vsmartcard virtual readers, as root:
//
//	scripts/with-pcscd.sh go test -race -p 1 -tags pcsc ./cardreader/...
//	scripts/with-pcscd.sh go test -tags pcsc -run '^$' -bench . -benchtime 20x ./cardreader/
//
// They skip outside with-pcscd.sh, or fail there if SCRDESK_REQUIRE_PCSC=1.
package cardreader
