package pgstore_test

import (
	"context"
	"log"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/pgstore"
)

// Open creates or upgrades the schema and returns the Store; the Service
// works on it as on any other Store.
func ExampleOpen() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	store, err := pgstore.Open(ctx, pool, pgstore.Options{}) // tables in schema "rbac"
	if err != nil {
		log.Fatal(err)
	}
	svc := rbac.New(store)
	if _, err := svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "production"}); err != nil {
		log.Fatal(err)
	}
}

// InTx makes the library's writes part of a transaction the application
// holds: the new customer row and its owner's membership commit together,
// or not at all.
func ExampleStore_InTx() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	store, err := pgstore.New(pool, pgstore.Options{})
	if err != nil {
		log.Fatal(err)
	}

	tx, err := pool.Begin(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "INSERT INTO customers (id) VALUES ($1)", "acme"); err != nil {
		log.Fatal(err)
	}
	svc := rbac.New(store.InTx(tx))
	if _, err := svc.CreateOrganization(ctx, "production", rbac.OrganizationInput{ID: "acme"}); err != nil {
		log.Fatal(err)
	}
	if _, err := svc.CreateMembership(ctx, "production", rbac.MembershipInput{
		OrganizationID: "acme", UserID: "user_1", Roles: []string{"admin"}}); err != nil {
		log.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		log.Fatal(err)
	}
}

// Follow tells a process what other processes changed, so that it can
// refresh what it caches.
func ExampleStore_Follow() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	store, err := pgstore.New(pool, pgstore.Options{})
	if err != nil {
		log.Fatal(err)
	}

	since := int64(0) // the revision the cache was built at
	err = store.Follow(ctx, "production", since, func(c rbac.Change) {
		if c.Environment {
			log.Printf("revision %d: reload everything", c.Revision)
			return
		}
		log.Printf("revision %d: reload organizations %v", c.Revision, c.Organizations)
	})
	log.Print(err) // ctx done, or the connection failed: follow again from the last revision
}
