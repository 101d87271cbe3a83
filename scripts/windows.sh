#!/usr/bin/env bash
# Cross-builds build/scrdesk.exe for 64-bit Windows with mingw-w64 (Fyne needs cgo there too)
# and checks that the result is a PE executable.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc \
  go build -ldflags "-H windowsgui" -o build/scrdesk.exe .
desc=$(file -b build/scrdesk.exe)
case "$desc" in
  PE32+\ executable*) echo "windows: build/scrdesk.exe: $desc" ;;
  *) echo "windows: build/scrdesk.exe is not a PE executable: $desc" >&2; exit 1 ;;
esac
