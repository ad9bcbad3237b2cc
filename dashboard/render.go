package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/orgroles/rbac"
)

//go:embed templates/*.html static/*
var assets embed.FS

// ctx is one request to a page.
type ctx struct {
	h     *Handler
	w     http.ResponseWriter
	r     *http.Request
	who   who
	flash string
}

func (c *ctx) env() string { return c.who.env }

// view is what every page template gets.
type view struct {
	Title    string
	Prefix   string
	Env      string
	Nav      string // the section of the navigation the page is in
	Token    string // the CSRF token for forms
	KeyLogin bool   // signed in with an API key: show "Sign out"
	SignedIn bool
	Flash    string
	Data     any
}

// fieldView is one text field of a form.
type fieldView struct {
	Name, Label, Value, Hint string
	Err                      *formError
}

// templates holds one template set per page, each with the layout.
type templates map[string]*template.Template

func parseTemplates(prefix string) templates {
	funcs := template.FuncMap{
		// url builds a link under the prefix: url "org/roles" "org" id.
		"url":    func(p string, kv ...string) string { return link(prefix, p, kv...) },
		"static": func(name string) string { return prefix + "static/" + name + "?v=" + assetVersion },
		"has":    func(list []string, s string) bool { return slices.Contains(list, s) },
		"isOrg":  rbac.IsOrganizationRoleSlug,
		"inc":    func(i int) int { return i + 1 },
		"join":   strings.Join,
		"orderOf": func(roles []rbac.Role) string {
			s := make([]string, len(roles))
			for i, r := range roles {
				s[i] = r.Slug
			}
			return strings.Join(s, ",")
		},
		"first": func(n int, list []string) []string {
			if len(list) > n {
				return list[:n]
			}
			return list
		},
		"more": func(n int, list []string) int { return max(0, len(list)-n) },
		"field": func(name, label, value string, e *formError, hint string) fieldView {
			f := fieldView{Name: name, Label: label, Value: value, Hint: hint}
			if e != nil && e.Field == name {
				f.Err = e
			}
			return f
		},
		// invalid marks a form control whose field is at fault.
		"invalid": func(e *formError, fields ...string) template.HTMLAttr {
			if e != nil && slices.Contains(fields, e.Field) {
				return template.HTMLAttr(`aria-invalid="true" aria-describedby="err-` + template.HTMLEscapeString(e.Field) + `"`)
			}
			return ""
		},
		// fieldError is the error of one form field, or nil.
		"fieldError": func(e *formError, field string) *formError {
			if e != nil && e.Field == field {
				return e
			}
			return nil
		},
	}
	base := template.Must(template.New("").Funcs(funcs).ParseFS(assets, "templates/layout.html"))
	pages, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := templates{}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		if name == "layout" {
			continue
		}
		t := template.Must(base.Clone())
		template.Must(t.ParseFS(assets, p))
		out[name] = t
	}
	return out
}

// assetVersion changes the asset links whenever an asset changes, so
// browsers never mix a new page with an old script.
var assetVersion = func() string {
	h := sha256.New()
	_ = fs.WalkDir(assets, "static", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := assets.ReadFile(p)
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}()

// render writes the page name with data.
func (c *ctx) render(status int, name, title string, data any) {
	v := view{Title: title, Prefix: c.h.prefix, Env: c.who.env, Token: c.who.token,
		KeyLogin: c.who.session != nil, SignedIn: c.who.env != "", Flash: c.flash, Data: data}
	v.Nav, _, _ = strings.Cut(name, "-")
	var b bytes.Buffer
	if err := c.h.tmpl[name].ExecuteTemplate(&b, "layout", v); err != nil {
		c.h.log.Error("dashboard: rendering a page failed", "page", name, "err", err)
		http.Error(c.w, "The page could not be rendered.", http.StatusInternalServerError)
		return
	}
	c.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	c.w.WriteHeader(status)
	_, _ = c.w.Write(b.Bytes())
}

// fail shows a page that says what went wrong.
func (c *ctx) fail(status int, msg string) {
	c.render(status, "error", http.StatusText(status), errorData{Status: status, Error: &formError{Message: msg}})
}

type errorData struct {
	Status int
	Error  *formError
}

// failErr shows the error of a library call that a page needed.
func (c *ctx) failErr(err error) {
	fe := c.h.formError(err)
	c.render(rbac.HTTPStatus(err), "error", "Error", errorData{Status: rbac.HTTPStatus(err), Error: fe})
}

// done confirms a change and sends the browser to the page at to.
func (c *ctx) done(msg, to string) {
	if msg != "" {
		c.h.setFlash(c.w, c.r, msg)
	}
	http.Redirect(c.w, c.r, to, http.StatusSeeOther)
}

// link builds a path under the prefix with a query.
func (c *ctx) link(p string, kv ...string) string { return link(c.h.prefix, p, kv...) }

// link builds prefix + p with the query of the key-value pairs kv,
// leaving out empty values.
func link(prefix, p string, kv ...string) string {
	u := prefix + strings.TrimPrefix(p, "/")
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// formError is an error as a page shows it, next to the form or field it
// concerns: the library's own words.
type formError struct {
	Message            string
	Field              string // the form field at fault, if any
	Rule               string
	Code               string
	Organizations      []string
	EnvironmentDefault bool
}

// formError turns a library error into what the page shows. Store
// failures are logged; the page says only that the store failed.
func (h *Handler) formError(err error) *formError {
	var e *rbac.Error
	if !errors.As(err, &e) {
		h.log.Error("dashboard: unexpected error", "err", err)
		return &formError{Message: "Something went wrong; nothing was changed."}
	}
	fe := &formError{Message: e.Message, Field: e.Field, Rule: e.Rule, Code: e.Code,
		Organizations: e.Organizations, EnvironmentDefault: e.EnvironmentDefault}
	switch e.Kind {
	case rbac.KindInternal:
		h.log.Error("dashboard: store failure", "err", err)
		fe.Message = "The store failed; nothing was changed. Try again."
	case rbac.KindOutcomeUnknown:
		fe.Message = "The store could not tell whether the change was saved. Reload the page to see the current state before trying again."
	case rbac.KindCanceled:
		fe.Message = "The request was canceled before it finished; nothing was changed."
	}
	if fe.Message == "" {
		fe.Message = e.Kind.String()
	}
	return fe
}
