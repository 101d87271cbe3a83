// Package e2e holds SCR Desk's end-to-end tests: they start the built binary in a real X
// server (Xvfb), find its window with xdotool, type and click as a person would, and take
// screenshots with ImageMagick's import. They run under the build tag gui, inside
// scripts/with-xvfb.sh (make test does that), against the binary named by SCRDESK_BINARY.
//
// The screenshots are written to build/screenshots/ at the repository root, for a person to
// look at; README.md shows copies of them.
package e2e
