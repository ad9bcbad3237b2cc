// Command rbac runs the rbac server: WorkOS's roles, permissions,
// organizations and organization memberships API, self-hosted, so that
// WorkOS's own SDKs (and curl) manage roles and check permissions against
// it, and the Dashboard, a web UI for the same.
//
//	go run ./cmd/rbac serve
//
// starts it in memory on 127.0.0.1:8080 with a development API key it
// prints. Flags, each also read from an environment variable (a flag wins):
//
//	--addr ADDR           RBAC_ADDR          where to listen (default 127.0.0.1:8080; port 0 picks one)
//	--api-key KEY[=ENV]   RBAC_API_KEYS      an API key, bound to environment ENV ("default" when
//	                                         omitted); repeatable; the variable is comma-separated.
//	                                         Environments that do not exist are created.
//	--postgres DSN        RBAC_POSTGRES_DSN  keep the state in PostgreSQL, and follow other servers on it
//	--postgres-schema S   RBAC_POSTGRES_SCHEMA  the schema of the tables (default "rbac")
//	--log-level LEVEL     RBAC_LOG_LEVEL     debug, info (default: every request), warn or error
//	--log-format FORMAT   RBAC_LOG_FORMAT    text (default) or json
//
// It prints, on standard output, "rbac: development API key: …" when it
// made one, then "rbac: listening on http://HOST:PORT" once it accepts
// connections and "rbac: dashboard at http://HOST:PORT/dashboard/"; logs
// go to standard error. The Dashboard, the roles admin UI, signs in with
// the same API keys. SIGINT or SIGTERM shut it down gracefully. GET
// /healthz answers {"status":"ok","store":…} without a key.
//
// The routes are documented in package workosapi and in docs/http-api.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/orgroles/rbac/internal/server"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

const usage = `Usage:
  rbac serve [flags]   serve WorkOS's roles and permissions API
  rbac help            print this help

Run "rbac serve -h" for the flags.
`

func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdout, stderr, getenv)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "rbac: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// keyList is a repeatable --api-key.
type keyList []string

func (k *keyList) String() string     { return strings.Join(*k, ",") }
func (k *keyList) Set(s string) error { *k = append(*k, s); return nil }

func serve(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("rbac serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	or := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	addr := fs.String("addr", or("RBAC_ADDR", server.DefaultAddr), "`address` to listen on (env RBAC_ADDR); port 0 picks a free one")
	var keys keyList
	fs.Var(&keys, "api-key", "an API `key`, or key=environment; repeatable (env RBAC_API_KEYS, comma-separated)")
	dsn := fs.String("postgres", getenv("RBAC_POSTGRES_DSN"), "PostgreSQL `DSN`: keep the state there (env RBAC_POSTGRES_DSN)")
	schema := fs.String("postgres-schema", getenv("RBAC_POSTGRES_SCHEMA"), "PostgreSQL `schema` of the tables (env RBAC_POSTGRES_SCHEMA; default rbac)")
	level := fs.String("log-level", or("RBAC_LOG_LEVEL", "info"), "`level` of the logs: debug, info, warn or error (env RBAC_LOG_LEVEL)")
	format := fs.String("log-format", or("RBAC_LOG_FORMAT", "text"), "`format` of the logs: text or json (env RBAC_LOG_FORMAT)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "rbac serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if len(keys) == 0 {
		for _, k := range strings.Split(getenv("RBAC_API_KEYS"), ",") {
			if k = strings.TrimSpace(k); k != "" {
				keys = append(keys, k)
			}
		}
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(stderr, "rbac serve: --log-level %q: want debug, info, warn or error\n", *level)
		return 2
	}
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler
	switch *format {
	case "text":
		h = slog.NewTextHandler(stderr, opts)
	case "json":
		h = slog.NewJSONHandler(stderr, opts)
	default:
		fmt.Fprintf(stderr, "rbac serve: --log-format %q: want text or json\n", *format)
		return 2
	}
	log := slog.New(h)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := server.Run(ctx, server.Config{Addr: *addr, Keys: keys, PostgresDSN: *dsn, PostgresSchema: *schema,
		Logger: log, Out: stdout})
	if err != nil {
		log.Error("rbac: " + err.Error())
		return 1
	}
	return 0
}
