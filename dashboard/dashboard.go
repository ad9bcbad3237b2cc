package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/orgroles/rbac"
)

// Options configure a [Handler].
type Options struct {
	// Prefix is the path the handler is mounted at, beginning and ending
	// with "/": "/dashboard/" for mux.Handle("/dashboard/", h). Every link
	// and cookie is under it. Empty means "/". The handler strips the
	// prefix itself; mounted behind http.StripPrefix it works as well.
	Prefix string

	// Authenticate is the application's own check. It returns the
	// environment the request may manage and true, or false to refuse the
	// request. It must not write to the response.
	Authenticate func(r *http.Request) (environment string, ok bool)

	// LoginURL, when set, is where a refused page request (GET) is sent
	// (303 See Other), with the page asked for in the query parameter
	// "next" (a path under Prefix). Without it a refused request gets 401.
	// It is used for requests that neither Authenticate nor a signed-in
	// API key let in.
	LoginURL string

	// APIKeys enables the Dashboard's own sign-in page: whoever types one
	// of these keys is signed in to its environment (key → environment id)
	// until SessionTTL passes or they sign out. This is how `rbac serve`
	// signs in; an application with its own login uses Authenticate
	// instead.
	APIKeys map[string]string

	// SessionTTL is how long a key sign-in lasts; 0 means 12 hours.
	SessionTTL time.Duration

	// SecureCookies marks the session cookies Secure, so browsers send
	// them over HTTPS only. Cookies are Secure anyway on requests that
	// arrived over TLS; set this when TLS ends at a proxy in front.
	SecureCookies bool

	// Logger receives the failures a page cannot show (store errors);
	// nil means slog.Default().
	Logger *slog.Logger
}

// Handler is the Dashboard: an [http.Handler] serving its pages and
// assets. Create it with [New]; it is safe for concurrent use.
type Handler struct {
	lib      lib
	opts     Options
	prefix   string
	secret   []byte // signs flash messages and CSRF tokens; random per Handler
	sessions *sessions
	log      *slog.Logger
	h        http.Handler
	static   http.Handler
	tmpl     templates
}

// New returns the Dashboard over svc. A request is let in when
// opts.Authenticate passes it or when it carries the session of a sign-in
// with one of opts.APIKeys; with neither option set every request is
// refused.
func New(svc *rbac.Service, opts Options) *Handler {
	prefix := opts.Prefix
	if prefix == "" {
		prefix = "/"
	}
	if !strings.HasPrefix(prefix, "/") {
		prefix = "/" + prefix
	}
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	h := &Handler{lib: lib{svc}, opts: opts, prefix: prefix, secret: make([]byte, 32),
		sessions: newSessions(opts.SessionTTL), log: opts.Logger}
	if h.log == nil {
		h.log = slog.Default()
	}
	if _, err := rand.Read(h.secret); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	staticFS, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err)
	}
	h.static = http.FileServerFS(staticFS)
	h.tmpl = parseTemplates(prefix)
	mux := http.NewServeMux()
	h.routes(mux)
	// Cross-origin protection refuses every state-changing request that a
	// browser marks as coming from another origin (Sec-Fetch-Site, or
	// Origin against Host); the per-session token checked in each form
	// handler covers browsers that send neither header.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(h.forbiddenOrigin))
	h.h = cop.Handler(mux)
	return h
}

// ServeHTTP serves the Dashboard page or asset the request asks for.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	p := r.URL.Path
	if p+"/" == h.prefix {
		http.Redirect(w, r, h.prefix, http.StatusSeeOther)
		return
	}
	if !strings.HasPrefix(p, h.prefix) {
		// Mounted behind http.StripPrefix: the path is already the
		// Dashboard's own.
		h.h.ServeHTTP(w, r)
		return
	}
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.Path = "/" + strings.TrimPrefix(p, h.prefix)
	if r.URL.RawPath != "" {
		u.RawPath = "/" + strings.TrimPrefix(r.URL.RawPath, h.prefix)
	}
	r2.URL = &u
	h.h.ServeHTTP(w, r2)
}

// contentSecurityPolicy allows the Dashboard's own script, style sheet
// and images, nothing inline, no framing, and forms that post to itself.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}

// who is the request's authenticated principal.
type who struct {
	env      string
	token    string   // the CSRF token forms must carry
	session  *session // the key sign-in, nil when Authenticate let it in
	setNonce string   // a new CSRF nonce cookie to set, Authenticate only
}

