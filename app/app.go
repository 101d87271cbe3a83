// Package app is SCR Desk's application core: it owns the Fyne application and its one window,
// navigation between screens, and the session controller that joins the card layer, the Spine
// link and the audit log. It is the only package that hands work to the UI goroutine, and only
// main imports it.
//
// Threading: Run must be called on the main goroutine and blocks until the window closes. The
// controller runs on one goroutine of its own (Controller.Run) and owns the session; card and
// network work runs on short-lived worker goroutines that report back to it through Post; the
// screens are touched only on Fyne's goroutine, through the injected ui func (fyne.Do).
package app

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"scrdesk/assets"
	"scrdesk/cardreader"
	"scrdesk/cardreader/virtualcard"
	"scrdesk/internal/audit"
	"scrdesk/internal/paths"
	"scrdesk/internal/sandbox"
	"scrdesk/internal/secrets"
	"scrdesk/internal/settings"
	"scrdesk/internal/store"
	"scrdesk/screens"
	"scrdesk/sync"
)

// Options is what main gives Run.
type Options struct {
	Version string
	Demo    bool
	Dirs    paths.Dirs
	Log     *slog.Logger
	// ConfigFile, when set, is a settings file (JSON) applied over the stored settings.
	ConfigFile string
	// Raise receives a value each time a second launch asks this window to come to the front.
	Raise <-chan struct{}
}

// KeyringService is the OS keyring service name SCR Desk's secrets are kept under.
const KeyringService = "SCR Desk"

// ClientKeyPasswordKey names the TLS client key's password in the keyring.
const ClientKeyPasswordKey = "client-key-password"

// Run builds the window and runs the application until the window is closed. The window shows
// at once; the audit log, settings, keyring and the Spine link are opened behind it, and the
// controller starts when they are ready (or the window says plainly what failed).
func Run(ctx context.Context, opts Options) error {
	if opts.Log == nil {
		return errors.New("app: no logger")
	}
	a := fyneapp.NewWithID(assets.AppID)
	a.SetIcon(fyne.NewStaticResource("icon-256.png", assets.IconPNG(256)))
	a.Settings().SetTheme(screens.NewTheme(1))
	w := a.NewWindow("SCR Desk")
	w.SetIcon(a.Icon())
	w.Resize(fyne.NewSize(1280, 800))
	w.SetMaster()
	w.SetContent(container.NewCenter(widget.NewLabel("Starting SCR Desk…")))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-opts.Raise:
				fyne.Do(func() {
					w.Show()
					w.RequestFocus()
				})
			}
		}
	}()

	done := make(chan struct{})
	go func() {
		defer close(done)
		svc, closeAll, err := Open(ctx, opts)
		if err != nil {
			opts.Log.Error("start-up failed", "err", err)
			fyne.Do(func() { w.SetContent(startupFailure(err)) })
			return
		}
		defer closeAll()
		a.Settings().SetTheme(screens.NewTheme(float32(svc.Settings.TextScale)))
		var c *Controller
		fyne.DoAndWait(func() { c = NewController(svc, newShell(w, svc.Demo), fyne.Do) })
		c.Run(ctx)
	}()
	w.SetOnClosed(cancel)
	w.ShowAndRun()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		opts.Log.Warn("controller did not stop within 5 s")
	}
	return nil
}

