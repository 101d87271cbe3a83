// Package screens holds SCR Desk's sign-in views: the lock screen, passcode entry, role choice,
// the status bar shown while signed in, the demo card panel, and the app theme. (The patient
// search and record views live in screens/patient.)
//
// Screens stay thin: each is a struct of widgets built from a struct of callbacks;
// Render takes a plain view struct (built by the pure functions in internal/present, signin.go,
// from a session.View) and Object returns the canvas object to show. Callbacks forward intent; the
// controller decides. Screens start no goroutines, do no I/O and read no clock.
//
// Threading: every method of every screen must be called on the Fyne UI goroutine (fyne.Do from
// elsewhere). The view builders in internal/present are safe anywhere.
package screens
