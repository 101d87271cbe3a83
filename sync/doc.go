// Package sync is SCR Desk's link with the national services: HTTP clients for the identity
// service (RFC 7523 JWT-bearer sign-in, userinfo roles), the Personal Demographics Service
// (PDS FHIR API: read and search Patient) and the Summary Care Record API (DocumentReference,
// Bundle, and privacy alerts via AuditEvent), all FHIR R4 over HTTPS.
//
// Promises:
//   - Every request carries a fresh X-Request-ID (the same one again on a retry of the same
//     request), the client's X-Correlation-ID, Authorization: Bearer, and NHSD-Session-URID
//     for PDS and SCR calls. Trace returns every X-Request-ID sent, for the audit row.
//   - A connect timeout and a whole-call timeout bound every attempt; answers are capped at
//     Config.MaxBody; only reads are retried, only on 429 and 503, honouring Retry-After (capped)
//     with jitter; SCR calls are held to at most 5 a second per Client.
//   - TLS uses the system's roots, plus an optional client certificate (loaded by the caller:
//     its key's password lives in the keyring, see the secrets package); HTTPS_PROXY is honoured.
//   - Failures are *fhir.SpineError values with a kind to branch on and fhir.UserMessage for a
//     person; the log gets the detail under an incident id and never an NHS number (masked),
//     name, date of birth, body, URL query, token or passcode.
//   - The access token lives in memory only, inside the Session; Session.Close wipes it (call it
//     at lock).
//
// Imports: the leaves internal/fhir, internal/nhsnumber and internal/staff; no other adapter.
// Callers that also need the standard library's sync import it as gosync.
//
// Threading: a Client and its Sessions are safe for concurrent use. Every call blocks until it
// has an answer, fails, or ctx is done.
package sync
