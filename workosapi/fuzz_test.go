package workosapi_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/orgroles/rbac/workosapi"
)

// FuzzRequest sends arbitrary requests: the handler never fails with a
// server error, always answers JSON, and a refused request changes
// nothing.
//
//	go test -fuzz FuzzRequest ./workosapi/
func FuzzRequest(f *testing.F) {
	for _, br := range badRequests(newFixture(f, memory, workosapi.Options{})) {
		if len(br.body) < 4096 {
			f.Add(br.method, br.path, br.body)
		}
	}
	f.Add("POST", "/authorization/roles", `{"slug":"x","name":"X"}`)
	f.Add("PUT", "/user_management/organization_memberships/om_x", `{"role_slugs":["admin"]}`)
	f.Add("GET", "/organizations?limit=3&order=normal&before=org_1", "")
	fx := newFixture(f, memory, workosapi.Options{})
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if len(path) == 0 || path[0] != '/' || len(path) > 8192 || strings.ContainsFunc(path, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
			t.Skip()
		}
		if _, err := url.ParseRequestURI(path); err != nil {
			t.Skip()
		}
		switch method {
		case "GET", "POST", "PUT", "PATCH", "DELETE":
		default:
			t.Skip()
		}
		fx.tb = t
		before := fx.dumps()
		r := fx.do(method, path, body)
		if r.status >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, path, body, r.status, r.body)
		}
		if len(r.body) > 0 && !json.Valid(r.body) {
			t.Fatalf("%s %s: body is not JSON: %q", method, path, r.body)
		}
		if r.status >= 400 {
			if diff := cmp.Diff(before, fx.dumps()); diff != "" {
				t.Fatalf("%s %s %q answered %d and changed the state:\n%s", method, path, body, r.status, diff)
			}
		}
	})
}
