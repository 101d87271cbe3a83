package patient

import (
	"image/color"
	"reflect"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"scrdesk/internal/present"
	"scrdesk/screens/kit"
)

// Record shows a Summary Care Record natively: one scrolling list whose first item is the
// record's header (format, when it was created and by which practice, every record-wide
// statement as written), then every section in the order present.OrderSections gives,
// allergies first under a heading in the error colour. The header scrolls away with the rows,
// so at a counter screen's height the rows get the room (the patient banner, above the record
// and outside it, never scrolls). Tables are rows of plain labels in a widget.List, so a 200-row table costs
// what the visible rows cost; nothing is ever rendered as HTML. While a table's rows are at the
// top of the list and its header row has scrolled away, a copy of that header row is pinned
// over the top of the list, so a long table's columns never lose their names.
type Record struct {
	title      *widget.Label
	meta       *widget.Label
	statements *fyne.Container
	notes      *widget.Label
	header     *fyne.Container

	body   *recordBody
	view   present.RecordView
	shown  bool // view has been rendered
	rows   []recordRow
	tables []*columns // column sizing of each table, indexed by recordRow.table
	root   fyne.CanvasObject
}

// NewRecord builds an empty record view. Call on the UI goroutine.
func NewRecord() *Record {
	r := &Record{}
	r.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.title.Wrapping = fyne.TextWrapWord
	r.meta = widget.NewLabel("")
	r.meta.Wrapping = fyne.TextWrapWord
	r.meta.Selectable = true
	r.statements = kit.Lines()
	r.notes = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	r.notes.Wrapping = fyne.TextWrapWord
	r.header = kit.Lines(r.title, r.meta, r.statements, r.notes) // wrapped lines measured at their width (HAZ-03)
	r.body = newRecordBody(r)
	r.root = r.body
	return r
}

// Object is the view's canvas object.
func (r *Record) Object() fyne.CanvasObject { return r.root }

// Header is the record's header (title, practice, statements, notes): the list's first item,
// so it scrolls with the rows. For tests that check where its lines are drawn.
func (r *Record) Header() fyne.CanvasObject { return r.header }

// Render shows the record in v.
func (r *Record) Render(v present.RecordView) {
	if r.shown && reflect.DeepEqual(v, r.view) {
		return // the window re-renders often (alerts, connection): the reader keeps their place
	}
	r.shown = true
	r.view = v
	title := "Summary Care Record: " + orDefault(v.Format, "GP Summary")
	switch v.Created {
	case "":
	case present.NotStated:
		title += ", creation date not stated in the record"
	default:
		title += ", created " + v.Created
	}
	switch v.Author {
	case "":
	case present.NotStated:
		title += "; author not stated in the record"
	default:
		title += " by " + v.Author
	}
	r.title.SetText(title)
	line := ""
	if v.Practice != "" {
		line = "Practice: " + v.Practice
	} else if v.PracticeWithheld != "" {
		line = v.PracticeWithheld
	}
	setOptional(r.meta, line)
	r.statements.Objects = nil
	for _, s := range v.Statements {
		r.statements.Add(statementLabel(s))
	}
	r.statements.Refresh()
	setOptional(r.notes, strings.Join(v.Notes, "\n"))
	r.rows, r.tables = flatten(v.Sections)
	m := newRowMetrics()
	for _, row := range r.rows {
		if row.kind == rowColumns || row.kind == rowCells {
			r.tables[row.table].fit(m, row.cells, row.kind == rowColumns)
		}
	}
	r.body.rebuild(r.body.width())
	r.root.Refresh()
}

// Clear forgets the record: nothing of it stays in the view's widgets.
func (r *Record) Clear() { r.Render(present.RecordView{}) }

// Rows is how many list rows the record takes (headings, table rows, statements, text):
// for tests and benchmarks.
func (r *Record) Rows() int { return len(r.rows) }

