package dashboard_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/orgroles/rbac"
)

// client is a browser stand-in: a cookie jar, no automatic redirects,
// and the CSRF token of the last page it read.
type client struct {
	t     *testing.T
	base  string
	http  *http.Client
	token string
}

func newClient(t *testing.T, h http.Handler) *client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, base: srv.URL, http: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type resp struct {
	Status int
	Body   string
	Header http.Header
}

// text is the body with tags removed and entities decoded, spaces
// collapsed: roughly what a reader sees.
func (r resp) text() string {
	s := blockTagRE.ReplaceAllString(r.Body, " ")
	s = tagRE.ReplaceAllString(s, "")
	return strings.Join(strings.Fields(html.UnescapeString(s)), " ")
}

var (
	blockTagRE = regexp.MustCompile(`(?is)<(?:/?(?:p|div|td|th|tr|li|ul|br|h[1-6]|label|button|option|select|section|form|table|caption|thead|tbody|nav|header|main|fieldset|legend|title|head|a)\b)[^>]*>`)
	tagRE      = regexp.MustCompile(`(?s)<[^>]*>`)
)

var tokenRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (c *client) do(req *http.Request) resp {
	c.t.Helper()
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if m := tokenRE.FindSubmatch(b); m != nil {
		c.token = html.UnescapeString(string(m[1]))
	}
	return resp{Status: res.StatusCode, Body: string(b), Header: res.Header}
}

func (c *client) get(path string) resp {
	c.t.Helper()
	req, err := http.NewRequest("GET", c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

// follow gets path and follows redirects, returning the last page.
func (c *client) follow(r resp) resp {
	c.t.Helper()
	for i := 0; i < 5 && r.Status == http.StatusSeeOther; i++ {
		r = c.get(r.Header.Get("Location"))
	}
	return r
}

// post sends a form with the current CSRF token (unless the form has
// one) and the headers of a same-origin browser request.
func (c *client) post(path string, form url.Values, headers ...string) resp {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf_token"]; !ok {
		form.Set("csrf_token", c.token)
	}
	req, err := http.NewRequest("POST", c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	return c.do(req)
}

// signIn signs in with the test key and loads the roles page, so the
// client holds a CSRF token.
func (c *client) signIn() {
	c.t.Helper()
	r := c.post(prefix+"sign-in", url.Values{"api_key": {testKey}})
	if r.Status != http.StatusSeeOther {
		c.t.Fatalf("sign-in: status %d, want 303: %s", r.Status, r.text())
	}
	if p := c.follow(r); p.Status != http.StatusOK || c.token == "" {
		c.t.Fatalf("after sign-in: status %d, token %q", p.Status, c.token)
	}
}

func signedIn(t *testing.T) (*client, *rbac.Service) {
	t.Helper()
	svc := seed(t)
	c := newClient(t, keyHandler(svc))
	c.signIn()
	return c, svc
}

// revision is the environment's revision: every committed write bumps it.
func revision(t *testing.T, svc *rbac.Service) int64 {
	t.Helper()
	env, err := svc.GetEnvironment(context.Background(), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	return env.Revision
}

func wantStatus(t *testing.T, r resp, status int, what string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d; page says: %.600s", what, r.Status, status, r.text())
	}
}

func wantText(t *testing.T, r resp, what string, texts ...string) {
	t.Helper()
	got := r.text()
	for _, s := range texts {
		if !strings.Contains(got, s) {
			t.Errorf("%s: the page does not say %q; it says: %.1500s", what, s, got)
		}
	}
}

func wantNoText(t *testing.T, r resp, what string, texts ...string) {
	t.Helper()
	got := r.text()
	for _, s := range texts {
		if strings.Contains(got, s) {
			t.Errorf("%s: the page says %q, it should not", what, s)
		}
	}
}

func q(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return "?" + v.Encode()
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}
