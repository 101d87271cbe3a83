//go:build gui

package e2e

import (
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"scrdesk/internal/governance"
)

// Where the governance workspace's controls are in the 1280x800 window (the demo panel on the
// right, the status bar's two lines and the page buttons on top).
const (
	sgpInsertX, sgpInsertY = "1230", "289" // the demo panel's SCR Governance Person card
	firstCaseX, firstCaseY = "200", "289"  // the queue's first row
	noteX, noteY           = "450", "690"  // the case's note field
	addNoteX, addNoteY     = "43", "777"
	startX, startY         = "137", "777"
	closeX, closeY         = "263", "777"
	sarNHSX, sarNHSY       = "450", "209"
	sarRefX, sarRefY       = "450", "326"
	sarSaveX, sarSaveY     = "185", "483"
)

// TestDemoGovernance: the demo SGP card signs in (choosing the SGP role with the keyboard), the
// workspace opens over the seeded demo log, a case is opened, noted, reviewed and closed, and a
// Subject Access Request report is saved; each step is checked in the audit log, the PDF's text
// is read back with pdftotext and its first page rendered with pdftoppm. Screenshots go to
// build/screenshots/ (the README shows them).
func TestDemoGovernance(t *testing.T) {
	ownDisplay(t)
	for _, tool := range []string{"pdftotext", "pdftoppm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed (poppler-utils: scripts/deps.sh test)", tool)
		}
	}
	dir := t.TempDir()
	bin := binary(t)
	p := start(t, bin, "--demo", "--data-dir", dir, "--log-level", "debug")
	waitWindow(t, p, "SCR Desk", 90*time.Second)
	waitAudit(t, bin, dir, "application-start", 1, 60*time.Second)
	waitLogRecord(t, dir, `msg="screen shown" screen=lock`, 60*time.Second)
	lock := waitSettled(t, nil, whole, 30*time.Second, "the lock screen")
	t.Cleanup(func() { // the window as it was when a step failed (before the app is stopped)
		if t.Failed() {
			if img, err := capture(); err == nil {
				save(t, "governance-failed", img)
			}
		}
	})
	step := func(name string, before image.Image, action string, n int, what string, do func()) image.Image {
		t.Helper()
		do()
		if action != "" {
			waitAudit(t, bin, dir, action, n, 60*time.Second)
		}
		img := waitSettled(t, before, whole, 30*time.Second, what)
		if name != "" {
			save(t, name, img)
		}
		return img
	}
	click := func(x, y string) func() { return func() { xdo(t, "mousemove", x, y, "click", "1") } }
	pass := step("", lock, "", 0, "the passcode screen", func() {
		untilLog(t, dir, focusRecord("passcode"), click(sgpInsertX, sgpInsertY))
	})
	roles := step("", pass, "", 0, "the role choice", func() {
		untilLog(t, dir, focusRecord("role"), func() {
			xdo(t, "type", "--delay", "60", "345678")
			xdo(t, "key", "Return")
		})
	})
	home := step("governance-home", roles, "review-sample-seed", 1, "the governance workspace", func() { xdo(t, "key", "Return") })
	// Home says the log is verified once the check in the background has run.
	waitLogRecord(t, dir, `msg="audit log checked for the workspace" ok=true`, 60*time.Second)
	home = save(t, "governance-home", waitSettled(t, nil, whole, 30*time.Second, "the integrity line"))
	// The rules go through the seeded log once at start (the race build on a loaded machine
	// took long enough for the queue to be read empty): the queue is opened once they are done.
	waitLogRecord(t, dir, `msg="governance rules caught up with the log"`, 120*time.Second)
	queue := step("governance-cases", home, "audit-queried", 2, "the case queue", func() {
		untilLog(t, dir, `msg="governance page shown" page=cases`, func() { xdo(t, "key", "ctrl+2") })
	})
	// The case's page, not its row highlighted in the queue (drawn first, and on a loaded
	// machine still for long enough to pass for settled: the note was then typed into the queue).
	kase := step("governance-case", queue, "", 0, "the case", func() {
		untilLog(t, dir, `msg="governance page shown" page=case`, click(firstCaseX, firstCaseY))
	})
	noted := step("", kase, "case-note", 1, "the case with its note", func() {
		click(noteX, noteY)()
		xdo(t, "type", "--delay", "20", "Asked the pharmacist: patient collapsed at the counter")
		click(addNoteX, addNoteY)()
	})
	started := step("", noted, "case-review-started", 1, "the case in review", click(startX, startY))
	closed := step("governance-case-closed", started, "case-closed-appropriate", 1, "the closed case", func() {
		click(noteX, noteY)()
		xdo(t, "type", "--delay", "20", "Confirmed with the rota: appropriate")
		click(closeX, closeY)()
	})
	// The form's page drawn before its fields are clicked (the cold-cache run's failure: the
	// screen was compared with the case before it was closed, so the closed case passed for
	// the form, and the NHS number was typed into the case's page).
	form := step("", closed, "", 0, "the Subject Access Request form", func() {
		untilLog(t, dir, `msg="governance page shown" page=sar`, func() { xdo(t, "key", "ctrl+4") })
	})
	nhs := governance.DemoNHSNumber(9)
	sar := step("governance-sar", form, "subject-access-report", 1, "the saved report", func() {
		click(sarNHSX, sarNHSY)()
		xdo(t, "type", "--delay", "20", nhs)
		click(sarRefX, sarRefY)()
		xdo(t, "type", "--delay", "20", "SAR-E2E")
		click(sarSaveX, sarSaveY)()
	})
	// Home again, and M (README's keyboard table) saves the monthly report of the last full
	// month; Home says where.
	homeAgain := step("", sar, "", 0, "Home again", func() {
		untilLog(t, dir, `msg="governance page shown" page=home`, func() { xdo(t, "key", "ctrl+1") })
	})
	monthlyShot := step("governance-monthly", homeAgain, "governance-report", 1, "Home saying the monthly report is saved", func() {
		xdo(t, "key", "m")
	})
	// Ctrl+G (the status bar's "Counter (Ctrl+G)") takes her to the counter under her
	// pharmacist role, with the NHS number field ready; Ctrl+G again back to Home.
	counter := step("governance-switched-to-counter", monthlyShot, "", 0, "the counter after Ctrl+G", func() {
		untilLog(t, dir, focusRecord("NHS number"), func() { xdo(t, "key", "ctrl+g") })
	})
	step("", counter, "", 0, "the workspace after Ctrl+G again", func() {
		untilLog(t, dir, `msg="governance page shown" page=home`, func() { xdo(t, "key", "ctrl+g") })
	})
	p.stop()

	monthly, _ := filepath.Glob(filepath.Join(dir, "reports", "governance-report-*.pdf"))
	if len(monthly) != 1 {
		t.Fatalf("monthly reports saved: %v, want one", monthly)
	}
	if out, err := exec.Command("pdftotext", "-layout", monthly[0], "-").Output(); err != nil {
		t.Errorf("pdftotext %s: %v", monthly[0], err)
	} else {
		flat := strings.Join(strings.Fields(string(out)), " ")
		month := time.Now().In(ukTime(t)).AddDate(0, 0, -time.Now().In(ukTime(t)).Day()).Format("January 2006")
		for _, want := range []string{"SCR governance report: " + month, "Demo Pharmacy", "Grace Okafor"} {
			if !strings.Contains(flat, want) {
				t.Errorf("the monthly report's text lacks %q", want)
			}
		}
	}

	pdf := filepath.Join(dir, "reports", "SAR-SAR-E2E.pdf")
	out, err := exec.Command("pdftotext", "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", pdf, err)
	}
	flat := strings.Join(strings.Fields(string(out)), " ")
	for _, want := range []string{"Who has looked at your Summary Care Record", nhs[:3] + " " + nhs[3:6] + " " + nhs[6:],
		"SAR-E2E", "Demo Pharmacy", "The log was verified intact", "Grace Okafor", "Report hash (SHA-256)"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the report's text lacks %q", want)
		}
	}
	shots := filepath.Join(repoRoot(), "build", "screenshots")
	if o, err := exec.Command("pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", pdf, filepath.Join(shots, "sar-report")).CombinedOutput(); err != nil {
		t.Errorf("pdftoppm: %v %s", err, o)
	}
	if st, err := os.Stat(filepath.Join(shots, "sar-report.png")); err != nil || st.Size() < 10000 {
		t.Errorf("first page of the report not rendered: %v", err)
	}
	acts, err := auditActions(bin, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"login", "audit-queried", "case-note", "case-review-started", "case-closed-appropriate", "subject-access-report", "governance-report"}
	i := 0
	for _, a := range acts {
		if i < len(want) && a == want[i] {
			i++
		}
	}
	if i != len(want) {
		t.Errorf("audit actions do not contain %v in order (got to %d)", want, i)
	}
}

// ukTime is the pharmacy's time zone, in which the monthly report's "last full month" is taken.
func ukTime(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
