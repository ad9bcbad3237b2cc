// Package server assembles the rbac server that the rbac command runs: a
// store (in memory, or PostgreSQL), a Service, an in-memory checker per
// environment, WorkOS's HTTP API (package workosapi), the Dashboard
// (package dashboard) at /dashboard/, /healthz, request logs and a
// graceful shutdown.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/authz"
	"github.com/orgroles/rbac/dashboard"
	"github.com/orgroles/rbac/memstore"
	"github.com/orgroles/rbac/pgstore"
	"github.com/orgroles/rbac/workosapi"
)

// DefaultEnvironment is the environment of API keys given without one.
const DefaultEnvironment = "default"

// DefaultAddr is where the server listens when Config.Addr is empty.
const DefaultAddr = "127.0.0.1:8080"

// Config configures a server.
type Config struct {
	// Addr is the TCP address to listen on; DefaultAddr when empty. With
	// port 0 the system picks a free port, and the line the server prints
	// names it.
	Addr string
	// Keys are the API keys, each "KEY" (bound to DefaultEnvironment) or
	// "KEY=ENVIRONMENT". With none, the server makes a development key
	// and prints it.
	Keys []string
	// PostgresDSN, when set, makes the server keep its state in
	// PostgreSQL (pgstore, its schema created or upgraded at start) and
	// follow the writes of other servers on the same database. Empty: in
	// memory, gone when the server stops.
	PostgresDSN string
	// PostgresSchema is the schema of the tables; pgstore.DefaultSchema
	// when empty.
	PostgresSchema string
	// Logger receives the request logs and what the server reports;
	// slog.Default() when nil.
	Logger *slog.Logger
	// Out receives the lines a person or a program reads: the
	// development key and the address listened on. os.Stdout in the
	// command; discarded when nil.
	Out io.Writer
	// ShutdownTimeout bounds the wait for requests under way at shutdown;
	// 10 s when zero.
	ShutdownTimeout time.Duration
}

// ParseKeys maps keys in Config.Keys form ("KEY" or "KEY=ENVIRONMENT") to
// their environments.
func ParseKeys(args []string) (map[string]string, error) {
	keys := map[string]string{}
	for _, arg := range args {
		key, env, found := strings.Cut(strings.TrimSpace(arg), "=")
		if !found {
			env = DefaultEnvironment
		}
		switch {
		case key == "":
			return nil, fmt.Errorf("server: an API key is empty in %q", arg)
		case strings.ContainsAny(key, " \t\r\n,"):
			return nil, fmt.Errorf("server: API key %q has a space or a comma", key)
		case env == "":
			return nil, fmt.Errorf("server: API key %q names no environment after '='", key)
		}
		if prev, ok := keys[key]; ok && prev != env {
			return nil, fmt.Errorf("server: API key %q is bound to two environments, %q and %q", key, prev, env)
		}
		keys[key] = env
	}
	return keys, nil
}

// Run serves until ctx is done, then shuts down gracefully: it stops
// accepting connections, waits for the requests under way (at most
// ShutdownTimeout) and releases the store. It returns nil after a shutdown
// asked for by ctx, or what made it stop.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	out := cfg.Out
	if out == nil {
		out = io.Discard
	}
	keys, err := ParseKeys(cfg.Keys)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		key, err := devKey()
		if err != nil {
			return err
		}
		keys[key] = DefaultEnvironment
		fmt.Fprintf(out, "rbac: development API key: %s (environment %q)\n", key, DefaultEnvironment)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.close()
	svc := rbac.New(st.store, rbac.WithLogger(log))

	envs := environments(keys)
	checkers := make(map[string]workosapi.Checker, len(envs))
	for _, env := range envs {
		if err := ensureEnvironment(ctx, svc, env, log); err != nil {
			return err
		}
		a, err := newChecker(ctx, svc, env, st.feed, log)
		if err != nil {
			return fmt.Errorf("server: loading the checks of environment %q: %w", env, err)
		}
		defer a.Close()
		checkers[env] = a
	}

	api := workosapi.New(svc, workosapi.Options{Keys: keys, Logger: log,
		Checker: func(env string) workosapi.Checker { return checkers[env] }})
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", health(st))
	mountDashboard(mux, svc, keys, log)
	mux.Handle("/", api)

	addr := cfg.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	srv := &http.Server{
		Handler:           logRequests(log, mux),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(out, "rbac: listening on http://%s\n", ln.Addr())
	fmt.Fprintf(out, "rbac: dashboard at http://%s%s\n", ln.Addr(), dashboardPrefix)
	log.Info("rbac: serving", "addr", ln.Addr().String(), "store", st.name, "environments", envs)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	log.Info("rbac: shutting down")
	timeout := cfg.ShutdownTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer scancel()
	err = srv.Shutdown(sctx)
	if err != nil {
		err = fmt.Errorf("server: shutting down: %w", err)
		srv.Close()
	}
	<-served
	log.Info("rbac: stopped")
	return err
}

