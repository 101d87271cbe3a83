package screens

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Colours of the app theme: NHS blue as the accent (NHS identity guidelines' "NHS Blue"
// #005EB8), NHS warm yellow for the DEMO marking so it cannot be missed.
var (
	NHSBlue     = color.NRGBA{R: 0x00, G: 0x5E, B: 0xB8, A: 0xFF}
	NHSDarkBlue = color.NRGBA{R: 0x00, G: 0x30, B: 0x87, A: 0xFF}
	DemoYellow  = color.NRGBA{R: 0xFF, G: 0xB8, B: 0x1C, A: 0xFF}
	DemoInk     = color.NRGBA{R: 0x21, G: 0x2B, B: 0x32, A: 0xFF}

	// Text and status colours chosen for contrast (every pair is checked by
	// TestThemeContrast): NHS text black, NHS dark green, a dark red and a dark amber that
	// keep 4.5:1 on white and on the record's tinted rows. Fyne's defaults (green 1.5:1,
	// orange 2.2:1, red 3.7:1 on white) are not readable at a counter.
	TextInk      = color.NRGBA{R: 0x21, G: 0x2B, B: 0x32, A: 0xFF}
	SuccessGreen = color.NRGBA{R: 0x00, G: 0x7F, B: 0x3B, A: 0xFF}
	ErrorRed     = color.NRGBA{R: 0xB0, G: 0x1E, B: 0x14, A: 0xFF}
	WarningAmber = color.NRGBA{R: 0x8F, G: 0x4A, B: 0x00, A: 0xFF}
	SecondaryInk = color.NRGBA{R: 0x59, G: 0x60, B: 0x67, A: 0xFF}
	White        = color.NRGBA{R: 0xFF, G: 0xFF, B: 0xFF, A: 0xFF}
)

// Text scale bounds for Theme (settings' "text size").
const (
	MinTextScale = 0.8
	MaxTextScale = 2.0
)

// Theme is SCR Desk's theme: Fyne's default with an NHS blue accent and every text size
// multiplied by a scale (settings' "text size"), for readability at a counter.
type Theme struct {
	base  fyne.Theme
	scale float32
}

var _ fyne.Theme = (*Theme)(nil)

// NewTheme returns the app theme with text scaled by scale, clamped to [MinTextScale,
// MaxTextScale]; 0 means 1.
func NewTheme(scale float32) *Theme {
	return &Theme{base: theme.DefaultTheme(), scale: ClampTextScale(scale)}
}

// ClampTextScale clamps a text scale setting to the supported range; 0 (unset) means 1.
func ClampTextScale(s float32) float32 {
	switch {
	case s == 0:
		return 1
	case s < MinTextScale:
		return MinTextScale
	case s > MaxTextScale:
		return MaxTextScale
	}
	return s
}

// TextScale returns the theme's text scale.
func (t *Theme) TextScale() float32 { return t.scale }

// Color returns the NHS blue accent for the primary, focus, hyperlink and selection colours,
// the default otherwise.
func (t *Theme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	// Always the light variant: a counter workstation sits in a bright shop, and every screen,
	// golden and screenshot then looks the same whatever the desktop's preference.
	v := theme.VariantLight
	switch n {
	case theme.ColorNamePrimary, theme.ColorNameHyperlink:
		if v == theme.VariantDark {
			return color.NRGBA{R: 0x41, G: 0xB6, B: 0xE6, A: 0xFF} // NHS light blue reads on dark
		}
		return NHSBlue
	case theme.ColorNameFocus:
		// The blend Fyne lays over a focused button; the ring that shows the focus on every
		// button is kit.FocusRing.
		c := NHSBlue
		c.A = 0x40
		return c
	case theme.ColorNameDisabled, theme.ColorNamePlaceHolder:
		// Secondary text (low-importance labels, hints, placeholders) must still be readable at
		// a counter, on white and on the grey of an input field.
		return SecondaryInk
	case theme.ColorNameSelection:
		c := NHSBlue
		c.A = 0x3F
		return c
	case theme.ColorNameForeground:
		return TextInk
	case theme.ColorNameSuccess:
		return SuccessGreen
	case theme.ColorNameError:
		return ErrorRed
	case theme.ColorNameWarning:
		return WarningAmber
	case theme.ColorNameForegroundOnPrimary, theme.ColorNameForegroundOnError,
		theme.ColorNameForegroundOnSuccess, theme.ColorNameForegroundOnWarning:
		return White
	}
	return t.base.Color(n, v)
}

// Font returns the default fonts.
func (t *Theme) Font(s fyne.TextStyle) fyne.Resource { return t.base.Font(s) }

// Icon returns the default icons.
func (t *Theme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.base.Icon(n) }

// Size scales the text sizes (and inline icons, which sit in text) by the text scale.
func (t *Theme) Size(n fyne.ThemeSizeName) float32 {
	s := t.base.Size(n)
	switch n {
	case theme.SizeNameText, theme.SizeNameHeadingText, theme.SizeNameSubHeadingText,
		theme.SizeNameCaptionText, theme.SizeNameInlineIcon:
		return s * t.scale
	}
	return s
}
