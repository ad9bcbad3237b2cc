package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/dashboard"
)

func TestKeySignIn(t *testing.T) {
	svc := seed(t)
	c := newClient(t, keyHandler(svc))

	r := c.get(prefix + "roles")
	wantStatus(t, r, http.StatusSeeOther, "a page before signing in")
	if loc := r.Header.Get("Location"); loc != prefix+"sign-in?next=%2Fdashboard%2Froles" {
		t.Errorf("redirect to %q, want the sign-in page with next", loc)
	}
	r = c.get(prefix + "sign-in?next=%2Fdashboard%2Froles")
	wantStatus(t, r, http.StatusOK, "the sign-in page")
	wantText(t, r, "the sign-in page", "Sign in with one of this server's API keys")

	r = c.post(prefix+"sign-in", form("api_key", "sk_wrong", "next", prefix+"roles"))
	wantStatus(t, r, http.StatusUnauthorized, "a wrong key")
	wantText(t, r, "a wrong key", "That API key is not one of this server's keys.")
	if len(r.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("a wrong key set cookies: %q", r.Header.Values("Set-Cookie"))
	}

	r = c.post(prefix+"sign-in", form("api_key", testKey, "next", prefix+"organizations"))
	wantStatus(t, r, http.StatusSeeOther, "the right key")
	if loc := r.Header.Get("Location"); loc != prefix+"organizations" {
		t.Errorf("after sign-in, redirect to %q, want %q", loc, prefix+"organizations")
	}
	cookie := r.Header.Get("Set-Cookie")
	for _, want := range []string{"rbac_dashboard_session=", "Path=/dashboard/", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %q", cookie, want)
		}
	}
	r = c.follow(r)
	wantStatus(t, r, http.StatusOK, "a page after signing in")
	wantText(t, r, "a page after signing in", "Environment production", "Acme Inc", "Sign out")

	// Signing out ends the session on the server: the old cookie, sent
	// again, no longer works.
	old := c.http.Jar.Cookies(mustURL(t, c.base+prefix))
	r = c.post(prefix+"sign-out", nil)
	wantStatus(t, r, http.StatusSeeOther, "signing out")
	c.http.Jar.SetCookies(mustURL(t, c.base+prefix), old)
	r = c.get(prefix + "roles")
	wantStatus(t, r, http.StatusSeeOther, "the old session cookie after signing out")
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSignInDoesNotRedirectAway(t *testing.T) {
	svc := seed(t)
	c := newClient(t, keyHandler(svc))
	for _, next := range []string{"https://evil.example/", "//evil.example/", prefix + "/evil.example", "/other/", "/dashboard/\\evil"} {
		r := c.post(prefix+"sign-in", form("api_key", testKey, "next", next))
		wantStatus(t, r, http.StatusSeeOther, "sign-in with next "+next)
		if loc := r.Header.Get("Location"); loc != prefix {
			t.Errorf("sign-in with next %q redirects to %q, want %q", next, loc, prefix)
		}
	}
}

func TestSessionsOfTwoKeysSeeTheirOwnEnvironment(t *testing.T) {
	svc := seed(t)
	if _, err := svc.CreateEnvironment(context.Background(), rbac.EnvironmentInput{ID: "staging"}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(prefix, dashboard.New(svc, dashboard.Options{Prefix: prefix,
		APIKeys: map[string]string{testKey: testEnv, "sk_staging": "staging"}}))
	c := newClient(t, mux)
	r := c.follow(c.post(prefix+"sign-in", form("api_key", "sk_staging")))
	wantStatus(t, r, http.StatusOK, "staging sign-in")
	wantText(t, r, "staging", "Environment staging")
	r = c.get(prefix + "organizations")
	wantNoText(t, r, "staging organizations", "Acme Inc")
	r = c.get(prefix + "org/roles" + q("org", "acme"))
	wantStatus(t, r, http.StatusNotFound, "a production organization from a staging session")
}

// The application's own authentication: a header stands for its session.
func hookHandler(svc *rbac.Service, loginURL string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/admin/roles/", dashboard.New(svc, dashboard.Options{Prefix: "/admin/roles/", LoginURL: loginURL,
		Authenticate: func(r *http.Request) (string, bool) {
			return testEnv, r.Header.Get("X-App-User") == "admin-of-production"
		}}))
	return mux
}

