package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one embedded schema step; version N is migrations[N-1].
type migration struct {
	name string
	sql  string
}

var migrations = func() []migration {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	sort.Strings(names)
	out := make([]migration, len(names))
	for i, n := range names {
		b, err := migrationFS.ReadFile(n)
		if err != nil {
			panic(err)
		}
		want := fmt.Sprintf("migrations/%04d_", i+1)
		if len(n) < len(want) || n[:len(want)] != want {
			panic("migration " + n + " is out of sequence")
		}
		out[i] = migration{name: n, sql: string(b)}
	}
	return out
}()

// SchemaVersion is the schema version this build migrates to.
func SchemaVersion() int { return len(migrations) }

// ErrTooNew means the database was written by a newer SCR Desk.
var ErrTooNew = fmt.Errorf("database schema is newer than this program")

func schemaVersion(ctx context.Context, db *sql.DB) (int, error) {
	var v int
	err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v)
	return v, err
}

// migrate applies the embedded migrations up to version target, each in its own transaction
// that also sets PRAGMA user_version, so a crash leaves the schema at a whole version.
func migrate(ctx context.Context, db *sql.DB, target int) error {
	cur, err := schemaVersion(ctx, db)
	if err != nil {
		return fmt.Errorf("read schema version: %w", translate(err))
	}
	if cur > len(migrations) {
		return fmt.Errorf("%w: version %d, this program knows %d", ErrTooNew, cur, len(migrations))
	}
	for v := cur + 1; v <= target; v++ {
		m := migrations[v-1]
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, translate(err))
		}
		// Another process opening the same file (the window and an `scrdesk audit` command) may
		// have applied it while this one waited for the write lock: read the version again
		// under the lock.
		var now int
		if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&now); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, translate(err))
		}
		if now >= v {
			tx.Rollback()
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, translate(err))
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, v)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, translate(err))
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, translate(err))
		}
	}
	return nil
}
