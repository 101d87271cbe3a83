package patient

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"scrdesk/internal/present"
	"scrdesk/screens/kit"
)

// ConsentCallbacks are what the consent screen asks the controller to do (docs/domain.md rules
// 3-5). Any may be nil.
type ConsentCallbacks struct {
	// OnPermission: the patient gave permission, and the user confirms the self-claimed
	// legitimate relationship shown with the question.
	OnPermission func()
	// OnEmergency: the patient cannot be asked and it is in their best interest; reason is the
	// written reason, never empty.
	OnEmergency func(reason string)
	// OnDeclined: the patient declined; nothing is to be opened.
	OnDeclined func()
	// OnDeceased: the patient has died, so cannot be asked; reason is the user's written reason
	// for needing the record, never empty.
	OnDeceased func(reason string)
	// OnClose closes the patient (from the opted-out, no-record and declined stages).
	OnClose func()
	// OnEmergencyChosen and OnBack move between the question and the emergency reason: the
	// stage lives in the controller's view, so a re-render never sends the reason screen back
	// to the question. When nil, the screen moves on its own (tests of the screen alone).
	OnEmergencyChosen func()
	OnBack            func()
	// OnTyping: a keystroke in the reason field (the field takes the keys): activity for the
	// idle lock.
	OnTyping func()
}

// The question and the statements of the consent screen, as the issue words them.
const (
	QuestionText     = "Has the patient given permission to view their SCR?"
	AnswerYesText    = "1  Yes, the patient has given permission"
	AnswerEmergText  = "2  Emergency access: the patient cannot be asked"
	EmergWhenText    = "Choose 2 only when the patient cannot be asked and seeing the record is in their best interest."
	AnswerNoText     = "3  No, the patient declined"
	RelationshipText = "By choosing 1 you confirm that you are involved in this patient's direct care (a self-claimed legitimate relationship). Your SCR Governance Person is told."
	EmergencyText    = "Emergency access is recorded and your SCR Governance Person is told. Write why you need to see the record without the patient's permission."
	DeceasedHeading  = "This patient has died: say why you need their record"
	DeceasedText     = "A deceased patient cannot be asked for permission. Write why you need to see their Summary Care Record; your reason is recorded and your SCR Governance Person is told."
)

const reasonKeysHint = "Shift+Enter opens the record; Escape goes back."

// Consent asks for and records the basis on which a record is opened: it says when the patient
// has opted out or has no record, asks the permission question with its three answers, takes
// the written reason for emergency access, and says when the patient declined.
type Consent struct {
	cb       ConsentCallbacks
	stage    present.ConsentStage
	patient  string
	view     present.ConsentView
	rendered bool

	heading  *widget.Label
	body     *widget.Label
	progress *widget.ProgressBarInfinite
	yes      *kit.Button
	emerg    *kit.Button
	no       *kit.Button
	lr       *widget.Label
	answers  *fyne.Container
	reason   *reasonEntry
	reasonOK *kit.Button
	back     *kit.Button
	reasonUI *fyne.Container
	keysHint *widget.Label
	closeBtn *kit.Button
	message  *Message
	root     fyne.CanvasObject
}

