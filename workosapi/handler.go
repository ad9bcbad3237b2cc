package workosapi

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/orgroles/rbac"
)

// A Checker answers permission checks for one environment: true when user
// has an active membership in org with a role that grants permission.
// [*authz.Authorizer] (package github.com/orgroles/rbac/authz) is one.
type Checker interface {
	Can(org, user, permission string) bool
}

// Options configure a [Handler].
type Options struct {
	// Keys maps each API key to the environment it acts in. A request
	// without one of these keys is refused with 401. Empty keys are
	// ignored.
	Keys map[string]string

	// Checker returns the checker that answers the check route of an
	// environment, typically an in-memory authorizer. When Checker is nil
	// or returns nil, checks are answered from the store
	// ([rbac.Service.Can]).
	Checker func(environment string) Checker

	// MaxBodyBytes bounds request bodies; larger ones are refused with
	// 413. DefaultMaxBodyBytes when zero.
	MaxBodyBytes int64

	// Logger receives the failures the handler answers with a 5xx status,
	// with their cause (which the response does not carry).
	// slog.Default() when nil.
	Logger *slog.Logger
}

// DefaultMaxBodyBytes is the body limit when [Options.MaxBodyBytes] is 0.
const DefaultMaxBodyBytes = 1 << 20

// Handler serves WorkOS's Authorization, Organizations and Organization
// Membership API, and rbac's own routes, over an [rbac.Service]. It is
// safe for concurrent use. See the package documentation for the routes.
type Handler struct {
	lib     *lib
	keys    []apiKey
	checker func(string) Checker
	maxBody int64
	log     *slog.Logger
	root    *node

	reqPrefix string
	reqSeq    atomic.Uint64
}

type apiKey struct {
	hash [sha256.Size]byte
	env  string
}

