package audit

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind says what happened to the first bad row, or names one finding of a verification.
type Kind string

// Kinds of damage Verify reports. The first group is about the chain itself (Report.Kind); the
// rest are further findings (Report.Findings).
const (
	KindNone        Kind = ""             // intact
	KindEdited      Kind = "edited"       // a field of the row was changed
	KindDeleted     Kind = "deleted"      // the row is missing from the middle of the log
	KindReordered   Kind = "reordered"    // the row sits in another row's place
	KindTruncated   Kind = "truncated"    // rows at the end were cut off (caught by the checkpoint)
	KindKeyMissing  Kind = "key-missing"  // the log has rows but its key cannot be found
	KindKeyReplaced Kind = "key-replaced" // the key found is not the one the log was written with

	// KindLogReplaced: the keyring names a log (instance id and checkpoint) that this file is
	// not: the file was deleted, emptied, or replaced by another log.
	KindLogReplaced Kind = "log-replaced"
	// KindSchemaChanged: the database's tables, columns, indexes or triggers differ from the
	// embedded migrations.
	KindSchemaChanged Kind = "schema-changed"
	// KindNotProtected: rows after the last checkpoint; a cut-off end could not be seen.
	KindNotProtected Kind = "not-yet-protected"
	// KindCheckpointUnreadable: the keyring has a checkpoint that cannot be read or parsed.
	KindCheckpointUnreadable Kind = "checkpoint-unreadable"
	// KindWasUnprotected (information): rows that were written while checkpoints failed, and
	// were only protected later; a cut made during that time could not be seen.
	KindWasUnprotected Kind = "was-unprotected"
	// KindNewLog (information): this log was started after the previous one was found
	// removed or replaced; the first row names it.
	KindNewLog Kind = "new-log"
	// KindSettingsChanged: the settings document differs from the one the last settings row
	// recorded.
	KindSettingsChanged Kind = "settings-changed-outside"
	// KindOutboxMismatch: a privacy alert's state in the outbox disagrees with its audit rows.
	KindOutboxMismatch Kind = "outbox-mismatch"
	// KindCasesChanged: the SGP's review cases (the cache of rule hits and case states) differ
	// from what the log itself says.
	KindCasesChanged Kind = "cases-changed-outside"
)

// Severity says whether a finding breaks the log's trust.
type Severity string

// Severities.
const (
	SeverityError Severity = "error" // the log, or what it steers, was tampered with or is unprotected
	SeverityInfo  Severity = "info"  // worth knowing; the log is still verified
)

// Finding is one thing Verify found, with what happened and what to do in words an SCR
// Governance Person understands (What and Do).
type Finding struct {
	Kind     Kind     `json:"kind"`
	Severity Severity `json:"severity"`
	// Row is the entry concerned (the first of a range), 0 when the finding is not about one
	// entry; ToRow ends a range (0 when not a range).
	Row   int64 `json:"row,omitempty"`
	ToRow int64 `json:"to_row,omitempty"`
	// What happened and what to do.
	What string `json:"what"`
	Do   string `json:"do"`
	// Object names the schema object, alert or setting concerned, when there is one.
	Object string `json:"object,omitempty"`
}

// The usual advice when the log has been tampered with.
const (
	DoKeep      = "Keep this computer and the audit log file as they are, tell your superintendent pharmacist, and call IT support."
	DoNewLog    = "Keep this computer and its files as they are and tell your superintendent pharmacist. No patient records can be opened until your SCR Governance Person or IT support starts a new log (scrdesk audit new-log), which records this break in its first entry."
	DoKeyring   = "Ask IT support to check the system keyring, and tell your SCR Governance Person."
	DoNothing   = "Nothing to do now; the entries are listed so that the gap is on the record."
	DoSettings  = "Tell your SCR Governance Person and ask IT support to apply the pharmacy's settings again (scrdesk --config FILE), which records them in the log."
	DoCases     = "Tell your superintendent pharmacist and call IT support: someone changed the review cases outside SCR Desk. SCR Desk has rebuilt them from the audit log; check the cases named here again."
	DoOutbox    = "Tell your SCR Governance Person: the alert may never have reached them, so check it against the national alert viewer."
	DoSchemaFix = "Keep this computer and the audit log file as they are, tell your superintendent pharmacist, and call IT support: searches and reports from this log cannot be trusted until it is restored."
)

// Break describes a log found removed or replaced: what the keyring last knew, and what the
// file holds instead.
type Break struct {
	// Found is what the file holds: "missing", "empty", "older" (shorter than the checkpoint),
	// "rewritten" (the checkpointed entry differs) or "different" (another log).
	Found string `json:"found"`
	// KnownInstance, KnownSeq, KnownMAC and KnownTime are the keyring's log and checkpoint.
	KnownInstance string    `json:"known_instance"`
	KnownSeq      int64     `json:"known_seq"`
	KnownMAC      string    `json:"known_mac"`
	KnownTime     time.Time `json:"known_time,omitzero"`
	// FileInstance and FileLastSeq describe the log in the file ("" and 0 when none).
	FileInstance string `json:"file_instance,omitempty"`
	FileLastSeq  int64  `json:"file_last_seq"`
}

// LastKnown is "entry N, at <time>", as the keyring last knew the log.
func (b Break) LastKnown() string {
	s := "entry " + group(b.KnownSeq)
	if !b.KnownTime.IsZero() {
		s += ", at " + b.KnownTime.Local().Format("15:04 on 2 January 2006")
	}
	return s
}

