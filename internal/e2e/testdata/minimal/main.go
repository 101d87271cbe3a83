// Command minimal is the yardstick for SCR Desk's start-up benchmark: the smallest Fyne
// program with one window of the same size and a label, built with the same flags.
package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("org.scrdesk.Minimal")
	w := a.NewWindow("Minimal Fyne")
	w.Resize(fyne.NewSize(1280, 800))
	w.SetContent(container.NewCenter(widget.NewLabel("Insert your smartcard")))
	w.ShowAndRun()
}
