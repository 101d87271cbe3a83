//go:build gui

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Issue 14: card-out to lock and Enter to record in the real window, from the input to the X
// Damage event of the frame that showed the new screen (damage_test.go says how that frame is
// decided), both judged at the 99th percentile against 100 ms, beside the in-process figures
// (app.BenchmarkCardOutToLockScreen, app.BenchmarkEnterToRecord: the same flows on Fyne's test
// driver, which lays out but does not paint). Each benchmark runs `scrdesk --demo` on a private
// Xvfb at 1280x800, signs the demo pharmacist in, does one warm-up try that also keeps the
// screens every later try must end on (each confirmed by its audit row), then b.N timed tries.
//
//	go build -o build/scrdesk . && SCRDESK_BINARY=$PWD/build/scrdesk \
//	  scripts/with-xvfb.sh go test -tags gui -run '^$' -bench RealWindow -benchtime 30x ./internal/e2e/
//
// The window is quiet between inputs: it used to repaint at full frame rate, without end, once a
// patient had been searched for (the screens' infinite progress bars kept animating off screen;
// fixed, and TestWindowQuietAfterAPatient keeps it so), and a timed input then landed in the
// middle of a frame and waited for the next.
//
// The in-process figures come from SCRDESK_BENCH_INPROCESS (a file holding the output of the app
// benchmarks, as scripts/bench.sh writes it) or, without it, from running those benchmarks here
// first, 30 times each.

// BenchmarkRealWindowCardOutToLock times, with the record of more than 200 medicines open (the
// in-process benchmark's heaviest screen), Alt+1 (the demo's pharmacist card, out) to the frame
// that shows the lock screen. Between tries the card goes back in, the passcode resumes the
// session, and the record is opened again.
func BenchmarkRealWindowCardOutToLock(b *testing.B) {
	rw := startRealWindow(b)
	const nhs = "9990001154" // sandbox.NHSManyMeds
	var recRef, lockRef, searchRef shot
	openRecord := func() {
		rw.d.typeText(nhs)
		rw.d.key("Return")
		rw.d.waitAudit("scr-consent-read", nhs, 30*time.Second)
		rw.d.answer("1", "scr-read", nhs)
	}
	resume := func() {
		rw.d.cardIn(keyPharmacist) // the card back in
		rw.d.typeText("123456")
		rw.d.key("Return")
		rw.d.waitAudit("unlock", "", 30*time.Second)
	}

	// Warm-up: the record, the lock screen and the search screen after unlock, as references.
	openRecord()
	recRef = rw.settledAfterAudit("the record")
	rw.x.press(ks1, ksAltL)
	rw.d.waitAudit("lock-card-removed", "", 30*time.Second)
	lockRef = rw.settledAfterAudit("the lock screen")
	resume()
	searchRef = rw.settledAfterAudit("the search screen after unlock")
	rw.keep("realbench-record-200", recRef)
	rw.keep("realbench-locked", lockRef)

	var lat, upper []time.Duration
	shared := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		rw.until(searchRef, 0.03, "the empty search screen")
		openRecord()
		before := rw.until(recRef, 0.01, "the 200-medicine record")
		b.StartTimer()
		f := rw.x.measure("card out -> lock screen", func() (time.Time, uint16) { return rw.x.press(ks1, ksAltL) },
			before, lockRef, 30*time.Second)
		b.StopTimer()
		rw.d.waitAudit("lock-card-removed", "", 30*time.Second)
		lat, upper = append(lat, f.toFrame), append(upper, f.upper)
		if f.shared > 0 {
			shared++
		}
		resume()
	}
	b.StopTimer()
	in := inProcess(b)
	rw.report(b, "card out -> lock screen frame (200+ row record open)", lat, upper, shared,
		fmt.Sprintf("in-process (app.BenchmarkCardOutToLockScreen, canvas not painted): p50 %s ms, p99 %s ms", in.get("p50-ms"), in.get("p99-ms")))
}

