package cardreader

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"scrdesk/internal/cli"
)

// CheckDefaults are the settings `scrdesk card check` starts from; flags
// override them.
type CheckDefaults struct {
	TrustAnchorsFile string // PEM bundle of trust anchors
	Reader           string // reader to use; empty: the first with a card
	Log              *slog.Logger
	// Source, if set, replaces PC/SC (tests and the demo use a DemoReader).
	Source Source
	// Probe, if set, replaces ProbePCSC: which readers are attached, asked once before
	// waiting (not used with a Source).
	Probe func() ([]string, error)
	// Now, if set, replaces time.Now for the certificate's dates.
	Now func() time.Time
}

// CheckResult is what `scrdesk card check --json` prints, one JSON object.
type CheckResult struct {
	OK          bool   `json:"ok"`
	Reader      string `json:"reader,omitempty"`
	ATR         string `json:"atr,omitempty"`
	GUID        string `json:"guid,omitempty"`
	Fingerprint string `json:"certificate_sha256,omitempty"`
	Subject     string `json:"subject,omitempty"`
	UserID      string `json:"user_id,omitempty"`
	Name        string `json:"name,omitempty"`
	NotBefore   string `json:"not_before,omitempty"`
	NotAfter    string `json:"not_after,omitempty"`
	Chain       string `json:"chain,omitempty"`
	TriesLeft   *int   `json:"tries_left,omitempty"`
	Passcode    string `json:"passcode,omitempty"`
	Challenge   string `json:"challenge,omitempty"`
	Error       string `json:"error,omitempty"`  // the message for the person (docs/card-profile.md)
	Detail      string `json:"detail,omitempty"` // the technical cause, for IT support
}

// Exit statuses of CheckCommand.
const (
	CheckOK       = 0
	CheckCardBad  = 1 // any wrong-card case: not PIV, certificate, passcode, blocked, challenge
	CheckUsage    = 2 // bad flags or settings (trust anchors)
	CheckNoCard   = 3 // no card within --timeout, or the card left
	CheckNoSystem = 4 // PC/SC service or reader trouble
)

// What card check says on a terminal when it cannot even wait for a card.
const (
	checkMsgNoService = "The smartcard service (PC/SC) is not running on this computer, so no card can be read. Start it (Linux: pcscd, e.g. `systemctl start pcscd.socket`; Windows: the \"Smart Card\" service) and run card check again."
	checkMsgNoReader  = "No smartcard reader is attached to this computer. Plug the reader in (or install its driver) and run card check again."
)

