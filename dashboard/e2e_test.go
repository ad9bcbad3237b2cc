package dashboard_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/orgroles/rbac"
)

// TestBrowser serves the Dashboard as `rbac serve` will — the key sign-in
// under /dashboard/, over an in-memory store with the test data — on a
// real listener on 127.0.0.1, and runs the browser tests of e2e/ against
// it with node's test runner: Playwright driving Debian's Chromium. Then
// it checks that the store holds what the pages showed.
//
// It needs node, the packages of e2e/ (npm ci in dashboard/e2e) and
// /usr/bin/chromium, and skips without them. The screenshots of each step
// go to $RBAC_DASHBOARD_SCREENSHOTS, or to a temporary folder.
func TestBrowser(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the browser tests are skipped")
	}
	if _, err := os.Stat(filepath.Join("e2e", "node_modules", "playwright-core")); err != nil {
		t.Skip("dashboard/e2e/node_modules is absent (run npm ci in dashboard/e2e): the browser tests are skipped")
	}
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		t.Skip("/usr/bin/chromium is absent (apt-get install chromium): the browser tests are skipped")
	}
	shots := os.Getenv("RBAC_DASHBOARD_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if shots, err = filepath.Abs(shots); err != nil {
		t.Fatal(err)
	}

	svc := seed(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: keyHandler(svc), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("the server stopped: %v", err)
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "dashboard.test.mjs")
	cmd.Dir = "e2e"
	cmd.Env = append(os.Environ(),
		"RBAC_DASHBOARD_URL=http://"+l.Addr().String()+prefix,
		"RBAC_DASHBOARD_KEY="+testKey,
		"RBAC_DASHBOARD_SCREENSHOTS="+shots)
	out, err := cmd.CombinedOutput()
	t.Logf("node --test:\n%s", out)
	if err != nil {
		t.Fatalf("the browser tests failed: %v", err)
	}
	t.Logf("screenshots in %s", shots)

	// The store holds what the pages showed.
	st := orgOrder(t, svc, "acme")
	if st.Inherited || st.DefaultRole != "member" || !slices.Equal(st.PriorityOrder, []string{"admin", "member", "org-billing-admin", "xss"}) {
		t.Errorf("acme's settings: %+v", st)
	}
	r, err := svc.GetOrganizationRole(bg, testEnv, "acme", "org-billing-admin")
	if err != nil || r.Name != "Billing Admin" || !slices.Equal(r.Permissions, []string{"billing:manage"}) {
		t.Errorf("org-billing-admin: %+v, %v", r, err)
	}
	if _, err := svc.GetRole(bg, testEnv, "auditor"); !errors.Is(err, rbac.ErrNotFound) {
		t.Errorf("auditor was not deleted: %v", err)
	}
	if _, err := svc.GetRole(bg, testEnv, "forged"); !errors.Is(err, rbac.ErrNotFound) {
		t.Errorf("the forged role exists: %v", err)
	}
	if r, err := svc.GetRole(bg, testEnv, "xss"); err != nil || r.Name != "<script>alert(1)</script>" {
		t.Errorf("the role named like a script: %+v, %v", r, err)
	}
	for _, u := range []string{"bob", "erin"} {
		if m := memberOf(t, svc, "acme", u); !slices.Equal(m.Roles, []string{"member"}) {
			t.Errorf("%s's roles: %v, want member", u, m.Roles)
		}
	}
	ms, err := svc.ListGroupMappings(bg, testEnv, "acme", rbac.ListOptions{})
	if err != nil || len(ms.Data) != 1 || ms.Data[0].Role != "org-billing-admin" {
		t.Errorf("acme's group mappings: %+v, %v", ms, err)
	}
}
