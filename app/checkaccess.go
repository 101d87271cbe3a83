package app

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"scrdesk/cardreader"
	"scrdesk/cardreader/virtualcard"
	"scrdesk/internal/audit"
	"scrdesk/internal/cli"
	"scrdesk/internal/fhir"
	"scrdesk/internal/nhsnumber"
	pf "scrdesk/internal/patientflow"
	"scrdesk/internal/present"
	"scrdesk/internal/sandbox"
	"scrdesk/internal/settings"
	"scrdesk/internal/staff"
	"scrdesk/internal/usermsg"
	"scrdesk/sync"
)

// checkAccessResult is what `check-access --json` prints. Every key is snake_case, like
// `card check --json` and `audit export --format jsonl` (README, "Command line").
type checkAccessResult struct {
	OK      bool         `json:"ok"`
	Error   string       `json:"error,omitempty"`
	Reader  string       `json:"reader,omitempty"`
	UserID  string       `json:"user_id,omitempty"`
	Role    string       `json:"role,omitempty"`
	Org     string       `json:"organisation,omitempty"`
	Patient *patientJSON `json:"patient,omitempty"`
	Consent string       `json:"consent,omitempty"`
	Record  *recordJSON  `json:"record,omitempty"`
}

// patientJSON is the banner as check-access --json prints it.
type patientJSON struct {
	Name       string `json:"name"`
	NHSNumber  string `json:"nhs_number"`
	BirthDate  string `json:"birth_date"`
	Gender     string `json:"gender,omitempty"`
	Address    string `json:"address,omitempty"`
	GP         string `json:"gp_practice,omitempty"`
	Phone      string `json:"phone,omitempty"`
	Restricted bool   `json:"restricted"`
	Deceased   bool   `json:"deceased"`
	Merged     string `json:"merged,omitempty"`
	Test       bool   `json:"test_patient"`
}

// recordJSON is the record as check-access --json prints it.
type recordJSON struct {
	Format     string        `json:"format"`
	Created    string        `json:"created"`
	Author     string        `json:"author,omitempty"`
	Practice   string        `json:"practice,omitempty"`
	Statements []string      `json:"statements,omitempty"`
	Notes      []string      `json:"notes,omitempty"`
	Sections   []sectionJSON `json:"sections"`
}

type sectionJSON struct {
	Title      string      `json:"title"`
	Kind       string      `json:"kind"`
	Tables     []tableJSON `json:"tables,omitempty"`
	Statements []string    `json:"statements,omitempty"`
	Text       []string    `json:"text,omitempty"`
}

type tableJSON struct {
	Headers []string   `json:"headers"`
	Rows    [][]string `json:"rows"`
}

func patientOf(b present.BannerView) *patientJSON {
	return &patientJSON{Name: b.Name, NHSNumber: b.NHS, BirthDate: b.BirthDate, Gender: b.Gender, Address: b.Address,
		GP: b.GP, Phone: b.Phone, Restricted: b.Restricted, Deceased: b.Deceased, Merged: b.MergedText, Test: b.Test}
}

func recordOf(r present.RecordView) *recordJSON {
	out := &recordJSON{Format: r.Format, Created: r.Created, Author: r.Author, Practice: r.Practice,
		Statements: r.Statements, Notes: r.Notes, Sections: []sectionJSON{}}
	for _, s := range r.Sections {
		sj := sectionJSON{Title: s.Title, Kind: string(s.Kind), Statements: s.Statements, Text: s.Text}
		for _, t := range s.Tables {
			sj.Tables = append(sj.Tables, tableJSON{Headers: t.Headers, Rows: t.Rows})
		}
		out.Sections = append(out.Sections, sj)
	}
	return out
}

