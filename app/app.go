// Package app is SCR Desk's application core: it owns the Fyne application and its one window,
// navigation between screens, and the session controller that joins the card layer, the Spine
// link and the audit log. It is the only package that hands work to the UI goroutine, and only
// main imports it.
//
// Threading: Run must be called on the main goroutine and blocks until the window closes.
// Background goroutines reach widgets only through the injected ui func (fyne.Do in
// production).
package app

import (
	"context"
	"errors"
	"log/slog"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"scrdesk/assets"
	"scrdesk/internal/paths"
)

// Options is what main gives Run.
type Options struct {
	Version string
	Demo    bool
	Dirs    paths.Dirs
	Log     *slog.Logger
	// Raise receives a value each time a second launch asks this window to come to the front.
	Raise <-chan struct{}
	// Shown, when not nil, is called once the window has been shown (for the start-up benchmark).
	Shown func()
}

// Run builds the window and runs the application until the window is closed.
func Run(ctx context.Context, opts Options) error {
	if opts.Log == nil {
		return errors.New("app: no logger")
	}
	a := fyneapp.NewWithID(assets.AppID)
	a.SetIcon(fyne.NewStaticResource("icon-256.png", assets.IconPNG(256)))
	w := a.NewWindow("SCR Desk")
	w.SetIcon(a.Icon())
	w.Resize(fyne.NewSize(1280, 800))
	w.SetMaster()

	w.SetContent(lockPlaceholder(opts))

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
	a.Lifecycle().SetOnStarted(func() {
		opts.Log.Info("window shown", "demo", opts.Demo, "version", opts.Version)
		if opts.Shown != nil {
			opts.Shown()
		}
	})
	w.ShowAndRun()
	return nil
}

func lockPlaceholder(opts Options) fyne.CanvasObject {
	title := widget.NewLabelWithStyle("SCR Desk", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	msg := widget.NewLabelWithStyle("Insert your smartcard", fyne.TextAlignCenter, fyne.TextStyle{})
	return container.NewCenter(container.NewVBox(title, msg))
}
