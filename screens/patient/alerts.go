package patient

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"scrdesk/internal/present"
	"scrdesk/screens/kit"
)

// Alerts lists the privacy alerts queued for the SCR Governance Person and where each has got
// to (queued, sending, sent, waiting to retry, not delivered), for the status area. It names no
// patient. While none waits and none failed it is one line (the latest alert named in it).
type Alerts struct {
	items   []present.AlertView
	summary *kit.Label
	list    *kit.ReadList
	root    *fyne.Container
}

// NewAlerts builds an empty alert list. Call on the UI goroutine.
func NewAlerts() *Alerts {
	a := &Alerts{}
	// Ellipsized when the window is too narrow (the full text on hover and as its accessible
	// name), one line high whatever the width: a long "latest" must not make the window, or in
	// the demo the workspace beside the cards, wider; and a wrapped label, measured before it is
	// laid out, made the window taller than the screen at text scale 1.5.
	a.summary = kit.NewLabel("")
	a.summary.TextStyle.Bold = true
	a.list = kit.NewReadList( // a click on it must not keep the window's keys (Escape)
		func() int { return len(a.items) },
		func() fyne.CanvasObject {
			state := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			return container.NewHBox(widget.NewLabel(""), widget.NewLabel(""), state, widget.NewLabel(""))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			v := a.items[i]
			objs := o.(*fyne.Container).Objects
			objs[0].(*widget.Label).SetText(v.When)
			objs[1].(*widget.Label).SetText(v.Kind)
			st := objs[2].(*widget.Label)
			st.Text = v.State.String()
			switch v.State {
			case present.AlertSent:
				st.Importance = widget.SuccessImportance
			case present.AlertRetrying:
				st.Importance = widget.WarningImportance
			case present.AlertFailed:
				st.Importance = widget.DangerImportance
			default:
				st.Importance = widget.MediumImportance
			}
			st.Refresh()
			objs[3].(*widget.Label).SetText(v.Detail)
			o.Refresh() // lay the row out again for the new text widths
		},
	)
	a.root = container.NewBorder(a.summary, nil, nil, nil, a.list)
	a.Render(nil)
	return a
}

// Object is the view's canvas object.
func (a *Alerts) Object() fyne.CanvasObject { return a.root }

// Render shows the alerts, newest first as given.
func (a *Alerts) Render(items []present.AlertView) {
	a.items = items
	waiting, failed := 0, 0
	for _, v := range items {
		switch v.State {
		case present.AlertQueued, present.AlertSending, present.AlertRetrying:
			waiting++
		case present.AlertFailed:
			failed++
		}
	}
	switch {
	case len(items) == 0:
		a.summary.SetText("Privacy alerts: none")
		a.summary.Importance = widget.MediumImportance
	case failed > 0:
		a.summary.SetText("Privacy alerts: some could not be delivered; tell IT support")
		a.summary.Importance = widget.DangerImportance
	case waiting > 0:
		a.summary.SetText("Privacy alerts: waiting to be delivered; they are kept until they are")
		a.summary.Importance = widget.WarningImportance
	default:
		last := items[0] // newest first
		a.summary.SetText("Privacy alerts: all delivered (latest: " + last.When + " " + last.Kind + ", sent)")
		a.summary.Importance = widget.SuccessImportance
	}
	a.summary.Refresh()
	// The list only when an alert needs someone's attention (waiting or not delivered): with
	// none, or all delivered, the strip is its one summary line, and the record gets the room.
	if waiting+failed > 0 {
		a.list.Show()
	} else {
		a.list.Hide()
	}
	a.root.Refresh() // lays the strip out again: the list shown or hidden
}

// Listing reports whether the alerts are listed one by one (some need attention), for tests.
func (a *Alerts) Listing() bool { return a.list.Visible() }
