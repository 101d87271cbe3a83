package store

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// slowKeys is memKeys whose every call takes a while, as the Secret Service's D-Bus round trip
// does under load: it widens the window in which two openers of one new log can interleave.
type slowKeys struct {
	*memKeys
	d time.Duration
}

func (k slowKeys) Get(key string) (string, error) { time.Sleep(k.d); return k.memKeys.Get(key) }
func (k slowKeys) Set(key, v string) error        { time.Sleep(k.d); return k.memKeys.Set(key, v) }

// TestOpenersOfANewLogAgree opens one new log from four connections pools at once (as the
// window and an `scrdesk audit` command do when both start on an empty data folder), ten times:
// every opener must be able to record, and a later open must find the key the log was written
// with and a whole chain. Before the identity was made under one write transaction, each opener
// made its own instance id and key, the keyring kept the last key written and the file the
// first one's id, and recording was refused as "the key has been replaced" from then on.
func TestOpenersOfANewLogAgree(t *testing.T) {
	ctx := context.Background()
	for round := range 10 {
		path := filepath.Join(t.TempDir(), "audit.db")
		keys := slowKeys{newMemKeys(), 2 * time.Millisecond}
		const openers = 4
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, openers)
		for i := range openers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				db, err := Open(ctx, path, keys, nil)
				if err != nil {
					errs[i] = err
					return
				}
				defer db.Close()
				if err := db.KeyProblem(); err != nil {
					errs[i] = err
					return
				}
				_, errs[i] = db.Record(ctx, testEvent(i))
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: opener %d: %v", round, i, err)
			}
		}
		db := openTest(t, path, keys, Options{})
		if err := db.KeyProblem(); err != nil {
			t.Fatalf("round %d: reopened: %v", round, err)
		}
		rep, err := db.Verify(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK || rep.Rows != openers {
			t.Fatalf("round %d: verify = %+v, want %d entries intact", round, rep, openers)
		}
	}
}
