module github.com/orgroles/rbac/sdktest/go

go 1.25.0

require (
	github.com/orgroles/rbac v0.0.0-00010101000000-000000000000
	github.com/workos/workos-go/v7 v7.1.2
)

require (
	github.com/google/go-querystring v1.2.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/pgx/v5 v5.12.0 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	golang.org/x/sync v0.22.0 // indirect
	golang.org/x/text v0.41.0 // indirect
)

replace github.com/orgroles/rbac => ../..
