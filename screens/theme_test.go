package screens

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"scrdesk/internal/present"
)

func TestThemeScalesText(t *testing.T) {
	base := theme.DefaultTheme()
	for _, c := range []struct {
		name  string
		scale float32
		want  float32
	}{
		{"unset means 1", 0, 1},
		{"larger", 1.5, 1.5},
		{"clamped low", 0.1, MinTextScale},
		{"clamped high", 9, MaxTextScale},
	} {
		t.Run(c.name, func(t *testing.T) {
			th := NewTheme(c.scale)
			if th.TextScale() != c.want {
				t.Fatalf("scale %v, want %v", th.TextScale(), c.want)
			}
			for _, n := range []string{"text", "headingText", "subHeadingText", "helperText"} {
				if got, want := th.Size(fyneSize(n)), base.Size(fyneSize(n))*c.want; got != want {
					t.Errorf("%s: %v, want %v", n, got, want)
				}
			}
			if th.Size(theme.SizeNamePadding) != base.Size(theme.SizeNamePadding) {
				t.Error("padding scaled")
			}
		})
	}
}

func TestThemeAccent(t *testing.T) {
	th := NewTheme(1)
	if th.Color(theme.ColorNamePrimary, theme.VariantLight) != NHSBlue {
		t.Error("primary is not NHS blue")
	}
	if th.Color(theme.ColorNameBackground, theme.VariantLight) != theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantLight) {
		t.Error("background differs from the default")
	}
	if th.Font(fyneStyle()) == nil || th.Icon(theme.IconNameHome) == nil {
		t.Error("no font or icon")
	}
}

func fyneSize(n string) fyne.ThemeSizeName { return fyne.ThemeSizeName(n) }

func fyneStyle() fyne.TextStyle { return fyne.TextStyle{} }

// TestThemeGolden renders the lock screen under the app theme at 1.25× text.
func TestThemeGolden(t *testing.T) {
	test.NewTempApp(t)
	test.ApplyTheme(t, NewTheme(1.25))
	l := NewLock(LockCallbacks{})
	l.Render(present.LockViewOf(lockStates[6].v, demoSite))
	assertGolden(t, "lock/app_theme_large_text.xml", l.Object(), screenSize)
}
