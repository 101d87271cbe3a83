// Package fhir owns SCR Desk's view of the FHIR R4 resources the national services return:
// the wire types for the parts of Patient, Bundle, DocumentReference, Composition and
// OperationOutcome that SCR Desk reads (FHIR R4, https://hl7.org/fhir/R4/), their decoding into
// plain domain types (Patient, SCRDocument, Record), the mapping of OperationOutcome and HTTP
// failures to typed errors (SpineError) with plain-English messages (UserMessage), and the
// conversion of a Composition section's XHTML narrative into native tables and paragraphs.
//
// Promises:
//   - Decoding never guesses: a Patient flagged restricted (R) or very restricted (V) in
//     meta.security comes back with the hidden fields empty and named in Patient.Hidden, even
//     if the payload carried them.
//   - Section XHTML is tokenised, never rendered: only text survives. Script and style contents,
//     attributes, event handlers and link targets are dropped; a link's text is kept as text.
//   - Errors carry no patient data: SpineError.Error() holds only kinds, codes and statuses, so
//     it is safe to log.
//
// Why hand-written types and not a FHIR model library: SCR Desk reads a handful of fields from
// five resources; a generated R4 model (thousands of types) would add weight and a dependency
// without adding checks we need, and the NHS payloads carry UK Core extensions a generic
// model does not type anyway. Unknown fields are ignored, as FHIR's must-ignore rule allows.
//
// The package is a leaf (standard library plus golang.org/x/net/html), holds no state and is
// safe for concurrent use.
package fhir
