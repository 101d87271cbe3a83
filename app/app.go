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
	"errors"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"scrdesk/assets"
	"scrdesk/internal/audit"
	"scrdesk/internal/paths"
	"scrdesk/internal/secrets"
	"scrdesk/internal/settings"
	"scrdesk/internal/store"
	"scrdesk/internal/usermsg"
	"scrdesk/screens"
)

// Options is what main gives Run.
type Options struct {
	Version string
	Demo    bool
	Dirs    paths.Dirs
	Log     *slog.Logger
	// ConfigFile, when set, is the settings file (JSON) given with --config; main applies it
	// (for a subcommand, before: see Settings; for the window, in Open).
	ConfigFile string
	// Store, Keys and Settings are what main opened and read for a subcommand: the audit log,
	// the keyring (or its file fallback) and the settings, --config applied.
	Store    *store.DB
	Keys     secrets.Store
	Settings settings.Settings
	// Open builds the window's services (main's wiring). Run calls it behind the window.
	Open func(context.Context) (Services, func(), error)
	// Raise receives a value each time a second launch asks this window to come to the front.
	Raise <-chan struct{}
	// Configs receives the settings files later launches pass with --config (over the
	// instance socket); each is applied by the controller or refused, and answered.
	Configs <-chan ConfigRequest
	// NewLog starts a new audit log after the log was found removed or replaced
	// (store.NewLog on the window's database and keyring), for the SGP in by. Run calls it
	// between closing the services and opening them again.
	NewLog func(ctx context.Context, by audit.Event) (store.NewLogResult, error)
}

// KeyringService is the OS keyring service name SCR Desk's secrets are kept under.
const KeyringService = "SCR Desk"

// ClientKeyPasswordKey names the TLS client key's password in the keyring.
const ClientKeyPasswordKey = "client-key-password"

// Run builds the window and runs the application until the window is closed. The window shows
// at once; the audit log, settings, keyring and the Spine link are opened behind it, and the
// controller starts when they are ready (or the window says plainly what failed).
func Run(ctx context.Context, opts Options) error {
	if opts.Log == nil || opts.Open == nil {
		return errors.New("app: no logger or no services")
	}
	fyneCacheInStateDir(opts.Dirs, opts.Log)
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
		notice := ""
		for {
			by, again := serve(ctx, opts, a, w, notice)
			if !again || ctx.Err() != nil {
				return
			}
			// An SGP asked for a new audit log: every service is closed (serve returned), so
			// the file is free to be kept aside and a new log started; then they open again.
			fyne.DoAndWait(func() { w.SetContent(container.NewCenter(widget.NewLabel("Starting a new audit log…"))) })
			notice = startNewLog(ctx, opts, by)
		}
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

// serve opens the services, runs a controller over them until ctx is done or an SGP asks for a
// new audit log, and closes them. It reports who asked (again: open them again afterwards).
func serve(ctx context.Context, opts Options, a fyne.App, w fyne.Window, notice string) (audit.Event, bool) {
	svc, closeAll, err := opts.Open(ctx)
	if err != nil {
		opts.Log.Error("start-up failed", "err", err)
		fyne.Do(func() { w.SetContent(startupFailure(err)) })
		return audit.Event{}, false
	}
	defer closeAll()
	svc.StartNotice = notice
	// The controller's screen updates, while ctx lasts. Once it ends the window is closing
	// (Fyne quits on the same signal), and Fyne runs what is still sent to a stopping loop on
	// the sender's goroutine instead of its own: the controller's last renders touched the
	// window from its goroutine (Fyne's "Error in Fyne call thread", seen at a test's stop).
	ui := func(f func()) {
		if ctx.Err() == nil {
			fyne.Do(f)
		}
	}
	if ctx.Err() != nil {
		return audit.Event{}, false // closed while the services opened: no window left to fill
	}
	var c *Controller
	fyne.DoAndWait(func() {
		a.Settings().SetTheme(screens.NewTheme(float32(svc.Settings.TextScale)))
		c = NewController(svc, newShell(w, svc.Demo), ui)
	})
	c.onTextScale = func(scale float64) {
		ui(func() { a.Settings().SetTheme(screens.NewTheme(float32(scale))) })
	}
	cctx, stopConfigs := context.WithCancel(ctx)
	defer stopConfigs() // the next controller serves the settings files sent after this one
	go c.serveConfigs(cctx, opts.Configs)
	// One line for IT support (and the clean-start test): the start is over.
	opts.Log.Info("started", "version", opts.Version, "demo", svc.Demo)
	c.Run(ctx)
	return c.NewLogAsked()
}

// fyneCacheInStateDir gives Fyne's cache a home in SCR Desk's own state folder (Linux:
// ~/.local/state/scrdesk/cache, made here), so a fresh home prints no "Failed to create fyne
// cache space" errors and nothing is left in ~/.cache. Fyne reads the cache root from
// XDG_CACHE_HOME (os.UserCacheDir); on Windows it is %LOCALAPPDATA%, which always exists.
func fyneCacheInStateDir(dirs paths.Dirs, log *slog.Logger) {
	if runtime.GOOS == "windows" || dirs.State == "" {
		return
	}
	cache := filepath.Join(dirs.State, "cache")
	if err := os.MkdirAll(filepath.Join(cache, "fyne", assets.AppID), 0o700); err != nil {
		log.Warn("no cache folder for the window toolkit", "err", err)
		return
	}
	_ = os.Setenv("XDG_CACHE_HOME", cache)
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
	msg := usermsg.Of(err, "Something SCR Desk needs could not be opened.")
	title := widget.NewLabelWithStyle("SCR Desk cannot start", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	body := widget.NewLabel(msg + "\n\nNo patient data can be viewed until this is fixed. Ask IT support; the log file has the details.")
	body.Wrapping = fyne.TextWrapWord
	body.Alignment = fyne.TextAlignCenter
	return container.NewCenter(container.NewVBox(title, container.NewGridWrap(fyne.NewSize(640, 160), body)))
}
