//go:build tools

// Package fynetool pins the fyne command-line tool (fyne.io/tools v1.7.0) in a module of its
// own, so that `make package` builds it from checksummed sources without touching SCR Desk's
// own dependencies. (`go run fyne.io/tools/cmd/fyne@v1.7.0` would ask the module proxy for a
// version list, which the proxy here refuses.)
package fynetool

import _ "fyne.io/tools/cmd/fyne"
