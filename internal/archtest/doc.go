// Package archtest holds one test: that every package of SCR Desk imports only what
// ARCHITECTURE.md allows it to ("Which package may import which"). It asks `go list`.
package archtest