// New returns a Handler over svc.
func New(svc *rbac.Service, opts Options) *Handler {
	h := &Handler{lib: &lib{svc: svc}, checker: opts.Checker, maxBody: opts.MaxBodyBytes, log: opts.Logger}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	keys := make([]string, 0, len(opts.Keys))
	for k := range opts.Keys {
		if k != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		h.keys = append(h.keys, apiKey{hash: sha256.Sum256([]byte(k)), env: opts.Keys[k]})
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	h.reqPrefix = "req_" + hex.EncodeToString(b[:]) + "_"
	h.root = &node{}
	h.routes()
	return h
}

// environment returns the environment of the request's API key. Every key
// is compared, each in constant time (as SHA-256 digests, so that neither
// the keys' contents nor their lengths show in the time taken).
func (h *Handler) environment(r *http.Request) (string, bool) {
	auth := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return "", false
	}
	sum := sha256.Sum256([]byte(token))
	found := -1
	for i := range h.keys {
		if subtle.ConstantTimeCompare(sum[:], h.keys[i].hash[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return "", false
	}
	return h.keys[found].env, true
}

// call is one request being served.
type call struct {
	h      *Handler
	w      http.ResponseWriter
	r      *http.Request
	env    string
	rt     *route
	params [maxParams]string
}

// path returns the path parameter name of the route.
func (c *call) path(name string) string {
	for i, n := range c.rt.names {
		if n == name {
			return c.params[i]
		}
	}
	panic("workosapi: route " + c.rt.pattern + " has no parameter " + name)
}

// ServeHTTP authenticates the request, routes it and answers it with a
// JSON body.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Request-ID", h.requestID())
	env, ok := h.environment(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="rbac"`)
		h.write(w, http.StatusUnauthorized, errorBody{Code: codeUnauthorized,
			Message: "Could not authorize the request: the API key is missing or not valid."})
		return
	}
	c := &call{h: h, w: w, r: r, env: env}
	segs, err := splitPath(r.URL.EscapedPath())
	if err != nil {
		h.fail(c, err)
		return
	}
	n := h.root.match(segs)
	if n == nil || len(n.routes) == 0 {
		h.write(w, http.StatusNotFound, errorBody{Code: codeNotFound, Message: "No route for " + r.Method + " " + shorten(r.URL.Path) + "."})
		return
	}
	rt := n.routes[r.Method]
	if rt == nil {
		w.Header().Set("Allow", n.allow)
		h.write(w, http.StatusMethodNotAllowed, errorBody{Code: codeMethodNotAllowed,
			Message: "Method " + shorten(r.Method) + " is not allowed on " + shorten(r.URL.Path) + "; allowed: " + n.allow + "."})
		return
	}
	c.rt = rt
	n.params(segs, &c.params)
	if r.ContentLength > h.maxBody {
		h.fail(c, tooLarge(h.maxBody))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, h.maxBody)
	status, body, err := rt.fn(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	if body == nil {
		w.WriteHeader(status)
		return
	}
	h.write(w, status, body)
}

// shorten cuts what a request sent to 200 bytes, for messages that
// repeat it.
func shorten(s string) string {
	if len(s) <= 200 {
		return s
	}
	return strings.ToValidUTF8(s[:200], "") + "…"
}

func (h *Handler) requestID() string {
	var b [48]byte
	s := append(b[:0], h.reqPrefix...)
	return string(strconv.AppendUint(s, h.reqSeq.Add(1), 10))
}

// fail answers with the error's status and body, and logs the failures the
// server is answerable for.
func (h *Handler) fail(c *call, err error) {
	var names fieldNames
	if c.rt != nil {
		names = c.rt.fields
	}
	status, body := errorResponse(err, names)
	if status >= 500 {
		h.log.Error("workosapi: request failed", "method", c.r.Method, "path", c.r.URL.Path,
			"environment", c.env, "status", status, "request_id", c.w.Header().Get("X-Request-ID"), "error", err)
	}
	if status == http.StatusServiceUnavailable {
		c.w.Header().Set("Retry-After", "1")
	}
	h.write(c.w, status, body)
}

func (h *Handler) write(w http.ResponseWriter, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		h.log.Error("workosapi: encoding a response", "error", err)
		status = http.StatusInternalServerError
		b = []byte(`{"code":"internal_error","message":"The server failed to encode its response."}`)
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Content-Length", strconv.Itoa(len(b)+1))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// ---- routing ----

// maxParams bounds the path parameters of a route.
const maxParams = 4

// maxSegment bounds a path segment, once percent-decoded.
const maxSegment = 1024

// A route is one method on one path pattern.
type route struct {
	method  string
	pattern string
	names   []string // the path parameters, in order
	fn      func(*call) (status int, body any, err error)
	fields  fieldNames
}

// node is a node of the routing tree: one path segment.
type node struct {
	lit    map[string]*node
	param  *node
	routes map[string]*route // by method
	allow  string            // the methods of routes, for 405 answers
	slots  []int             // for each path parameter, the index of its segment
}

// handle adds a route. pattern is a path whose segments are literals or
// {parameters}.
func (h *Handler) handle(method, pattern string, fn func(*call) (int, any, error), fields fieldNames) {
	n := h.root
	rt := &route{method: method, pattern: pattern, fn: fn, fields: fields}
	var slots []int
	for i, seg := range strings.Split(strings.TrimPrefix(pattern, "/"), "/") {
		if strings.HasPrefix(seg, "{") {
			rt.names = append(rt.names, strings.Trim(seg, "{}"))
			slots = append(slots, i)
			if n.param == nil {
				n.param = &node{}
			}
			n = n.param
			continue
		}
		if n.lit == nil {
			n.lit = map[string]*node{}
		}
		if n.lit[seg] == nil {
			n.lit[seg] = &node{}
		}
		n = n.lit[seg]
	}
	if len(rt.names) > maxParams {
		panic("workosapi: too many parameters in " + pattern)
	}
	if n.routes == nil {
		n.routes = map[string]*route{}
	}
	if n.routes[method] != nil {
		panic("workosapi: duplicate route " + method + " " + pattern)
	}
	if n.slots != nil && !slices.Equal(n.slots, slots) {
		panic("workosapi: conflicting parameters in " + pattern)
	}
	n.slots = slots
	n.routes[method] = rt
	methods := make([]string, 0, len(n.routes))
	for m := range n.routes {
		methods = append(methods, m)
	}
	slices.Sort(methods)
	n.allow = strings.Join(methods, ", ")
}

// match returns the node of segs, preferring literal segments to
// parameters.
func (n *node) match(segs []string) *node {
	if len(segs) == 0 {
		if len(n.routes) > 0 {
			return n
		}
		return nil
	}
	if m := n.lit[segs[0]]; m != nil {
		if found := m.match(segs[1:]); found != nil {
			return found
		}
	}
	if n.param != nil {
		return n.param.match(segs[1:])
	}
	return nil
}

// params copies the parameter segments of a matched path.
func (n *node) params(segs []string, dst *[maxParams]string) {
	for i, s := range n.slots {
		dst[i] = segs[s]
	}
}

// splitPath splits an escaped request path into its segments,
// percent-decoded. A path whose form is not canonical is refused (400
// bad_request) rather than cleaned or redirected: an empty segment, "."
// or ".." (also percent-encoded), an invalid escape, a control character
// or invalid UTF-8, or a segment longer than maxSegment bytes. An encoded
// slash is part of its segment, never a separator.
func splitPath(escaped string) ([]string, error) {
	if !strings.HasPrefix(escaped, "/") {
		return nil, badRequest("The request path must begin with a slash.")
	}
	if escaped == "/" {
		return nil, nil
	}
	raw := strings.Split(escaped[1:], "/")
	segs := make([]string, len(raw))
	for i, s := range raw {
		if s == "" {
			if i == len(raw)-1 {
				return nil, badRequest("The request path must not end with a slash.")
			}
			return nil, badRequest("The request path has an empty segment.")
		}
		d, err := url.PathUnescape(s)
		if err != nil {
			return nil, badRequest("The request path has an invalid escape.")
		}
		switch {
		case d == "." || d == "..":
			return nil, badRequest("The request path must not have '.' or '..' segments.")
		case len(d) > maxSegment:
			return nil, badRequest("A segment of the request path is longer than %d bytes.", maxSegment)
		case !cleanText(d):
			return nil, badRequest("The request path has a control character or invalid UTF-8.")
		}
		segs[i] = d
	}
	return segs, nil
}
