package store

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"scrdesk/internal/audit"
)

func TestReplicaCursorAndRowsAfter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	keys := newMemKeys()
	db := openTest(t, path, keys, Options{})
	if db.InstanceID() == "" {
		t.Fatal("no instance id")
	}
	c, err := db.LoadReplicaCursor(ctx)
	if err != nil || c.Seq != 0 {
		t.Fatalf("fresh cursor %+v %v", c, err)
	}
	for i := 0; i < 5; i++ {
		if _, err := db.Record(ctx, audit.Event{Action: audit.ActionLogin, Outcome: audit.OutcomeSuccess, UserID: "555000000001"}); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := db.RowsAfter(ctx, 2, 2)
	if err != nil || len(rows) != 2 || rows[0].Seq != 3 || rows[1].Seq != 4 || len(rows[0].MAC) != audit.MACSize {
		t.Fatalf("RowsAfter(2, 2) = %+v, %v", rows, err)
	}
	if last, _ := db.LastSeq(ctx); last != 5 {
		t.Fatalf("LastSeq %d", last)
	}
	want := ReplicaCursor{Seq: 4, Link: bytes.Repeat([]byte{9}, 32), SignedSeq: 3, SignedMS: 77, UpdatedMS: 88}
	if err := db.SaveReplicaCursor(ctx, want); err != nil {
		t.Fatal(err)
	}
	inst := db.InstanceID()
	db.Close()
	db = openTest(t, path, keys, Options{})
	got, err := db.LoadReplicaCursor(ctx)
	if err != nil || got.Seq != 4 || !bytes.Equal(got.Link, want.Link) || got.SignedSeq != 3 || got.SignedMS != 77 {
		t.Fatalf("cursor after reopen %+v %v", got, err)
	}
	if db.InstanceID() != inst {
		t.Fatal("instance id changed on reopen")
	}
}
