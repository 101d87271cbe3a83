package auditcli

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/cli"
	"scrdesk/internal/replica"
	"scrdesk/internal/store"
)

// replicaLog is what the central commands read from the local log (*store.DB).
type replicaLog interface {
	InstanceID() string
	LoadReplicaCursor(ctx context.Context) (store.ReplicaCursor, error)
	LastSeq(ctx context.Context) (int64, error)
}

// verifyCentral is `scrdesk audit verify --central`: the pharmacy's central log, checked with
// only the public keys; this workstation's own cursor is compared too. The check is recorded.
func verifyCentral(ctx context.Context, args []string, stdout, stderr io.Writer, db Log, who audit.Event, c Central) int {
	fs := flag.NewFlagSet("scrdesk audit verify --central", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Bool("central", true, "check the central audit database")
	dsn := fs.String("dsn", c.DSN, "the central database (default: settings central_dsn)")
	ods := fs.String("ods", "", "check only this pharmacy's workstations (ODS code)")
	pos, err := cli.ParseFlags(fs, args)
	if cli.Help(err, fs, stdout) {
		return ExitOK
	}
	if err != nil || len(pos) > 0 {
		return ExitUsage
	}
	if *dsn == "" {
		fmt.Fprintln(stderr, "scrdesk audit verify --central: no central database is set up (settings central_dsn, or --dsn)")
		return ExitUsage
	}
	opt := replica.VerifyOptions{ODSCode: *ods, Password: c.Password}
	if rl, ok := db.(replicaLog); ok {
		if cur, err := rl.LoadReplicaCursor(ctx); err == nil {
			opt.LocalInstance, opt.LocalSeq = rl.InstanceID(), cur.Seq
		}
	}
	rep, err := replica.VerifyCentral(ctx, *dsn, opt)
	if err != nil {
		fmt.Fprintf(stderr, "scrdesk audit verify --central: the check could not be done: %v\n", err)
		return ExitBad
	}
	fmt.Fprint(stdout, rep.Text())
	fmt.Fprintf(stdout, "checked %d entries in %v\n", rep.Rows, rep.Took.Round(time.Millisecond))
	ev := who
	ev.Action, ev.NHSNumber, ev.Outcome = audit.ActionAuditVerified, "", audit.OutcomeSuccess
	ev.Detail = map[string]string{"central": "true", "rows": strconv.FormatInt(rep.Rows, 10),
		"workstations": strconv.Itoa(len(rep.Workstations))}
	bad := 0
	for _, w := range rep.Workstations {
		if !w.OK() {
			bad++
			if bad <= 8 {
				ev.Detail["bad:"+w.Instance] = string(w.Findings[0].Kind) + " " + strconv.FormatInt(w.Findings[0].From, 10)
			}
		}
	}
	if bad > 0 {
		ev.Outcome = audit.OutcomeMajorFailure
		ev.Detail["bad_workstations"] = strconv.Itoa(bad)
	}
	if _, err := db.Record(ctx, ev); err != nil {
		fmt.Fprintf(stderr, "scrdesk audit verify --central: the check itself could not be recorded: %s\n", store.UserMessage(err))
	}
	if !rep.OK() {
		return ExitBad
	}
	return ExitOK
}

// centralInfo is `scrdesk audit central`: for IT support, this log's instance id, the signing
// key's public half and fingerprint (to confirm the registration the central database holds),
// and how far it has replicated.
func centralInfo(ctx context.Context, args []string, stdout, stderr io.Writer, db Log, c Central) int {
	if code, ok := noArgs("central", args, stdout, stderr); !ok {
		return code
	}
	rl, ok := db.(replicaLog)
	if !ok {
		fmt.Fprintln(stderr, "scrdesk audit central: this log cannot be replicated")
		return ExitBad
	}
	inst := rl.InstanceID()
	fmt.Fprintf(stdout, "log instance:        %s\n", inst)
	if c.Keys != nil {
		key, err := replica.SigningKey(c.Keys, inst)
		if err != nil {
			fmt.Fprintf(stderr, "scrdesk audit central: the signing key: %v\n", err)
			return ExitBad
		}
		pub := key.Public().(ed25519.PublicKey)
		fmt.Fprintf(stdout, "signing key:         Ed25519 %s\n", base64.StdEncoding.EncodeToString(pub))
		fmt.Fprintf(stdout, "key fingerprint:     %s\n", audit.KeyFingerprint(pub))
	}
	if c.DSN == "" {
		fmt.Fprintln(stdout, "central database:    not set up (settings central_dsn)")
	} else {
		fmt.Fprintf(stdout, "central database:    %s\n", c.DSN)
	}
	cur, err := rl.LoadReplicaCursor(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "scrdesk audit central: %v\n", err)
		return ExitBad
	}
	last, _ := rl.LastSeq(ctx)
	if cur.Seq == 0 {
		fmt.Fprintf(stdout, "replicated:          nothing yet; %d entries waiting\n", last)
	} else {
		fmt.Fprintf(stdout, "replicated:          to entry %d at %s; %d entries waiting\n", cur.Seq,
			time.UnixMilli(cur.UpdatedMS).UTC().Format(time.RFC3339), max(0, last-cur.Seq))
		fmt.Fprintf(stdout, "signed head:         entry %d\n", cur.SignedSeq)
	}
	return ExitOK
}
