package screens

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"scrdesk/internal/present"
	"scrdesk/screens/kit"
)

// newDemoBanner is the yellow DEMO strip every screen shows in demo mode.
func newDemoBanner() *fyne.Container {
	return newDemoStrip("DEMO", present.DemoNotice)
}

func newDemoStrip(badge, text string) *fyne.Container {
	b := canvas.NewText(badge, DemoInk)
	b.TextStyle.Bold = true
	b.TextSize = theme.TextSize()
	t := canvas.NewText(text, DemoInk)
	t.TextSize = theme.TextSize()
	bg := canvas.NewRectangle(DemoYellow)
	return container.NewStack(bg, container.NewPadded(container.NewHBox(b, t)))
}

// DemoPanelCallbacks are what the demo panel can ask for (Key is a staff.DemoUser's Key).
type DemoPanelCallbacks struct {
	Insert func(key string) // put this demo card in the demo reader
	Remove func(key string) // take it out
}

// DemoPanel is the "Demo cards" panel of demo mode: one row per demo card with its passcode
// printed (demo cards protect nothing) and a button that inserts or removes it.
//
// It collapses (DemoToggleShortcut, or its Hide button) to a narrow strip, so that the workspace
// gets the width at a small counter screen; every card has a key (Alt+1, Alt+2, ...) shown on
// its button, so the demo can be driven from the keyboard whether the panel shows or not.
type DemoPanel struct {
	cb        DemoPanelCallbacks
	rows      *fyne.Container
	full      *fyne.Container
	mini      *fyne.Container
	root      *fyne.Container
	btn       map[string]*widget.Button
	keys      []string // card keys in order: Alt+1 is keys[0]
	inserted  map[string]bool
	collapsed bool // the person folded it away (Alt+0 or Hide)
	squeezed  bool // folded because the window has no room for it beside the workspace
	show      *kit.Button
}

// DemoToggleShortcut (Alt+0) shows or hides the demo panel.
var DemoToggleShortcut = &desktop.CustomShortcut{KeyName: fyne.Key0, Modifier: fyne.KeyModifierAlt}

// DemoCardShortcut is the key that inserts or removes the i-th demo card (Alt+1 ...), or nil.
func DemoCardShortcut(i int) *desktop.CustomShortcut {
	names := []fyne.KeyName{fyne.Key1, fyne.Key2, fyne.Key3, fyne.Key4, fyne.Key5, fyne.Key6, fyne.Key7, fyne.Key8, fyne.Key9}
	if i < 0 || i >= len(names) {
		return nil
	}
	return &desktop.CustomShortcut{KeyName: names[i], Modifier: fyne.KeyModifierAlt}
}

// NewDemoPanel builds the panel. Call on the UI goroutine.
func NewDemoPanel(cb DemoPanelCallbacks) *DemoPanel {
	p := &DemoPanel{cb: cb, btn: map[string]*widget.Button{}, inserted: map[string]bool{}}
	title := widget.NewLabel("Demo cards")
	title.TextStyle.Bold = true
	title.SizeName = theme.SizeNameSubHeadingText
	hide := kit.NewButton("Hide ("+ShortcutText(DemoToggleShortcut)+")", theme.NavigateNextIcon(), p.Toggle)
	p.rows = container.NewVBox()
	strip := kit.NewLabel("DEMO: these cards work only in demo mode")
	strip.TextStyle.Bold = true
	p.full = container.NewBorder(container.NewVBox(container.NewStack(canvas.NewRectangle(DemoYellow), strip),
		container.NewBorder(nil, nil, nil, hide, title)), nil, nil, nil, container.NewVScroll(p.rows))
	show := kit.NewButton("", theme.NavigateBackIcon(), p.Toggle)
	p.show = show
	badge := canvas.NewText("DEMO", DemoInk)
	badge.TextStyle.Bold = true
	p.mini = container.NewVBox(container.NewStack(canvas.NewRectangle(DemoYellow), container.NewPadded(badge)), show,
		widget.NewLabelWithStyle(ShortcutText(DemoToggleShortcut), fyne.TextAlignCenter, fyne.TextStyle{}))
	p.mini.Hide()
	p.root = container.NewStack(p.full, p.mini)
	return p
}

// Toggle collapses the panel to a narrow strip, or shows it again.
func (p *DemoPanel) Toggle() {
	p.collapsed = !p.collapsed
	p.apply()
}

// apply shows the full panel or the strip: the strip when the person folded it away or when
// the window has no room for it (then its Show button is disabled: the cards stay on their
// keys, Alt+1 ..., and in the Demo menu).
func (p *DemoPanel) apply() {
	mini := p.collapsed || p.squeezed
	if p.squeezed != p.show.Disabled() { // before the early return: the fold's cause can change alone
		if p.squeezed {
			p.show.Disable()
		} else {
			p.show.Enable()
		}
	}
	if p.full.Visible() == !mini && p.mini.Visible() == mini {
		return
	}
	showIf(p.full, !mini)
	showIf(p.mini, mini)
	p.root.Refresh()
}

