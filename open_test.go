package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"scrdesk/app"
	"scrdesk/internal/audit"
	"scrdesk/internal/logging"
	"scrdesk/internal/paths"
	"scrdesk/internal/sandbox/testca"
	"scrdesk/internal/secrets"
	"scrdesk/internal/settings"
	"scrdesk/internal/store"
	"scrdesk/sync"
)

// TestOpenLoadsTheClientCertificateWithItsKeyringPassword: a settings file naming a client
// certificate whose key is encrypted is applied (and kept); openServices refuses to start without the
// key's password and starts once `client-key-password` has put it in the key store.
func TestOpenLoadsTheClientCertificateWithItsKeyringPassword(t *testing.T) {
	dirs := keyFileDirs(t)
	certFile, err := testca.WriteClientPEM(t.TempDir(), "pw-from-keyring")
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "settings.json")
	if err := os.WriteFile(cfg, []byte(`{"pharmacy_name": "High Street Pharmacy", "ods_code": "FA123",
		"workstation_name": "COUNTER-1", "environment": "integration", "card_removal": "lock",
		"idle_lock_minutes": 5, "permitted_activity_codes": ["B0370"], "text_scale": 1,
		"client_cert_file": "`+certFile+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := app.Options{Dirs: dirs, Log: logging.Discard(), ConfigFile: cfg}
	if _, _, err := openServices(context.Background(), opts); !errors.Is(err, sync.ErrClientKeyPassword) {
		t.Fatalf("Open without the key's password: %v", err)
	}
	var out, errb bytes.Buffer
	if code := app.ClientKeyPassword(context.Background(), opts, []string{"--stdin"}, strings.NewReader("pw-from-keyring\n"), &out, &errb); code != 0 {
		t.Fatalf("client-key-password: %d %s", code, errb.String())
	}
	svc, closeAll, err := openServices(context.Background(), app.Options{Dirs: dirs, Log: logging.Discard()}) // settings were kept
	if err != nil {
		t.Fatalf("Open with the password in the key store: %v", err)
	}
	defer closeAll()
	if svc.Settings.ClientCertFile != certFile || svc.Demo {
		t.Errorf("settings not kept: %+v", svc.Settings)
	}
	if _, err := secrets.File(dirs.KeyFile()).Get(app.ClientKeyPasswordKey); err != nil {
		t.Errorf("password not in the key file: %v", err)
	}
}

// TestReplacedLogsSettingsAreNotUsed: the log file is replaced by another log whose settings
// trust another authority and point at a real environment. The window's services must use
// neither (they decide who may sign in, and so who may start the new log): the defaults, or
// the settings file IT support gives with --config, and the demo only as the defaults' own.
func TestReplacedLogsSettingsAreNotUsed(t *testing.T) {
	dirs := keyFileDirs(t)
	ctx := context.Background()
	db, _, _, err := openStore(ctx, dirs, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Record(ctx, audit.Event{Action: audit.ActionAppStart, Outcome: audit.OutcomeSuccess}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Another log, made with another key file, holding the attacker's settings.
	other := filepath.Join(t.TempDir(), "other.db")
	odb, err := store.Open(ctx, other, secrets.File(other+".keys.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	planted := settings.Defaults()
	planted.Environment, planted.TrustAnchorsFile, planted.PharmacyName = settings.EnvIntegration, "/tmp/attacker-ca.pem", "Planted"
	if err := odb.SaveSettings(ctx, planted, audit.Event{UserName: "attacker"}); err != nil {
		t.Fatal(err)
	}
	odb.Close()
	for _, s := range []string{"", "-wal", "-shm"} {
		os.Remove(dirs.Database() + s)
		if b, err := os.ReadFile(other + s); err == nil {
			if err := os.WriteFile(dirs.Database()+s, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	svc, closeAll, err := openServices(ctx, app.Options{Dirs: dirs, Log: logging.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	if svc.Store.Break() == nil {
		t.Fatal("the replaced log was not found replaced")
	}
	if svc.Settings.PharmacyName == "Planted" || svc.Settings.TrustAnchorsFile != "" || !svc.Demo || svc.DemoFolder {
		t.Errorf("the replaced log's settings were used: %+v (demo %v, demo folder %v)", svc.Settings, svc.Demo, svc.DemoFolder)
	}
}

// keyFileDirs is a fresh data folder whose secrets go to the owner-only key file, never the
// developer's keyring.
func keyFileDirs(t *testing.T) paths.Dirs {
	t.Helper()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	dirs, err := paths.Resolve(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := dirs.Ensure(); err != nil {
		t.Fatal(err)
	}
	return dirs
}