func TestAuthenticateHookRefuses(t *testing.T) {
	svc := seed(t)
	before := revision(t, svc)

	c := newClient(t, hookHandler(svc, "/login"))
	r := c.get("/admin/roles/org/roles?org=acme")
	wantStatus(t, r, http.StatusSeeOther, "a page the hook refuses, with a login URL")
	if loc := r.Header.Get("Location"); loc != "/login?next=%2Fadmin%2Froles%2Forg%2Froles%3Forg%3Dacme" {
		t.Errorf("refused page redirects to %q", loc)
	}
	r = c.post("/admin/roles/roles", form("slug", "forged", "name", "Forged"))
	wantStatus(t, r, http.StatusUnauthorized, "a form the hook refuses")
	wantText(t, r, "a form the hook refuses", "You are not signed in to the Dashboard: nothing was changed.")
	r = c.get("/admin/roles/sign-in")
	wantStatus(t, r, http.StatusNotFound, "the key sign-in without API keys")

	c = newClient(t, hookHandler(svc, ""))
	r = c.get("/admin/roles/roles")
	wantStatus(t, r, http.StatusUnauthorized, "a page the hook refuses, without a login URL")
	if after := revision(t, svc); after != before {
		t.Errorf("refused requests changed the store: revision %d → %d", before, after)
	}
}

func TestAuthenticateHookLetsIn(t *testing.T) {
	svc := seed(t)
	c := newClient(t, hookHandler(svc, "/login"))
	get := func(path string) resp {
		req, _ := http.NewRequest("GET", c.base+path, nil)
		req.Header.Set("X-App-User", "admin-of-production")
		return c.do(req)
	}
	r := get("/admin/roles/roles")
	wantStatus(t, r, http.StatusOK, "a page the hook lets in")
	wantText(t, r, "a page the hook lets in", "Environment production", "Admin")
	wantNoText(t, r, "a page the hook lets in", "Sign out")
	if !strings.Contains(r.Body, `href="/admin/roles/org/roles?org=`) && !strings.Contains(r.Body, `href="/admin/roles/organizations"`) {
		t.Errorf("links are not under the prefix /admin/roles/")
	}
	// The CSRF token is bound to a nonce cookie: the form works with it.
	r = c.post("/admin/roles/roles", form("slug", "auditor", "name", "Auditor"), "X-App-User", "admin-of-production")
	wantStatus(t, r, http.StatusSeeOther, "a form the hook lets in")
	if _, err := svc.GetRole(context.Background(), testEnv, "auditor"); err != nil {
		t.Fatalf("the role was not created: %v", err)
	}
	// Without the application's authentication, the same form with the
	// same token and cookies is refused.
	r = c.post("/admin/roles/roles", form("slug", "auditor2", "name", "Auditor"))
	wantStatus(t, r, http.StatusUnauthorized, "the form without the application's authentication")
}

func TestNoAuthenticationConfiguredRefusesEverything(t *testing.T) {
	svc := seed(t)
	c := newClient(t, dashboard.New(svc, dashboard.Options{}))
	for _, p := range []string{"/", "/roles", "/organizations", "/org/roles?org=acme"} {
		wantStatus(t, c.get(p), http.StatusUnauthorized, p)
	}
	wantStatus(t, c.post("/roles", form("slug", "x", "name", "X")), http.StatusUnauthorized, "a form")
}

