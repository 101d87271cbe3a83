package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"scrdesk/internal/replica"
	"scrdesk/internal/secrets"
	"scrdesk/internal/settings"
	"scrdesk/internal/store"
)

// CentralDBPasswordKey is the keyring name of the central audit database's password.
const CentralDBPasswordKey = replica.PasswordKey

// CentralSGPOpener returns how the SGP's workspace opens the pharmacy-wide log: the reading
// login of settings central_sgp_dsn, its password from the keyring, the pharmacy's ODS code.
// Each call connects; the caller closes.
func CentralSGPOpener(keys secrets.Store, st settings.Settings) func(ctx context.Context) (*replica.CentralLog, error) {
	return func(ctx context.Context) (*replica.CentralLog, error) {
		pw, err := keys.Get(replica.ReaderPasswordKey)
		if err != nil && !errors.Is(err, secrets.ErrNotFound) {
			return nil, err
		}
		return replica.OpenCentral(ctx, st.CentralSGPDSN, pw, st.ODSCode)
	}
}

type replication struct {
	stop func()
	text func() string
}

// startReplication runs the replication worker (package replica) on its own goroutine until
// the returned stop is called. It never blocks the caller: the keyring is read here, the
// network only on the worker's goroutine.
func startReplication(ctx context.Context, db *store.DB, keys secrets.Store, st settings.Settings, log *slog.Logger) replication {
	log = log.With("part", "replica")
	pw, err := keys.Get(CentralDBPasswordKey)
	if err != nil && !errors.Is(err, secrets.ErrNotFound) {
		log.Warn("central database password not read from the keyring", "err", err)
	}
	key, err := replica.SigningKey(keys, db.InstanceID())
	if err != nil {
		log.Error("no signing key: the audit log is not replicated", "err", err)
		return replication{stop: func() {}, text: func() string { return "central audit log: no signing key (ask IT support)" }}
	}
	w := replica.New(replica.Config{DSN: st.CentralDSN, Password: pw, Workstation: st.WorkstationName, ODSCode: st.ODSCode, Log: log}, db, key)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(rctx) }()
	return replication{
		stop: func() {
			cancel()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				log.Warn("replication did not stop within 5 s")
			}
		},
		text: func() string { return w.Status().Text(time.Now()) },
	}
}
