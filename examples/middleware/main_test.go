package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestCurlLines plays the curl lines of the package documentation.
func TestCurlLines(t *testing.T) {
	h, err := newServer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	tests := []struct {
		path, org, user string
		want            int
		body            string
	}{
		{"/docs", "", "", http.StatusUnauthorized, ""},
		{"/docs", "acme", "bob", http.StatusOK, `"role":"viewer"`},
		{"/billing", "acme", "bob", http.StatusForbidden, ""},
		{"/billing", "acme", "alice", http.StatusOK, `"permissions":["billing:manage","docs:read"]`},
		{"/docs", "globex", "alice", http.StatusForbidden, ""},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+tt.path, nil)
		if tt.org != "" {
			req.Header.Set("X-Org-ID", tt.org)
			req.Header.Set("X-User-ID", tt.user)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tt.want || !strings.Contains(string(body), tt.body) {
			t.Errorf("GET %s as %s/%s: %d %q, want %d containing %q", tt.path, tt.org, tt.user, resp.StatusCode, body, tt.want, tt.body)
		}
	}
}