func TestCrossSiteRequestsAreRefused(t *testing.T) {
	c, svc := signedIn(t)
	before := revision(t, svc)
	create := func() url.Values { return form("slug", "forged", "name", "Forged") }
	cases := []struct {
		name    string
		form    url.Values
		headers []string
		want    string
	}{
		{"Sec-Fetch-Site cross-site", create(), []string{"Sec-Fetch-Site", "cross-site"}, "came from another site"},
		{"Sec-Fetch-Site same-site", create(), []string{"Sec-Fetch-Site", "same-site"}, "came from another site"},
		{"Origin of another site", create(), []string{"Sec-Fetch-Site", "", "Origin", "https://evil.example"}, "came from another site"},
		{"no token", func() url.Values { f := create(); f["csrf_token"] = nil; return f }(), nil, "did not come from this page"},
		{"empty token", func() url.Values { f := create(); f.Set("csrf_token", ""); return f }(), nil, "did not come from this page"},
		{"wrong token", func() url.Values { f := create(); f.Set("csrf_token", "x"+c.token); return f }(), nil, "did not come from this page"},
		{"no headers and no token", func() url.Values { f := create(); f["csrf_token"] = nil; return f }(), []string{"Sec-Fetch-Site", ""}, "did not come from this page"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.post(prefix+"roles", tc.form, tc.headers...)
			wantStatus(t, r, http.StatusForbidden, tc.name)
			wantText(t, r, tc.name, tc.want, "nothing was changed")
		})
	}
	// Another session's token does not work in this one.
	other := newClient(t, keyHandler(svc))
	other.signIn()
	f := create()
	f.Set("csrf_token", other.token)
	wantStatus(t, c.post(prefix+"roles", f), http.StatusForbidden, "another session's token")
	if after := revision(t, svc); after != before {
		t.Errorf("refused requests changed the store: revision %d → %d", before, after)
	}
	if _, err := svc.GetRole(context.Background(), testEnv, "forged"); err == nil {
		t.Error("the forged role exists")
	}
	// The same form from the page itself works: the refusals above were
	// for what they lacked.
	wantStatus(t, c.post(prefix+"roles", create()), http.StatusSeeOther, "the form from the page")
}

func TestSecurityHeaders(t *testing.T) {
	c, _ := signedIn(t)
	for _, p := range []string{prefix + "roles", prefix + "org/roles?org=nope", prefix + "static/dashboard.css", prefix + "sign-in"} {
		r := c.get(p)
		h := r.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: Content-Security-Policy %q lacks %q", p, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: Content-Security-Policy allows inline code: %q", p, csp)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"} {
			if h.Get(k) != v {
				t.Errorf("%s: %s is %q, want %q", p, k, h.Get(k), v)
			}
		}
	}
	r := c.get(prefix + "roles")
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("a page's Cache-Control is %q, want no-store", cc)
	}
	if strings.Contains(r.Body, "<script>") || strings.Contains(r.Body, " style=") || strings.Contains(r.Body, " onclick=") {
		t.Error("a page has inline script or style, which the policy would block")
	}
}