// TypedKey scrolls the record from the keyboard (Page Up, Page Down, Home, End, Up, Down) and
// reports whether it used the key. Forward the window canvas's key events to it while a record
// is shown.
func (r *Record) TypedKey(ev *fyne.KeyEvent) bool {
	if ev == nil {
		return false
	}
	l := r.body.list
	// A page leaves room for the pinned header row: what scrolls under it was in view before.
	page := max(l.Size().Height*0.9-r.body.room, 40)
	step := theme.Size(theme.SizeNameText) * 3
	switch ev.Name {
	case fyne.KeyPageDown:
		l.ScrollToOffset(l.GetScrollOffset() + page)
	case fyne.KeyPageUp:
		l.ScrollToOffset(max(l.GetScrollOffset()-page, 0))
	case fyne.KeyDown:
		l.ScrollToOffset(l.GetScrollOffset() + step)
	case fyne.KeyUp:
		l.ScrollToOffset(max(l.GetScrollOffset()-step, 0))
	case fyne.KeyHome:
		l.ScrollToTop()
	case fyne.KeyEnd:
		l.ScrollToBottom()
	default:
		return false
	}
	return true
}

// ScrollTo scrolls the record so that row i (of Rows) is visible.
func (r *Record) ScrollTo(i int) { r.body.list.ScrollTo(i + 1) } // item 0 is the header

// headerHeight lays the header out at the width it has as the list's first item (the list's
// width less its scroll bar) and says how tall it is there: kit.Lines measures each wrapped line
// at the width it was last given, so it is given that width first.
func (r *Record) headerHeight(width float32) float32 {
	w := max(width-theme.Size(theme.SizeNameScrollBar), 1)
	r.statements.Layout.Layout(r.statements.Objects, fyne.NewSize(w, r.statements.Size().Height))
	sz := fyne.NewSize(w, r.header.Size().Height)
	r.header.Resize(sz)
	r.header.Layout.Layout(r.header.Objects, sz)
	return r.header.MinSize().Height
}

func statementLabel(s string) *widget.Label {
	l := widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.Importance = widget.WarningImportance
	l.Wrapping = fyne.TextWrapWord
	return l
}

// recordRowKind is what one list row of the record is.
type recordRowKind uint8

const (
	rowHeading   recordRowKind = iota // a section's title
	rowColumns                        // a table's header row
	rowCells                          // a table's data row
	rowSpan                           // a one-cell table row spanning the table
	rowStatement                      // a statement that must stand out, as written
	rowText                           // a plain paragraph
)

// recordRow is one row of the record's list.
type recordRow struct {
	kind    recordRowKind
	allergy bool // part of the allergies section: tinted so it cannot be missed
	odd     bool
	table   int // index into Record.tables for rowColumns and rowCells
	cells   []string
}

// flatten lays sections out as list rows, and works out each table's column weights.
func flatten(sections []present.SectionView) ([]recordRow, []*columns) {
	var rows []recordRow
	var tables []*columns
	for _, s := range sections {
		al := s.Kind == present.KindAllergies
		title := s.Title
		if title == "" {
			title = s.Kind.Heading()
		}
		rows = append(rows, recordRow{kind: rowHeading, allergy: al, cells: []string{title}})
		for _, st := range s.Statements {
			rows = append(rows, recordRow{kind: rowStatement, allergy: al, cells: []string{st}})
		}
		for _, t := range s.Tables {
			ti := len(tables)
			tables = append(tables, &columns{weights: columnWeights(t)})
			if len(t.Headers) > 0 {
				rows = append(rows, recordRow{kind: rowColumns, allergy: al, table: ti, cells: t.Headers})
			}
			for i, cells := range t.Rows {
				k := rowCells
				if len(cells) == 1 && len(t.Headers) != 1 {
					k = rowSpan
				}
				rows = append(rows, recordRow{kind: k, allergy: al, odd: i%2 == 1, table: ti, cells: cells})
			}
		}
		for _, p := range s.Text {
			rows = append(rows, recordRow{kind: rowText, allergy: al, cells: []string{p}})
		}
		if len(s.Statements)+len(s.Tables)+len(s.Text) == 0 {
			rows = append(rows, recordRow{kind: rowText, allergy: al, cells: []string{"This section is empty in the record."}})
		}
	}
	return rows, tables
}

