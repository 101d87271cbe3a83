package replica

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Schema is the central database's schema, roles, grants and triggers (schema.sql). It is
// idempotent; `scrdesk audit central-schema` prints it for IT support to apply with psql.
//
//go:embed schema.sql
var Schema string

// ApplySchema applies Schema on conn, which must be the database owner's.
func ApplySchema(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, Schema); err != nil {
		return fmt.Errorf("apply the central schema: %w", err)
	}
	return nil
}