const (
	sessionCookie = "rbac_dashboard_session"
	nonceCookie   = "rbac_dashboard_csrf"
	flashCookie   = "rbac_dashboard_flash"
	tokenField    = "csrf_token"
)

// authenticate finds who makes the request, or reports false.
func (h *Handler) authenticate(r *http.Request) (who, bool) {
	if h.opts.Authenticate != nil {
		if env, ok := h.opts.Authenticate(r); ok && env != "" {
			w := who{env: env}
			nonce := ""
			if c, err := r.Cookie(nonceCookie); err == nil && len(c.Value) == 43 {
				nonce = c.Value
			} else {
				nonce = randomString()
				w.setNonce = nonce
			}
			w.token = h.sign("csrf", env, nonce)
			return w, true
		}
	}
	if len(h.opts.APIKeys) > 0 {
		if c, err := r.Cookie(sessionCookie); err == nil {
			if s, ok := h.sessions.get(c.Value); ok {
				return who{env: s.env, token: s.csrf, session: s}, true
			}
		}
	}
	return who{}, false
}

// sign returns the base64 HMAC of the parts under the handler's secret.
func (h *Handler) sign(parts ...string) string {
	m := hmac.New(sha256.New, h.secret)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func randomString() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (h *Handler) cookie(r *http.Request, name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: h.prefix, MaxAge: maxAge, HttpOnly: true,
		Secure: h.opts.SecureCookies || r.TLS != nil, SameSite: http.SameSiteStrictMode}
}

// guard wraps a page handler: it refuses requests that are not
// authenticated and state-changing requests without the form's CSRF
// token, and limits the size of form bodies.
func (h *Handler) guard(next func(*ctx)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		me, ok := h.authenticate(r)
		if !ok {
			h.refuse(w, r)
			return
		}
		if me.setNonce != "" {
			http.SetCookie(w, h.cookie(r, nonceCookie, me.setNonce, 0))
		}
		w.Header().Set("Cache-Control", "no-store")
		c := &ctx{h: h, w: w, r: r, who: me}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			if err := r.ParseForm(); err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					c.fail(http.StatusRequestEntityTooLarge, "The form is too large.")
					return
				}
				c.fail(http.StatusBadRequest, "The form could not be read.")
				return
			}
			got := r.PostForm.Get(tokenField)
			if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(me.token)) != 1 {
				c.fail(http.StatusForbidden, "This form has expired or did not come from this page: nothing was changed. Reload the page and try again.")
				return
			}
		}
		c.flash = h.takeFlash(w, r)
		next(c)
	}
}

const maxFormBytes = 64 << 10

// refuse answers a request no one let in: the sign-in page or the
// application's login for page requests, 401 otherwise.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request) {
	next := h.prefix + strings.TrimPrefix(r.URL.Path, "/")
	if r.URL.RawQuery != "" {
		next += "?" + r.URL.RawQuery
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		switch {
		case h.opts.LoginURL != "":
			u, err := url.Parse(h.opts.LoginURL)
			if err == nil {
				q := u.Query()
				q.Set("next", next)
				u.RawQuery = q.Encode()
				http.Redirect(w, r, u.String(), http.StatusSeeOther)
				return
			}
		case len(h.opts.APIKeys) > 0:
			http.Redirect(w, r, h.prefix+"sign-in?"+url.Values{"next": {next}}.Encode(), http.StatusSeeOther)
			return
		}
	}
	c := &ctx{h: h, w: w, r: r}
	c.fail(http.StatusUnauthorized, "You are not signed in to the Dashboard: nothing was changed.")
}

// forbiddenOrigin answers a state-changing request from another origin.
func (h *Handler) forbiddenOrigin(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	c := &ctx{h: h, w: w, r: r}
	c.fail(http.StatusForbidden, "This request came from another site and was refused: nothing was changed.")
}

// flash messages survive one redirect in a signed cookie.

func (h *Handler) setFlash(w http.ResponseWriter, r *http.Request, msg string) {
	v := base64.RawURLEncoding.EncodeToString([]byte(msg))
	http.SetCookie(w, h.cookie(r, flashCookie, v+"."+h.sign("flash", v), 60))
}

func (h *Handler) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	if r.Method == http.MethodGet {
		http.SetCookie(w, h.cookie(r, flashCookie, "", -1))
	} else {
		return ""
	}
	v, sig, ok := strings.Cut(c.Value, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(h.sign("flash", v))) {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return ""
	}
	return string(b)
}
