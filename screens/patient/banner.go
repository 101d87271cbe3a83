package patient

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"scrdesk/internal/present"
	"scrdesk/screens/kit"
)

// BannerCallbacks are what the banner asks the controller to do.
type BannerCallbacks struct {
	// OnClose closes the patient: the controller clears everything about them.
	OnClose func()
}

// Banner is the patient banner that stays on top while a patient is open: name, date of birth
// and age, gender, NHS number, address and GP practice (or why they are not shown), and flags
// for restricted, deceased and merged records.
type Banner struct {
	cb BannerCallbacks

	name       *kit.Label
	ids        *widget.Label
	address    *widget.Label
	restricted *widget.Label
	restrFlag  *widget.Label
	deceased   *widget.Label
	merged     *widget.Label
	test       *widget.Label
	nameNote   *widget.Label
	emergency  *widget.Label
	allergies  *widget.Label
	adjust     *widget.Label
	closeBtn   *kit.Button
	bg         *canvas.Rectangle
	root       *fyne.Container
}

// NewBanner builds an empty banner. Call on the UI goroutine.
func NewBanner(cb BannerCallbacks) *Banner {
	b := &Banner{cb: cb}
	// A long name wraps onto more lines rather than widening the window past the screen. It
	// never ellipsizes: the name is "FAMILY, Given (Title)", so a long family name cut short
	// hid the given name and title the pharmacist checks the patient's identity by (a keyboard
	// walk: "Ó SÚILLEABHÁIN-LLEWELYN-AP-GRUFFYDD-VAUGHAN-FEATHERSTONE…").
	b.name = kit.NewLabel("")
	b.name.Truncation = fyne.TextTruncateOff
	b.name.Wrapping = fyne.TextWrapWord
	b.name.TextStyle.Bold = true
	b.name.SizeName = theme.SizeNameSubHeadingText
	b.ids = widget.NewLabel("")
	b.ids.Selectable = true
	b.ids.Wrapping = fyne.TextWrapWord // at a large text scale it takes two lines, not the screen's width
	b.address = widget.NewLabel("")
	b.address.Wrapping = fyne.TextWrapWord
	b.restricted = flagLabel(widget.WarningImportance, true)
	b.restrFlag = flagLabel(widget.WarningImportance, false)
	b.deceased = flagLabel(widget.DangerImportance, false)
	b.merged = flagLabel(widget.WarningImportance, true)
	b.test = flagLabel(widget.LowImportance, false)
	b.nameNote = flagLabel(widget.WarningImportance, true)
	b.emergency = flagLabel(widget.DangerImportance, true)
	b.allergies = flagLabel(widget.DangerImportance, true)
	b.adjust = flagLabel(widget.WarningImportance, true)
	b.closeBtn = kit.NewButton("Close patient (Esc)", theme.CancelIcon(), b.close)
	b.bg = canvas.NewRectangle(theme.Color(theme.ColorNameHeaderBackground))

	// kit.Lines, not a VBox: the wrapped lines (the emergency marking above all) are measured
	// at their real width, so none is drawn over the next (HAZ-03).
	head := container.NewBorder(nil, nil, nil, container.NewVBox(b.closeBtn),
		kit.Lines(container.NewBorder(nil, nil, nil, container.NewHBox(b.deceased, b.restrFlag, b.test), b.name), b.ids))
	body := kit.Lines(head, b.emergency, b.nameNote, b.address, b.restricted, b.merged, b.allergies, b.adjust)
	b.root = container.NewStack(b.bg, container.NewPadded(body))
	return b
}

// flagLabel is a bold coloured label: a short flag beside the name (wrap false) or a sentence
// under it (wrap true).
func flagLabel(imp widget.Importance, wrap bool) *widget.Label {
	l := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.Importance = imp
	if wrap {
		l.Wrapping = fyne.TextWrapWord
	}
	l.Hide()
	return l
}

// Object is the banner's canvas object.
func (b *Banner) Object() fyne.CanvasObject { return b.root }

// Render shows the patient in v.
func (b *Banner) Render(v present.BannerView) {
	b.name.Text = v.Name
	b.name.Refresh()
	var ids []string
	if v.BirthDate != "" {
		ids = append(ids, "Born "+v.BirthDate)
	}
	if v.Gender != "" {
		ids = append(ids, "Gender "+v.Gender)
	}
	ids = append(ids, "NHS No. "+v.NHS)
	b.ids.SetText(strings.Join(ids, "    "))

	setOptional(b.nameNote, v.NameNote)
	setOptional(b.emergency, v.EmergencyText)
	setOptional(b.allergies, v.Allergies)
	adj := ""
	if len(v.Adjustments) > 0 {
		adj = "Reasonable adjustments: " + strings.Join(v.Adjustments, "; ")
	}
	if v.AdjustmentsNote != "" {
		adj = strings.TrimSpace(adj + "    " + v.AdjustmentsNote)
	}
	setOptional(b.adjust, adj)
	if v.Restricted {
		setOptional(b.restrFlag, orDefault(v.RestrictedTag, "Restricted")+" record")
		b.address.Hide()
		setOptional(b.restricted, orDefault(v.RestrictedText, "Restricted record: some details are not shown to protect the patient."))
	} else {
		b.restrFlag.Hide()
		b.restricted.Hide()
		parts := []string{"Address: " + orDefault(v.Address, "not known"), "GP practice: " + orDefault(v.GP, "not known")}
		if v.Phone != "" {
			parts = append(parts, "Telephone: "+v.Phone)
		}
		setOptional(b.address, strings.Join(parts, "    "))
	}
	if v.Deceased {
		setOptional(b.deceased, orDefault(v.DeceasedText, "Deceased"))
	} else {
		b.deceased.Hide()
	}
	if v.Merged {
		setOptional(b.merged, v.MergedText)
	} else {
		b.merged.Hide()
	}
	if v.Test {
		setOptional(b.test, "Test patient")
	} else {
		b.test.Hide()
	}
	b.root.Refresh()
}

// Clear empties the banner: nothing of the patient stays in its widgets.
func (b *Banner) Clear() { b.Render(present.BannerView{}) }

// TypedKey handles Escape (close the patient) and reports whether it used the key. Forward the
// window canvas's key events to it while a patient is open.
func (b *Banner) TypedKey(ev *fyne.KeyEvent) bool {
	if ev != nil && ev.Name == fyne.KeyEscape {
		b.close()
		return true
	}
	return false
}

func (b *Banner) close() {
	if b.cb.OnClose != nil {
		b.cb.OnClose()
	}
}