// columnWeights gives each column a share of the width from the longest text in it, within
// bounds so that a date column stays narrow and a long dosage does not squeeze the rest.
func columnWeights(t present.TableView) []float32 {
	n := len(t.Headers)
	for _, r := range t.Rows {
		n = max(n, len(r))
	}
	w := make([]float32, n)
	measure := func(cells []string) {
		if len(cells) == 1 && n > 1 {
			return // a spanning row says nothing about columns
		}
		for i, c := range cells {
			w[i] = max(w[i], float32(len([]rune(c))))
		}
	}
	measure(t.Headers)
	for _, r := range t.Rows {
		measure(r)
	}
	for i := range w {
		w[i] = min(max(w[i], 10), 40)
	}
	return w
}

// rowMetrics are the heights of text in the current theme, probed from real labels so that the
// estimate of wrapped rows matches what a label draws.
type rowMetrics struct {
	pad                  float32 // label inner padding
	plainLine, plainStep float32 // height of a one-line label, and of each further line
	boldLine, boldStep   float32
	headLine, headStep   float32
	textSize, headSize   float32
	widths               map[wordKey]float32
}

type wordKey struct {
	s    string
	bold bool
	head bool
}

func probe(style fyne.TextStyle, size fyne.ThemeSizeName) (line, step float32) {
	l := widget.NewLabelWithStyle("X", fyne.TextAlignLeading, style)
	l.SizeName = size
	one := l.MinSize().Height
	l.SetText("X\nX")
	two := l.MinSize().Height
	return one, two - one
}

func newRowMetrics() *rowMetrics {
	m := &rowMetrics{widths: map[wordKey]float32{}}
	m.pad = theme.Size(theme.SizeNameInnerPadding)
	m.textSize = theme.Size(theme.SizeNameText)
	m.headSize = theme.Size(theme.SizeNameSubHeadingText)
	m.plainLine, m.plainStep = probe(fyne.TextStyle{}, theme.SizeNameText)
	m.boldLine, m.boldStep = probe(fyne.TextStyle{Bold: true}, theme.SizeNameText)
	m.headLine, m.headStep = probe(fyne.TextStyle{Bold: true}, theme.SizeNameSubHeadingText)
	return m
}

func (m *rowMetrics) word(s string, bold, head bool) float32 {
	k := wordKey{s, bold, head}
	if w, ok := m.widths[k]; ok {
		return w
	}
	size := m.textSize
	if head {
		size = m.headSize
	}
	w := fyne.MeasureText(s, size, fyne.TextStyle{Bold: bold}).Width
	m.widths[k] = w
	return w
}

// lines estimates how many lines text wraps to in a label whose content is width wide, the way
// a word-wrapping label breaks it: at spaces, and inside a word only when it cannot fit alone.
// It errs long rather than short, so text is never cut off.
func (m *rowMetrics) lines(text string, width float32, bold, head bool) int {
	avail := width - 2*m.pad - 2
	if avail < 10 {
		avail = 10
	}
	n := 0
	for _, para := range strings.Split(text, "\n") {
		n++
		space := m.word(" ", bold, head)
		x := float32(0)
		for _, w := range strings.Fields(para) {
			ww := m.word(w, bold, head)
			if ww > avail { // broken inside the word, a whole character at a time
				if x > 0 {
					n++
				}
				per := max(avail-m.word("W", bold, head), 1)
				pieces := int(ww/per) + 1
				n += pieces - 1
				x = ww - float32(pieces-1)*per
				continue
			}
			if x == 0 {
				x = ww
				continue
			}
			if x+space+ww > avail {
				n++
				x = ww
				continue
			}
			x += space + ww
		}
	}
	return n
}

func (m *rowMetrics) height(n int, bold, head bool) float32 {
	switch {
	case head:
		return m.headLine + float32(n-1)*m.headStep
	case bold:
		return m.boldLine + float32(n-1)*m.boldStep
	}
	return m.plainLine + float32(n-1)*m.plainStep
}