// CheckAccess is `scrdesk check-access NHS_NUMBER`, for IT support at a new install, as the
// national guidance asks ("check you have access using test NHS patient numbers, not real
// patients"): with the card in the reader it runs the whole flow (card and passcode, identity
// service and role, PDS, consent state, SCR) for a test-range or sandbox NHS number, prints the
// patient and the record, and audits every step like any view. Any other NHS number is refused.
// With --demo it uses the built-in sandbox and inserts the demo pharmacist's card itself.
func CheckAccess(ctx context.Context, opts Options, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check-access", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pinStdin := fs.Bool("pin-stdin", false, "read the passcode from the first line of stdin")
	asJSON := fs.Bool("json", false, "print one JSON object")
	apiBase := fs.String("api-base", "", "national services base `URL` (overrides settings)")
	anchorsFile := fs.String("trust-anchors", "", "PEM `file` of smartcard trust anchors (overrides settings)")
	readerName := fs.String("reader", "", "reader `name` (default: the first with a card)")
	roleURID := fs.String("role", "", "role profile id (URID) to use (default: the first that may view SCRs)")
	timeout := fs.Duration("timeout", 60*time.Second, "how long to wait for a card")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: scrdesk check-access NHS_NUMBER [flags]   (a test or sandbox NHS number only; flags before or after it)")
		fs.PrintDefaults()
	}
	pos, err := cli.ParseFlags(fs, args)
	if cli.Help(err, fs, stdout) {
		return 0
	}
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "check-access: give exactly one test NHS number")
		fs.Usage()
		return 2
	}
	nhs, err := nhsnumber.Normalize(pos[0])
	if err != nil || !nhsnumber.IsTest(nhs) {
		fmt.Fprintln(stderr, "check-access: refused: use a test NHS number (999 000 0000 to 999 999 9999, or a sandbox number such as 900 000 0009), never a real patient's")
		return 2
	}
	log := opts.Log
	var res checkAccessResult
	finish := func(code int, err error) int {
		if err != nil {
			res.Error = plainError(err)
			log.Info("check-access failed", "err", err)
		}
		res.OK = code == 0
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			_ = enc.Encode(res)
		} else if err != nil {
			fmt.Fprintf(stdout, "\nResult: FAILED\n%s\n", res.Error)
		} else {
			fmt.Fprintln(stdout, "\nResult: OK: this workstation, card and role can open Summary Care Records")
		}
		return code
	}

	db, st := opts.Store, opts.Settings // opened and read by main (--config applied)
	if db == nil {
		return finish(1, errors.New("check-access: no audit log"))
	}
	demo := opts.Demo || st.Environment == settings.EnvDemo
	base := st.EffectiveBaseURL()
	if *apiBase != "" {
		// The bearer token and patient data go to this address: the same rule as a settings
		// file's base_url (https, or plain http to this computer only).
		if err := settings.CheckBaseURL(*apiBase); err != nil {
			return finish(2, fmt.Errorf("check-access: --api-base: %w", err)) // the address is not echoed: it may hold a password
		}
		base = *apiBase
	}
	var anchors *x509.CertPool
	switch {
	case *anchorsFile != "":
		anchors, err = cardreader.LoadTrustAnchors(*anchorsFile)
	case st.TrustAnchorsFile != "":
		anchors, err = cardreader.LoadTrustAnchors(st.TrustAnchorsFile)
	case demo:
		anchors = virtualcard.DemoCA().Pool()
	default:
		err = errors.New("no trust anchors: set them in settings or pass --trust-anchors FILE")
	}
	if err != nil {
		return finish(2, err)
	}
	var src cardreader.Source
	if demo && *apiBase == "" {
		_, url, stop, err := sandbox.Start(sandbox.Options{TrustAnchors: anchors, Log: log})
		if err != nil {
			return finish(1, err)
		}
		defer stop()
		base = url
		dr, insert, _, err := NewDemoReader()
		if err != nil {
			return finish(1, err)
		}
		insert("pharmacist")
		src = dr
		if !*asJSON {
			fmt.Fprintln(stderr, "Demo: the demo pharmacist's card is in the demo reader (passcode 123456).")
		}
	} else {
		src = cardreader.NewWatcher(log)
	}
	client, err := sync.New(sync.Config{BaseURL: base, Log: log})
	if err != nil {
		return finish(2, err)
	}
	var who audit.Event // the card's user, then their role
	rec := func(e audit.Event) (audit.Entry, error) {
		e.Workstation, e.ODSCode = st.WorkstationName, st.ODSCode
		if e.UserID == "" {
			e.UserID, e.UserName = who.UserID, who.UserName
		}
		if e.URID == "" {
			e.URID, e.RoleCode = who.URID, who.RoleCode
		}
		if e.Reason == "" {
			e.Reason = "check-access (IT support, test patient)"
		}
		return db.Record(ctx, e)
	}

	// The card.
	wctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	reader, conn, err := waitForCard(wctx, src, *readerName, stderr, !*asJSON)
	if err != nil {
		return finish(1, err)
	}
	defer conn.Close()
	res.Reader = reader
	pin, err := cli.ReadSecret(stdin, stderr, "Passcode: ", *pinStdin)
	if err != nil {
		return finish(2, fmt.Errorf("passcode not read: %w", err))
	}
	// The window's own card checks and sign-in (cardops.go): the identity and its certificate
	// against the trust anchors, then the passcode, the card's proof of its key and the Spine
	// assertion in one transaction, after which the card's security status is reset.
	id, err := cardreader.ReadIdentity(conn)
	if err == nil {
		err = cardreader.CheckCertificate(id.Cert, anchors, time.Now())
	}
	res.UserID = id.UserID
	who = audit.Event{UserID: id.UserID, UserName: id.Name}
	var link *sync.Session
	var linkErr error
	if err == nil {
		link, linkErr, err = cardSignIn(ctx, client, conn, id, pin, true)
	}
	if err != nil {
		_, _ = rec(cardRefusal(err))
		return finish(1, err)
	}
	if linkErr != nil {
		_, _ = rec(audit.Event{Action: audit.ActionLogin, Outcome: audit.OutcomeMinorFailure, Reason: "check-access: the identity service refused the sign-in (" + fhir.UserMessage(linkErr) + ")"})
		return finish(1, linkErr)
	}
	defer link.Close()
	roles, err := link.UserInfo(ctx)
	if err != nil {
		_, _ = rec(audit.Event{Action: audit.ActionLogin, Outcome: audit.OutcomeMinorFailure, Reason: "check-access: the roles could not be read (" + fhir.UserMessage(err) + ")"})
		return finish(1, err)
	}
	var role staff.Role
	for _, r := range roles {
		if (*roleURID == "" && r.Can(st.PermittedActivityCodes)) || r.URID == *roleURID {
			role = r
			break
		}
	}
	if role.URID == "" {
		var offered []string
		for _, r := range roles {
			offered = append(offered, r.RoleName+" ("+r.URID+")")
		}
		_, _ = rec(audit.Event{Action: audit.ActionLogin, Outcome: audit.OutcomeMinorFailure,
			Reason: "check-access: no role that may open records; roles offered: " + strings.Join(offered, ", ")})
		return finish(1, errors.New("this card has no role that may view Summary Care Records here (check the permitted activity codes in settings, or ask your Registration Authority)"))
	}
	link = link.WithRole(role.URID)
	res.Role, res.Org = role.RoleName, role.OrgName+" ("+role.OrgCode+")"
	who.URID, who.RoleCode = role.URID, role.RoleCode
	if _, err := rec(audit.Event{Action: audit.ActionLogin, Outcome: audit.OutcomeSuccess}); err != nil {
		return finish(1, err)
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "Card:    %s in %s\nRole:    %s, %s\n\n", id.UserID, reader, res.Role, res.Org)
	}

	// The patient, the consent state and the record: the counter's own patient machine and
	// audit rows (patient.go), its requests carried out here one at a time. Each row is written
	// before what it records is printed. The record's basis is the access check itself (a test
	// patient, who is not asked; no privacy alert goes for a test patient).
	flow := pf.New()
	run := func(e pf.Event) error { return runFlowInline(ctx, flow, link, rec, id.Name, e) }
	if err := run(pf.SearchNHS{NHS: nhs}); err != nil {
		return finish(1, err)
	}
	v := flow.View()
	if v.State == pf.Failed {
		return finish(1, flowErr(v))
	}
	if !nhsnumber.IsTest(v.Patient.NHSNumber) {
		// PDS answered the test number with a real patient's record (a merge, or a service
		// that is not the test one): nothing of it is printed.
		flow.Handle(pf.Close{})
		return finish(1, errors.New("check-access: the national service answered the test number with a patient outside the test ranges, so nothing is shown; check the environment in settings"))
	}
	bv := present.Banner(v.Patient, time.Now())
	res.Patient = patientOf(bv)
	if !*asJSON {
		fmt.Fprintln(stdout, present.BannerText(bv))
	}
	switch {
	case v.State == pf.ConsentRead && v.Doc == nil:
		res.Consent = "no record"
		if !*asJSON {
			fmt.Fprintln(stdout, "\nThe Spine holds no Summary Care Record for this patient.")
		}
		return finish(0, nil)
	case v.State == pf.ConsentRead:
		res.Consent = v.Doc.Consent.String()
		if !*asJSON {
			fmt.Fprintln(stdout, "\nThe patient has opted out: there is no Summary Care Record to view.")
		}
		return finish(0, nil)
	}
	res.Consent = v.Doc.Consent.String()
	if err := run(pf.AccessCheck{}); err != nil {
		return finish(1, err)
	}
	v = flow.View()
	switch {
	case v.Failure == pf.RecordFailed:
		return finish(1, v.Err)
	case v.State == pf.ConsentRead:
		res.Consent = "no record"
		if !*asJSON {
			fmt.Fprintln(stdout, "\nThe Spine no longer holds a Summary Care Record for this patient.")
		}
		return finish(0, nil)
	case v.State != pf.RecordShown:
		return finish(1, fmt.Errorf("check-access: the record was not opened (%v)", v.State))
	}
	rv := present.Record(v.Record, v.Patient, nil)
	res.Record = recordOf(rv)
	if !*asJSON {
		fmt.Fprintln(stdout)
		fmt.Fprint(stdout, present.RecordText(rv))
	}
	return finish(0, nil)
}

