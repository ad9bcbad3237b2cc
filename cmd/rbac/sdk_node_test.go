package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/orgroles/rbac/internal/server"
)

// TestNodeSDK builds and starts rbac serve, then runs the suite of
// sdktest/node: WorkOS's Node SDK (@workos-inc/node, pinned in its
// package-lock.json) driving the server. It needs node and the suite's
// node_modules (cd sdktest/node && npm ci).
func TestNodeSDK(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("Node SDK tests skipped: node is not installed")
	}
	root, err := server.ModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "sdktest", "node")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@workos-inc", "node")); err != nil {
		t.Skip("Node SDK tests skipped: run npm ci in sdktest/node to install @workos-inc/node")
	}
	const key = "sk_test_node_sdk_2f9c1e"
	p := start(t, []string{"--addr", "127.0.0.1:0", "--api-key", key}, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "sdk.test.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "RBAC_URL="+p.URL, "RBAC_API_KEY="+key, "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	t.Logf("node --test sdk.test.mjs:\n%s", out)
	if err != nil {
		t.Errorf("the Node SDK suite failed: %v\nserver output:\n%s", err, p.Output())
	}
}
