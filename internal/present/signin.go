package present

// The sign-in screens' view models (lock, passcode, role, status bar, demo panel) and which
// screen a session state shows, built from a session.View by pure functions, like the patient
// views in views.go.

import (
	"fmt"
	"strings"

	"scrdesk/internal/session"
	"scrdesk/internal/settings"
	"scrdesk/internal/staff"
)

// Product is the product name on every screen.
const Product = "SCR Desk"

// DemoNotice is the line every screen shows in demo mode.
const DemoNotice = "Demo cards and sandbox data only: no real patients"

// Screen is which view the window shows for a session state.
type Screen int

// The screens a session state maps to.
const (
	ScreenLock      Screen = iota // Lock: no reader, waiting, reading, locked
	ScreenPasscode                // Passcode: asking, verifying, blocked
	ScreenRole                    // Role: loading roles, choosing, refused
	ScreenWorkspace               // the patient screens with the StatusBar
)

// ScreenFor says which screen shows state s.
func ScreenFor(s session.State) Screen {
	switch s {
	case session.Passcode, session.Verifying, session.CardBlocked:
		return ScreenPasscode
	case session.LoadingRoles, session.ChoosingRole, session.NoRole:
		return ScreenRole
	case session.Ready:
		return ScreenWorkspace
	}
	return ScreenLock
}

// Site is where the workstation is, as the lock screen shows it.
type Site struct {
	Pharmacy string // pharmacy name ("" if not configured)
	ODS      string // its ODS code
	Demo     bool   // demo mode: every screen says DEMO
}

// LockView is what the lock screen shows.
type LockView struct {
	Product    string
	Pharmacy   string // "Demo Pharmacy, Leeds (FA123)"
	Prompt     string // "Insert your smartcard", "Reading your smartcard…", ...
	Readers    string // the readers' state, in words
	Locked     string // whose session is locked and why, or ""
	Message    string // a card problem, shown as a problem (icon and colour), or ""
	Notice     string // news that is no problem ("Signed out."), shown plainly, or ""
	Start      string // the button that starts sign-in with the card already in ("" = none)
	CanSignOut bool   // a locked session can be ended from here
	Busy       bool   // the card is being read
	Demo       bool
}

// PasscodeView is what the passcode screen shows.
type PasscodeView struct {
	Title   string // "Enter your passcode" / "Unlock: enter your passcode"
	Submit  string // the button: "Sign in", or "Unlock" when the passcode resumes a locked session
	User    string // whose card
	Tries   string // "3 tries left", or ""
	Message string // wrong passcode, card swapped, ... or ""
	Busy    bool   // the card is checking the passcode
	Blocked bool   // the card is blocked: Message says so, no entry
	Demo    bool
	For     uint64 // the card read it is for (session.View.PasscodeFor): given back on Submit
}

// RoleItem is one role on the role screen.
type RoleItem struct {
	URID string
	Role string // role name
	Org  string // "Demo Pharmacy, Leeds (FA123)"
}

// RoleConfirm is the question asked before signing in under a role at another organisation
// than the workstation's.
type RoleConfirm struct {
	URID string
	Text string // "This role is for Riverside Pharmacy, York (FX456); this workstation is ..."
}

// RoleView is what the role screen shows.
type RoleView struct {
	User    string
	Roles   []RoleItem   // in the order offered (the last choice first)
	Confirm *RoleConfirm // a role at another organisation waits for confirmation, or nil
	Refusal string       // no role at all: why the user cannot sign in
	Loading bool         // the roles are being fetched
	Demo    bool
	Notice  string // what every screen must say about the audit log (degraded, removed), or ""
}

// StatusView is what the status bar shows while signed in.
type StatusView struct {
	User       string
	Role       string
	Org        string
	Reader     string
	Connection string // the national services' state, in words (from the controller)
	Central    string // the central audit log's replication state, in words, or "" when not set up
	Notice     string // e.g. why this role cannot open records, or ""
	// Switch names the user's other kind of role the status bar's switch button goes to
	// ("Counter", "Governance"), or "" when there is none.
	Switch string
	Demo   bool
	// Env marks the national environment in use beside the user (the demo has its own DEMO
	// mark): "LIVE", "INTEGRATION" or "CUSTOM ADDRESS", so a workstation pointed at the wrong
	// place is seen at the counter without opening the settings.
	Env     string
	EnvKind EnvKind
}

