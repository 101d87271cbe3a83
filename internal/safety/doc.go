// Package safety reads SCR Desk's clinical hazard log, docs/safety/HAZARDS.md (DCB0129).
//
// It owns the log's format: Parse turns the Markdown into hazards and reports every entry that
// is malformed (a missing field, a severity or likelihood outside the DCB0129 scales, a risk
// that does not follow the matrix, a control that names no test and is not marked open).
// The package's test then checks that every test a control names exists as a function in a
// _test.go file of the named package directory, so the log cannot claim evidence the code does
// not have. It imports only the standard library.
package safety
