package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// MigrateTo creates schema at the given version, or upgrades it to that
// version.
func MigrateTo(ctx context.Context, pool *pgxpool.Pool, schema string, version int) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return migrateTo(ctx, tx, schema, version) })
}

// SetListBatch sets the rows fetched from a listing's cursor at a time,
// and returns a function that restores it.
func SetListBatch(n int) func() {
	old := listBatch
	listBatch = n
	return func() { listBatch = old }
}

// SetNarrowOrganizations sets the number of organizations holding a role
// up to which its deletion reads only their memberships, and returns a
// function that restores it.
func SetNarrowOrganizations(n int) func() {
	old := narrowOrganizations
	narrowOrganizations = n
	return func() { narrowOrganizations = old }
}