// runFlowInline feeds the patient machine e and carries out its effects in order, each request
// at once (answerOf) with its answer fed back, until nothing is left to do: check-access's way
// of running the window's flow. An audit row that does not commit stops it (the machine is told).
func runFlowInline(ctx context.Context, m *pf.Machine, link *sync.Session, rec func(audit.Event) (audit.Entry, error), user string, e pf.Event) error {
	queue := []pf.Event{e}
	var search int64
	for len(queue) > 0 {
		e, queue = queue[0], queue[1:]
		for _, f := range m.Handle(e) {
			switch f := f.(type) {
			case pf.Audit:
				ev := flowAuditEvent(f, m.View(), user)
				if f.Action == pf.ActPatientListed {
					ev.Detail = map[string]string{"search": strconv.FormatInt(search, 10)}
				}
				row, err := rec(ev)
				if err != nil {
					m.Handle(pf.AuditFailed{Err: err})
					return err
				}
				if f.Action == pf.ActPatientSearch {
					search = row.Seq
				}
			case pf.QueueAlert:
				err := errors.New("check-access: a privacy alert was asked for, which an access check never sends")
				m.Handle(pf.AuditFailed{Err: err})
				return err
			case pf.CancelRequests:
			default:
				if ans := answerOf(ctx, link, f); ans != nil {
					queue = append(queue, ans)
				}
			}
		}
	}
	return nil
}

