#!/usr/bin/env bash
# Cross-builds build/scrdesk.exe for 64-bit Windows with mingw-w64 (Fyne needs cgo there too),
# with the app's icon as its resource, checks that the result is a PE executable, and builds
# the installer build/scrdesk.msi with Debian's wixl from assets/windows/scrdesk.wxs
# (scrdesk.exe under C:\Program Files\SCR Desk, a Start-menu and a desktop shortcut).
# scripts/wine-test.sh installs and runs it under Wine.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
version=$(sed -n 's/^ *Version = "\(.*\)"/\1/p' FyneApp.toml)

# The icon: one .ico of the PNG sizes, as the exe's resource (a .syso the Go linker picks up
# from the main package's folder, removed after the build) and the shortcuts' icon.
convert assets/icon-16.png assets/icon-32.png assets/icon-48.png assets/icon-64.png assets/icon-128.png \
  assets/icon-256.png build/scrdesk.ico
printf '1 ICON "build/scrdesk.ico"\n' > build/scrdesk.rc
syso=rsrc_windows_amd64.syso
trap 'rm -f "$syso"' EXIT
x86_64-w64-mingw32-windres -O coff -o "$syso" build/scrdesk.rc

CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc \
  go build -ldflags "-H windowsgui -X main.version=$version" -o build/scrdesk.exe .
rm -f "$syso"
desc=$(file -b build/scrdesk.exe)
case "$desc" in
  PE32+\ executable*) echo "windows: build/scrdesk.exe: $desc" ;;
  *) echo "windows: build/scrdesk.exe is not a PE executable: $desc" >&2; exit 1 ;;
esac

wixl -a x64 -D Version="$version" -D Build=build -o build/scrdesk.msi assets/windows/scrdesk.wxs
echo "windows: build/scrdesk.msi: $(file -b build/scrdesk.msi | cut -c1-60)"