// newChecker returns the in-memory checker of an environment, kept up to
// date by the Service's commits and, with a feed, by the writes other
// servers commit to the shared store (authz supervises the feed itself).
func newChecker(ctx context.Context, svc *rbac.Service, env string, feed rbac.Feed, log *slog.Logger) (*authz.Authorizer, error) {
	opts := []authz.Option{authz.WithLogger(log)}
	if feed != nil {
		opts = append(opts, authz.WithFeed(feed))
	}
	return authz.New(ctx, svc, env, opts...)
}

// mountDashboard serves the roles admin UI at /dashboard/, signing in
// with the server's API keys (each bound to its environment).
func mountDashboard(mux *http.ServeMux, svc *rbac.Service, keys map[string]string, log *slog.Logger) {
	mux.Handle(dashboardPrefix, dashboard.New(svc, dashboard.Options{Prefix: dashboardPrefix, APIKeys: keys, Logger: log}))
}

// dashboardPrefix is where the Dashboard is served.
const dashboardPrefix = "/dashboard/"

func environments(keys map[string]string) []string {
	var envs []string
	for _, env := range keys {
		if !slices.Contains(envs, env) {
			envs = append(envs, env)
		}
	}
	slices.Sort(envs)
	return envs
}

// ensureEnvironment creates env if it does not exist yet.
func ensureEnvironment(ctx context.Context, svc *rbac.Service, env string, log *slog.Logger) error {
	_, err := svc.GetEnvironment(ctx, env)
	if !errors.Is(err, rbac.ErrNotFound) {
		if err != nil {
			return fmt.Errorf("server: reading environment %q: %w", env, err)
		}
		return nil
	}
	_, err = svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: env})
	switch {
	case errors.Is(err, rbac.ErrEnvironmentExists): // another server created it meanwhile
		return nil
	case err != nil:
		return fmt.Errorf("server: creating environment %q: %w", env, err)
	}
	log.Info("rbac: created environment", "environment", env)
	return nil
}

func devKey() (string, error) {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "sk_dev_" + hex.EncodeToString(b[:]), nil
}

// ---- the store ----

type store struct {
	name  string
	store rbac.Store
	feed  rbac.Feed
	pool  *pgxpool.Pool
}

func openStore(ctx context.Context, cfg Config, log *slog.Logger) (*store, error) {
	if cfg.PostgresDSN == "" {
		return &store{name: "memory", store: memstore.New()}, nil
	}
	pool, err := pgxpool.New(ctx, cfg.PostgresDSN)
	if err != nil {
		return nil, fmt.Errorf("server: postgres: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("server: postgres: %w", err)
	}
	s, err := pgstore.Open(pctx, pool, pgstore.Options{Schema: cfg.PostgresSchema})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("server: postgres: %w", err)
	}
	log.Info("rbac: postgres schema ready", "schema", s.Schema())
	return &store{name: "postgres", store: s, feed: s, pool: pool}, nil
}

func (s *store) close() {
	if s.pool != nil {
		s.pool.Close()
	}
}

// health answers /healthz: 200 {"status":"ok"} while the store answers.
func health(st *store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if st.pool != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
			defer cancel()
			if err := st.pool.Ping(ctx); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = io.WriteString(w, `{"status":"unavailable","store":"postgres"}`+"\n")
				return
			}
		}
		_, _ = io.WriteString(w, `{"status":"ok","store":"`+st.name+`"}`+"\n")
	})
}

// ---- request logs ----

type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// logRequests logs every request at level Info (5xx at Error): method,
// path, status, response size, duration, request id. It never logs
// headers, so API keys stay out of the logs.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		level := slog.LevelInfo
		if rec.status >= 500 {
			level = slog.LevelError
		}
		if !log.Enabled(r.Context(), level) {
			return
		}
		log.LogAttrs(r.Context(), level, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", rec.status),
			slog.Int64("bytes", rec.bytes), slog.Duration("duration", time.Since(start)),
			slog.String("request_id", w.Header().Get("X-Request-ID")), slog.String("remote", r.RemoteAddr))
	})
}
