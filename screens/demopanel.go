package screens

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"scrdesk/internal/present"
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
type DemoPanel struct {
	cb   DemoPanelCallbacks
	rows *fyne.Container
	root *fyne.Container
	btn  map[string]*widget.Button
}

// NewDemoPanel builds the panel. Call on the UI goroutine.
func NewDemoPanel(cb DemoPanelCallbacks) *DemoPanel {
	p := &DemoPanel{cb: cb, btn: map[string]*widget.Button{}}
	title := widget.NewLabel("Demo cards")
	title.TextStyle.Bold = true
	title.SizeName = theme.SizeNameSubHeadingText
	p.rows = container.NewVBox()
	p.root = container.NewBorder(container.NewVBox(newDemoStrip("DEMO", "These cards work only in demo mode"), title),
		nil, nil, nil, container.NewVScroll(p.rows))
	return p
}

// Render shows v. Call on the UI goroutine.
func (p *DemoPanel) Render(v present.DemoPanelView) {
	p.rows.Objects = nil
	p.btn = map[string]*widget.Button{}
	for _, c := range v.Cards {
		key := c.Key
		name := widget.NewLabel(c.Label)
		name.TextStyle.Bold = true
		detail := "Passcode " + c.Passcode
		if c.Note != "" {
			detail += " · " + c.Note
		}
		info := widget.NewLabel(detail)
		info.SizeName = theme.SizeNameCaptionText
		var b *widget.Button
		if c.Inserted {
			b = widget.NewButtonWithIcon("Remove", theme.LogoutIcon(), func() {
				if p.cb.Remove != nil {
					p.cb.Remove(key)
				}
			})
			b.Importance = widget.HighImportance
		} else {
			b = widget.NewButtonWithIcon("Insert", theme.LoginIcon(), func() {
				if p.cb.Insert != nil {
					p.cb.Insert(key)
				}
			})
		}
		p.btn[key] = b
		p.rows.Add(container.NewBorder(nil, nil, nil, container.NewCenter(b), container.NewVBox(name, info)))
	}
	p.root.Refresh()
}

// Button returns the insert/remove button of the card with key (nil if none), for tests and
// the real-window driver.
func (p *DemoPanel) Button(key string) *widget.Button { return p.btn[key] }

// Object is the panel's canvas object.
func (p *DemoPanel) Object() fyne.CanvasObject { return p.root }
