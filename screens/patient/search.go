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

// SearchCallbacks are what the search screen asks the controller to do. Any may be nil.
type SearchCallbacks struct {
	// OnSearchNHS asks for the patient with this NHS number (ten digits, check digit good).
	// It is called when Enter is pressed in the NHS number field, as a barcode scanner does.
	OnSearchNHS func(nhsNumber string)
	// OnSearchDemographics asks for a demographic search, already tidied by present.CheckQuery
	// (BirthDate is a FHIR date).
	OnSearchDemographics func(q present.Query)
	// OnPick opens match i of the last SearchView's Matches.
	OnPick func(i int)
	// OnTyping: the person typed in a field (the focused field takes the keys, so the window
	// never sees them): activity for the idle lock.
	OnTyping func()
}

// genders are the choices of the gender list, and their FHIR codes.
var genders = []string{"Any", "Female", "Male", "Other", "Unknown"}

// Search is the find-a-patient screen: one NHS number field that checks the number as it is
// typed or scanned and searches on Enter, a demographic search form, and the results.
type Search struct {
	cb SearchCallbacks

	nhs     *widget.Entry
	nhsHint *widget.Label
	nhsBtn  *kit.Button

	family, given, dob, postcode *widget.Entry
	gender                       *widget.Select
	formHint                     *widget.Label
	formBtn                      *kit.Button

	area      *fyne.Container // holds one of the state panels below
	help      *widget.Label
	searching *fyne.Container
	busy      *widget.ProgressBarInfinite
	noMatch   *widget.Label
	notice    *widget.Label
	list      *widget.List
	matches   []present.MatchView
	results   *fyne.Container
	message   *Message

	state      present.SearchState
	formatting bool
	root       fyne.CanvasObject
}