// rowGutter is the room on the left of every row for the allergy marker.
const rowGutter = 6

// rowHeight is the height of row at the given list width.
func (r *Record) rowHeight(m *rowMetrics, row recordRow, width float32) float32 {
	inner := width - rowGutter - theme.Size(theme.SizeNameScrollBar)
	switch row.kind {
	case rowHeading:
		return m.height(m.lines(row.cells[0], inner, true, true), true, true)
	case rowStatement:
		return m.height(m.lines(row.cells[0], inner, true, false), true, false)
	case rowText, rowSpan:
		return m.height(m.lines(row.cells[0], inner, false, false), false, false)
	}
	bold := row.kind == rowColumns
	xs := r.tables[row.table].widths(inner)
	n := 1
	for i, c := range row.cells {
		if i < len(xs) {
			n = max(n, m.lines(c, xs[i], bold, false))
		}
	}
	return m.height(n, bold, false)
}

// columns sizes a table's columns: each gets a share of the width by weight, but never less
// than its longest word, so that a word is only broken when the window is too narrow for all.
type columns struct {
	weights []float32
	mins    []float32 // the widest word of each column, with the label's padding
}

// fit widens the columns' minimums for one row's words.
func (c *columns) fit(m *rowMetrics, cells []string, bold bool) {
	if len(c.mins) < len(c.weights) {
		c.mins = make([]float32, len(c.weights))
	}
	if len(cells) == 1 && len(c.weights) > 1 {
		return // a spanning row
	}
	for i, cell := range cells {
		if i >= len(c.mins) {
			break
		}
		for _, w := range strings.Fields(cell) {
			c.mins[i] = max(c.mins[i], m.word(w, bold, false)+2*m.pad+2)
		}
	}
}

// widths shares width among the columns.
func (c *columns) widths(width float32) []float32 {
	return columnWidths(c.weights, c.mins, width)
}

// columnWidths shares width among columns by weight, giving any column that would be narrower
// than its minimum that minimum and sharing the rest among the others. When even the minimums
// do not fit, the width is shared by minimum.
func columnWidths(weights, mins []float32, width float32) []float32 {
	n := len(weights)
	out := make([]float32, n)
	minOf := func(i int) float32 {
		if i < len(mins) {
			return mins[i]
		}
		return 0
	}
	var sumMin float32
	for i := range n {
		sumMin += minOf(i)
	}
	if sumMin >= width && sumMin > 0 {
		for i := range n {
			out[i] = width * minOf(i) / sumMin
		}
		return out
	}
	fixed := make([]bool, n)
	for range n {
		var sumW, free float32 = 0, width
		for i := range n {
			if fixed[i] {
				free -= out[i]
			} else {
				sumW += weights[i]
			}
		}
		if sumW == 0 {
			break
		}
		changed := false
		for i := range n {
			if fixed[i] {
				continue
			}
			out[i] = free * weights[i] / sumW
		}
		for i := range n {
			if !fixed[i] && out[i] < minOf(i) {
				out[i], fixed[i], changed = minOf(i), true, true
			}
		}
		if !changed {
			break
		}
	}
	return out
}

// recordBody holds the record's list and rebuilds it when the rows or the width change: a
// list's row heights can only be set cheaply before it is first drawn. The list's item 0 is the
// record's header; item i+1 is row i. Over the list it keeps
// the pinned header row (pin): a row object like the list's own, laid out at the list's width
// with the same columns, so each heading sits exactly above its column.
type recordBody struct {
	widget.BaseWidget
	rec     *Record
	list    *kit.ReadList
	pin     *fyne.Container
	objs    []fyne.CanvasObject // the list and the pin, in drawing order
	built   float32             // the width the list's heights were worked out for
	pending float32             // the scroll offset to restore once the rebuilt list is laid out

	// What the pin needs to know of the current list, worked out with its heights.
	rows    []recordRow
	tables  []*columns
	tops    []float32 // each row's top in the list's content, below the header (the list puts a padding between items)
	heights []float32 // each row's height
	heads   []int     // each table's header row, or -1
	ends    []float32 // the bottom of each table's last row
	room    float32   // the tallest header row: the most the pin covers
	pinned  int       // the table whose header the pin shows, or -1
	seen    float32   // the list offset the pin was placed for, -1 when not yet placed
}

