// Command vcard puts a virtual PIV card (a demo user's, signed by the demo CA) into a vpcd
// reader and keeps it there until it is stopped: the Windows test (scripts/wine-test.sh) runs it
// beside the chroot's pcscd so that `scrdesk.exe card check` under Wine reads a card through
// Wine's winscard. --ca-pem writes the demo CA's certificate (the trust anchor) first.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"scrdesk/cardreader/virtualcard"
	"scrdesk/internal/staff"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:35963", "vpcd reader address")
	caPEM := flag.String("ca-pem", "", "write the demo CA's certificate to this file")
	flag.Parse()
	if *caPEM != "" {
		if err := os.WriteFile(*caPEM, virtualcard.DemoCA().PEM(), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "vcard:", err)
			os.Exit(1)
		}
	}
	u := staff.DemoUsers()[0]
	card, err := virtualcard.New(virtualcard.Options{UserID: u.UserID, Name: u.Name, PIN: u.PIN, CA: virtualcard.DemoCA()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "vcard:", err)
		os.Exit(1)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if err = card.Insert(*addr); err == nil {
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "vcard:", err)
			os.Exit(1)
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Printf("vcard: %s's card is in the reader at %s (passcode %s)\n", u.Name, *addr, u.PIN)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	_ = card.Remove()
}