// EnvKind is the colour of the environment's mark.
type EnvKind int

// The marks: the live service, a test environment, an address IT support typed.
const (
	EnvNone EnvKind = iota
	EnvLive
	EnvTest
	EnvCustom
)

// EnvironmentMark is the status bar's mark for the settings' environment (none for the demo,
// which has its DEMO mark). Short, so the user's name and role keep their room; the settings
// screen names a custom address in full.
func EnvironmentMark(s settings.Settings) (string, EnvKind) {
	switch s.Environment {
	case settings.EnvProduction:
		return "LIVE", EnvLive
	case settings.EnvIntegration:
		return "INTEGRATION", EnvTest
	case settings.EnvCustom:
		return "CUSTOM ADDRESS", EnvCustom
	}
	return "", EnvNone
}

// DemoCard is one card on the demo panel.
type DemoCard struct {
	Key      string
	Label    string
	Passcode string
	Note     string // "blocked", "certificate expired", "no SCR role", or ""
	Inserted bool
}

// DemoPanelView is what the demo panel shows.
type DemoPanelView struct {
	Cards []DemoCard
}

// OrgLine formats an organisation as "Name (ODS)", or whichever of the two is known.
func OrgLine(name, ods string) string {
	name, ods = strings.TrimSpace(name), strings.TrimSpace(ods)
	switch {
	case name != "" && ods != "":
		return name + " (" + ods + ")"
	case name != "":
		return name
	}
	return ods
}

// TriesText says how many passcode tries are left ("" when unknown).
func TriesText(n int) string {
	switch {
	case n < 0:
		return ""
	case n == 0:
		return "No tries left"
	case n == 1:
		return "1 try left"
	}
	return fmt.Sprintf("%d tries left", n)
}

// ReadersText says what the readers are doing.
func ReadersText(serviceUp bool, readers int, cardIn bool) string {
	switch {
	case !serviceUp:
		return "Smartcard service stopped: waiting for it to start again"
	case readers == 0:
		return "No card reader found: plug one in"
	case cardIn:
		return "Card reader ready: card inserted"
	case readers == 1:
		return "Card reader ready"
	}
	return fmt.Sprintf("%d card readers ready", readers)
}

// LockViewOf builds the lock screen's view from the session.
func LockViewOf(v session.View, site Site) LockView {
	lv := LockView{
		Product:  Product,
		Pharmacy: OrgLine(site.Pharmacy, site.ODS),
		Readers:  ReadersText(v.ServiceUp, v.Readers, v.CardPresent),
		Demo:     site.Demo,
	}
	if IsNotice(v.Message) {
		lv.Notice = v.Message
	} else {
		lv.Message = v.Message
	}
	if v.Locked {
		lv.Locked = LockedText(v.LockedUser.Name, v.LockReason)
		lv.CanSignOut = true
	}
	switch {
	case v.State == session.ReadingCard:
		lv.Prompt = "Reading your smartcard…"
		lv.Busy = true
	case v.State == session.NoReader && !v.ServiceUp:
		lv.Prompt = "Waiting for the smartcard service"
	case v.State == session.NoReader:
		lv.Prompt = "Plug in a card reader"
	case v.CardPresent && v.CardUnusable:
		// Reading the same card again cannot help: no button that cannot work.
		lv.Prompt = "Take the smartcard out"
	case v.CardPresent && v.Locked:
		lv.Prompt = "Press Enter to unlock"
		lv.Start = "Unlock"
	case v.CardPresent:
		lv.Prompt = "Press Enter to sign in, or remove your smartcard"
		lv.Start = "Sign in"
	default:
		lv.Prompt = "Insert your smartcard"
	}
	return lv
}

// IsNotice reports whether a session message is news rather than a problem (signed out,
// sign-in cancelled, a locked session ended by another card): shown plainly, not in red.
func IsNotice(msg string) bool {
	return strings.HasPrefix(msg, session.MsgSignedOut) || msg == session.MsgSignInCancel || msg == session.MsgCardSwapped
}

