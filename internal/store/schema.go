package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// schemaObject is one row of sqlite_schema: a table (with its columns and generated-column
// expressions in its CREATE text), an index or a trigger.
type schemaObject struct {
	typ, name, table, sql string
}

// expectedSchema is the schema the embedded migrations make, read once from an in-memory
// database they are applied to.
var expectedSchema = sync.OnceValues(func() (map[string]schemaObject, error) {
	mem, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		return nil, err
	}
	defer mem.Close()
	mem.SetMaxOpenConns(1) // one connection: one in-memory database
	ctx := context.Background()
	if err := migrate(ctx, mem, len(migrations)); err != nil {
		return nil, fmt.Errorf("apply migrations in memory: %w", err)
	}
	return readSchema(ctx, mem)
})

// readSchema reads every schema object but SQLite's own statistics tables (ANALYZE may make
// them; they change no result).
func readSchema(ctx context.Context, q querier) (map[string]schemaObject, error) {
	rows, err := q.QueryContext(ctx, `SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema
		WHERE name NOT LIKE 'sqlite_stat%'`)
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", translate(err))
	}
	defer rows.Close()
	out := map[string]schemaObject{}
	for rows.Next() {
		var o schemaObject
		if err := rows.Scan(&o.typ, &o.name, &o.table, &o.sql); err != nil {
			return nil, fmt.Errorf("read schema: %w", err)
		}
		o.sql = strings.Join(strings.Fields(o.sql), " ")
		out[o.typ+" "+o.name] = o
	}
	return out, rows.Err()
}

// checkSchema compares the database's schema (tables and their columns, generated-column
// expressions, indexes and their expressions and conditions, triggers) with the migrations'.
// It returns one plain sentence per difference; none means the schema is SCR Desk's.
// It reads only sqlite_schema, so it costs the same however many rows the log holds.
func checkSchema(ctx context.Context, q querier) ([]string, error) {
	want, err := expectedSchema()
	if err != nil {
		return nil, err
	}
	got, err := readSchema(ctx, q)
	if err != nil {
		return nil, err
	}
	var diff []string
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			diff = append(diff, fmt.Sprintf("%s %s is missing", w.typ, w.name))
		case g.sql != w.sql || g.table != w.table:
			diff = append(diff, fmt.Sprintf("%s %s has been redefined (now: %s)", w.typ, w.name, clip(g.sql)))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			diff = append(diff, fmt.Sprintf("%s %s is not part of SCR Desk (%s)", g.typ, g.name, clip(g.sql)))
		}
	}
	sort.Strings(diff)
	return diff, nil
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// SchemaDifferences compares the database's schema with the embedded migrations now and
// returns each difference in words (none: the schema is SCR Desk's).
func (db *DB) SchemaDifferences(ctx context.Context) ([]string, error) {
	return checkSchema(ctx, db.sql)
}
