package dashboard

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"sync"
	"time"
)

// A key sign-in is kept server-side: the cookie holds a random id of 256
// bits and nothing else, so a session ends for good when it is signed out
// or expires, and a stolen cookie is useless after that.

type session struct {
	env     string
	csrf    string // the token every form of the session carries
	expires time.Time
}

type sessions struct {
	ttl time.Duration
	now func() time.Time

	mu   sync.Mutex
	byID map[string]*session
}

func newSessions(ttl time.Duration) *sessions {
	return &sessions{ttl: ttl, now: time.Now, byID: map[string]*session{}}
}

// start creates a session for env and returns its id.
func (s *sessions) start(env string) string {
	id := randomString()
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	// Drop expired sessions now and then, so the map does not grow
	// without bound.
	if len(s.byID) >= 64 {
		for k, v := range s.byID {
			if now.After(v.expires) {
				delete(s.byID, k)
			}
		}
	}
	s.byID[id] = &session{env: env, csrf: randomString(), expires: now.Add(s.ttl)}
	return id
}

func (s *sessions) get(id string) (*session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.byID[id]
	if !ok {
		return nil, false
	}
	if s.now().After(v.expires) {
		delete(s.byID, id)
		return nil, false
	}
	return v, true
}

func (s *sessions) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, id)
}

// keyEnvironment returns the environment of an API key, comparing the
// key with every configured one in constant time.
func (h *Handler) keyEnvironment(key string) (string, bool) {
	env, found := "", false
	for k, e := range h.opts.APIKeys {
		if subtle.ConstantTimeCompare([]byte(k), []byte(key)) == 1 {
			env, found = e, true
		}
	}
	return env, found && key != ""
}

// signInPage shows the API key form.
func (h *Handler) signInPage(w http.ResponseWriter, r *http.Request) {
	c := &ctx{h: h, w: w, r: r}
	if len(h.opts.APIKeys) == 0 {
		c.fail(http.StatusNotFound, "This Dashboard has no sign-in of its own: sign in to the application that serves it.")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	c.render(http.StatusOK, "signin", "Sign in", signInData{Next: safeNext(h.prefix, r.URL.Query().Get("next"))})
}

type signInData struct {
	Next  string
	Error *formError
}

// signIn checks the key and starts a session.
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	c := &ctx{h: h, w: w, r: r}
	if len(h.opts.APIKeys) == 0 {
		c.fail(http.StatusNotFound, "This Dashboard has no sign-in of its own.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		c.fail(http.StatusBadRequest, "The form could not be read.")
		return
	}
	next := safeNext(h.prefix, r.PostForm.Get("next"))
	env, ok := h.keyEnvironment(strings.TrimSpace(r.PostForm.Get("api_key")))
	if !ok {
		w.Header().Set("Cache-Control", "no-store")
		c.render(http.StatusUnauthorized, "signin", "Sign in", signInData{Next: next,
			Error: &formError{Field: "api_key", Message: "That API key is not one of this server's keys."}})
		return
	}
	if old, err := r.Cookie(sessionCookie); err == nil {
		h.sessions.end(old.Value)
	}
	id := h.sessions.start(env)
	http.SetCookie(w, h.cookie(r, sessionCookie, id, int(h.opts.SessionTTL/time.Second)))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// signOut ends the session.
func (c *ctx) signOut() {
	if ck, err := c.r.Cookie(sessionCookie); err == nil {
		c.h.sessions.end(ck.Value)
	}
	http.SetCookie(c.w, c.h.cookie(c.r, sessionCookie, "", -1))
	if len(c.h.opts.APIKeys) > 0 {
		http.Redirect(c.w, c.r, c.h.prefix+"sign-in", http.StatusSeeOther)
		return
	}
	http.Redirect(c.w, c.r, c.h.prefix, http.StatusSeeOther)
}

// safeNext returns next when it is a path under the prefix (so a sign-in
// link cannot send anyone to another site), else the prefix.
func safeNext(prefix, next string) string {
	if strings.HasPrefix(next, prefix) && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") &&
		!strings.HasPrefix(strings.TrimPrefix(next, prefix), "/") {
		return next
	}
	return prefix
}
