package workosapi

import (
	"strconv"
)

// Pagination, WorkOS style: limit (1–100, default 10), a cursor (before or
// after: an object id) and an order by creation (asc, desc — the default —
// or normal: descending, with before fetching older objects and after
// newer ones). Objects are ordered by id; the library's generated ids are
// time-ordered, so id order is creation order.

const (
	defaultLimit = 10
	maxLimit     = 100
)

// Orders, as WorkOS names them.
const (
	orderAsc    = "asc"
	orderDesc   = "desc"
	orderNormal = "normal"
)

// listOptions are the pagination parameters of a list request.
type listOptions struct {
	limit         int
	before, after string
	order         string
}

// listParams reads limit, before, after and order from the query. Each
// is refused (400 invalid_request_parameters, naming it) when it is not
// what WorkOS accepts; before and after together are refused too.
func listParams(q query) (listOptions, error) {
	o := listOptions{limit: defaultLimit, order: orderDesc}
	var errs []fieldError
	if s, err := q.one("limit"); err != nil {
		return o, err
	} else if s != "" {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil:
			errs = append(errs, fieldError{Field: "limit", Code: "an integer"})
		case n < 1 || n > maxLimit:
			errs = append(errs, fieldError{Field: "limit", Code: "between 1 and 100"})
		default:
			o.limit = n
		}
	}
	for _, p := range []struct {
		name string
		dst  *string
	}{{"before", &o.before}, {"after", &o.after}} {
		s, err := q.one(p.name)
		if err != nil {
			return o, err
		}
		if s != "" && !validCursor(s) {
			errs = append(errs, fieldError{Field: p.name, Code: "an object id"})
		}
		*p.dst = s
	}
	if o.before != "" && o.after != "" {
		errs = append(errs, fieldError{Field: "before", Code: "not with after"})
	}
	if s, err := q.one("order"); err != nil {
		return o, err
	} else if s != "" {
		switch s {
		case orderAsc, orderDesc, orderNormal:
			o.order = s
		default:
			errs = append(errs, fieldError{Field: "order", Code: "asc, desc or normal"})
		}
	}
	if len(errs) > 0 {
		return o, invalidQuery(errs...)
	}
	return o, nil
}

// validCursor reports whether s can be an object id: 1–128 bytes without
// spaces or control characters.
func validCursor(s string) bool {
	if len(s) > 128 {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0xfffd {
			return false
		}
	}
	return true
}

// page is one page of a list and the cursors of its neighbours ("" when
// there is none), as list_metadata presents them.
type page[T any] struct {
	data          []T
	before, after string
}
