package rbac

import (
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// TestPaging checks both pagers against a plain model: walking forward
// from the first page through After visits every record once, in order;
// walking back through Before from any page visits the records before it;
// cursors are set exactly when there is a page that way.
func TestPaging(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 40).Draw(t, "records")
		var ids []string
		for i := range n {
			ids = append(ids, fmt.Sprintf("id_%03d", i*2+1)) // odd numbers: cursors between records exist
		}
		limit := rapid.IntRange(1, 7).Draw(t, "limit")
		order := rapid.SampledFrom([]Order{OrderAsc, OrderDesc}).Draw(t, "order")
		want := slices.Clone(ids)
		if order == OrderDesc {
			slices.Reverse(want)
		}
		byStore := func(o ListOptions) (Page[string], error) {
			return pageByID(o, func(s string) string { return s }, func(r Range) ([]string, error) {
				var out []string
				for _, id := range ids {
					if r.Contains(id) {
						out = append(out, id)
					}
				}
				if r.Desc {
					slices.Reverse(out)
				}
				if r.Limit > 0 && len(out) > r.Limit {
					out = out[:r.Limit]
				}
				return out, nil
			})
		}
		inMemory := func(o ListOptions) (Page[string], error) {
			return pageOf(o, ids, func(s string) string { return s })
		}
		for name, list := range map[string]func(ListOptions) (Page[string], error){"by id": byStore, "in memory": inMemory} {
			var pages []Page[string]
			var got []string
			opt := ListOptions{Limit: limit, Order: order}
			for {
				p, err := list(opt)
				if err != nil {
					t.Fatalf("%s: %+v: %v", name, opt, err)
				}
				if len(p.Data) > limit {
					t.Fatalf("%s: page of %d, limit %d", name, len(p.Data), limit)
				}
				if (p.Before != "") != (len(got) > 0) {
					t.Fatalf("%s: page %d has Before %q after %d records", name, len(pages), p.Before, len(got))
				}
				got = append(got, p.Data...)
				pages = append(pages, p)
				if (p.After != "") != (len(got) < len(want)) {
					t.Fatalf("%s: After %q with %d of %d records read", name, p.After, len(got), len(want))
				}
				if p.After == "" {
					break
				}
				opt.After = p.After
			}
			if !slices.Equal(got, want) && len(want) > 0 {
				t.Fatalf("%s: forward walk %v; want %v", name, got, want)
			}
			// Walk back from the last page.
			back := slices.Clone(pages[len(pages)-1].Data)
			cur := pages[len(pages)-1]
			for cur.Before != "" {
				p, err := list(ListOptions{Limit: limit, Order: order, Before: cur.Before})
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Data) == 0 || len(p.Data) > limit {
					t.Fatalf("%s: backward page of %d", name, len(p.Data))
				}
				if p.After != p.Data[len(p.Data)-1] {
					t.Fatalf("%s: backward page's After %q; want its last record", name, p.After)
				}
				back = append(slices.Clone(p.Data), back...)
				cur = p
			}
			if !slices.Equal(back, want) && len(want) > 0 {
				t.Fatalf("%s: backward walk %v; want %v", name, back, want)
			}
		}
		if n > 0 {
			// A cursor that is not a record: by id it is a bound, in
			// memory an error.
			between := "id_000"
			if _, err := byStore(ListOptions{Limit: limit, After: between}); err != nil {
				t.Fatal(err)
			}
			if _, err := inMemory(ListOptions{Limit: limit, After: between}); err == nil {
				t.Fatal("in memory: a cursor that is no record's id was accepted")
			}
		}
	})
}

// TestListOptions checks the options' validation.
func TestListOptions(t *testing.T) {
	for _, c := range []struct {
		o     ListOptions
		field string
	}{
		{ListOptions{Limit: -1}, "limit"},
		{ListOptions{Limit: MaxLimit + 1}, "limit"},
		{ListOptions{Order: "sideways"}, "order"},
		{ListOptions{Before: "a", After: "b"}, "before"},
		{ListOptions{After: "a b"}, "after"},
		{ListOptions{Before: "\x00"}, "before"},
	} {
		_, err := c.o.check()
		e, ok := err.(*Error)
		if !ok || e.Kind != KindInvalid || e.Field != c.field {
			t.Errorf("%+v: %v; want invalid %s", c.o, err, c.field)
		}
	}
	o, err := ListOptions{}.check()
	if err != nil || o.Limit != DefaultLimit || o.Order != OrderAsc {
		t.Errorf("zero options: %+v, %v; want limit %d, ascending", o, err, DefaultLimit)
	}
}
