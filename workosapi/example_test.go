package workosapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/authz"
	"github.com/orgroles/rbac/memstore"
	"github.com/orgroles/rbac/workosapi"
)

// An application mounts the handler in its own server, with one API key
// per environment and the in-memory authorizer answering checks.
func ExampleNew() {
	ctx := context.Background()
	svc := rbac.New(memstore.New())
	if _, err := svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "production"}); err != nil {
		panic(err)
	}
	az, err := authz.New(ctx, svc, "production")
	if err != nil {
		panic(err)
	}
	api := workosapi.New(svc, workosapi.Options{
		Keys:    map[string]string{"sk_example_key": "production"},
		Checker: func(string) workosapi.Checker { return az },
	})
	srv := httptest.NewServer(api)
	defer srv.Close()

	call := func(method, path, body string) string {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer sk_example_key")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	call("POST", "/authorization/permissions", `{"slug":"videos:create","name":"Create videos"}`)
	call("POST", "/authorization/roles", `{"slug":"editor","name":"Editor"}`)
	call("PUT", "/authorization/roles/editor/permissions", `{"permissions":["videos:create"]}`)
	call("POST", "/organizations", `{"id":"acme","name":"Acme"}`)
	role := call("POST", "/authorization/organizations/acme/roles", `{"slug":"billing","name":"Billing"}`)
	fmt.Println(role[:4] + role[strings.Index(role, `"slug"`):strings.Index(role, `,"name"`)])
	call("POST", "/user_management/organization_memberships", `{"organization_id":"acme","user_id":"alice","role_slug":"editor"}`)

	// The membership's id, from the list of acme's members.
	list := call("GET", "/user_management/organization_memberships?organization_id=acme", "")
	id := list[strings.Index(list, `"om_`)+1:]
	id = id[:strings.Index(id, `"`)]
	fmt.Println(call("POST", "/authorization/organization_memberships/"+id+"/check", `{"permission_slug":"videos:create"}`))
	fmt.Println(call("POST", "/authorization/roles", `{"slug":"editor","name":"Editor"}`))
	// Output:
	// 201 "slug":"org-billing"
	// 200 {"authorized":true}
	// 409 {"code":"role_slug_conflict","message":"an environment role with slug \"editor\" already exists"}
}
