// Package present turns SCR Desk's domain data into the plain strings the patient screens show:
// NHS number spacing and as-you-type checking, dates and ages in the NHS Common User Interface
// style ("22-Oct-2010", "16y"), and the view structs (SearchView, BannerView, ConsentView,
// RecordView, MessageView, AlertView) that screens/patient renders.
//
// Everything here is a pure function of its arguments: no clock (callers pass "now"), no I/O,
// no goroutines, no global state, so it is safe for concurrent use and every output is testable.
// The package imports only the standard library and the project's leaf packages
// (internal/nhsnumber, internal/fhir); never Fyne, never an adapter.
//
// The view structs carry strings, bools and slices only. Nothing in them is markup: a screen
// shows every string as plain text, so text copied from a record's XHTML can never run or fetch
// anything (docs/domain.md, "What the record looks like on screen").
package present
