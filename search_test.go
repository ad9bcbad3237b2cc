package rbac_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/memstore"
)

// TestSearchOrganizations checks that walking the pages of a search, in
// either order, gives exactly the organizations whose id, name or external
// id contains the query (ignoring case), in id order.
func TestSearchOrganizations(t *testing.T) {
	ctx := context.Background()
	s := rbac.New(memstore.New())
	if _, err := s.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "production"}); err != nil {
		t.Fatal(err)
	}
	names := []string{"Acme", "Globex Corp", "ACME Europe", "Initech", "Umbrella corp", "Hooli"}
	var all []rbac.Organization
	for i := range 60 {
		in := rbac.OrganizationInput{ID: fmt.Sprintf("org-%02d", i), Name: names[i%len(names)]}
		if i%7 == 0 {
			in.ExternalID = fmt.Sprintf("CRM-%d", i)
		}
		o, err := s.CreateOrganization(ctx, "production", in)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, o)
	}
	rapid.Check(t, func(t *rapid.T) {
		q := rapid.SampledFrom([]string{"", "acme", "CORP", "crm-", "org-1", "nothing", "e"}).Draw(t, "query")
		order := rapid.SampledFrom([]rbac.Order{rbac.OrderAsc, rbac.OrderDesc}).Draw(t, "order")
		limit := rapid.IntRange(1, 12).Draw(t, "limit")
		var want []string
		for _, o := range all {
			l := strings.ToLower(q)
			if strings.Contains(strings.ToLower(o.ID), l) || strings.Contains(strings.ToLower(o.Name), l) ||
				strings.Contains(strings.ToLower(o.ExternalID), l) {
				want = append(want, o.ID)
			}
		}
		if order == rbac.OrderDesc {
			slices.Reverse(want)
		}
		var got []string
		opt := rbac.ListOptions{Limit: limit, Order: order}
		for {
			p, err := s.SearchOrganizations(ctx, "production", q, opt)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Data) > limit {
				t.Fatalf("a page of %d, limit %d", len(p.Data), limit)
			}
			for _, o := range p.Data {
				got = append(got, o.ID)
			}
			if p.After == "" {
				break
			}
			opt.After = p.After
		}
		if !slices.Equal(got, want) && len(want) > 0 {
			t.Fatalf("search %q (%s, limit %d) = %v, want %v", q, order, limit, got, want)
		}
	})
	if _, err := s.SearchOrganizations(ctx, "production", "a\x00b", rbac.ListOptions{}); err == nil {
		t.Error("a query with a control character was accepted")
	}
}