// NewConsent builds the consent screen. Call on the UI goroutine.
func NewConsent(cb ConsentCallbacks) *Consent {
	c := &Consent{cb: cb}
	c.heading = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	c.heading.SizeName = theme.SizeNameHeadingText
	c.heading.Wrapping = fyne.TextWrapWord
	c.body = widget.NewLabel("")
	c.body.Wrapping = fyne.TextWrapWord // wraps between words; a long unbroken name is broken, never widens the window
	c.progress = widget.NewProgressBarInfinite()

	c.yes = kit.NewButton(AnswerYesText, theme.ConfirmIcon(), c.answerYes)
	c.yes.Importance = widget.HighImportance
	c.yes.Alignment = widget.ButtonAlignLeading
	c.emerg = kit.NewButton(AnswerEmergText, theme.WarningIcon(), c.answerEmergency)
	c.emerg.Importance = widget.WarningImportance
	c.emerg.Alignment = widget.ButtonAlignLeading
	c.no = kit.NewButton(AnswerNoText, theme.CancelIcon(), c.answerNo)
	c.no.Alignment = widget.ButtonAlignLeading
	when := widget.NewLabel(EmergWhenText)
	when.Wrapping = fyne.TextWrapWord
	c.lr = widget.NewLabel(RelationshipText)
	c.lr.Wrapping = fyne.TextWrapWord
	keys := widget.NewLabel("Keys: 1, 2 or 3.")
	keys.Importance = widget.LowImportance
	c.answers = container.NewVBox(c.yes, c.emerg, c.no, c.lr, when, keys)

	c.reason = newReasonEntry(func() { c.back.OnTapped() })
	c.reason.SetPlaceHolder("Reason for emergency access (required)")
	c.reason.SetMinRowsVisible(4)
	c.reason.Wrapping = fyne.TextWrapWord
	c.reason.OnChanged = func(string) {
		c.updateReasonButton()
		if c.cb.OnTyping != nil {
			c.cb.OnTyping()
		}
	}
	c.reason.OnSubmitted = func(string) { c.submitReason() } // Shift+Enter in a multi-line entry
	c.reasonOK = kit.NewButton("Open the record, emergency access (Shift+Enter)", theme.ConfirmIcon(), c.submitReason)
	c.reasonOK.Importance = widget.WarningImportance
	c.back = kit.NewButton("Back to the question (Esc)", theme.NavigateBackIcon(), func() {
		if c.stage != present.ConsentEmergency {
			return
		}
		// The answer keys (1/2/3) reach the window again, not the hidden reason field.
		if cv := canvasOf(c.reason); cv != nil {
			cv.Unfocus()
		}
		if c.cb.OnBack != nil {
			c.cb.OnBack()
			return
		}
		c.show(present.ConsentView{Stage: present.ConsentAsk, Patient: c.patient}, false)
	})
	c.keysHint = widget.NewLabel(reasonKeysHint)
	c.keysHint.Importance = widget.LowImportance
	c.reasonUI = container.NewVBox(c.reason, container.NewHBox(c.reasonOK, c.back), c.keysHint)
	c.closeBtn = kit.NewButton("Close patient (Esc)", theme.CancelIcon(), func() {
		if c.cb.OnClose != nil {
			c.cb.OnClose()
		}
	})
	c.message = NewMessage()
	// In a scroll: at a large text scale the question never makes the window taller than the screen.
	c.root = container.NewVScroll(container.NewPadded(container.NewVBox(c.heading, c.body, c.progress, c.answers, c.reasonUI,
		container.NewHBox(c.closeBtn), c.message.Object())))
	c.Render(present.ConsentView{Stage: present.ConsentChecking})
	return c
}

// patient is kept only to re-render the question after "Back".
func (c *Consent) setPatient(p string) { c.patient = p }

// Object is the screen's canvas object.
func (c *Consent) Object() fyne.CanvasObject { return c.root }

// Stage is the stage shown now.
func (c *Consent) Stage() present.ConsentStage { return c.stage }

// Render shows v. A view equal to the one shown changes nothing (the reason being typed, the
// focus and the stage stay); entering the emergency stage from another starts an empty reason.
//
// Without OnEmergencyChosen (the screen alone) the screen moves to the reason stage itself;
// that local stage is not the caller's view, so the caller's unchanged view keeps it too.
func (c *Consent) Render(v present.ConsentView) {
	if c.rendered && v == c.view {
		return
	}
	first := !c.rendered
	c.view, c.rendered = v, true
	c.show(v, first)
}