// NewSearch builds the search screen. Call on the UI goroutine.
func NewSearch(cb SearchCallbacks) *Search {
	s := &Search{cb: cb}

	s.nhs = widget.NewEntry()
	s.nhs.SetPlaceHolder("NHS number, for example 943 476 5919")
	s.nhs.OnChanged = s.nhsChanged
	s.nhs.OnSubmitted = func(string) { s.submitNHS() }
	s.nhsHint = widget.NewLabel("")
	s.nhsHint.Wrapping = fyne.TextWrapWord
	s.nhsBtn = kit.NewButton("Search (Enter)", theme.SearchIcon(), s.submitNHS)
	s.nhsBtn.Importance = widget.HighImportance

	s.family = widget.NewEntry()
	s.family.SetPlaceHolder("Family name")
	s.given = widget.NewEntry()
	s.given.SetPlaceHolder("Given name")
	s.dob = widget.NewEntry()
	s.dob.SetPlaceHolder("Date of birth: dd/mm/yyyy")
	s.postcode = widget.NewEntry()
	s.postcode.SetPlaceHolder("Postcode")
	s.gender = widget.NewSelect(genders, nil)
	s.gender.SetSelected(genders[0])
	for _, e := range []*widget.Entry{s.family, s.given, s.dob, s.postcode} {
		e.OnSubmitted = func(string) { s.submitForm() }
		e.OnChanged = func(string) { s.typing() }
	}
	s.formHint = widget.NewLabel("")
	s.formHint.Wrapping = fyne.TextWrapWord
	s.formHint.Importance = widget.DangerImportance
	s.formHint.Hide()
	s.formBtn = kit.NewButton("Search by details (Enter)", theme.SearchIcon(), s.submitForm)

	s.help = widget.NewLabel("Type or scan the patient's NHS number and press Enter, or search by their details.")
	s.help.Wrapping = fyne.TextWrapWord
	s.busy = widget.NewProgressBarInfinite()
	s.busy.Stop() // runs only while a search shows (Render): an animation repaints the window
	s.searching = container.NewVBox(widget.NewLabel("Searching the Personal Demographics Service..."), s.busy)
	s.noMatch = widget.NewLabel("No patient matched. Check the details with the patient, or add the postcode or gender, and search again.")
	s.noMatch.Wrapping = fyne.TextWrapWord
	s.notice = widget.NewLabel("")
	s.notice.Wrapping = fyne.TextWrapWord
	s.list = widget.NewList(
		func() int { return len(s.matches) },
		newMatchRow,
		func(i widget.ListItemID, o fyne.CanvasObject) { updateMatchRow(o, s.matches[i]) },
	)
	s.list.OnSelected = func(i widget.ListItemID) {
		s.list.Unselect(i)
		if s.cb.OnPick != nil && i >= 0 && i < len(s.matches) {
			s.cb.OnPick(i)
		}
	}
	s.results = container.NewBorder(s.notice, nil, nil, nil, s.list)
	s.message = NewMessage()
	s.area = container.NewStack(s.help)

	title := widget.NewLabelWithStyle("Find a patient", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameHeadingText
	nhsRow := container.NewBorder(nil, nil, widget.NewLabel("NHS number"), s.nhsBtn, s.nhs)
	// Two columns: at a large text scale three would widen the window past a counter screen.
	form := container.NewGridWithColumns(2, s.family, s.given, s.dob, s.gender, s.postcode, s.formBtn)
	top := container.NewVBox(
		title,
		nhsRow,
		s.nhsHint,
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Or search by the patient's details", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		form,
		s.formHint,
		widget.NewSeparator(),
	)
	s.root = container.NewPadded(container.NewBorder(top, nil, nil, nil, s.area))
	s.nhsChanged("")
	return s
}

// Object is the screen's canvas object.
func (s *Search) Object() fyne.CanvasObject { return s.root }

// NHSField is the NHS number entry, for the controller to focus when the screen opens.
func (s *Search) NHSField() fyne.Focusable { return s.nhs }

// Results is the list of matches, for the controller to focus after a search so that the arrow
// keys and Space pick a patient.
func (s *Search) Results() fyne.Focusable { return s.list }

// Render shows v.
func (s *Search) Render(v present.SearchView) {
	s.state = v.State
	if v.NHS != "" {
		s.nhs.SetText(v.NHS)
	}
	s.message.Render(present.MessageView{})
	var panel fyne.CanvasObject
	switch v.State {
	case present.SearchEmpty:
		panel = s.help
	case present.SearchInvalid:
		s.showInvalid()
		panel = s.help
	case present.SearchSearching:
		panel = s.searching
	case present.SearchMatches:
		s.matches = v.Matches
		setOptional(s.notice, v.Notice)
		s.list.UnselectAll()
		s.list.Refresh()
		s.list.ScrollToTop()
		panel = s.results
	case present.SearchNoMatch:
		s.noMatch.SetText(orDefault(v.Notice, "No patient matched. Check the details with the patient, or add the postcode or gender, and search again."))
		panel = s.noMatch
	case present.SearchError:
		s.message.Render(v.Message)
		panel = s.message.Object()
	}
	if v.State != present.SearchMatches {
		s.matches = nil
	}
	if v.State == present.SearchSearching {
		s.busy.Start()
	} else {
		s.busy.Stop() // swapped out, its animation would go on repainting the window
	}
	s.area.Objects = []fyne.CanvasObject{panel}
	s.area.Refresh()
}

// Quiet stops the searching bar when the screen goes out of view (a patient replaced it); the
// next Render of a search in progress starts it again.
func (s *Search) Quiet() { s.busy.Stop() }

// Animating reports whether the searching bar is running (for tests: only while searching).
func (s *Search) Animating() bool { return s.busy.Running() }

// Clear empties every field and result: used when a patient is closed or the screen locks.
func (s *Search) Clear() {
	for _, e := range []*widget.Entry{s.nhs, s.family, s.given, s.dob, s.postcode} {
		e.SetText("")
	}
	s.gender.SetSelected(genders[0])
	s.formHint.Hide()
	s.Render(present.SearchView{State: present.SearchEmpty})
}

// nhsChanged checks the number as it is typed and spaces it 3-3-4 while the cursor is at the end.
// typing reports a keystroke in a field as activity.
func (s *Search) typing() {
	if s.cb.OnTyping != nil {
		s.cb.OnTyping()
	}
}

func (s *Search) nhsChanged(text string) {
	s.typing()
	in := present.CheckNHSInput(text)
	atEnd := s.nhs.CursorColumn == len([]rune(text)) && s.nhs.CursorRow == 0
	if !s.formatting && in.Status != present.NHSEmpty && in.Display != text {
		if atEnd {
			s.formatting = true
			s.nhs.SetText(in.Display)
			s.nhs.CursorColumn = len([]rune(in.Display))
			s.nhs.Refresh()
			s.formatting = false
		}
	}
	s.nhsHint.SetText(in.Hint)
	switch in.Status {
	case present.NHSInvalid:
		s.nhsHint.Importance = widget.DangerImportance
	case present.NHSValid:
		s.nhsHint.Importance = widget.SuccessImportance
	default:
		s.nhsHint.Importance = widget.MediumImportance
	}
	s.nhsHint.Refresh()
}

// showInvalid marks the hint as a problem: an incomplete number is not searchable either.
func (s *Search) showInvalid() {
	in := present.CheckNHSInput(s.nhs.Text)
	hint := in.Hint
	if in.Status == present.NHSIncomplete || in.Status == present.NHSEmpty {
		hint = "An NHS number has 10 digits. " + in.Hint
	}
	s.nhsHint.SetText(hint)
	s.nhsHint.Importance = widget.DangerImportance
	s.nhsHint.Refresh()
}

func (s *Search) submitNHS() {
	if s.state == present.SearchSearching {
		return // a second Enter (a scanner's, or an impatient one) while a search is under way
	}
	in := present.CheckNHSInput(s.nhs.Text)
	if in.Status != present.NHSValid {
		s.Render(present.SearchView{State: present.SearchInvalid})
		return
	}
	if s.cb.OnSearchNHS != nil {
		s.cb.OnSearchNHS(in.Digits)
	}
}

func (s *Search) submitForm() {
	q := present.Query{
		Family: s.family.Text, Given: s.given.Text, BirthDate: s.dob.Text, Postcode: s.postcode.Text,
		Gender: strings.ToLower(s.gender.Selected),
	}
	q, problem := present.CheckQuery(q)
	if problem != "" {
		s.formHint.SetText(problem)
		s.formHint.Show()
		return
	}
	s.formHint.Hide()
	if s.state == present.SearchSearching {
		return
	}
	if s.cb.OnSearchDemographics != nil {
		s.cb.OnSearchDemographics(q)
	}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// A match row: name and NHS number on the first line, the rest on the second.
func newMatchRow() fyne.CanvasObject {
	name := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	nhs := widget.NewLabel("")
	detail := widget.NewLabel("")
	detail.Truncation = fyne.TextTruncateEllipsis
	flags := widget.NewLabel("")
	flags.Importance = widget.WarningImportance
	return container.NewVBox(container.NewHBox(name, nhs, flags), detail)
}

func updateMatchRow(o fyne.CanvasObject, m present.MatchView) {
	box := o.(*fyne.Container)
	line := box.Objects[0].(*fyne.Container)
	line.Objects[0].(*widget.Label).SetText(m.Name)
	line.Objects[1].(*widget.Label).SetText("NHS No. " + m.NHS)
	line.Objects[2].(*widget.Label).SetText(strings.Join(m.Flags, " · "))
	parts := []string{"Born " + orDefault(m.BirthDate, "not known"), m.Gender}
	if m.Address != "" {
		parts = append(parts, m.Address)
	}
	box.Objects[1].(*widget.Label).SetText(strings.Join(parts, " · "))
	line.Refresh() // lay the first line out again for the new text widths
}