// Open opens everything the controller needs: the keyring (or its file fallback), the audit log
// and settings, the trust anchors, the card source and the Spine link (in demo mode the
// built-in sandbox, in-process on loopback, and the demo reader with its demo cards). The
// returned func closes them.
func Open(ctx context.Context, opts Options) (Services, func(), error) {
	log := opts.Log
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	keys, weak, err := secrets.Open(KeyringService, opts.Dirs.KeyFile(), log)
	if err != nil {
		return Services{}, nil, fmt.Errorf("no keyring and no key file: %w", err)
	}
	db, err := store.Open(ctx, opts.Dirs.Database(), keys, log)
	if err != nil {
		return Services{}, nil, fmt.Errorf("audit log: %w", err)
	}
	closers = append(closers, func() { _ = db.Close() })
	st, err := db.LoadSettings(ctx)
	if errors.Is(err, store.ErrSettingsTampered) && opts.ConfigFile != "" {
		// Settings changed outside SCR Desk are never used, nor replaced by the defaults; IT
		// support's settings file puts them right (and the save records them again).
		log.Warn("saved settings refused as changed outside SCR Desk; applying the settings file", "file", opts.ConfigFile)
		err = nil
	}
	if err != nil {
		closeAll()
		return Services{}, nil, fmt.Errorf("settings: %w", err)
	}
	if opts.ConfigFile != "" {
		// IT support's settings file is applied and kept (each change audited with its old and
		// new value), so the desktop shortcut needs no flags afterwards.
		b, err := os.ReadFile(opts.ConfigFile)
		if err == nil {
			st, err = settings.Parse(b)
		}
		if err == nil {
			err = db.SaveSettings(ctx, st, audit.Event{UserName: OSAccount(), Workstation: st.WorkstationName, ODSCode: st.ODSCode,
				Reason: "settings file " + opts.ConfigFile})
		}
		if err != nil {
			closeAll()
			return Services{}, nil, fmt.Errorf("settings file %s: %w", opts.ConfigFile, err)
		}
	}
	demo := opts.Demo || st.Environment == settings.EnvDemo
	svc := Services{Store: db, Settings: st, Demo: demo, Log: log, Now: time.Now, WeakKey: weak || db.WeakKey()}

	var base string
	if demo {
		svc.Anchors = virtualcard.DemoCA().Pool()
		_, url, stop, err := sandbox.Start(sandbox.Options{TrustAnchors: svc.Anchors, Log: log.With("part", "sandbox")})
		if err != nil {
			closeAll()
			return Services{}, nil, fmt.Errorf("built-in sandbox: %w", err)
		}
		closers = append(closers, stop)
		base = url
		dr, insert, remove, err := newDemoReader()
		if err != nil {
			closeAll()
			return Services{}, nil, fmt.Errorf("demo cards: %w", err)
		}
		svc.Source, svc.DemoInsert, svc.DemoRemove = dr, insert, remove
		if svc.Settings.PharmacyName == "" {
			svc.Settings.PharmacyName, svc.Settings.ODSCode = demoPharmacy()
		}
		if svc.Settings.WorkstationName == "" {
			svc.Settings.WorkstationName = "DEMO-1"
		}
		seedDemoLog(ctx, db, log)
	} else {
		if st.TrustAnchorsFile != "" {
			svc.Anchors, err = cardreader.LoadTrustAnchors(st.TrustAnchorsFile)
			if err != nil {
				log.Error("trust anchors not loaded: every card will be refused", "err", err)
			}
		}
		if svc.Anchors == nil {
			svc.Anchors = x509.NewCertPool()
		}
		svc.Source = cardreader.NewWatcher(log.With("part", "cardreader"))
		base = st.EffectiveBaseURL()
	}
	if svc.Settings.WorkstationName == "" {
		svc.Settings.WorkstationName, _ = os.Hostname()
	}
	cfg := sync.Config{BaseURL: base, Log: log.With("part", "spine")}
	if st.ClientCertFile != "" && !demo {
		pw, err := keys.Get(ClientKeyPasswordKey)
		if err != nil && !errors.Is(err, secrets.ErrNotFound) {
			log.Warn("client key password not read from the keyring", "err", err)
		}
		if cfg.ClientCert, err = sync.LoadClientCertificate(st.ClientCertFile, pw); err != nil {
			closeAll()
			return Services{}, nil, fmt.Errorf("client certificate %s: %w", st.ClientCertFile, err)
		}
	}
	client, err := sync.New(cfg)
	if err != nil {
		closeAll()
		return Services{}, nil, fmt.Errorf("national services link: %w", err)
	}
	svc.Spine = client
	if st.CentralDSN != "" {
		stop := startReplication(ctx, db, keys, svc.Settings, log)
		closers = append(closers, stop.stop)
		svc.Central = stop.text
	}
	return svc, closeAll, nil
}

// OSAccount names the operating-system account, for audit rows no smartcard stands behind.
func OSAccount() string {
	if u, err := user.Current(); err == nil {
		return "os:" + u.Username
	}
	return "os:unknown"
}

// startupFailure is what the window shows when SCR Desk cannot start: what happened, what to do.
func startupFailure(err error) fyne.CanvasObject {
	msg := store.UserMessage(err)
	if msg == "" {
		msg = "Something SCR Desk needs could not be opened."
	}
	title := widget.NewLabelWithStyle("SCR Desk cannot start", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	body := widget.NewLabel(msg + "\n\nNo patient data can be viewed until this is fixed. Ask IT support; the log file has the details.")
	body.Wrapping = fyne.TextWrapWord
	body.Alignment = fyne.TextAlignCenter
	return container.NewCenter(container.NewVBox(title, container.NewGridWrap(fyne.NewSize(640, 160), body)))
}
