// Package assets embeds SCR Desk's icon (SVG and PNG sizes), its freedesktop .desktop entry and
// its AppStream metainfo, so the binary can install them for the current user and Fyne can use
// the icon for the window. Read-only data; safe for concurrent use.
package assets

import (
	"embed"
	"fmt"
)

//go:embed icon.svg icon-*.png org.scrdesk.SCRDesk.desktop org.scrdesk.SCRDesk.metainfo.xml
var files embed.FS

// AppID is the reverse-DNS application id used by the .desktop file, the metainfo and Fyne.
const AppID = "org.scrdesk.SCRDesk"

// IconSizes are the PNG sizes shipped for the hicolor icon theme.
var IconSizes = []int{16, 32, 48, 64, 128, 256, 512}

// IconSVG is the scalable icon.
func IconSVG() []byte { return must("icon.svg") }

// IconPNG returns the PNG icon of the given size (one of IconSizes).
func IconPNG(size int) []byte { return must(fmt.Sprintf("icon-%d.png", size)) }

// DesktopEntry is the .desktop file.
func DesktopEntry() []byte { return must(AppID + ".desktop") }

// Metainfo is the AppStream metainfo file.
func Metainfo() []byte { return must(AppID + ".metainfo.xml") }

func must(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		panic("assets: " + name + " is not embedded: " + err.Error())
	}
	return b
}
