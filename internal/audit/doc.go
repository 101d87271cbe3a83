// Package audit is the domain model of SCR Desk's audit log: what happened (Action), how it
// ended (Outcome), who, where and to which patient (Event), the stored row (Entry), its
// canonical form, and the HMAC-SHA256 chain that makes the log tamper-evident.
//
// Every use of a Summary Care Record is recorded (docs/domain.md, "Every use is recorded"). Actions
// and outcomes are named after the FHIR R4 AuditEvent resource and the IHE Basic Audit Log
// Patterns (BALP) vocabulary, so that each row maps one-to-one onto an AuditEvent later:
// Action.FHIR gives the AuditEvent.type / subtype / action codes, Outcome.FHIRCode gives
// AuditEvent.outcome (0, 4, 8, 12).
//
// # The chain
//
// Row n carries MAC(n) = HMAC-SHA256(key, MAC(n-1) || n as 8 big-endian bytes || body(n)), with
// MAC(0) = 32 zero bytes. The body is the row's canonical form (Encode): one JSON object holding
// every field, stored as is, so the MAC covers exactly the bytes on disk and a change to any
// field, a deleted or reordered row, or a different key shows up when the chain is walked again.
// Diagnose names what happened to the first bad row the walk finds.
//
// This package is a leaf: standard library only, no I/O, no clock, no global state. Its values
// are safe to share between goroutines; a Verifier is used by one goroutine at a time.
package audit
