package workosapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// optString is a JSON string field that may be absent, null or a string,
// as WorkOS's nullable descriptions are in partial updates: absent leaves
// the value as it is, null clears it.
type optString struct {
	Set  bool // the field was in the body
	Null bool // it was null
	V    string
}

func (o *optString) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null, o.V = true, ""
		return nil
	}
	if len(b) == 0 || b[0] != '"' {
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[string]()}
	}
	// The decoder has checked the JSON: a string without escapes is its
	// bytes between the quotes.
	if plain(b[1 : len(b)-1]) {
		o.V = string(b[1 : len(b)-1])
		return nil
	}
	return json.Unmarshal(b, &o.V)
}

// plain reports whether the inside of a JSON string has no escape and no
// byte that decoding would change (controls, invalid UTF-8).
func plain(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c < ' ' || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// ptr returns the update a partial update makes: nil when absent, "" when
// null, else the string.
func (o optString) ptr() *string {
	if !o.Set {
		return nil
	}
	v := o.V
	return &v
}

// optMetadata is an organization's metadata in a request: absent (left as
// it is), null (cleared) or an object of strings (which replaces it).
type optMetadata struct {
	Set bool
	V   map[string]string
}

func (o *optMetadata) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.V = nil
		return nil
	}
	if len(b) == 0 || b[0] != '{' {
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[map[string]string]()}
	}
	return json.Unmarshal(b, &o.V)
}

// ptr returns the update it makes: nil when absent, else the whole new
// metadata (empty when null).
func (o optMetadata) ptr() *map[string]string {
	if !o.Set {
		return nil
	}
	m := o.V
	if m == nil {
		m = map[string]string{}
	}
	return &m
}

func jsonKind(b []byte) string {
	switch {
	case len(b) == 0:
		return "nothing"
	case b[0] == '{':
		return "object"
	case b[0] == '[':
		return "array"
	case b[0] == 't' || b[0] == 'f':
		return "bool"
	case b[0] == 'n':
		return "null"
	case b[0] == '"':
		return "string"
	default:
		return "number"
	}
}

// readBody reads the request body, at most the handler's limit, and
// decodes it into dst: a pointer to a struct whose json tags name the
// fields the route accepts. An empty body is an empty object. It refuses
//
//   - a body over the limit (413 request_entity_too_large),
//   - a body that is not one JSON object, or has data after it (400 bad_request),
//   - a field of the wrong type, a field the route does not know, and a
//     string holding a control character (422 invalid_request_parameters,
//     naming the field).
func (c *call) readBody(dst any) error {
	b, err := io.ReadAll(c.r.Body)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return tooLarge(mb.Limit)
		}
		return badRequest("The request body could not be read.")
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		b = []byte("{}")
	}
	if b[0] != '{' {
		return badRequest("The request body must be a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("The request body has data after its JSON object.")
	}
	if errs := controlChars(reflect.ValueOf(dst).Elem(), ""); len(errs) > 0 {
		return invalidBody(errs...)
	}
	return nil
}

func tooLarge(limit int64) *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge, body: errorBody{Code: codeTooLarge,
		Message: "The request body is larger than " + strconv.FormatInt(limit, 10) + " bytes."}}
}

func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return badRequest("The request body is not valid JSON (at byte %d).", syn.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("The request body is not valid JSON (it ends early).")
	case errors.As(err, &typ):
		return invalidBody(fieldError{Field: typ.Field, Code: "must be " + typeWord(typ.Type)})
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if n, err := strconv.Unquote(name); err == nil {
			name = n
		}
		return invalidBody(fieldError{Field: name, Code: "unknown field"})
	}
	return badRequest("The request body is not valid JSON.")
}

func typeWord(t reflect.Type) string {
	if t == nil {
		return "of another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Slice:
		return "an array of " + strings.TrimPrefix(strings.TrimPrefix(typeWord(t.Elem()), "a "), "an ") + "s"
	case reflect.Map:
		return "an object of " + strings.TrimPrefix(typeWord(t.Elem()), "a ") + "s"
	case reflect.Struct:
		return "an object"
	}
	return "of another type"
}

// controlChars lists the string fields of v (a decoded request struct)
// that hold a control character or invalid UTF-8. Identifiers, names and
// descriptions never hold one; refusing them here keeps them out of every
// store (PostgreSQL text cannot hold NUL at all).
func controlChars(v reflect.Value, prefix string) []fieldError {
	var errs []fieldError
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			errs = append(errs, controlChars(v.Field(i), prefix)...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		if prefix != "" {
			name = prefix + "." + name
		}
		if badValue(v.Field(i)) {
			errs = append(errs, fieldError{Field: name, Code: "no control characters"})
		}
	}
	return errs
}

func badValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer:
		return !v.IsNil() && badValue(v.Elem())
	case reflect.String:
		return !cleanText(v.String())
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			if badValue(v.Index(i)) {
				return true
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if badValue(it.Key()) || badValue(it.Value()) {
				return true
			}
		}
	case reflect.Struct:
		switch v.Type() {
		case optStringType:
			return !cleanText(v.FieldByName("V").String())
		case optMetadataType:
			return badValue(v.FieldByName("V"))
		}
	}
	return false
}

var (
	optStringType   = reflect.TypeFor[optString]()
	optMetadataType = reflect.TypeFor[optMetadata]()
)

// cleanText reports whether s is valid UTF-8 without control characters.
func cleanText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// ---- query parameters ----

// query is the parsed query string of a request.
type query struct{ v url.Values }

func (c *call) query() (query, error) {
	v, err := url.ParseQuery(c.r.URL.RawQuery)
	if err != nil {
		return query{}, invalidQuery(fieldError{Field: "query", Code: "a valid query string"})
	}
	for name, vals := range v {
		for _, s := range vals {
			if !cleanText(s) {
				return query{}, invalidQuery(fieldError{Field: name, Code: "no control characters"})
			}
		}
	}
	return query{v}, nil
}

// only refuses query parameters other than names: rbac's own routes take
// few, and a misspelt one (dryrun for dry_run) must not be ignored.
func (q query) only(names ...string) error {
	for name := range q.v {
		found := false
		for _, n := range names {
			found = found || n == name
		}
		if !found {
			return invalidQuery(fieldError{Field: name, Code: "unknown query parameter"})
		}
	}
	return nil
}

// one returns the value of a parameter given at most once.
func (q query) one(name string) (string, error) {
	vals := q.v[name]
	switch len(vals) {
	case 0:
		return "", nil
	case 1:
		return vals[0], nil
	}
	return "", invalidQuery(fieldError{Field: name, Code: "given at most once"})
}

// boolean returns a true/false parameter; absent is false.
func (q query) boolean(name string) (bool, error) {
	s, err := q.one(name)
	if err != nil || s == "" {
		return false, err
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, invalidQuery(fieldError{Field: name, Code: "true or false"})
	}
	return b, nil
}

// list returns every value of a list parameter: repeated (name=a&name=b,
// as the Go SDK sends), with brackets (name[]=a) or comma-separated
// (name=a,b, as the Node SDK sends).
func (q query) list(name string) []string {
	var out []string
	for _, key := range []string{name, name + "[]"} {
		for _, s := range q.v[key] {
			for _, part := range strings.Split(s, ",") {
				if part = strings.TrimSpace(part); part != "" {
					out = append(out, part)
				}
			}
		}
	}
	return out
}