// Message is the sentence shown on screen and printed by verify: "The audit log was removed
// or replaced (last known: entry N, at …)", and what the file holds now.
func (b Break) Message() string {
	s := "The audit log was removed or replaced (last known: " + b.LastKnown() + ")."
	switch b.Found {
	case "missing":
		s += " The log file is missing."
	case "empty":
		s += " The log file now holds no entries."
	case "older":
		s += fmt.Sprintf(" The log file is an older copy, or its newest entries were cut off: it ends at entry %s.", group(b.FileLastSeq))
	case "rewritten":
		s += fmt.Sprintf(" Entry %s in the file is not the one recorded.", group(b.KnownSeq))
	case "different":
		s += " The log file holds a different log (another workstation's, or another copy)."
	}
	return s
}

// Report is the result of verifying the log.
type Report struct {
	// OK is true when the chain is whole and no finding is an error.
	OK bool `json:"ok"`
	// Rows is how many rows were read; LastSeq is the newest row's sequence number.
	Rows    int64 `json:"rows"`
	LastSeq int64 `json:"last_seq"`
	// FirstBad is the sequence number of the chain's first bad row (0 when the chain is whole);
	// Kind says what happened to it.
	FirstBad int64 `json:"first_bad,omitempty"`
	Kind     Kind  `json:"kind,omitempty"`
	// CheckpointSeq and CheckpointTime are the newest checkpoint found in the key store (0 and
	// zero if none).
	CheckpointSeq  int64     `json:"checkpoint_seq"`
	CheckpointTime time.Time `json:"checkpoint_time,omitzero"`
	// Instance is the log's instance id.
	Instance string `json:"instance,omitempty"`
	// First and Last are the times of the first and newest entries; Checked is when the
	// verification ran.
	First   time.Time `json:"first,omitzero"`
	Last    time.Time `json:"last,omitzero"`
	Checked time.Time `json:"checked,omitzero"`
	// Break is set when the log was found removed or replaced.
	Break *Break `json:"break,omitempty"`
	// DegradedSince is when checkpoint writes started failing (zero when they do not).
	DegradedSince time.Time `json:"degraded_since,omitzero"`
	// Findings are everything found, chain first, in words an SGP understands.
	Findings []Finding `json:"findings"`
	// WeakKey is true when the key is kept in the owner-only key file rather than the keyring.
	WeakKey bool `json:"weak_key"`
}

// Errors returns the findings that break the log's trust.
func (r Report) Errors() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Severity == SeverityError {
			out = append(out, f)
		}
	}
	return out
}

// ChainFinding turns the chain's first bad row into a finding.
func ChainFinding(kind Kind, row int64, cpSeq int64, cpTime time.Time) Finding {
	f := Finding{Kind: kind, Severity: SeverityError, Row: row, Do: DoKeep}
	switch kind {
	case KindEdited:
		f.What = fmt.Sprintf("Entry %s has been changed since it was written.", group(row))
	case KindDeleted:
		f.What = fmt.Sprintf("Entry %s has been removed from the log.", group(row))
	case KindReordered:
		f.What = fmt.Sprintf("Entry %s has been moved out of order.", group(row))
	case KindTruncated:
		b := Break{KnownSeq: cpSeq, KnownTime: cpTime}
		f.What = fmt.Sprintf("The audit log was removed or replaced (last known: %s): the newest entries, from entry %s on, were cut off or replaced.", b.LastKnown(), group(row))
		f.Do = DoNewLog
	case KindKeyMissing:
		f.What = "The key that protects the audit log cannot be found in the keyring, so the log cannot be checked."
		f.Do = "Ask IT support to restore the keyring, and tell your SCR Governance Person."
	case KindKeyReplaced:
		f.What = "The key that protects the audit log has been replaced, so the log cannot be trusted."
	default:
		f.What = fmt.Sprintf("Entry %s failed its check (%s).", group(row), kind)
	}
	return f
}

// Message says in plain English what the report means and what to do: one line when the log
// is verified, else the first error's what and do.
func (r Report) Message() string {
	weak := ""
	if r.WeakKey {
		weak = " The log's key is kept in a file rather than the system keyring, which is weaker protection."
	}
	if errs := r.Errors(); len(errs) > 0 {
		return errs[0].What + " " + errs[0].Do
	}
	if !r.OK && r.Kind != KindNone {
		f := ChainFinding(r.Kind, r.FirstBad, r.CheckpointSeq, r.CheckpointTime)
		return f.What + " " + f.Do
	}
	if r.Rows == 0 {
		return "Verified: the audit log is intact and holds no entries yet." + weak
	}
	s := fmt.Sprintf("Verified: the audit log is intact, %s of %s entries", group(r.Rows), group(r.LastSeq))
	if !r.First.IsZero() && !r.Last.IsZero() {
		s += fmt.Sprintf(", from %s to %s", r.First.Local().Format("2 January 2006"), r.Last.Local().Format("2 January 2006"))
	}
	if !r.Checked.IsZero() {
		s += ", checked at " + r.Checked.Local().Format("15:04")
	}
	return s + "." + weak
}

// group writes n with thousands separators: 1,204,311.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Group writes n with thousands separators (1,204,311), as the SGP's texts do.
func Group(n int64) string { return group(n) }
