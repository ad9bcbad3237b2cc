package rbac

import (
	"fmt"
	"slices"
)

// Paging limits.
const (
	DefaultLimit = 10  // the page size when ListOptions.Limit is 0
	MaxLimit     = 100 // the largest page size
)

// Order is the direction of a listing.
type Order string

// Orders. The zero Order is OrderAsc.
const (
	OrderAsc  Order = "asc"  // oldest first, or highest priority first for roles
	OrderDesc Order = "desc" // newest first, or lowest priority first for roles
)

// ListOptions page through a listing; every List method of the [Service]
// takes them. Cursors are the ids of records: After asks for the records
// that follow the one with that id, Before for those that precede it, in
// the listing's order. Give at most one of them.
//
// Listings of organizations, permissions, memberships and group mappings
// are ordered by id. Ids the library generates are time-ordered, so that
// order is the order of creation; organization ids an application
// supplies sort as strings, byte by byte. Role listings are in priority
// order.
type ListOptions struct {
	Limit  int    `json:"limit,omitempty"`  // page size: 1 to MaxLimit; 0 means DefaultLimit
	Before string `json:"before,omitempty"` // the id of the record the page ends before
	After  string `json:"after,omitempty"`  // the id of the record the page starts after
	Order  Order  `json:"order,omitempty"`  // OrderAsc (the default) or OrderDesc
}

// A Page is one page of a listing.
type Page[T any] struct {
	Data []T `json:"data"`
	// Before is the cursor of the previous page (ListOptions.Before), ""
	// when this page is the first.
	Before string `json:"before"`
	// After is the cursor of the next page (ListOptions.After), "" when
	// this page is the last.
	After string `json:"after"`
}

// check validates the options and returns them with the defaults filled
// in.
func (o ListOptions) check() (ListOptions, error) {
	switch {
	case o.Limit < 0:
		return o, invalidf("limit", fmt.Sprintf("between 1 and %d", MaxLimit), "limit %d is negative", o.Limit)
	case o.Limit > MaxLimit:
		return o, invalidf("limit", fmt.Sprintf("between 1 and %d", MaxLimit), "limit %d is more than %d", o.Limit, MaxLimit)
	case o.Limit == 0:
		o.Limit = DefaultLimit
	}
	switch o.Order {
	case "":
		o.Order = OrderAsc
	case OrderAsc, OrderDesc:
	default:
		return o, invalidf("order", `"asc" or "desc"`, "order %q is neither %q nor %q", o.Order, OrderAsc, OrderDesc)
	}
	if o.Before != "" && o.After != "" {
		return o, invalidf("before", "not with after", "give either before or after, not both")
	}
	for _, c := range []struct{ field, v string }{{"before", o.Before}, {"after", o.After}} {
		if c.v != "" && validateID(c.field, c.v, MaxIDLen) != nil {
			return o, invalidf(c.field, "an id", "%s is not an id", c.field)
		}
	}
	return o, nil
}

// pageByID pages through a listing ordered by id. list returns the records
// of a range, in its order; id returns a record's id. It reads at most
// three ranges: the page, plus one record on each side to tell whether
// there is a page before or after.
func pageByID[T any](o ListOptions, id func(T) string, list func(Range) ([]T, error)) (Page[T], error) {
	desc := o.Order == OrderDesc
	backward := o.Before != ""
	// Read in the direction of travel: forward pages read in the
	// listing's order from After, backward pages in the opposite order
	// from Before.
	r := Range{Limit: o.Limit + 1, Desc: desc != backward}
	if backward {
		setCursor(&r, o.Before, desc)
	} else if o.After != "" {
		setCursor(&r, o.After, !desc)
	}
	items, err := list(r)
	if err != nil {
		return Page[T]{}, err
	}
	more := len(items) > o.Limit
	if more {
		items = items[:o.Limit]
	}
	if backward {
		slices.Reverse(items)
	}
	if items == nil {
		items = []T{}
	}
	p := Page[T]{Data: items}
	if len(items) == 0 {
		return p, nil
	}
	first, last := id(items[0]), id(items[len(items)-1])
	// Whether records precede the first or follow the last, in the
	// listing's order: known from the read when it went that way, else
	// read one record.
	exists := func(cursor string, after bool) (bool, error) {
		r := Range{Limit: 1, Desc: desc != !after}
		setCursor(&r, cursor, after != desc)
		xs, err := list(r)
		return len(xs) > 0, err
	}
	hasBefore, hasAfter := more && backward, more && !backward
	if !backward && o.After != "" {
		if hasBefore, err = exists(first, false); err != nil {
			return Page[T]{}, err
		}
	}
	if backward {
		if hasAfter, err = exists(last, true); err != nil {
			return Page[T]{}, err
		}
	}
	if hasBefore {
		p.Before = first
	}
	if hasAfter {
		p.After = last
	}
	return p, nil
}

// setCursor bounds r to the ids greater than cursor (greater true) or less
// than it.
func setCursor(r *Range, cursor string, greater bool) {
	if greater {
		r.After = cursor
	} else {
		r.Before = cursor
	}
}

// pageOf pages through a listing held whole in memory, in its order
// (roles in priority order). A cursor must be the id of one of the
// records.
func pageOf[T any](o ListOptions, all []T, id func(T) string) (Page[T], error) {
	if o.Order == OrderDesc {
		all = slices.Clone(all)
		slices.Reverse(all)
	}
	var start, end int
	find := func(field, cursor string) (int, error) {
		i := slices.IndexFunc(all, func(x T) bool { return id(x) == cursor })
		if i < 0 {
			return 0, invalidf(field, "the id of a record of the listing", "%s %q is not the id of a record of this listing", field, cursor)
		}
		return i, nil
	}
	switch {
	case o.After != "":
		i, err := find("after", o.After)
		if err != nil {
			return Page[T]{}, err
		}
		start = i + 1
		end = min(start+o.Limit, len(all))
	case o.Before != "":
		i, err := find("before", o.Before)
		if err != nil {
			return Page[T]{}, err
		}
		end = i
		start = max(0, end-o.Limit)
	default:
		end = min(o.Limit, len(all))
	}
	p := Page[T]{Data: append([]T{}, all[start:end]...)}
	if len(p.Data) > 0 {
		if start > 0 {
			p.Before = id(p.Data[0])
		}
		if end < len(all) {
			p.After = id(p.Data[len(p.Data)-1])
		}
	}
	return p, nil
}
