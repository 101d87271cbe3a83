package screens

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"scrdesk/internal/present"
	"scrdesk/internal/session"
	"scrdesk/internal/staff"
)

// BenchmarkCardOutToLockScreen measures, on Fyne's test driver, the time from the card-removal
// event reaching the session machine to the lock screen being the window's content, with a
// heavy stand-in workspace open (a 5,000-row table and the status bar): Handle(CardOut), drop
// the data, Render the lock view, SetContent. It reports the median and 99th percentile. The
// controller's own benchmark (app/) repeats this with the real record screen and PC/SC.
func BenchmarkCardOutToLockScreen(b *testing.B) {
	test.NewTempApp(b)
	cfg := session.Config{IdleLock: 5 * time.Minute, SCRActivities: staff.DefaultSCRActivities}
	clock := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	lock := NewLock(LockCallbacks{})
	bar := NewStatusBar(StatusBarCallbacks{})
	w := test.NewTempWindow(b, lock.Object())
	w.Resize(fyne.NewSize(1280, 800))

	var rows [][]string
	table := widget.NewTable(func() (int, int) { return len(rows), 6 },
		func() fyne.CanvasObject { return widget.NewLabel("medication name and dose") },
		func(id widget.TableCellID, o fyne.CanvasObject) { o.(*widget.Label).SetText(rows[id.Row][id.Col]) })
	workspace := container.NewBorder(bar.Object(), nil, nil, nil, table)

	seq := func(fx []session.Effect) uint64 {
		for _, e := range fx {
			switch e := e.(type) {
			case session.ReadCard:
				return e.Seq
			case session.VerifyPasscode:
				return e.Seq
			case session.LoadRoles:
				return e.Seq
			}
		}
		return 0
	}
	// signIn walks a sign-in, answering each request with the Seq it carries.
	signIn := func() *session.Machine {
		m := session.New(cfg, func() time.Time { return clock })
		m.Handle(session.ReaderAttached{Count: 1})
		s := seq(m.Handle(session.CardIn{Reader: "R0"}))
		m.Handle(session.CardRead{Seq: s, ID: session.CardID{GUID: [16]byte{1}}, User: priya, TriesLeft: 3})
		s = seq(m.Handle(session.PasscodeSubmitted{}))
		s = seq(m.Handle(session.PasscodeRight{Seq: s}))
		m.Handle(session.RolesLoaded{Seq: s, Roles: staff.DemoUsers()[0].Roles})
		return m
	}

	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		m := signIn()
		rows = make([][]string, 5000)
		for i := range rows {
			rows[i] = []string{"Amoxicillin 500mg capsules", "one three times a day", "21 capsule", "12-Oct-2026", "acute", fmt.Sprint(i)}
		}
		bar.Render(present.StatusViewOf(m.Snapshot(), "Spine: connected", false))
		table.Refresh()
		w.SetContent(workspace)
		b.StartTimer()

		start := time.Now()
		for _, e := range m.Handle(session.CardOut{}) {
			switch e.(type) {
			case session.DropPatientData:
				rows = nil
				table.Refresh()
			case session.ShowLock:
				lock.Render(present.LockViewOf(m.Snapshot(), site))
				w.SetContent(lock.Object())
			}
		}
		durations = append(durations, time.Since(start))
		if w.Canvas().Content() != lock.Object() || m.State() != session.Locked {
			b.Fatal("lock screen not shown")
		}
	}
	b.StopTimer()
	slices.Sort(durations)
	p := func(q float64) time.Duration { return durations[int(q*float64(len(durations)-1))] }
	b.ReportMetric(float64(p(0.5).Microseconds()), "p50-µs")
	b.ReportMetric(float64(p(0.99).Microseconds()), "p99-µs")
}