// Collapsed reports whether the panel shows as the narrow strip (folded away by the person, or
// for want of room).
func (p *DemoPanel) Collapsed() bool { return p.collapsed || p.squeezed }

// Beside lays the panel at the right of content. The pair never asks the window for more width
// than content and the folded strip need: when content's minimum width and the whole panel's
// do not both fit (a large text scale at a 1280 px counter screen), the panel folds to its
// strip by itself, and opens again when the room comes back, so the window never grows past
// the screen for the demo's sake.
func (p *DemoPanel) Beside(content fyne.CanvasObject) fyne.CanvasObject {
	return container.New(&demoSplit{p: p}, content, p.root)
}

// demoSplit is Beside's layout: objects are the content, then the panel.
type demoSplit struct{ p *DemoPanel }

func (l *demoSplit) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	content, panel := objs[0], objs[1]
	pad := theme.Padding()
	// Folded when the workspace and the whole panel do not both fit, or when the panel would
	// take more than a third of the window (a large text scale): the record's lines then wrap
	// less and the list keeps more of the height.
	full := l.p.full.MinSize().Width
	l.p.squeezed = content.MinSize().Width+pad+full > size.Width || full > size.Width/3
	l.p.apply()
	pw := panel.MinSize().Width
	panel.Move(fyne.NewPos(size.Width-pw, 0))
	panel.Resize(fyne.NewSize(pw, size.Height))
	content.Move(fyne.NewPos(0, 0))
	content.Resize(fyne.NewSize(size.Width-pw-pad, size.Height))
}

func (l *demoSplit) MinSize(objs []fyne.CanvasObject) fyne.Size {
	c, full, mini := objs[0].MinSize(), l.p.full.MinSize(), l.p.mini.MinSize()
	return fyne.NewSize(c.Width+theme.Padding()+mini.Width, fyne.Max(c.Height, fyne.Max(full.Height, mini.Height)))
}

// PressCard inserts or removes the i-th card (its Alt+N key), as its button does.
func (p *DemoPanel) PressCard(i int) {
	if i < 0 || i >= len(p.keys) {
		return
	}
	key := p.keys[i]
	if p.inserted[key] {
		if p.cb.Remove != nil {
			p.cb.Remove(key)
		}
	} else if p.cb.Insert != nil {
		p.cb.Insert(key)
	}
}

// Render shows v. Call on the UI goroutine.
func (p *DemoPanel) Render(v present.DemoPanelView) {
	p.rows.Objects = nil
	p.btn = map[string]*widget.Button{}
	p.keys = nil
	p.inserted = map[string]bool{}
	for i, c := range v.Cards {
		key := c.Key
		p.keys = append(p.keys, key)
		p.inserted[key] = c.Inserted
		suffix := ""
		if sc := DemoCardShortcut(i); sc != nil {
			suffix = " (" + ShortcutText(sc) + ")"
		}
		// Names and notes ellipsize (full text on hover): the panel never widens the window.
		name := kit.NewLabel(c.Label)
		name.TextStyle.Bold = true
		detail := "Passcode " + c.Passcode
		if c.Note != "" {
			detail += " · " + c.Note
		}
		info := kit.NewLabel(detail)
		info.SizeName = theme.SizeNameCaptionText
		var b *kit.Button
		if c.Inserted {
			b = kit.NewButton("Remove"+suffix, theme.LogoutIcon(), func() {
				if p.cb.Remove != nil {
					p.cb.Remove(key)
				}
			})
			b.Importance = widget.HighImportance
		} else {
			b = kit.NewButton("Insert"+suffix, theme.LoginIcon(), func() {
				if p.cb.Insert != nil {
					p.cb.Insert(key)
				}
			})
		}
		p.btn[key] = &b.Button
		p.rows.Add(container.NewBorder(nil, nil, nil, container.NewCenter(b), container.New(&atLeast{w: 13 * theme.TextSize()}, container.NewVBox(name, info))))
	}
	p.root.Refresh()
}

// Button returns the insert/remove button of the card with key (nil if none), for tests and
// the real-window driver.
func (p *DemoPanel) Button(key string) *widget.Button { return p.btn[key] }

// Object is the panel's canvas object.
func (p *DemoPanel) Object() fyne.CanvasObject { return p.root }

// atLeast gives its content a minimum width (the demo panel's names get room for about 25
// characters at any text scale, and ellipsize beyond).
type atLeast struct{ w float32 }

func (a *atLeast) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (a *atLeast) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return fyne.NewSize(a.w, s.Height)
}
