package authz_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/authz"
	"github.com/orgroles/rbac/pgstore"
)

// followerEnv, when set in a test binary's environment, makes it the
// follower process of BenchmarkReadYourWrites instead of running tests:
// "<dsn> <schema> <environment>".
const followerEnv = "AUTHZ_TEST_FOLLOWER"

func TestMain(m *testing.M) {
	if v := os.Getenv(followerEnv); v != "" {
		os.Exit(runFollower(v))
	}
	os.Exit(m.Run())
}

// runFollower is another process following the writes of the benchmark:
// it reads revisions on its standard input and, for each, writes it back
// once its authorizer reflects it.
func runFollower(arg string) int {
	f := strings.Fields(arg)
	if len(f) != 3 {
		fmt.Fprintln(os.Stderr, "follower: want dsn, schema and environment")
		return 2
	}
	ctx := context.Background()
	pool, err := pgxpoolNew(ctx, f[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "follower:", err)
		return 1
	}
	store, err := pgstore.Open(ctx, pool, pgstore.Options{Schema: f[1]})
	if err != nil {
		fmt.Fprintln(os.Stderr, "follower:", err)
		return 1
	}
	a, err := authz.New(ctx, rbac.New(store), f[2], authz.WithFeed(store))
	if err != nil {
		fmt.Fprintln(os.Stderr, "follower:", err)
		return 1
	}
	defer a.Close()
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, "ready")
	out.Flush()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		rev, err := strconv.ParseInt(in.Text(), 10, 64)
		if err != nil {
			fmt.Fprintln(os.Stderr, "follower:", err)
			return 1
		}
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		err = a.WaitFor(wctx, rev)
		cancel()
		if err != nil {
			fmt.Fprintln(os.Stderr, "follower:", err)
			return 1
		}
		fmt.Fprintln(out, rev)
		out.Flush()
	}
	return 0
}

// BenchmarkReadYourWrites measures, over b.N writes (run it with
// -benchtime 1000x or more), the time from a write's return in this
// process to the moment an authorizer in another process — a child
// process of its own, with its own pool and pgstore's feed — reflects
// the revision the write committed at, as the writer learns it from an
// rbac.Receipt. Each write is a membership change; the next is made once
// the previous is visible. It reports the median, the 99th percentile and
// the slowest delay; the delay includes one pipe round trip between the
// processes (tens of microseconds).
//
//	RBAC_POSTGRES_DSN=... go test -run '^$' -bench ReadYourWrites -benchtime 1000x ./authz/
func BenchmarkReadYourWrites(b *testing.B) {
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		b.Skip("PostgreSQL benchmarks skipped: set " + dsnEnv)
	}
	ctx := context.Background()
	schema := randomSchema()
	store := newPGStoreB(b, dsn, schema)
	svc := rbac.New(store)
	if _, err := svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "production"}); err != nil {
		b.Fatal(err)
	}
	if _, err := svc.CreateOrganization(ctx, "production", rbac.OrganizationInput{ID: "acme"}); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), followerEnv+"="+dsn+" "+schema+" production")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "ready" {
		b.Fatalf("the follower did not start: %q", lines.Text())
	}
	var delays []time.Duration
	for i := 0; b.Loop(); i++ {
		var r rbac.Receipt
		if _, err := svc.CreateMembership(rbac.WithReceipt(ctx, &r), "production",
			rbac.MembershipInput{OrganizationID: "acme", UserID: fmt.Sprintf("user%d", i)}); err != nil {
			b.Fatal(err)
		}
		returned := time.Now()
		fmt.Fprintln(stdin, r.Revision())
		if !lines.Scan() {
			b.Fatal("the follower stopped")
		}
		delays = append(delays, time.Since(returned))
		if lines.Text() != strconv.FormatInt(r.Revision(), 10) {
			b.Fatalf("the follower answered %q for revision %d", lines.Text(), r.Revision())
		}
	}
	b.StopTimer()
	slices.Sort(delays)
	b.ReportMetric(float64(delays[len(delays)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(delays[len(delays)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(delays[len(delays)-1].Microseconds())/1000, "max-ms")
}

// newPGStoreB returns a store on a pool of its own in schema, dropped at
// the end.
func newPGStoreB(b *testing.B, dsn, schema string) *pgstore.Store {
	pool := newPool(b, dsn)
	return newPGStore(b, pool, schema)
}

func pgxpoolNew(ctx context.Context, dsn string) (*pgxpool.Pool, error) { return pgxpool.New(ctx, dsn) }