// show lays out v (the caller's view, or the screen's own stage change).
func (c *Consent) show(v present.ConsentView, first bool) {
	prev := c.stage
	reasonStage := v.Stage == present.ConsentEmergency || v.Stage == present.ConsentDeceased
	entering := reasonStage && (prev != v.Stage || first)
	if entering && v.Reason == "" {
		c.reason.SetText("")
	}
	c.stage = v.Stage
	c.setPatient(v.Patient)
	c.stopProgress()
	for _, o := range []fyne.CanvasObject{c.answers, c.reasonUI, c.closeBtn} {
		o.Hide()
	}
	who := orDefault(v.Patient, "the patient")
	switch v.Stage {
	case present.ConsentChecking:
		c.heading.SetText("Checking the Summary Care Record")
		c.body.SetText("Asking the Spine whether " + who + " has a Summary Care Record and what they have chosen about sharing it.")
		c.showProgress()
	case present.ConsentOptedOut:
		c.heading.SetText("The patient has opted out")
		c.body.SetText(who + " has chosen not to share a Summary Care Record. There is no record to view. Use other sources, such as the patient or their GP practice, and close the patient.")
		c.closeBtn.Show()
	case present.ConsentNoRecord:
		c.heading.SetText("No Summary Care Record")
		c.body.SetText("The Spine holds no Summary Care Record for " + who + ". There is nothing to view. Use other sources, such as the patient or their GP practice, and close the patient.")
		c.closeBtn.Show()
	case present.ConsentAsk:
		c.heading.SetText(QuestionText)
		c.body.SetText("Ask " + who + ": \"May I look at your Summary Care Record?\"")
		c.answers.Show()
	case present.ConsentEmergency:
		c.reason.SetPlaceHolder("Reason for emergency access (required)")
		c.reasonOK.SetText("Open the record, emergency access (Shift+Enter)")
		c.back.Show()
		c.keysHint.SetText(reasonKeysHint)
		c.heading.SetText("Emergency access: a reason is required")
		c.body.SetText(EmergencyText)
		if v.Reason != "" { // an empty Reason keeps what is typed, e.g. after a failure
			c.reason.SetText(v.Reason)
		}
		c.updateReasonButton()
		c.reasonUI.Show()
	case present.ConsentDeceased:
		c.heading.SetText(DeceasedHeading)
		c.body.SetText(DeceasedText)
		if v.Reason != "" {
			c.reason.SetText(v.Reason)
		}
		c.reason.SetPlaceHolder("Why you need this record (required)")
		c.reasonOK.SetText("Open the record (Shift+Enter)")
		c.back.Hide()
		c.keysHint.SetText("Shift+Enter opens the record.")
		c.updateReasonButton()
		c.reasonUI.Show()
		c.closeBtn.Show()
		if prev != present.ConsentDeceased { // keyboard first: the reason can be typed at once
			if cv := canvasOf(c.reason); cv != nil {
				cv.Focus(c.reason)
			}
		}
	case present.ConsentDeclined:
		c.heading.SetText("The patient declined")
		c.body.SetText("Nothing was opened. Close the patient when you are ready.")
		c.closeBtn.Show()
	case present.ConsentOpening:
		c.heading.SetText("Opening the Summary Care Record")
		c.body.SetText("Your answer is recorded. Fetching the record from the Spine.")
		c.showProgress()
	}
	c.message.Render(v.Message)
	c.root.Refresh()
}

func (c *Consent) showProgress() {
	c.progress.Show()
	c.progress.Start()
}

// stopProgress stops the bar's animation, then hides it. In that order: Fyne's
// ProgressBarInfinite.Hide clears its running flag without stopping the animation, so a Stop
// after it does nothing, and the animation went on repainting the whole window 15 to 50 times a
// second, off screen, for as long as SCR Desk ran.
func (c *Consent) stopProgress() {
	c.progress.Stop()
	c.progress.Hide()
}

// Clear forgets everything about the patient, including a half-written reason.
func (c *Consent) Clear() {
	c.reason.SetText("")
	c.rendered = false
	c.Render(present.ConsentView{Stage: present.ConsentChecking})
	c.stopProgress() // nothing is being checked: the next Render (always a full one) starts it
	c.rendered = false
}

