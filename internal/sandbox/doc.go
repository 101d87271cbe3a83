// Package sandbox is SCR Desk's built-in sandbox Spine: an http.Handler that answers at the
// real national services' paths, in their real shapes, with no network. Demo mode runs it
// in-process; `scrdesk sandbox --listen 127.0.0.1:PORT` serves it for IT support and tests.
//
// It serves (paths as published by NHS England):
//
//	POST /oauth2/token                                   JWT-bearer grant (RFC 7523), ES256 + x5c
//	GET  /oauth2/userinfo                                the user's roles (nhsid_nrbac_roles)
//	GET  /personal-demographics/FHIR/R4/Patient/{nhs}    PDS read
//	GET  /personal-demographics/FHIR/R4/Patient?...      PDS search (family, given, gender,
//	                                                     birthdate=eqYYYY-MM-DD, address-postalcode,
//	                                                     _fuzzy-match, _exact-match, _max-results)
//	GET  /summary-care-record/FHIR/R4/DocumentReference?patient=https://fhir.nhs.uk/Id/nhs-number|{nhs}
//	GET  /summary-care-record/FHIR/R4/Bundle?composition.identifier={id}&composition.subject:Patient.identifier=...|{nhs}
//	POST /summary-care-record/FHIR/R4/AuditEvent         privacy alert
//
// Like the real service it checks every FHIR request: X-Request-ID present and a UUID,
// Authorization a live bearer token, NHSD-Session-URID present and one of the token's user's
// roles; failures answer with the NHS's own error bodies (embedded from the published fixtures).
// It allows 5 SCR requests a second and answers 429 with Retry-After beyond that.
//
// The token endpoint verifies the assertion's ES256 signature with the x5c certificate, the
// certificate's chain to Options.TrustAnchors (at Options.Now), and that iss and sub equal the
// certificate's subject serialNumber (the 12-digit user id), which must be in Options.Users.
//
// # Patients
//
// The NHS fixtures' patients are served from the embedded payloads (data/, see data/SOURCES.md):
//
//	9000000009  Jane Smith: PDS Patient.json; SCR consent Ask, the published GP Summary
//	9000000017  Jayne Smyth: PDS Patient-Jayne-Smyth.json; no SCR
//	9000000025  Janet Smythe: PDS Sensitive_Patient.json (restricted R); no SCR
//	9000000033  minimal demographics: PDS Minimal_Patient.json; no SCR
//	9995000180  the SCR API's UAT patient: consent Yes, the UAT GP Summary (demographics synthetic)
//
// Synthetic patients, generated in code (test-range numbers with valid check digits):
//
//	number      kind
//	9990000107  SCR consent Ask, a plain GP Summary
//	9990000174  SCR consent Yes (legacy)
//	9990000247  SCR consent No (opted out): DocumentReference says No, /Bundle refuses (403)
//	9990000387  no SCR at all (empty DocumentReference searchset)
//	9990000522  GP Summary with additional information sections
//	9990000662  GP Summary with items deliberately withheld (statements in the sections)
//	9990000735  the older Initial Summary format (sections without codes)
//	9990000808  restricted (R): address, telephone and GP withheld; has an SCR
//	9990000875  very restricted (V): address, telephone, GP and date of birth withheld; has an SCR
//	9990000948  merged: superseded by 9990001014 (PDS answers with 9990001014's record)
//	9990001014  the current record of the merged patient; has an SCR
//	9990001081  deceased patient; has an SCR
//	9990001154  more than 200 medication rows (60 acute, 250 repeat)
//	9990001227  long and non-ASCII names (Welsh, Irish, accented, 60+ characters)
//	9990001294  record whose XHTML holds scripts, event handlers, styles and links
//	9990001367  the Spine's access control refuses: 403, 420 / PSIS-30418 on SCR calls
//	9990001502  stale SCR id: DocumentReference answers, /Bundle returns an empty searchset
//	9990001790  the DocumentReference is about ANOTHER patient (9990000107)
//	9990001804  the Bundle's Composition and Patient are ANOTHER patient (9990000107)
//	9990001812  tables with colspan and rowspan, a short row, a Composition date without
//	            seconds and no "Summary Created"; two reasonable-adjustment flags
//	9990001820  an ended name, address and telephone beside the current ones
//	9990001839  allergies "No known allergies"; one reasonable-adjustment flag
//
// The Reasonable Adjustment Flag API (FHIR STU3, under /reasonable-adjustment-flag/FHIR/STU3:
// GET /Flag, /Consent, /List) answers with NHS England's published examples (their patient
// 5900026175 replaced by the one asked for) for 9990001812, 9990001839 and 9000000009, an empty
// searchset for every other known patient, and the published 404 for an unknown one.
//
// Any other valid number is not found (404 RESOURCE_NOT_FOUND); an invalid one is
// 400 INVALID_RESOURCE_ID. A search for family name "Jones" answers TOO_MANY_MATCHES, as does any
// search matching more than _max-results patients.
//
// # Faults
//
// For tests, faults are set with SetFault(resource, Fault) where resource is the last path
// element's resource ("Patient", "DocumentReference", "Bundle", "AuditEvent", "token",
// "userinfo") or "*"; or per request with the header X-Sandbox-Fault: KIND[;arg] (see
// ParseFault). Kinds: latency, html5xx, ratelimit, malformed, truncated, toobig, drop.
//
// Threading: a Server is safe for concurrent use; SetFault and ExpireTokens may be called while
// it serves.
package sandbox