// BenchmarkRealWindowEnterToRecord times, for the sandbox patient whose consent is Ask
// (9990000107, the in-process benchmark's patient), Enter on the typed NHS number to the frame
// that shows the permission question, and the answer (1: permission given) to the frame that
// shows the record. As in app.BenchmarkEnterToRecord, the person's time to answer is not the
// app's: Enter to record is the two added up. Escape closes the patient between tries.
func BenchmarkRealWindowEnterToRecord(b *testing.B) {
	rw := startRealWindow(b)
	const nhs = "9990000107" // sandbox.NHSAsk
	searchRef := rw.settledAfterAudit("the search screen")

	// Warm-up: the question and the record, as references.
	rw.d.typeText(nhs)
	rw.x.steady(30*time.Second, "the typed NHS number")
	rw.x.press(ksReturn)
	rw.d.waitAudit("scr-consent-read", nhs, 30*time.Second)
	askRef := rw.settledAfterAudit("the permission question")
	rw.x.press(ks1)
	rw.d.waitAudit("scr-read", nhs, 30*time.Second)
	recRef := rw.settledAfterAudit("the record")
	rw.keep("realbench-question", askRef)
	rw.keep("realbench-record", recRef)
	rw.x.press(ksEscape)

	var ask, rec, sum, upper []time.Duration
	shared := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		rw.until(searchRef, 0.03, "the empty search screen")
		rw.d.typeText(nhs)
		typed := rw.x.steady(30*time.Second, "the typed NHS number")
		if typed.differ(searchRef) == 0 {
			b.Fatal("the NHS number did not show in the search field")
		}
		b.StartTimer()
		f1 := rw.x.measure("Enter -> permission question", func() (time.Time, uint16) { return rw.x.press(ksReturn) },
			typed, askRef, 30*time.Second)
		b.StopTimer()
		rw.d.waitAudit("scr-consent-read", nhs, 30*time.Second)
		asked := rw.until(askRef, 0.01, "the permission question")
		b.StartTimer()
		f2 := rw.x.measure("answer -> record", func() (time.Time, uint16) { return rw.x.press(ks1) },
			asked, recRef, 30*time.Second)
		b.StopTimer()
		rw.d.waitAudit("scr-read", nhs, 30*time.Second)
		ask, rec = append(ask, f1.toFrame), append(rec, f2.toFrame)
		sum, upper = append(sum, f1.toFrame+f2.toFrame), append(upper, f1.upper+f2.upper)
		for _, f := range []frame{f1, f2} {
			if f.shared > 0 {
				shared++
			}
		}
		rw.x.press(ksEscape)
	}
	b.StopTimer()
	in := inProcess(b)
	rw.report(b, "Enter on an NHS number -> record frame (question frame + answer to record frame)", sum, upper, shared,
		fmt.Sprintf("in-process (app.BenchmarkEnterToRecord, canvas not painted): median %s ms, p99 %s ms", in.get("enter-to-record-ms"), in.get("enter-to-record-p99-ms")))
	fmt.Printf("  of which Enter -> question frame: p50 %.1f ms, p99 %.1f ms; answer -> record frame: p50 %.1f ms, p99 %.1f ms\n",
		ms(pct(ask, 50)), ms(pct(ask, 99)), ms(pct(rec, 50)), ms(pct(rec, 99)))
	b.ReportMetric(ms(pct(ask, 99)), "question-p99-ms")
	b.ReportMetric(ms(pct(rec, 99)), "record-p99-ms")
}

// realWindow is SCR Desk in demo mode on an X server of its own, the demo pharmacist signed
// in, with the benchmark's X client watching its window.
type realWindow struct {
	d *driver
	x *xwatch
}

func startRealWindow(b testing.TB) *realWindow {
	b.Helper()
	requireDisplay(b)
	if _, err := exec.LookPath("Xvfb"); err != nil {
		if os.Getenv("SCRDESK_REQUIRE_GUI") == "1" {
			b.Fatal("Xvfb is not installed")
		}
		b.Skip("Xvfb is not installed")
	}
	x := startXvfb(b, 1280, 800)
	dir := b.TempDir()
	p := startEnv(b, x.env(), binary(b), "--demo", "--data-dir", dir, "--log-level", "debug")
	d := &driver{t: b, x: x, dir: dir, shots: filepath.Join(repoRoot(), "build", "screenshots"), p: p}
	if err := os.MkdirAll(d.shots, 0o755); err != nil {
		b.Fatal(err)
	}
	d.win = d.waitWindow()
	d.waitAudit("application-start", "", 60*time.Second)
	waitLogRecord(b, dir, `msg="screen shown" screen=lock`, 60*time.Second)
	rw := &realWindow{d: d, x: watchWindow(b, x.display, d.win)}
	rw.x.steady(30*time.Second, "the lock screen")
	d.cardIn(keyPharmacist)
	d.typeText("123456")
	d.untilFocus("NHS number", func() { d.key("Return") }) // signed in: the search screen drawn
	d.waitAudit("login", "", 30*time.Second)
	return rw
}

