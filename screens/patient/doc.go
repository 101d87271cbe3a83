// Package patient holds SCR Desk's patient views: finding a patient (Search), the patient banner
// (Banner), consent and permission to view (Consent), the Summary Care Record itself (Record),
// the in-screen failure panel (Message) and the privacy-alert list for the status area (Alerts).
//
// Every screen is a struct built from a struct of callbacks. Render takes a plain view struct
// from internal/present (strings, bools and slices) and Object returns the screen's canvas
// object. Screens start no goroutines, do no I/O and read no clock: callbacks forward what the
// person asked for and the controller (app/) decides what happens and renders the result.
//
// Threading: every method must be called on Fyne's UI goroutine (fyne.Do in production, the
// test driver in tests); callbacks are called on it too and must not block.
//
// Nothing here ever interprets text as markup: record text from the Spine is shown with plain
// labels, so XHTML in a record can neither run nor fetch anything.
package patient