// defaultWidth is used before the body has been laid out: a 1280-pixel-wide window.
const defaultWidth = 1240

func newRecordBody(r *Record) *recordBody {
	b := &recordBody{rec: r, pin: newRecordRowObject().(*fyne.Container)}
	b.pin.Layout.(*recordRowLayout).pinned = true
	b.pin.Hide()
	b.ExtendBaseWidget(b)
	b.rebuild(defaultWidth)
	return b
}

func (b *recordBody) width() float32 {
	if w := b.Size().Width; w > 0 {
		return w
	}
	return defaultWidth
}

// rebuild makes a new list for the record's rows with heights for width.
func (b *recordBody) rebuild(width float32) {
	r := b.rec
	rows, tables := r.rows, r.tables // this list's own: an old list (still focused) never sees new rows
	b.pending = 0
	if b.list != nil && len(rows) == len(b.rows) {
		// The new list cannot scroll before it is laid out: keep the place for then.
		b.pending = b.list.GetScrollOffset()
	}
	l := kit.NewReadList(nil, newRecordItem, nil)
	// widget.List (Fyne 2.8) tells no one when it scrolls: its scroller's OnScrolled is its own,
	// and ScrollTo and ScrollToOffset move it without that callback. But every change of its
	// offset lays out the visible rows again, which begins by asking Length; so Length is where
	// the pin learns where the list is (a float compare when nothing moved).
	l.Length = func() int {
		b.follow(l)
		return len(rows) + 1 // the header, then the rows
	}
	l.UpdateItem = func(id widget.ListItemID, o fyne.CanvasObject) {
		item := o.(*fyne.Container)
		switch {
		case id == 0 && l == b.list: // an old list never takes the header from the current one
			showItem(item, r.header, true)
		case id > 0 && id <= len(rows):
			row := item.Layout.(*itemLayout).row
			showItem(item, row, false)
			updateRecordRow(row, rows[id-1], tables)
		}
	}
	l.HideSeparators = true
	m := newRowMetrics()
	b.rows, b.tables = rows, tables
	b.tops = make([]float32, len(rows))
	b.heights = make([]float32, len(rows))
	b.heads = make([]int, len(tables))
	b.ends = make([]float32, len(tables))
	for i := range b.heads {
		b.heads[i] = -1
	}
	b.room = 0
	gap := theme.Size(theme.SizeNamePadding) // the list's separator thickness, hidden or not
	head := r.headerHeight(width)
	l.SetItemHeight(0, head)
	y := head + gap
	for i, row := range rows {
		h := r.rowHeight(m, row, width)
		l.SetItemHeight(i+1, h)
		b.tops[i], b.heights[i] = y, h
		switch row.kind {
		case rowColumns:
			b.heads[row.table] = i
			b.room = max(b.room, h)
			fallthrough
		case rowCells, rowSpan:
			b.ends[row.table] = y + h
		}
		y += h + gap
	}
	b.list = l
	b.objs = []fyne.CanvasObject{l, b.pin}
	b.built = width
	b.unpin()
}

// unpin hides the pin and empties it: nothing of a record stays in it after Clear.
func (b *recordBody) unpin() {
	b.pinned, b.seen = -1, -1
	for _, o := range b.pin.Objects[2:] {
		o.(*widget.Label).Text = ""
	}
	b.pin.Hide()
}

// follow places the pin for list l's offset, if l is the current list and it has moved.
func (b *recordBody) follow(l *kit.ReadList) {
	if l != b.list {
		return
	}
	y := l.GetScrollOffset()
	if y == b.seen {
		return
	}
	b.seen = y
	t := b.tableAt(y)
	if t < 0 {
		if b.pin.Visible() {
			b.pin.Hide()
		}
		return
	}
	if t != b.pinned {
		b.pinned = t
		head := b.heads[t]
		updateRecordRow(b.pin, b.rows[head], b.tables)
		b.pin.Move(fyne.NewPos(0, 0))
		b.pin.Resize(fyne.NewSize(b.built, b.heights[head]))
	}
	if !b.pin.Visible() {
		b.pin.Show()
	}
}