// Quiet stops the progress bar when the screen goes out of view (the record replaced it): the
// next Render is a full one and starts it again if a check is showing.
func (c *Consent) Quiet() {
	c.stopProgress()
	c.rendered = false
}

// Animating reports whether the progress bar is running (for tests: only while a check shows).
func (c *Consent) Animating() bool { return c.progress.Running() }

// TypedRune handles the answer keys while the question is shown (1, 2 and 3) and reports
// whether it used the rune. Forward the window canvas's rune events to it. Letters answer
// nothing: a reason typed before its field showed ("Patient collapsed…") once opened emergency
// access at its "e", and a word with a "y" or an "n" in it would have recorded the patient's
// permission given or refused.
func (c *Consent) TypedRune(r rune) bool {
	if c.stage != present.ConsentAsk {
		return false
	}
	switch r {
	case '1':
		c.answerYes()
	case '2':
		c.answerEmergency()
	case '3':
		c.answerNo()
	default:
		return false
	}
	return true
}

// TypedKey handles Escape on the reason stage (back to the question) and reports whether it
// used the key.
func (c *Consent) TypedKey(ev *fyne.KeyEvent) bool {
	if ev != nil && ev.Name == fyne.KeyEscape && c.stage == present.ConsentEmergency {
		c.back.OnTapped()
		return true
	}
	return false
}

// ReasonText is the reason as typed so far.
func (c *Consent) ReasonText() string { return c.reason.Text }

// ReasonField is the emergency (or deceased patient's) reason entry, for the controller to
// focus on that stage.
func (c *Consent) ReasonField() fyne.Focusable { return c.reason }

func (c *Consent) answerYes() {
	if c.stage == present.ConsentAsk && c.cb.OnPermission != nil {
		c.cb.OnPermission()
	}
}

// answerEmergency moves to the reason stage; nothing is recorded until a reason is given.
func (c *Consent) answerEmergency() {
	if c.stage != present.ConsentAsk {
		return
	}
	if c.cb.OnEmergencyChosen != nil {
		c.cb.OnEmergencyChosen() // the controller's view comes back with the reason stage
		return
	}
	c.show(present.ConsentView{Stage: present.ConsentEmergency, Patient: c.patient}, false)
	// Keyboard first: the reason can be typed at once. (With the controller, the shell focuses
	// it when its view enters the stage.)
	if cv := canvasOf(c.reason); cv != nil {
		cv.Focus(c.reason)
	}
}

// canvasOf is the canvas o is shown on, or nil.
func canvasOf(o fyne.CanvasObject) fyne.Canvas {
	a := fyne.CurrentApp()
	if a == nil {
		return nil
	}
	return a.Driver().CanvasForObject(o)
}

// reasonEntry is the emergency reason field: a kit.TextArea (Tab moves on) where Escape goes
// back to the question.
type reasonEntry = kit.TextArea

func newReasonEntry(onEscape func()) *reasonEntry {
	e := kit.NewTextArea()
	e.OnEscape = onEscape
	return e
}

func (c *Consent) answerNo() {
	if c.stage != present.ConsentAsk {
		return
	}
	if c.cb.OnDeclined != nil {
		c.cb.OnDeclined()
	}
}

func (c *Consent) updateReasonButton() {
	if strings.TrimSpace(c.reason.Text) == "" {
		c.reasonOK.Disable()
	} else {
		c.reasonOK.Enable()
	}
}

func (c *Consent) submitReason() {
	r := strings.TrimSpace(c.reason.Text)
	if r == "" {
		return
	}
	switch {
	case c.stage == present.ConsentEmergency && c.cb.OnEmergency != nil:
		c.cb.OnEmergency(r)
	case c.stage == present.ConsentDeceased && c.cb.OnDeceased != nil:
		c.cb.OnDeceased(r)
	}
}
