package screens

import (
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"scrdesk/internal/present"
	"scrdesk/screens/kit"
)

// RoleCallbacks are what the role screen can ask for. Nil callbacks are ignored.
type RoleCallbacks struct {
	Choose  func(urid string) // the user picked this role
	Confirm func(urid string) // the user confirmed a role at another organisation
	Cancel  func()            // Escape, or "Sign out" on the refusal (back to the list when confirming)
}

// Role is the role choice screen: the user's roles (role name; organisation name and ODS code),
// keyboard-driven (Up and Down move, Enter chooses, Escape cancels; the first role, the user's
// last choice, starts highlighted), or the plain refusal when there is none.
type Role struct {
	cb RoleCallbacks

	demo    *fyne.Container
	title   *widget.Label
	user    *widget.Label
	list    *RoleList
	hint    *widget.Label
	refusal *widget.Label
	loading *widget.Label
	notice  *widget.Label
	noticeR *fyne.Container
	signOut *kit.Button
	confirm *fyne.Container // the other-organisation question
	warning *widget.Label
	useRole *kit.Button
	back    *kit.Button
	view    present.RoleView
	root    *fyne.Container
}

// NewRole builds the role screen. Call on the UI goroutine.
func NewRole(cb RoleCallbacks) *Role {
	r := &Role{cb: cb}
	r.demo = newDemoBanner()
	r.title = centered(theme.SizeNameHeadingText, true)
	r.user = centered(theme.SizeNameSubHeadingText, false)
	r.list = NewRoleList(func(urid string) {
		if r.cb.Choose != nil {
			r.cb.Choose(urid)
		}
	}, func() { call(r.cb.Cancel) })
	r.hint = centered(theme.SizeNameCaptionText, false)
	r.refusal = centered("", false)
	r.refusal.Importance = widget.DangerImportance
	r.refusal.Wrapping = fyne.TextWrapWord
	r.loading = centered("", false)
	r.notice = widget.NewLabel("")
	r.notice.Wrapping = fyne.TextWrapWord
	r.notice.Importance = widget.WarningImportance
	r.noticeR = container.NewBorder(nil, nil, widget.NewIcon(theme.WarningIcon()), nil, r.notice)
	r.signOut = kit.NewButton("Sign out (Esc)", theme.LogoutIcon(), func() { call(r.cb.Cancel) })
	r.warning = widget.NewLabel("")
	r.warning.Wrapping = fyne.TextWrapWord
	r.warning.Importance = widget.WarningImportance
	r.warning.TextStyle.Bold = true
	r.useRole = kit.NewButton("Use this role (Enter)", theme.ConfirmIcon(), func() {
		if r.view.Confirm != nil && r.cb.Confirm != nil {
			r.cb.Confirm(r.view.Confirm.URID)
		}
	})
	r.useRole.Importance = widget.HighImportance
	r.back = kit.NewButton("Back (Esc)", theme.NavigateBackIcon(), func() { call(r.cb.Cancel) })
	r.confirm = container.NewVBox(container.NewBorder(nil, nil, widget.NewIcon(theme.WarningIcon()), nil, r.warning),
		container.NewCenter(container.NewHBox(r.back, r.useRole)))
	body := container.NewVBox(r.title, r.user, r.noticeR, r.loading, r.refusal, r.confirm,
		container.NewCenter(r.list), r.hint, container.NewCenter(r.signOut))
	r.root = container.NewBorder(r.demo, nil, nil, nil, container.NewPadded(kit.Column(TextColumn, body)))
	r.Render(present.RoleView{})
	return r
}

// Render shows v; the first role is highlighted. Call on the UI goroutine.
func (r *Role) Render(v present.RoleView) {
	r.view = v
	showIf(r.demo, v.Demo)
	title := "Choose your role"
	switch {
	case v.Confirm != nil:
		title = "Check the organisation"
	case v.Loading:
		title = "Signing in"
	case v.Refusal != "":
		title = "You cannot sign in"
	}
	setText(r.title, title)
	setText(r.user, v.User)
	loading := ""
	if v.Loading {
		loading = "Loading your roles…"
	}
	setText(r.loading, loading)
	setText(r.refusal, v.Refusal)
	r.notice.SetText(v.Notice)
	showIf(r.noticeR, v.Notice != "")
	showIf(r.confirm, v.Confirm != nil)
	if v.Confirm != nil {
		r.warning.SetText(v.Confirm.Text)
		r.list.SetRoles(nil)
		setText(r.hint, "")
		showIf(r.signOut, false)
		r.root.Refresh()
		focusIfShown(r.useRole)
		return
	}
	r.list.SetRoles(v.Roles)
	hint := ""
	if len(v.Roles) > 0 {
		hint = "Use the Up and Down arrow keys to move, Enter to choose, Escape to cancel"
	}
	setText(r.hint, hint)
	showIf(r.signOut, v.Refusal != "")
	r.root.Refresh()
	if len(v.Roles) > 0 {
		focusIfShown(r.list)
	}
}

// Focusable is the widget to focus when the screen shows: the list, or the "Use this role"
// button while confirming a role at another organisation.
func (r *Role) Focusable() fyne.Focusable {
	if r.view.Confirm != nil {
		return r.useRole
	}
	return r.list
}