// tableAt is the table whose header row is pinned when the list's content is scrolled by y:
// the table of the row at the top edge, once its header row has begun to scroll away, and only
// while its rows still fill the pin's height (so the pin never covers the next section's
// heading). -1 when none is.
func (b *recordBody) tableAt(y float32) int {
	i, found := slices.BinarySearch(b.tops, y)
	if !found {
		i-- // the row at the top edge is the last one starting above it
	}
	if i < 0 || i >= len(b.rows) {
		return -1
	}
	row := b.rows[i]
	if row.kind != rowColumns && row.kind != rowCells && row.kind != rowSpan {
		return -1
	}
	t := row.table
	head := b.heads[t]
	if head < 0 || y <= b.tops[head]+0.5 || b.ends[t]-y < b.heights[head] {
		return -1
	}
	return t
}

// pinnedHeadings is what the pinned header row shows, or nil when none is pinned: for tests.
func (b *recordBody) pinnedHeadings() []string {
	if !b.pin.Visible() || b.pinned < 0 {
		return nil
	}
	return b.rows[b.heads[b.pinned]].cells
}

// CreateRenderer is part of fyne.Widget.
func (b *recordBody) CreateRenderer() fyne.WidgetRenderer { return &recordBodyRenderer{b: b} }

type recordBodyRenderer struct{ b *recordBody }

func (r *recordBodyRenderer) Layout(s fyne.Size) {
	if s.Width > 0 && (s.Width-r.b.built > 0.5 || r.b.built-s.Width > 0.5) {
		r.b.rebuild(s.Width)
		canvas.Refresh(r.b)
	}
	r.b.list.Move(fyne.NewPos(0, 0))
	r.b.list.Resize(s)
	if p := r.b.pending; p > 0 && s.Height > 0 {
		r.b.pending = 0
		r.b.list.MinSize() // makes the list's renderer (its scroller) if it has none yet
		r.b.list.ScrollToOffset(p)
	}
}

func (r *recordBodyRenderer) MinSize() fyne.Size { return fyne.NewSize(300, 120) }

func (r *recordBodyRenderer) Refresh() {
	r.Layout(r.b.Size())
	r.b.list.Refresh()
	r.b.pin.Refresh()
}

func (r *recordBodyRenderer) Objects() []fyne.CanvasObject { return r.b.objs }

func (r *recordBodyRenderer) Destroy() {}

// A list item is a container holding either its own row object or (item 0) the record's
// header, laid out by itemLayout.
func newRecordItem() fyne.CanvasObject {
	row := newRecordRowObject().(*fyne.Container)
	return container.New(&itemLayout{row: row}, row)
}

// showItem makes item show o (its row object, or the header) and lays it out if it changed.
func showItem(item *fyne.Container, o fyne.CanvasObject, header bool) {
	lay := item.Layout.(*itemLayout)
	if lay.header == header && len(item.Objects) == 1 && item.Objects[0] == o {
		return
	}
	lay.header = header
	item.Objects = []fyne.CanvasObject{o}
	lay.Layout(item.Objects, item.Size())
	item.Refresh()
}

// itemLayout lays out a list item's one object: a row across the item, or the header clear of
// the list's scroll bar (the width headerHeight measured it at).
type itemLayout struct {
	row    *fyne.Container
	header bool
}

func (l *itemLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		if l.header {
			o.Resize(fyne.NewSize(max(size.Width-theme.Size(theme.SizeNameScrollBar), 0), size.Height))
		} else {
			o.Resize(size)
		}
	}
}

func (l *itemLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	if l.header || len(objs) == 0 {
		return l.row.MinSize()
	}
	return objs[0].MinSize()
}

