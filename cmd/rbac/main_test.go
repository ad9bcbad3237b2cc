package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/orgroles/rbac/internal/server"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// rbacBinary builds the command once per test run.
func rbacBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rbac-cmd-test-")
		if err != nil {
			buildErr = err
			return
		}
		root, err := server.ModuleRoot(".")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "rbac")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		buildErr = server.BuildCommand(ctx, root, binary)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary != "" {
		os.RemoveAll(filepath.Dir(binary))
	}
	os.Exit(code)
}

// start runs "rbac serve" with args and env, stopped (and checked to exit
// 0 after SIGTERM) at the end of the test.
func start(t *testing.T, args, env []string) *server.Process {
	t.Helper()
	p, err := server.StartProcess(rbacBinary(t), args, env, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Stop(15 * time.Second); err != nil {
			t.Errorf("rbac serve did not shut down cleanly: %v\n%s", err, p.Output())
		}
		if !strings.Contains(p.Output(), "rbac: stopped") {
			t.Errorf("no graceful shutdown in the output:\n%s", p.Output())
		}
	})
	return p
}

func get(t *testing.T, url, key string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("GET %s: %d %q is not JSON", url, resp.StatusCode, b)
	}
	return resp.StatusCode, m
}

func send(t *testing.T, method, url, key, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

func TestServeDevelopmentKey(t *testing.T) {
	p := start(t, []string{"--addr", "127.0.0.1:0"}, nil)
	if !strings.HasPrefix(p.DevKey, "sk_dev_") {
		t.Fatalf("no development key printed:\n%s", p.Output())
	}
	if status, body := get(t, p.URL+"/healthz", ""); status != 200 || body["status"] != "ok" {
		t.Errorf("healthz: %d %v", status, body)
	}
	if status, body := get(t, p.URL+"/rbac/environment", p.DevKey); status != 200 || body["id"] != "default" {
		t.Errorf("the development key acts in the default environment: %d %v", status, body)
	}
	if status, _ := get(t, p.URL+"/authorization/roles", ""); status != 401 {
		t.Errorf("without a key: %d", status)
	}
	dashboardSignIn(t, p.URL, p.DevKey, "default")
	if !strings.Contains(p.Output(), "msg=request method=GET path=/healthz status=200") {
		t.Errorf("no request log:\n%s", p.Output())
	}
	if strings.Contains(p.Output(), "Bearer") {
		t.Errorf("the logs show an Authorization header:\n%s", p.Output())
	}
}

// dashboardSignIn checks that /dashboard/ serves the Dashboard, whose
// sign-in takes the server's API key and shows the key's environment.
func dashboardSignIn(t *testing.T, base, key, env string) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar}
	resp, err := c.Get(base + "/dashboard/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(page), `name="api_key"`) {
		t.Fatalf("/dashboard/: %d %s\n%.300s", resp.StatusCode, resp.Header.Get("Content-Type"), page)
	}
	resp, err = c.PostForm(base+"/dashboard/sign-in", url.Values{"api_key": {key}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), env) || strings.Contains(string(page), `name="api_key"`) {
		t.Fatalf("signing in to the Dashboard: %d\n%.500s", resp.StatusCode, page)
	}
}

func TestServeKeysAndEnvironments(t *testing.T) {
	// Keys from the flag and from RBAC_API_KEYS (ignored when the flag is
	// given); the address from RBAC_ADDR.
	p := start(t, []string{"--api-key", "sk_prod_1", "--api-key", "sk_stage_1=staging"},
		[]string{"RBAC_ADDR=127.0.0.1:0", "RBAC_API_KEYS=sk_ignored"})
	if p.DevKey != "" {
		t.Errorf("a development key with keys given: %s", p.DevKey)
	}
	for key, env := range map[string]string{"sk_prod_1": "default", "sk_stage_1": "staging"} {
		if status, body := get(t, p.URL+"/rbac/environment", key); status != 200 || body["id"] != env {
			t.Errorf("key %s: %d %v, want environment %s", key, status, body, env)
		}
	}
	if status, _ := get(t, p.URL+"/rbac/environment", "sk_ignored"); status != 401 {
		t.Errorf("RBAC_API_KEYS used with --api-key given: %d", status)
	}
	// Environments are apart: a role of staging is not in default.
	if status, _ := send(t, "POST", p.URL+"/authorization/roles", "sk_stage_1", `{"slug":"qa","name":"QA"}`); status != 201 {
		t.Fatalf("create in staging: %d", status)
	}
	if status, _ := get(t, p.URL+"/authorization/roles/qa", "sk_prod_1"); status != 404 {
		t.Errorf("staging's role seen from default: %d", status)
	}
	dashboardSignIn(t, p.URL, "sk_stage_1", "staging")

	q := start(t, nil, []string{"RBAC_ADDR=127.0.0.1:0", "RBAC_API_KEYS=sk_a, sk_b=other"})
	for key, env := range map[string]string{"sk_a": "default", "sk_b": "other"} {
		if status, body := get(t, q.URL+"/rbac/environment", key); status != 200 || body["id"] != env {
			t.Errorf("RBAC_API_KEYS key %s: %d %v", key, status, body)
		}
	}
}

func TestServeRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--api-key", "=env"},
		{"serve", "--api-key", "a=x", "--api-key", "a=y"},
		{"serve", "--log-level", "loud"},
		{"serve", "extra"},
		{"nonsense"},
	} {
		var out, errs strings.Builder
		getenv := func(string) string { return "" }
		if code := run(args, &out, &errs, getenv); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
	}
	var out strings.Builder
	if code := run([]string{"help"}, &out, io.Discard, os.Getenv); code != 0 || !strings.Contains(out.String(), "rbac serve") {
		t.Errorf("help: %d %q", code, out.String())
	}
}

// TestServePostgres runs two servers on one PostgreSQL schema: what one
// writes, the other's checks see, through the store's change feed.
func TestServePostgres(t *testing.T) {
	dsn := os.Getenv("RBAC_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("PostgreSQL tests skipped: set RBAC_POSTGRES_DSN to a server's DSN to run them")
	}
	var b [5]byte
	_, _ = rand.Read(b[:])
	schema := fmt.Sprintf("rbactest_%d_%s", time.Now().Unix(), hex.EncodeToString(b[:]))
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Error(err)
		}
	})
	env := []string{"RBAC_POSTGRES_DSN=" + dsn, "RBAC_POSTGRES_SCHEMA=" + schema}
	a := start(t, []string{"--addr", "127.0.0.1:0", "--api-key", "sk_pg"}, env)
	bsrv := start(t, []string{"--addr", "127.0.0.1:0", "--api-key", "sk_pg"}, env)
	if status, body := get(t, a.URL+"/healthz", ""); status != 200 || body["store"] != "postgres" {
		t.Errorf("healthz: %d %v", status, body)
	}
	steps := []struct{ method, path, body string }{
		{"POST", "/authorization/permissions", `{"slug":"docs:read","name":"Read docs"}`},
		{"PUT", "/authorization/roles/member/permissions", `{"permissions":["docs:read"]}`},
		{"POST", "/organizations", `{"id":"acme","name":"Acme"}`},
	}
	for _, s := range steps {
		if status, body := send(t, s.method, a.URL+s.path, "sk_pg", s.body); status >= 300 {
			t.Fatalf("%s %s: %d %v", s.method, s.path, status, body)
		}
	}
	status, m := send(t, "POST", a.URL+"/user_management/organization_memberships", "sk_pg", `{"organization_id":"acme","user_id":"u1"}`)
	if status != 201 {
		t.Fatalf("create membership: %d %v", status, m)
	}
	id := m["id"].(string)
	// B answers from its own in-memory checker, fed by the change feed.
	var last map[string]any
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		_, last = send(t, "POST", bsrv.URL+"/authorization/organization_memberships/"+id+"/check", "sk_pg", `{"permission_slug":"docs:read"}`)
		if last["authorized"] == true {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if last["authorized"] != true {
		t.Fatalf("the second server never saw the membership: %v", last)
	}
	send(t, "PUT", a.URL+"/user_management/organization_memberships/"+id+"/deactivate", "sk_pg", "")
	for time.Now().Before(deadline) {
		_, last = send(t, "POST", bsrv.URL+"/authorization/organization_memberships/"+id+"/check", "sk_pg", `{"permission_slug":"docs:read"}`)
		if last["authorized"] == false {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the second server never saw the deactivation: %v", last)
}
