package present

// The view structs below are what screens/patient renders. They hold plain text only: a screen
// shows every string as a label, never as markup.

// SearchState is the state of the find-a-patient screen.
type SearchState int

// The states of the search screen (issue 7, "Done when").
const (
	SearchEmpty     SearchState = iota // nothing searched yet
	SearchInvalid                      // the NHS number typed cannot be searched for (see NHSInput)
	SearchSearching                    // a search is under way
	SearchMatches                      // one or more matches are listed
	SearchNoMatch                      // the search found nobody
	SearchError                        // the search failed: Message says what happened and what to do
)

// SearchView is what the search screen shows.
type SearchView struct {
	State   SearchState
	NHS     string      // puts this text in the NHS number field (empty leaves the field alone)
	Matches []MatchView // for SearchMatches
	Notice  string      // a line above the matches or in place of them ("Too many matches: ...")
	Message MessageView // for SearchError
}

// MatchView is one line of demographic search results: enough to tell people apart.
type MatchView struct {
	Name      string // "SMITH, Jane (Mrs)"
	NHS       string // "900 000 0009"
	BirthDate string // "22-Oct-2010 (16y)"
	Gender    string // "Female"
	Address   string // "1 Trevelyan Square, Leeds, LS1 6AE" or "Address not shown (restricted record)"
	Flags     []string
}

// Query is a demographic search (PDS `GET /Patient?family=&given=&gender=&birthdate=&address-postalcode=`).
type Query struct {
	Family    string
	Given     string
	BirthDate string // as typed on the screen; CheckQuery turns it into a FHIR date
	Gender    string // "female", "male", "other", "unknown" or "" for any
	Postcode  string
}

// BannerView is the patient banner that stays on top while a patient is open.
type BannerView struct {
	Name      string // "SMITH, Jane (Mrs)"
	NHS       string // "900 000 0009"
	BirthDate string // "22-Oct-2010 (16y)"
	Gender    string
	Address   string
	GP        string
	Phone     string

	NameNote string // "No current name recorded: this name ended 31-Dec-2025"

	Restricted     bool   // PDS meta.security R or V
	RestrictedTag  string // "Restricted" or "Very restricted"
	RestrictedText string // what is hidden and why
	Deceased       bool
	DeceasedText   string // "Deceased 12-Jan-2024"
	Merged         bool
	MergedText     string // "NHS number 900 000 0009 was replaced by 900 000 0017"
	Test           bool   // a test patient (test range or sandbox number)

	// Allergies is the allergy line that never scrolls away, once the record is open:
	// "Allergies: Penicillin allergy (Severe)", "No known allergies" or "Allergies: see record".
	Allergies string
	// Emergency marks a record opened by emergency access, for as long as it is open.
	Emergency     bool
	EmergencyText string
	// Adjustments are the patient's reasonable adjustments in plain words ("Requires visual
	// alert"); AdjustmentsNote says when they could not be read ("" when read).
	Adjustments     []string
	AdjustmentsNote string
}

// ConsentStage is where the consent and permission step has got to.
type ConsentStage int

// The stages of consent and permission (docs/domain.md rules 3, 4 and 5).
const (
	ConsentChecking  ConsentStage = iota // asking the Spine for the consent state
	ConsentOptedOut                      // the consent state is No: there is no record to view
	ConsentNoRecord                      // the Spine holds no Summary Care Record for the patient
	ConsentAsk                           // ask "Has the patient given permission to view their SCR?"
	ConsentEmergency                     // emergency access: a written reason is required
	ConsentDeclined                      // the patient declined: nothing was opened
	ConsentOpening                       // the answer is recorded; the record is being fetched
	ConsentDeceased                      // the patient has died: the user writes why they need the record
)

// ConsentView is what the consent and permission screen shows.
type ConsentView struct {
	Stage   ConsentStage
	Patient string      // the patient's name, to ask the right person
	Reason  string      // puts this text in the emergency reason field
	Message MessageView // a failure inside the screen (empty Title: none)
}

// RecordView is a Summary Care Record laid out for the screen: sections in the order of
// docs/domain.md ("What the record looks like on screen"), allergies first.
type RecordView struct {
	Format   string // "GP Summary" or "Initial Summary"
	Created  string // "14-May-2020 14:31", as written when it cannot be read, or "not stated"
	Author   string // "SMITH, Sean (Mr)", or the practice when no author is named, or "not stated"
	Practice string // "EMISWebCR1 50004, Fulford Grange, Rawdon, Leeds, West Yorkshire, LS19 7BY."
	// PracticeWithheld says why the practice is not shown (a restricted patient), or "".
	PracticeWithheld string
	// Statements are what the record says about itself (not verified, items withheld,
	// recently registered, the Initial Summary's own text), every one, as written, shown first.
	Statements []string
	Notes      []string // other record-wide text (the disclaimer), as written
	Sections   []SectionView
}

// SectionView is one section of the record.
type SectionView struct {
	Title      string
	Kind       SectionKind
	Tables     []TableView
	Statements []string // highlighted statements in the section ("withheld ..."), as written
	Text       []string // other paragraphs, as plain text (all of an unknown section's content)
}

// TableView is one table of a section: a header row and rows of cells, all plain text.
// A row with a single cell (for example "No relevant information available for this
// category.") spans the table.
type TableView struct {
	Headers []string
	Rows    [][]string
}

// MessageView is a failure shown inside a screen: what happened, what to do next, and an
// incident id that matches the debug log. An empty Title means no message.
type MessageView struct {
	Title    string
	What     string
	Todo     string
	Incident string
}

// AlertState is where a queued privacy alert has got to.
type AlertState int

// The states of a privacy alert in the outbox.
const (
	AlertQueued   AlertState = iota // stored, not yet delivered
	AlertSending                    // being delivered now
	AlertSent                       // delivered to the Spine
	AlertRetrying                   // the last try failed; it will be tried again
	AlertFailed                     // the Spine refused it: someone must look
)

// AlertView is one privacy alert as the status area lists it. It names no patient: the status
// area stays on screen when a patient is closed.
type AlertView struct {
	Kind   string // "Emergency access alert", "Self-claimed relationship alert"
	When   string // "14:31"
	State  AlertState
	Detail string // "tried 3 times; next try in 2 minutes"
}

// String names the alert state for the status area.
func (s AlertState) String() string {
	switch s {
	case AlertQueued:
		return "Queued"
	case AlertSending:
		return "Sending"
	case AlertSent:
		return "Sent"
	case AlertRetrying:
		return "Waiting to retry"
	case AlertFailed:
		return "Not delivered"
	}
	return "Unknown"
}