// A row object is a container with a background, an allergy marker and as many labels as the
// widest table needs, laid out by recordRowLayout.
func newRecordRowObject() fyne.CanvasObject {
	bg := canvas.NewRectangle(color.Transparent)
	bar := canvas.NewRectangle(color.Transparent)
	return container.New(&recordRowLayout{}, bg, bar, newCellLabel())
}

func newCellLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	return l
}

// tint is c at alpha a (0-255).
func tint(c color.Color, a uint8) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: a}
}

func updateRecordRow(c *fyne.Container, row recordRow, tables []*columns) {
	lay := c.Layout.(*recordRowLayout)
	lay.span = true
	lay.cols = nil
	if row.kind == rowColumns || row.kind == rowCells {
		lay.span = false
		lay.cols = tables[row.table]
	}
	for len(c.Objects)-2 < len(row.cells) {
		c.Objects = append(c.Objects, newCellLabel())
	}
	bg := c.Objects[0].(*canvas.Rectangle)
	bar := c.Objects[1].(*canvas.Rectangle)
	bg.FillColor = color.Transparent
	bar.FillColor = color.Transparent
	if row.allergy {
		bar.FillColor = theme.Color(theme.ColorNameError)
	}
	style := fyne.TextStyle{}
	size := theme.SizeNameText
	imp := widget.MediumImportance
	switch row.kind {
	case rowHeading:
		style.Bold = true
		size = theme.SizeNameSubHeadingText
		bg.FillColor = theme.Color(theme.ColorNameHeaderBackground)
		if row.allergy {
			imp = widget.DangerImportance
			bg.FillColor = tint(theme.Color(theme.ColorNameError), kit.AllergyHeadingTint)
		}
	case rowColumns:
		style.Bold = true
		bg.FillColor = theme.Color(theme.ColorNameInputBackground)
	case rowStatement:
		style.Bold = true
		imp = widget.WarningImportance
		bg.FillColor = tint(theme.Color(theme.ColorNameWarning), kit.StatementTint)
	case rowCells, rowSpan:
		if row.allergy {
			bg.FillColor = tint(theme.Color(theme.ColorNameError), kit.AllergyRowTint)
		} else if row.odd {
			bg.FillColor = theme.Color(theme.ColorNameHover)
		}
	}
	for i, o := range c.Objects[2:] {
		l := o.(*widget.Label)
		if i >= len(row.cells) {
			if l.Visible() {
				l.Hide()
			}
			continue
		}
		l.Text = row.cells[i]
		l.TextStyle = style
		l.SizeName = size
		l.Importance = imp
		l.Show()
		l.Refresh()
	}
	lay.cells = len(row.cells)
	c.Refresh()
}

// recordRowLayout places a row's labels: one label across the row (span), or one per column by
// the table's weights.
type recordRowLayout struct {
	span   bool
	cols   *columns
	cells  int
	pinned bool // the pinned header row: its background leaves the list's scroll bar in view
}

func (l *recordRowLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	objs[0].Move(fyne.NewPos(0, 0))
	if l.pinned {
		objs[0].Resize(fyne.NewSize(max(size.Width-theme.Size(theme.SizeNameScrollBar), 0), size.Height))
	} else {
		objs[0].Resize(size)
	}
	objs[1].Move(fyne.NewPos(0, 0))
	objs[1].Resize(fyne.NewSize(rowGutter/2, size.Height))
	inner := size.Width - rowGutter - theme.Size(theme.SizeNameScrollBar)
	labels := objs[2:]
	if l.span || l.cols == nil || len(l.cols.weights) == 0 {
		if len(labels) > 0 {
			labels[0].Move(fyne.NewPos(rowGutter, 0))
			labels[0].Resize(fyne.NewSize(inner, size.Height))
		}
		return
	}
	xs := l.cols.widths(inner)
	x := float32(rowGutter)
	for i, o := range labels {
		if i >= len(xs) || i >= l.cells {
			break
		}
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(xs[i], size.Height))
		x += xs[i]
	}
}

func (l *recordRowLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	return fyne.NewSize(100, theme.Size(theme.SizeNameText)+2*theme.Size(theme.SizeNameInnerPadding))
}