// flowErr is the error a failed patient flow ended with.
func flowErr(v pf.View) error {
	if v.Err != nil {
		return v.Err
	}
	return errors.New("no patient was found for that NHS number")
}

// cardRefusal is the audit row of a card check-access refused: a wrong passcode and a blocked
// card under the window's own actions, any other refusal naming the check that failed.
func cardRefusal(err error) audit.Event {
	var pe *cardreader.PasscodeError
	switch {
	case errors.As(err, &pe) && !pe.Format:
		return audit.Event{Action: audit.ActionWrongPasscode, Outcome: audit.OutcomeMinorFailure,
			Reason: "check-access: wrong passcode, " + strconv.Itoa(pe.TriesLeft) + " tries left"}
	case errors.Is(err, cardreader.ErrBlocked):
		return audit.Event{Action: audit.ActionCardBlocked, Outcome: audit.OutcomeMinorFailure, Reason: "check-access: the card is blocked"}
	}
	return audit.Event{Action: audit.ActionLogin, Outcome: audit.OutcomeMinorFailure, Reason: "check-access: the card was refused (" + checkOf(err) + ")"}
}

// plainError is the sentence a person is shown for err: the one it carries (usermsg: a card,
// Spine, store or settings failure), else what a timeout or a network failure means, else the
// error's own words (this command's own errors are written for IT support).
func plainError(err error) string {
	if m := usermsg.Of(err, ""); m != "" {
		return m
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) {
		return fhir.UserMessage(err)
	}
	return err.Error()
}

// waitForCard waits for a card (or takes the one present) and opens it.
func waitForCard(ctx context.Context, src cardreader.Source, want string, stderr io.Writer, talk bool) (string, cardreader.Conn, error) {
	events := make(chan cardreader.Event, 16)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = src.Run(rctx, events) }()
	defer func() { cancel(); <-done }()
	if talk {
		fmt.Fprintln(stderr, "Waiting for a smartcard…")
	}
	for {
		select {
		case <-ctx.Done():
			return "", nil, errors.New("no smartcard was inserted in time")
		case ev := <-events:
			if ev.Kind != cardreader.CardInserted || (want != "" && ev.Reader != want) {
				continue
			}
			conn, err := src.Connect(ev.Reader)
			if err != nil {
				return "", nil, err
			}
			return ev.Reader, conn, nil
		}
	}
}
