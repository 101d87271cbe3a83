package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"scrdesk/app"
	"scrdesk/cardreader"
	"scrdesk/cardreader/virtualcard"
	"scrdesk/internal/sandbox"
	"scrdesk/internal/secrets"
	"scrdesk/internal/settings"
	"scrdesk/sync"
)

// openServices builds everything the window's controller needs: the keyring (or its file
// fallback), the audit log and the settings (read the one way, loadSettings, --config
// applied), the trust anchors, the card source and the Spine link (in demo mode the built-in
// sandbox, in-process on loopback, and the demo reader with its demo cards). app.Run calls it
// behind the window. The returned func closes them.
func openServices(ctx context.Context, opts app.Options) (app.Services, func(), error) {
	log := opts.Log
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	db, keys, weak, err := openStore(ctx, opts.Dirs, log)
	if err != nil {
		return app.Services{}, nil, fmt.Errorf("audit log: %w", err)
	}
	closers = append(closers, func() { _ = db.Close() })
	var st settings.Settings
	if db.Break() != nil {
		// The file is not the log the keyring knows: its settings (trust anchors, environment,
		// the demo) are nobody's word, and must not decide who may sign in, or start the new log.
		st, err = brokenLogSettings(opts.ConfigFile)
	} else {
		st, err = loadSettings(ctx, db, opts.ConfigFile)
	}
	if err != nil {
		closeAll()
		if opts.ConfigFile != "" {
			return app.Services{}, nil, fmt.Errorf("settings file %s: %w", opts.ConfigFile, err)
		}
		return app.Services{}, nil, fmt.Errorf("settings: %w", err)
	}
	demo := opts.Demo || st.Environment == settings.EnvDemo
	svc := app.Services{Store: db, Settings: st, Demo: demo, DemoFolder: opts.Demo, Log: log, Now: time.Now, WeakKey: weak}
	svc.Readers = func() []string {
		names, _ := cardreader.ProbePCSC()
		return names
	}

	if demo {
		svc.Anchors = virtualcard.DemoCA().Pool()
		_, url, stop, err := sandbox.Start(sandbox.Options{TrustAnchors: svc.Anchors, Log: log.With("part", "sandbox")})
		if err != nil {
			closeAll()
			return app.Services{}, nil, fmt.Errorf("built-in sandbox: %w", err)
		}
		closers = append(closers, stop)
		dr, insert, remove, err := app.NewDemoReader()
		if err != nil {
			closeAll()
			return app.Services{}, nil, fmt.Errorf("demo cards: %w", err)
		}
		svc.Source, svc.DemoInsert, svc.DemoRemove = dr, insert, remove
		svc.Readers = func() []string { return []string{app.DemoReaderName} }
		svc.Settings = app.DemoSettings(svc.Settings)
		app.SeedDemoLog(ctx, db, log)
		svc.Spine, err = sync.New(sync.Config{BaseURL: url, Log: log.With("part", "spine")})
		if err != nil {
			closeAll()
			return app.Services{}, nil, fmt.Errorf("national services link: %w", err)
		}
		// In the demo the built-in sandbox stays the Spine whatever the settings say.
		svc.Reconnect = func(settings.Settings) (*x509.CertPool, *sync.Client, error) { return svc.Anchors, svc.Spine, nil }
	} else {
		svc.Source = cardreader.NewWatcher(log.With("part", "cardreader"))
		svc.Reconnect = func(st settings.Settings) (*x509.CertPool, *sync.Client, error) { return connect(st, keys, log) }
		var cerr error
		svc.Anchors, svc.Spine, cerr = connect(st, keys, log)
		if svc.Spine == nil {
			closeAll()
			return app.Services{}, nil, cerr
		}
		if cerr != nil {
			log.Error("trust anchors not loaded: every card will be refused", "err", cerr)
		}
	}
	if svc.Settings.WorkstationName == "" {
		svc.Settings.WorkstationName, _ = os.Hostname()
	}
	if st.CentralDSN != "" {
		stop, status := app.StartReplication(ctx, db, keys, svc.Settings, log)
		closers = append(closers, stop)
		svc.Central = status
	}
	if st.CentralSGPDSN != "" {
		svc.CentralSGP = app.CentralSGPOpener(keys, svc.Settings)
	}
	return svc, closeAll, nil
}

// connect loads the trust anchors and makes the Spine link a real environment's settings ask
// for. Without usable anchors it returns an empty pool (every card refused) with the error and
// still a link; without a link it returns the error alone.
func connect(st settings.Settings, keys secrets.Store, log *slog.Logger) (*x509.CertPool, *sync.Client, error) {
	anchors := x509.NewCertPool()
	var anchorErr error
	if st.TrustAnchorsFile != "" {
		if p, err := cardreader.LoadTrustAnchors(st.TrustAnchorsFile); err == nil {
			anchors = p
		} else {
			anchorErr = fmt.Errorf("trust anchors %s: %w", st.TrustAnchorsFile, err)
		}
	} else {
		anchorErr = errors.New("no trust anchors are set")
	}
	cfg := sync.Config{BaseURL: st.EffectiveBaseURL(), Log: log.With("part", "spine")}
	if st.ClientCertFile != "" {
		pw, err := keys.Get(app.ClientKeyPasswordKey)
		if err != nil && !errors.Is(err, secrets.ErrNotFound) {
			log.Warn("client key password not read from the keyring", "err", err)
		}
		if cfg.ClientCert, err = sync.LoadClientCertificate(st.ClientCertFile, pw); err != nil {
			return nil, nil, fmt.Errorf("client certificate %s: %w", st.ClientCertFile, err)
		}
	}
	client, err := sync.New(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("national services link: %w", err)
	}
	return anchors, client, anchorErr
}

// brokenLogSettings are the settings while the audit log is found removed or replaced: those
// of --config when given (checked, not kept: nothing can be recorded), else the defaults,
// never the file's own.
func brokenLogSettings(configFile string) (settings.Settings, error) {
	if configFile == "" {
		return settings.Defaults(), nil
	}
	b, err := os.ReadFile(configFile)
	if err != nil {
		return settings.Settings{}, err
	}
	return settings.Parse(b)
}