// settledAfterAudit is the window once an awaited audit row is in and its pixels have stayed
// the same twice over (a screen whose row is written before it is drawn has had time to draw).
func (rw *realWindow) settledAfterAudit(what string) shot {
	rw.d.t.Helper()
	first := rw.x.steady(30*time.Second, what)
	for {
		again := rw.x.steady(30*time.Second, what)
		if again.differ(first) < 0.002 {
			return again
		}
		first = again
	}
}

// until waits until the window looks like ref (under share of the sampled pixels differ) and is
// steady.
func (rw *realWindow) until(ref shot, share float64, what string) shot {
	rw.d.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if s := rw.x.steady(30*time.Second, what); s.differ(ref) < share {
			return s
		}
	}
	rw.keep("realbench-timeout", rw.x.now())
	rw.d.t.Fatalf("waited 30 s for %s", what)
	return shot{}
}

// keep saves s as build/screenshots/NAME.png: the screens every timed try was matched against,
// for a person to check they are the right ones.
func (rw *realWindow) keep(name string, s shot) {
	save(rw.d.t, name, s.image())
}

// report prints the figures beside the target and the in-process baseline, and reports them.
func (rw *realWindow) report(b *testing.B, what string, lat, upper []time.Duration, shared int, baseline string) {
	p50, p99, mx := pct(lat, 50), pct(lat, 99), slices.Max(lat)
	fmt.Printf("%s, %d tries (input sent by XTEST -> first X Damage event of that frame): p50 %.1f ms, p99 %.1f ms, max %.1f ms (target p99 < 100 ms); %s\n",
		what, len(lat), ms(p50), ms(p99), ms(mx), baseline)
	fmt.Printf("  upper bound (the last damage event the deciding image holds): p50 %.1f ms, p99 %.1f ms; measurements whose deciding image held more than one damage event: %d\n",
		ms(pct(upper, 50)), ms(pct(upper, 99)), shared)
	b.ReportMetric(ms(p50), "p50-ms")
	b.ReportMetric(ms(p99), "p99-ms")
	b.ReportMetric(ms(mx), "max-ms")
}

// pct is the p-th percentile of d (nearest rank).
func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(i-1, 0)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// inProcessFigures are the app benchmarks' reported metrics, by unit.
type inProcessFigures map[string]float64

func (f inProcessFigures) get(unit string) string {
	v, ok := f[unit]
	if !ok {
		return "?"
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

var (
	inProcessOnce sync.Once
	inProcessVals inProcessFigures
)

// inProcess reads the in-process figures from SCRDESK_BENCH_INPROCESS, or runs the app
// benchmarks once for this test process (about a minute) and reads their output.
func inProcess(b *testing.B) inProcessFigures {
	inProcessOnce.Do(func() {
		var out []byte
		if f := os.Getenv("SCRDESK_BENCH_INPROCESS"); f != "" {
			var err error
			if out, err = os.ReadFile(f); err != nil {
				b.Logf("in-process figures: %v", err)
			}
		} else {
			cmd := exec.Command("go", "test", "-run", "^$", "-bench", "CardOutToLockScreen|EnterToRecord", "-benchtime", "30x", "-timeout", "20m", "./app/")
			cmd.Dir = repoRoot()
			var err error
			if out, err = cmd.CombinedOutput(); err != nil {
				b.Logf("in-process benchmarks: %v\n%s", err, out)
			}
		}
		inProcessVals = inProcessFigures{}
		for _, m := range regexp.MustCompile(`([0-9.]+) (p50-ms|p99-ms|enter-to-record-ms|enter-to-record-p99-ms)\b`).FindAllSubmatch(out, -1) {
			if v, err := strconv.ParseFloat(string(m[1]), 64); err == nil {
				inProcessVals[string(m[2])] = v
			}
		}
	})
	return inProcessVals
}