// CheckCommand is `scrdesk card check`, for IT support at a new install. It
// waits for a card (or uses the one present), prints the reader, the ATR, the
// card's identity, the certificate's subject, user id, validity and chain
// result, reads the passcode (a line on stdin; with --pin-stdin no prompt is
// written), verifies it and a fresh challenge signature, and prints the
// result. --json prints one JSON object (CheckResult) instead. It returns the
// exit status: 0 only when the card would sign in here.
//
// Without --pin-stdin, when stdin is a terminal, the prompt goes to stderr
// and the passcode is read with echo off (golang.org/x/term); otherwise the
// first line of stdin is the passcode.
func CheckCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, defaults CheckDefaults) int {
	fs := flag.NewFlagSet("card check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pinStdin := fs.Bool("pin-stdin", false, "read the passcode from the first line of stdin, without a prompt")
	asJSON := fs.Bool("json", false, "print one JSON object")
	anchorsFile := fs.String("trust-anchors", defaults.TrustAnchorsFile, "PEM `file` of trust anchors")
	readerName := fs.String("reader", defaults.Reader, "reader `name` (default: the first with a card)")
	timeout := fs.Duration("timeout", 60*time.Second, "how long to wait for a card")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: scrdesk card check [flags]   (flags: the settings' trust anchors and reader unless given)")
		fs.PrintDefaults()
	}
	pos, err := cli.ParseFlags(fs, args)
	if cli.Help(err, fs, stdout) {
		return CheckOK
	}
	if err != nil {
		return CheckUsage
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "card check: unexpected argument %q\n", pos[0])
		return CheckUsage
	}
	log := defaults.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := time.Now
	if defaults.Now != nil {
		now = defaults.Now
	}
	var res CheckResult
	p := &checkPrinter{w: stdout, quiet: *asJSON}
	finish := func(code int, err error) int {
		if err != nil {
			res.Error = UserMessage(err)
			res.Detail = err.Error()
			log.Info("card check failed", "err", err)
		}
		res.OK = code == CheckOK
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			_ = enc.Encode(res)
		} else if err != nil {
			fmt.Fprintf(stdout, "Result:       FAILED\n%s\n", res.Error)
		} else {
			fmt.Fprintln(stdout, "Result:       OK: this card signs in here")
		}
		return code
	}

	if *anchorsFile == "" {
		fmt.Fprintln(stderr, "card check: no trust anchors: set them in settings or pass --trust-anchors FILE")
		return CheckUsage
	}
	anchors, err := LoadTrustAnchors(*anchorsFile)
	if err != nil {
		fmt.Fprintf(stderr, "card check: %v\n", err)
		return CheckUsage
	}

	src := defaults.Source
	if src == nil {
		// Ask PC/SC first: with no service or no reader, say so now rather than wait.
		probe := defaults.Probe
		if probe == nil {
			probe = ProbePCSC
		}
		names, err := probe()
		switch {
		case errors.Is(err, ErrNoService):
			return finishSystem(&res, stdout, *asJSON, checkMsgNoService, err, log)
		case errors.Is(err, ErrNoReader):
			return finishSystem(&res, stdout, *asJSON, checkMsgNoReader, err, log)
		case err != nil:
			return finishSystem(&res, stdout, *asJSON, "The smartcard service answered with an error: "+err.Error()+". Restart it and run card check again.", err, log)
		case *readerName != "" && !slices.Contains(names, *readerName):
			return finishSystem(&res, stdout, *asJSON, fmt.Sprintf("The reader %q is not attached. Attached: %s. Pass --reader with one of these, or clear the preferred reader in settings.",
				*readerName, strings.Join(names, ", ")), ErrNoReader, log)
		}
		src = NewWatcher(log)
	}
	wctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	events := make(chan Event, 16)
	runDone := make(chan struct{})
	go func() {
		defer close(runDone)
		_ = src.Run(wctx, events)
	}()
	defer func() { cancel(); <-runDone }()

	if !*asJSON {
		fmt.Fprintf(stderr, "Waiting up to %s for a smartcard...\n", *timeout)
	}
	var ev Event
	for waiting := true; waiting; {
		select {
		case <-wctx.Done():
			if ctx.Err() != nil {
				return finish(CheckNoCard, ctx.Err())
			}
			return finish(CheckNoCard, errors.New("no smartcard was inserted in time"))
		case ev = <-events:
			switch {
			case ev.Kind == ServiceLost:
				return finishSystem(&res, stdout, *asJSON, checkMsgNoService, ErrNoService, log)
			case ev.Kind == CardInserted && (*readerName == "" || ev.Reader == *readerName):
				waiting = false
			}
		}
	}
	res.Reader = ev.Reader
	res.ATR = strings.ToUpper(hex.EncodeToString(ev.ATR))
	p.line("Reader", res.Reader)
	p.line("ATR", res.ATR)

	conn, err := src.Connect(ev.Reader)
	if err != nil {
		if errors.Is(err, ErrCardRemoved) {
			return finish(CheckNoCard, err)
		}
		return finish(CheckNoSystem, err)
	}
	defer conn.Close()

	code := func(err error) int {
		switch {
		case errors.Is(err, ErrCardRemoved):
			return CheckNoCard
		case errors.Is(err, ErrNoService), errors.Is(err, ErrNoReader):
			return CheckNoSystem
		default:
			return CheckCardBad
		}
	}

	id, err := ReadIdentity(conn)
	if id.Cert != nil {
		res.Fingerprint = hex.EncodeToString(id.Fingerprint[:])
		res.Subject = id.Cert.Subject.String()
		res.UserID, res.Name = id.UserID, id.Name
		res.NotBefore = id.Cert.NotBefore.UTC().Format(time.RFC3339)
		res.NotAfter = id.Cert.NotAfter.UTC().Format(time.RFC3339)
	}
	if id.GUID != ([16]byte{}) {
		res.GUID = strings.ToUpper(hex.EncodeToString(id.GUID[:]))
	}
	p.line("Card GUID", res.GUID)
	p.line("Certificate", res.Subject)
	p.line("SHA-256", res.Fingerprint)
	p.line("User id", res.UserID)
	p.line("Name", res.Name)
	if res.NotBefore != "" {
		p.line("Valid", res.NotBefore+" to "+res.NotAfter)
	}
	if err != nil {
		return finish(code(err), err)
	}
	if err := CheckCertificate(id.Cert, anchors, now()); err != nil {
		res.Chain = err.Error()
		p.line("Chain", "NOT VALID: "+res.Chain)
		return finish(CheckCardBad, err)
	}
	res.Chain = "ok"
	p.line("Chain", "ok: chains to a trust anchor and is in date")

	tries, err := TriesLeft(conn)
	if err != nil {
		if errors.Is(err, ErrBlocked) {
			res.Passcode = "blocked"
			zero := 0
			res.TriesLeft = &zero
		}
		return finish(code(err), err)
	}
	if tries != AlreadyVerified {
		res.TriesLeft = &tries
		p.line("Tries left", fmt.Sprint(tries))
	}

	pin, err := cli.ReadSecret(stdin, stderr, "Passcode: ", *pinStdin)
	if err != nil {
		fmt.Fprintf(stderr, "card check: no passcode given: %v\n", err)
		return CheckUsage
	}
	// The passcode and the challenge in one transaction, after which the card's security status
	// is reset (WithPasscode): the check leaves no program able to have the card sign.
	challenge := make([]byte, 32)
	if _, err := rand.Read(challenge); err != nil {
		return finish(CheckCardBad, err)
	}
	verified := false
	var proveErr error
	err = WithPasscode(conn, pin, func() error {
		verified = true
		proveErr = proveKey(conn, id.Cert, challenge)
		return proveErr
	})
	var pe *PasscodeError
	switch {
	case verified:
		res.Passcode = "ok"
		p.line("Passcode", "ok")
	case errors.As(err, &pe) && !pe.Format:
		res.Passcode = "wrong"
		res.TriesLeft = &pe.TriesLeft
		p.line("Passcode", fmt.Sprintf("WRONG, %d tries left", pe.TriesLeft))
		return finish(CheckCardBad, err)
	case errors.Is(err, ErrBlocked):
		res.Passcode = "blocked"
		p.line("Passcode", "BLOCKED")
		return finish(CheckCardBad, err)
	default:
		return finish(code(err), err)
	}

	if err := proveErr; err != nil {
		if errors.Is(err, ErrChallenge) {
			res.Challenge = "failed"
			p.line("Challenge", "FAILED: the card does not hold the certificate's key")
		}
		return finish(code(err), err)
	}
	res.Challenge = "ok"
	p.line("Challenge", "ok: the card signed a fresh challenge with the certificate's key")
	if err != nil { // the reset after the check failed: the card may still be verified
		return finish(code(err), err)
	}
	return finish(CheckOK, nil)
}

// finishSystem ends a check that could not reach a card (no service, no reader) with msg.
func finishSystem(res *CheckResult, stdout io.Writer, asJSON bool, msg string, err error, log *slog.Logger) int {
	log.Info("card check: no card system", "err", err)
	res.OK, res.Error, res.Detail = false, msg, err.Error()
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(res)
	} else {
		fmt.Fprintf(stdout, "Result:       FAILED\n%s\n", msg)
	}
	return CheckNoSystem
}

type checkPrinter struct {
	w     io.Writer
	quiet bool
}

func (p *checkPrinter) line(label, value string) {
	if p.quiet || value == "" {
		return
	}
	fmt.Fprintf(p.w, "%-13s %s\n", label+":", value)
}
