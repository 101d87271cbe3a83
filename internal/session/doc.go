// Package session is SCR Desk's sign-in and lock state machine: the workstation's session follows
// the staff smartcard (docs/domain.md rule 2, "Card out = session over"; docs/card-profile.md "The
// same card, or another").
//
// The machine is pure: it reads no card, opens no window, writes no audit row and reads no clock
// except the one injected into New. The controller (package app) feeds it Events (reader and card
// changes from the PC/SC watcher, answers from the card, the identity service and the user) and
// carries out the Effects that Handle returns, in order:
//
//	event -> Handle -> []Effect (drop patient data, show the lock screen, write an audit row,
//	                             read the card, verify the passcode, load the roles, ...)
//	      -> Snapshot() -> the screens render the View
//
// What it promises:
//
//   - Lock means gone. Every transition out of Ready (card removed, idle timeout, lock by hand,
//     Ctrl+L, reader unplugged, PC/SC service lost, sign out) returns DropPatientData as its FIRST
//     effect, then ShowLock, then the audit row: the record leaves the screen before anything
//     else happens. On resume the user gets ShowWorkspace{Resumed: true} and an empty search.
//   - A locked session resumes only for the same card (CHUID GUID + certificate fingerprint, and
//     the same user id), after the passcode and the challenge again. Another card ends the
//     locked session (audited as a card swap) and starts a new sign-in.
//   - The passcode never passes through the machine: the controller keeps the digits between the
//     passcode screen's callback and the card, and only when the machine asked for them with a
//     VerifyPasscode effect.
//   - Answers to a request (CardRead, PasscodeRight, RolesLoaded, ...) carry the Seq of the
//     effect that asked for them; a stale answer (the card left, another came) is ignored.
//   - Roles and rights: a role may open SCRs only if it carries one of Config.SCRActivities; the
//     SGP's workspace needs one of Config.SGPActivities. No role at all is a plain refusal; one
//     role is chosen automatically; several are offered with the user's last choice first.
//
// Threading: a Machine is not safe for concurrent use. One goroutine (the controller's) owns it
// and calls Handle and Snapshot; the View it returns is a copy the caller may hand to the UI
// goroutine.
package session
