package patient

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"scrdesk/internal/present"
)

// Message is the in-screen failure panel: a title, what happened, what to do next and the
// incident id that IT support can find in the log. It is never a pop-up: screens embed it.
type Message struct {
	icon     *widget.Icon
	title    *widget.Label
	what     *widget.Label
	todo     *widget.Label
	incident *widget.Label
	box      *fyne.Container
}

// NewMessage builds an empty failure panel. Call on the UI goroutine.
func NewMessage() *Message {
	m := &Message{
		icon:     widget.NewIcon(theme.ErrorIcon()),
		title:    widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		what:     widget.NewLabel(""),
		todo:     widget.NewLabel(""),
		incident: widget.NewLabel(""),
	}
	m.title.Importance = widget.DangerImportance
	m.title.SizeName = theme.SizeNameSubHeadingText
	m.what.Wrapping = fyne.TextWrapWord
	m.todo.Wrapping = fyne.TextWrapWord
	m.incident.Importance = widget.LowImportance
	m.box = container.NewBorder(nil, nil, container.NewVBox(m.icon), nil,
		container.NewVBox(m.title, m.what, m.todo, m.incident))
	m.box.Hide()
	return m
}

// Render shows v; an empty Title hides the panel.
func (m *Message) Render(v present.MessageView) {
	if v.Title == "" {
		m.box.Hide()
		return
	}
	m.title.SetText(v.Title)
	setOptional(m.what, v.What)
	setOptional(m.todo, v.Todo)
	if v.Incident != "" {
		m.incident.SetText("Incident " + v.Incident + ": quote this to IT support.")
		m.incident.Show()
	} else {
		m.incident.Hide()
	}
	m.box.Show()
	m.box.Refresh()
}

// Object is the panel's canvas object.
func (m *Message) Object() fyne.CanvasObject { return m.box }

// setOptional shows a label with text, or hides it when text is empty.
func setOptional(l *widget.Label, text string) {
	l.SetText(text)
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}