func TestStoredTextIsEscaped(t *testing.T) {
	c, svc := signedIn(t)
	const evil = `<script>alert(1)</script>`
	ctx := context.Background()
	if _, err := svc.CreateOrganization(ctx, testEnv, rbac.OrganizationInput{ID: "evil-org", Name: evil}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreatePermission(ctx, testEnv, rbac.PermissionInput{Slug: "x:y", Name: evil, Description: evil}); err != nil {
		t.Fatal(err)
	}
	r := c.post(prefix+"roles", form("slug", "xss", "name", evil, "description", `"><img src=x onerror=alert(1)>`))
	wantStatus(t, r, http.StatusSeeOther, "a role named like a script")
	if _, err := svc.CreateMembership(ctx, testEnv, rbac.MembershipInput{OrganizationID: "evil-org", UserID: `"><b>u</b>`}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"roles", "permissions", "organizations", "organizations?q=%3Cscript", "org/roles?org=evil-org",
		"org/members?org=evil-org", "org/groups?org=evil-org", "role?slug=xss", "role/delete?slug=xss", "permission?slug=x:y"} {
		r := c.get(prefix + p)
		wantStatus(t, r, http.StatusOK, p)
		if strings.Contains(r.Body, "<script>alert") || strings.Contains(r.Body, "<img src=x") || strings.Contains(r.Body, "<b>u</b>") {
			t.Errorf("%s: stored text is not escaped", p)
		}
		if p == "roles" || p == "org/roles?org=evil-org" {
			wantText(t, r, p, evil)
		}
	}
	// An error message that quotes the input is escaped too.
	r = c.post(prefix+"roles", form("slug", "<b>bad</b>", "name", "Bad"))
	wantStatus(t, r, http.StatusUnprocessableEntity, "a slug with markup")
	if strings.Contains(r.Body, "<b>bad</b>") {
		t.Error("an error message quoting the input is not escaped")
	}
}

func TestPrefixes(t *testing.T) {
	svc := seed(t)
	// Mounted at the root, without a prefix.
	h := dashboard.New(svc, dashboard.Options{APIKeys: map[string]string{testKey: testEnv}})
	c := newClient(t, h)
	r := c.follow(c.post("/sign-in", form("api_key", testKey)))
	wantStatus(t, r, http.StatusOK, "signed in at the root")
	if !strings.Contains(r.Body, `href="/organizations"`) || !strings.Contains(r.Body, `href="/static/dashboard.css?v=`) {
		t.Error("links at the root are wrong")
	}
	// Mounted under a prefix: /dashboard redirects to /dashboard/.
	c = newClient(t, dashboard.New(svc, dashboard.Options{Prefix: "dashboard", APIKeys: map[string]string{testKey: testEnv}}))
	r = c.get("/dashboard")
	wantStatus(t, r, http.StatusSeeOther, "the prefix without its slash")
	if loc := r.Header.Get("Location"); loc != "/dashboard/" {
		t.Errorf("/dashboard redirects to %q", loc)
	}
	wantStatus(t, c.get("/dashboard/roles"), http.StatusSeeOther, "a page under the prefix, signed out")
	wantStatus(t, c.get("/dashboard/static/dashboard.js"), http.StatusOK, "an asset")
	wantStatus(t, c.get("/dashboard/static/nope.js"), http.StatusNotFound, "a missing asset")
}

// Behind http.StripPrefix, with Prefix naming the outer path, links and
// forms still work.
func TestBehindStripPrefix(t *testing.T) {
	svc := seed(t)
	mux := http.NewServeMux()
	mux.Handle("/dashboard/", http.StripPrefix("/dashboard", dashboard.New(svc,
		dashboard.Options{Prefix: "/dashboard/", APIKeys: map[string]string{testKey: testEnv}})))
	c := newClient(t, mux)
	c.signIn()
	r := c.get(prefix + "org/roles" + q("org", "acme"))
	wantStatus(t, r, http.StatusOK, "a page behind StripPrefix")
	if !strings.Contains(r.Body, `action="/dashboard/org/roles?org=acme"`) {
		t.Error("the form does not post under the prefix")
	}
	wantStatus(t, c.post(prefix+"org/roles"+q("org", "acme"), form("name", "Billing", "slug", "billing")), http.StatusSeeOther, "a form")
	if _, err := svc.GetOrganizationRole(bg, testEnv, "acme", "org-billing"); err != nil {
		t.Fatal(err)
	}
}

func TestFormBodyLimit(t *testing.T) {
	c, svc := signedIn(t)
	before := revision(t, svc)
	r := c.post(prefix+"roles", form("slug", "big", "name", "Big", "description", strings.Repeat("x", 70<<10)))
	wantStatus(t, r, http.StatusRequestEntityTooLarge, "a form over the limit")
	if after := revision(t, svc); after != before {
		t.Errorf("a refused form changed the store")
	}
}
