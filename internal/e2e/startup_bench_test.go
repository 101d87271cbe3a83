//go:build gui

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkStartup measures, for SCR Desk (--demo) and for a minimal Fyne window built the
// same way, in the same run: the time from process start to its window being visible (the
// nearest signal an outside observer gets to the first frame: xdotool sees the mapped window),
// and the resident memory 2 s after that. Run with -benchtime=Nx; each iteration starts both.
//
//	scripts/with-xvfb.sh go test -tags gui -run '^$' -bench Startup -benchtime 8x ./internal/e2e/
func BenchmarkStartup(b *testing.B) {
	requireDisplay(b)
	scr := binary(b)
	minimal := filepath.Join(repoRoot(), "build", "minimal-fyne")
	cmd := exec.Command("go", "build", "-o", minimal, "./internal/e2e/testdata/minimal")
	cmd.Dir = repoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build minimal window: %v\n%s", err, out)
	}
	var scrMs, minMs, scrRSS, minRSS []float64
	measure := func(bin, title string, args ...string) (float64, float64) {
		t0 := time.Now()
		p := start(b, bin, args...)
		waitWindow(b, p, title, 2*time.Minute)
		ms := float64(time.Since(t0).Microseconds()) / 1000
		time.Sleep(2 * time.Second)
		kb, err := rssKB(p.cmd.Process.Pid)
		if err != nil {
			b.Fatal(err)
		}
		p.stop()
		// The next start must not find this one's window still mapped.
		eventually(b, 10*time.Second, title+"'s window to go", func() (bool, string) {
			n := len(windows(title))
			return n == 0, fmt.Sprintf("%d windows", n)
		})
		return ms, float64(kb) / 1024
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dir, err := os.MkdirTemp("", "scrdesk-bench-")
		if err != nil {
			b.Fatal(err)
		}
		ms, mb := measure(scr, "SCR Desk", "--demo", "--data-dir", dir)
		scrMs, scrRSS = append(scrMs, ms), append(scrRSS, mb)
		ms, mb = measure(minimal, "Minimal Fyne")
		minMs, minRSS = append(minMs, ms), append(minRSS, mb)
		os.RemoveAll(dir)
	}
	b.StopTimer()
	sm, mm, sr, mr := median(scrMs), median(minMs), median(scrRSS), median(minRSS)
	b.ReportMetric(sm, "scrdesk-start-ms")
	b.ReportMetric(mm, "minimal-start-ms")
	b.ReportMetric(sr, "scrdesk-rss-MB")
	b.ReportMetric(mr, "minimal-rss-MB")
	fmt.Printf("startup (median of %d): SCR Desk %.0f ms, minimal Fyne %.0f ms, ratio %.2fx (target <= 1.5x)\n", b.N, sm, mm, sm/mm)
	fmt.Printf("resident memory (median of %d): SCR Desk %.1f MB, minimal Fyne %.1f MB, ratio %.2fx (target <= 1.5x)\n", b.N, sr, mr, sr/mr)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