// LockedText says whose session is locked and why, in one sentence:
// "Priya Shah's session is locked because the smartcard was removed."
func LockedText(name string, r session.LockReason) string {
	who := "A session"
	if name != "" {
		who = possessive(name) + " session"
	}
	switch r {
	case session.ReasonCardRemoved:
		return who + " is locked because the smartcard was removed."
	case session.ReasonIdle:
		return who + " is locked after a period without use."
	case session.ReasonServiceLost:
		return who + " is locked because the smartcard service stopped. It resumes when a reader is back."
	case session.ReasonReaderRemoved:
		return who + " is locked because the card reader was unplugged."
	}
	return who + " is locked."
}

// PasscodeViewOf builds the passcode screen's view from the session.
func PasscodeViewOf(v session.View, demo bool) PasscodeView {
	pv := PasscodeView{
		Title:   "Enter your smartcard passcode",
		Submit:  "Sign in",
		User:    v.User.Name,
		Tries:   TriesText(v.TriesLeft),
		Message: v.Message,
		Busy:    v.State == session.Verifying,
		Blocked: v.State == session.CardBlocked,
		Demo:    demo,
		For:     v.PasscodeFor,
	}
	if v.Resuming {
		pv.Title = "Unlock: enter your smartcard passcode"
		pv.Submit = "Unlock"
	}
	if pv.Blocked {
		pv.Title = "Smartcard locked"
		pv.Tries = ""
	}
	return pv
}

// RoleViewOf builds the role screen's view from the session; site is the workstation's.
func RoleViewOf(v session.View, site Site) RoleView {
	rv := RoleView{User: v.User.Name, Loading: v.State == session.LoadingRoles, Demo: site.Demo}
	if v.State == session.NoRole {
		rv.Refusal = v.Message
	}
	if v.State == session.ChoosingRole && v.Confirming {
		rv.Confirm = &RoleConfirm{URID: v.Confirm.URID, Text: OtherOrgText(v.Confirm, site)}
		return rv
	}
	for _, r := range v.Roles {
		rv.Roles = append(rv.Roles, RoleItem{URID: r.URID, Role: roleName(r), Org: OrgLine(r.OrgName, r.OrgCode)})
	}
	return rv
}

// StatusViewOf builds the status bar's view; connection is the national services' state in words.
func StatusViewOf(v session.View, connection string, demo bool) StatusView {
	sv := StatusView{
		User:       v.User.Name,
		Role:       roleName(v.Role),
		Org:        OrgLine(v.Role.OrgName, v.Role.OrgCode),
		Reader:     ReadersText(v.ServiceUp, v.Readers, v.CardPresent),
		Connection: connection,
		Demo:       demo,
	}
	if v.State == session.Ready && !v.CanViewSCR {
		sv.Notice = "This role cannot open Summary Care Records"
	}
	if v.Reader != "" && v.ServiceUp {
		sv.Reader = "Reader: " + v.Reader
	}
	return sv
}

// DemoPanelViewOf builds the demo panel's view; inserted is the Key of the card in the demo
// reader ("" = none).
func DemoPanelViewOf(users []staff.DemoUser, inserted string, scrActivities []string) DemoPanelView {
	var pv DemoPanelView
	for _, u := range users {
		c := DemoCard{Key: u.Key, Label: u.Label, Passcode: u.PIN, Inserted: u.Key == inserted}
		if c.Label == "" {
			c.Label = u.Name
		}
		var notes []string
		if u.Blocked {
			notes = append(notes, "blocked")
		}
		if u.Expired {
			notes = append(notes, "certificate expired")
		}
		can := false
		for _, r := range u.Roles {
			can = can || r.Can(scrActivities)
		}
		if !can && len(u.Roles) > 0 {
			notes = append(notes, "no SCR role")
		}
		c.Note = strings.Join(notes, ", ")
		pv.Cards = append(pv.Cards, c)
	}
	return pv
}

// OtherOrgText says that a role is at another organisation than the workstation's.
func OtherOrgText(r staff.Role, site Site) string {
	here := OrgLine(site.Pharmacy, site.ODS)
	return "This role is for " + OrgLine(r.OrgName, r.OrgCode) + "; this workstation is " + here + ". " +
		"Use it only if you are working for " + orDefault(strings.TrimSpace(r.OrgName), r.OrgCode) + " at this counter: the choice is recorded."
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func roleName(r staff.Role) string {
	if r.RoleName != "" {
		return r.RoleName
	}
	return r.RoleCode
}

func possessive(name string) string {
	switch {
	case strings.HasSuffix(name, "s"):
		return name + "'"
	}
	return name + "'s"
}