// TypedKey handles the window's keys while the role screen shows and nothing has the focus:
// Escape goes back (or cancels), Enter confirms the role being confirmed; while roles are
// listed, the list's keys (Up, Down, Home, End, Enter) move and choose in the list, so a key
// pressed before the list has taken the focus is not lost (the real window once took End
// there, then Enter chose the first role instead of the last).
func (r *Role) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyEscape:
		call(r.cb.Cancel)
	case fyne.KeyReturn, fyne.KeyEnter:
		if r.view.Confirm != nil {
			r.useRole.OnTapped()
		} else if len(r.view.Roles) > 0 {
			r.list.TypedKey(ev)
		}
	case fyne.KeyUp, fyne.KeyDown, fyne.KeyHome, fyne.KeyEnd:
		if r.view.Confirm == nil && len(r.view.Roles) > 0 {
			r.list.TypedKey(ev)
		}
	}
}

// Object is the screen's canvas object.
func (r *Role) Object() fyne.CanvasObject { return r.root }

// RoleList is a keyboard-driven list of roles: Up and Down move the highlight, Enter (or Space)
// chooses, Escape cancels, a tap chooses. A user has a handful of roles at most, so every row is
// built (no virtualisation needed).
type RoleList struct {
	widget.BaseWidget
	roles    []present.RoleItem
	selected int
	focused  bool
	choose   func(urid string)
	cancel   func()
	box      *fyne.Container
}

var _ fyne.Focusable = (*RoleList)(nil)

// NewRoleList returns an empty list calling choose with the chosen role's URID and cancel on
// Escape.
func NewRoleList(choose func(string), cancel func()) *RoleList {
	l := &RoleList{choose: choose, cancel: cancel, box: container.NewVBox()}
	l.ExtendBaseWidget(l)
	return l
}

// SetRoles replaces the roles and highlights the first; the same roles again (the screen
// rendered anew while it shows, as the controller does for any change) keep the highlight, so
// the role a person moved to is the one Enter chooses. (The real window once lost End that way:
// a render between End and Enter moved the highlight back, and Enter chose the first role, at
// another organisation than the one picked.)
func (l *RoleList) SetRoles(roles []present.RoleItem) {
	if len(roles) > 0 && slices.Equal(roles, l.roles) {
		return
	}
	l.roles = append([]present.RoleItem(nil), roles...)
	l.selected = 0
	l.rebuild()
}

// Selected returns the highlighted role's index (-1 if none).
func (l *RoleList) Selected() int {
	if len(l.roles) == 0 {
		return -1
	}
	return l.selected
}

func (l *RoleList) rebuild() {
	l.box.Objects = nil
	for i, r := range l.roles {
		l.box.Add(newRoleRow(r, i == l.selected, l.focused, func() { l.pick(i) }))
	}
	showIf(l, len(l.roles) > 0)
	l.box.Refresh()
	l.Refresh()
}

func (l *RoleList) pick(i int) {
	if i < 0 || i >= len(l.roles) {
		return
	}
	l.selected = i
	if l.choose != nil {
		l.choose(l.roles[i].URID)
	}
}

// CreateRenderer implements fyne.Widget.
func (l *RoleList) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(l.box) }

// FocusGained implements fyne.Focusable.
func (l *RoleList) FocusGained() { l.focused = true; l.rebuild() }

// FocusLost implements fyne.Focusable.
func (l *RoleList) FocusLost() { l.focused = false; l.rebuild() }

// TypedRune implements fyne.Focusable: Space chooses.
func (l *RoleList) TypedRune(r rune) {
	if r == ' ' {
		l.pick(l.selected)
	}
}

// TypedKey implements fyne.Focusable: Up, Down, Home, End move; Enter chooses; Escape cancels.
func (l *RoleList) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyUp:
		if l.selected > 0 {
			l.selected--
			l.rebuild()
		}
	case fyne.KeyDown:
		if l.selected < len(l.roles)-1 {
			l.selected++
			l.rebuild()
		}
	case fyne.KeyHome:
		l.selected = 0
		l.rebuild()
	case fyne.KeyEnd:
		if len(l.roles) > 0 {
			l.selected = len(l.roles) - 1
			l.rebuild()
		}
	case fyne.KeyReturn, fyne.KeyEnter:
		l.pick(l.selected)
	case fyne.KeyEscape:
		if l.cancel != nil {
			l.cancel()
		}
	}
}

// roleRow is one tappable row: the role name over "Organisation (ODS)"; the highlighted row has
// the accent background.
type roleRow struct {
	widget.BaseWidget
	content fyne.CanvasObject
	tap     func()
}

func newRoleRow(r present.RoleItem, selected, focused bool, tap func()) *roleRow {
	name := widget.NewLabel(r.Role)
	name.TextStyle.Bold = true
	org := widget.NewLabel(r.Org)
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	bg.CornerRadius = theme.InputRadiusSize()
	if selected {
		bg.FillColor = theme.Color(theme.ColorNameSelection)
		bg.StrokeColor = theme.Color(theme.ColorNamePrimary)
		bg.StrokeWidth = 1
		if focused {
			bg.StrokeWidth = 3
		}
	}
	text := container.New(layout.NewCustomPaddedVBoxLayout(0), name, org)
	row := &roleRow{content: container.NewStack(bg, text), tap: tap}
	row.ExtendBaseWidget(row)
	return row
}

// CreateRenderer implements fyne.Widget.
func (r *roleRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.content) }

// Tapped implements fyne.Tappable.
func (r *roleRow) Tapped(*fyne.PointEvent) { r.tap() }

// MinSize makes every row at least as wide as a long role name.
func (r *roleRow) MinSize() fyne.Size {
	s := r.content.MinSize()
	return fyne.NewSize(max(s.Width, 480), s.Height)
}
