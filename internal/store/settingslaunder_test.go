package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"scrdesk/internal/audit"
	"scrdesk/internal/settings"
)

// TestEditedSettingsRowDoesNotLaunderEditedSettings: someone with the database file but not
// the keyring switches rules off in the settings document and rewrites the hash in the newest
// settings-changed row to match. The row no longer verifies, so the settings are refused as
// tampered (before, they were accepted and the rules started with them).
func TestEditedSettingsRowDoesNotLaunderEditedSettings(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	keys := newMemKeys()
	db := openTest(t, path, keys, Options{})
	for i := 0; i < 3; i++ { // a log with rows before the settings (its first row untouched)
		if _, err := db.Record(ctx, testEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	st := settings.Defaults()
	st.PharmacyName = "Test"
	if err := db.SaveSettings(ctx, st, sgpWho); err != nil {
		t.Fatal(err)
	}
	if _, err := db.LoadSettings(ctx); err != nil {
		t.Fatalf("the settings as saved: %v", err)
	}
	bad := st
	bad.Rules.SameSurname.Off = true
	bad.Rules.SelfLookup.Off = true
	doc, err := settings.Marshal(bad)
	if err != nil {
		t.Fatal(err)
	}
	last, _, err := db.Query(ctx, audit.Filter{Action: audit.ActionSettingsChanged}, audit.Cursor{}, 1)
	if err != nil || len(last) != 1 {
		t.Fatalf("the settings row: %v %v", last, err)
	}
	db.Close()
	outside(t, path,
		fmt.Sprintf(`UPDATE settings SET doc = '%s' WHERE id = 1`, strings.ReplaceAll(string(doc), "'", "''")),
		fmt.Sprintf(`UPDATE audit_event SET body = json_set(body, '$.d.doc_sha256', '%s') WHERE seq = %d`, docHash(string(doc)), last[0].Seq))
	db = openTest(t, path, keys, Options{})
	got, err := db.LoadSettings(ctx)
	if !errors.Is(err, ErrSettingsTampered) {
		t.Fatalf("LoadSettings after the document and its row were edited: err %v, same-surname rule off %v; want ErrSettingsTampered", err, got.Rules.SameSurname.Off)
	}
	if got.Rules.SameSurname.Off || got.Rules.SelfLookup.Off {
		t.Error("the edited settings were returned")
	}
}
