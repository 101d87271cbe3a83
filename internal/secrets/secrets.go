// Package secrets keeps SCR Desk's secrets: the audit log's HMAC key and checkpoint, the client
// key password, tokens. They never go to SQLite.
//
// The first choice is the operating system's keyring through github.com/zalando/go-keyring
// (the Secret Service over D-Bus on Linux, the Keychain on macOS, the Credential Manager on
// Windows). Where no keyring can be reached, Open says so plainly and falls back to a key file
// readable by its owner only (mode 0600 in a 0700 directory). The file is weaker protection:
// anyone who can read the user's files, or a backup of them, can read the secrets. Callers must
// show that the fallback is in use (Open's weak result).
//
// Errors are translated here so callers never import go-keyring: ErrNotFound when a secret is
// absent, ErrUnavailable when no keyring can be reached. ErrNotFound also matches
// fs.ErrNotExist, so packages that only read and write secrets can test for absence without
// importing this one.
//
// Threading: every Store is safe for concurrent use. Keyring calls block on D-Bus; never call
// them on the UI goroutine.
package secrets

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/zalando/go-keyring"

	"scrdesk/internal/usermsg"
)

// Store keeps small secrets by name.
type Store interface {
	// Get returns the secret named key, or an error matching ErrNotFound.
	Get(key string) (string, error)
	// Set stores value under key, replacing any earlier value.
	Set(key, value string) error
	// Delete removes key; deleting an absent key is not an error.
	Delete(key string) error
}

type notFound struct{}

func (notFound) Error() string        { return "secret not found" }
func (notFound) Is(target error) bool { return target == fs.ErrNotExist }
func (notFound) UserMessage() string {
	return "A stored secret is missing. If this keeps happening, ask IT support to check the system keyring."
}

var (
	// ErrNotFound means the secret is not stored. errors.Is(ErrNotFound, fs.ErrNotExist) holds.
	ErrNotFound error = notFound{}
	// ErrUnavailable means no keyring could be reached (no Secret Service, locked collection).
	ErrUnavailable = usermsg.New("system keyring unavailable", "The system keyring cannot be reached, so SCR Desk keeps its keys in a file only you can read. This is weaker protection: ask IT support to set up the keyring (Secret Service).")
	// ErrInsecureFile means the key file can be read by other users; it is not used.
	ErrInsecureFile = usermsg.New("key file readable by other users", "SCR Desk's key file can be read by other users, so it will not use it. Ask IT support to make the file readable by your account only (chmod 600).")
)

// UserMessage says in plain English what went wrong and what to do: the sentence the error
// carries (usermsg.Error), or a general one.
func UserMessage(err error) string {
	return usermsg.Of(err, "SCR Desk could not read or store a secret. Ask IT support to check the system keyring and the disk.")
}

// Keyring returns the Store for the OS keyring, with secrets filed under service.
func Keyring(service string) Store { return keyringStore{service: service} }

type keyringStore struct{ service string }

// Weak is false: the OS keyring is the strong store. Every Store from this package has Weak,
// so a caller holding only a Store (or an interface of its own) can tell which it got.
func (keyringStore) Weak() bool { return false }

func translate(op, key string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return fmt.Errorf("keyring %s %q: %w", op, key, ErrNotFound)
	}
	return fmt.Errorf("keyring %s %q: %w: %v", op, key, ErrUnavailable, err)
}

func (k keyringStore) Get(key string) (string, error) {
	if err := busReachable(); err != nil {
		return "", translate("get", key, err)
	}
	v, err := keyring.Get(k.service, key)
	return v, translate("get", key, err)
}

func (k keyringStore) Set(key, value string) error {
	if err := busReachable(); err != nil {
		return translate("set", key, err)
	}
	return translate("set", key, keyring.Set(k.service, key, value))
}

func (k keyringStore) Delete(key string) error {
	if err := busReachable(); err != nil {
		return translate("delete", key, err)
	}
	err := keyring.Delete(k.service, key)
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return translate("delete", key, err)
}

// ProbeTimeout bounds how long Open waits for the keyring to answer its probe.
var ProbeTimeout = 15 * time.Second

// Probe writes, reads back and deletes a random secret in s, within timeout. It returns nil if
// s works, or an error wrapping ErrUnavailable.
func Probe(ctx context.Context, s Store, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		var b [8]byte
		_, _ = rand.Read(b[:])
		name, want := "probe-"+hex.EncodeToString(b[:]), hex.EncodeToString(b[:])
		if err := s.Set(name, want); err != nil {
			done <- err
			return
		}
		got, err := s.Get(name)
		_ = s.Delete(name)
		if err == nil && got != want {
			err = fmt.Errorf("probe read back a different value: %w", ErrUnavailable)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, ErrUnavailable) {
			err = fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		return err
	case <-ctx.Done():
		return fmt.Errorf("keyring did not answer within %v: %w", timeout, ErrUnavailable)
	}
}

// KeyFileEnv, when set, moves the fallback key file to the path it names (for example to a
// folder IT support protects separately from the audit log's).
const KeyFileEnv = "SCRDESK_KEY_FILE"

// Open returns the OS keyring for service if it answers a probe, or else the owner-only key file
// at fallbackPath (or $SCRDESK_KEY_FILE) with weak set to true (and a warning logged). err is
// non-nil only when neither can be used.
func Open(service, fallbackPath string, log *slog.Logger) (s Store, weak bool, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if p := os.Getenv(KeyFileEnv); p != "" {
		fallbackPath = p
	}
	kr := Keyring(service)
	perr := Probe(context.Background(), kr, ProbeTimeout)
	if perr == nil {
		return kr, false, nil
	}
	log.Warn("system keyring unavailable; using the owner-only key file, which is weaker",
		"err", perr, "file", fallbackPath)
	f := File(fallbackPath)
	if _, err := f.Get("probe-open"); err != nil && !errors.Is(err, ErrNotFound) {
		return nil, true, fmt.Errorf("keyring unavailable (%v) and key file unusable: %w", perr, err)
	}
	return f, true, nil
}
