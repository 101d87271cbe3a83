package screens

import (
	"image/color"
	"scrdesk/internal/present"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"scrdesk/screens/kit"
)

// TestThemeContrast computes the WCAG contrast of every text/background pair the screens draw
// from the theme's own colours: 4.5:1 for text, 3:1 for large headings and for the focus ring
// against what it sits next to (WCAG 1.4.3, 1.4.11). Tinted backgrounds are composited over the
// window background exactly as drawn (kit's tints are the ones the record uses).
func TestThemeContrast(t *testing.T) {
	th := NewTheme(1)
	c := func(n fyne.ThemeColorName) color.Color { return th.Color(n, theme.VariantLight) }
	bg := c(theme.ColorNameBackground)
	on := func(n fyne.ThemeColorName) color.Color { return kit.Over(c(n), bg) }
	tinted := func(n fyne.ThemeColorName, a uint8) color.Color { return kit.Over(kit.Tint(c(n), a), bg) }
	const text, large, ring = 4.5, 3.0, 3.0
	type pair struct {
		what   string
		fg, bg color.Color
		min    float64
	}
	pairs := []pair{
		{"text on the window", c(theme.ColorNameForeground), bg, text},
		{"the LIVE mark", White, envColour(present.EnvLive), text},
		{"the INTEGRATION mark", White, envColour(present.EnvTest), text},
		{"the CUSTOM mark", White, envColour(present.EnvCustom), text},
		{"text on a table heading row", c(theme.ColorNameForeground), on(theme.ColorNameInputBackground), text},
		{"text on a section heading", c(theme.ColorNameForeground), on(theme.ColorNameHeaderBackground), text},
		{"text on a striped row", c(theme.ColorNameForeground), on(theme.ColorNameHover), text},
		{"text on a button", c(theme.ColorNameForeground), on(theme.ColorNameButton), text},
		{"text on a focused button", c(theme.ColorNameForeground), kit.Over(c(theme.ColorNameFocus), on(theme.ColorNameButton)), text},
		{"text on a hovered button", c(theme.ColorNameForeground), kit.Over(c(theme.ColorNameHover), on(theme.ColorNameButton)), text},
		{"text in an input field", c(theme.ColorNameForeground), on(theme.ColorNameInputBackground), text},
		{"selected text", c(theme.ColorNameForeground), kit.Over(c(theme.ColorNameSelection), on(theme.ColorNameInputBackground)), text},
		{"text in a menu", c(theme.ColorNameForeground), on(theme.ColorNameMenuBackground), text},
		{"text in a pop-up", c(theme.ColorNameForeground), on(theme.ColorNameOverlayBackground), text},
		{"blue (high importance) text", c(theme.ColorNamePrimary), bg, text},
		{"link text", c(theme.ColorNameHyperlink), bg, text},
		{"green (success) text", c(theme.ColorNameSuccess), bg, text},
		{"amber (warning) text", c(theme.ColorNameWarning), bg, text},
		{"red (error) text", c(theme.ColorNameError), bg, text},
		{"red text on a section heading", c(theme.ColorNameError), on(theme.ColorNameHeaderBackground), text},
		{"secondary text", c(theme.ColorNameDisabled), bg, text},
		{"secondary text on a heading", c(theme.ColorNameDisabled), on(theme.ColorNameHeaderBackground), text},
		{"placeholder in an input field", c(theme.ColorNamePlaceHolder), on(theme.ColorNameInputBackground), text},
		{"disabled button text", c(theme.ColorNameDisabled), on(theme.ColorNameDisabledButton), text},
		{"text on a blue button", c(theme.ColorNameForegroundOnPrimary), on(theme.ColorNamePrimary), text},
		{"text on a focused blue button", c(theme.ColorNameForegroundOnPrimary), kit.Over(c(theme.ColorNameFocus), on(theme.ColorNamePrimary)), text},
		{"text on a red button", c(theme.ColorNameForegroundOnError), on(theme.ColorNameError), text},
		{"text on a green button", c(theme.ColorNameForegroundOnSuccess), on(theme.ColorNameSuccess), text},
		{"text on an amber button", c(theme.ColorNameForegroundOnWarning), on(theme.ColorNameWarning), text},
		{"DEMO marking", DemoInk, DemoYellow, text},
		{"allergy heading (red on its tint)", c(theme.ColorNameError), tinted(theme.ColorNameError, kit.AllergyHeadingTint), text},
		{"allergy row text", c(theme.ColorNameForeground), tinted(theme.ColorNameError, kit.AllergyRowTint), text},
		{"statement (amber on its tint)", c(theme.ColorNameWarning), tinted(theme.ColorNameWarning, kit.StatementTint), text},
		{"large heading on the window", c(theme.ColorNameForeground), bg, large},
		{"large allergy heading", c(theme.ColorNameError), tinted(theme.ColorNameError, kit.AllergyHeadingTint), large},
		{"input field border when focused", c(theme.ColorNamePrimary), on(theme.ColorNameInputBackground), ring},
	}
	for _, n := range []fyne.ThemeColorName{theme.ColorNameBackground, theme.ColorNameButton, theme.ColorNamePrimary,
		theme.ColorNameWarning, theme.ColorNameError, theme.ColorNameSuccess, theme.ColorNameHeaderBackground} {
		pairs = append(pairs, pair{"focus ring next to " + string(n), kit.FocusRing, on(n), ring})
	}
	for _, p := range pairs {
		got := kit.Contrast(p.fg, p.bg)
		if got < p.min {
			t.Errorf("%s: contrast %.2f:1, want at least %.1f:1 (%v on %v)", p.what, got, p.min, p.fg, p.bg)
		} else if testing.Verbose() {
			t.Logf("%s: %.2f:1", p.what, got)
		}
	}
}

func TestContrastArithmetic(t *testing.T) {
	black, white := color.NRGBA{A: 0xFF}, color.NRGBA{R: 0xFF, G: 0xFF, B: 0xFF, A: 0xFF}
	for _, c := range []struct {
		a, b color.Color
		want float64
	}{
		{black, white, 21},
		{white, white, 1},
		{color.NRGBA{R: 0x76, G: 0x76, B: 0x76, A: 0xFF}, white, 4.54}, // the well-known AA grey
		{NHSBlue, white, 6.38},
	} {
		if got := kit.Contrast(c.a, c.b); got < c.want-0.02 || got > c.want+0.02 {
			t.Errorf("contrast(%v, %v) = %.3f, want %.2f", c.a, c.b, got, c.want)
		}
	}
	if got := kit.Over(color.NRGBA{A: 0x80}, white); got.R != 0x7F {
		t.Errorf("half black over white = %v", got)
	}
}
