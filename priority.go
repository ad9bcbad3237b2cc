package rbac

import (
	"slices"
	"sort"
)

// A priority order ranks roles, highest priority first (rules §7). The
// environment order ranks the environment roles; an organization's own
// order ranks every role visible in it, environment and organization roles
// alike.

// checkPermutation reports whether order holds exactly the slugs of want,
// each once (rules 7.1, 7.2).
func checkPermutation(order []string, want []string) error {
	if len(order) != len(want) {
		return invalidf("priority_order", "a permutation of the visible roles",
			"priority order has %d roles, want all %d visible roles", len(order), len(want))
	}
	seen := make(map[string]bool, len(order))
	for _, s := range order {
		if seen[s] {
			return invalidf("priority_order", "no role twice", "priority order names %q twice", s)
		}
		seen[s] = true
	}
	for _, s := range want {
		if !seen[s] {
			return invalidf("priority_order", "a permutation of the visible roles", "priority order misses role %q", s)
		}
	}
	return nil
}

// rank returns, for each slug of order, its position.
func rank(order []string) map[string]int {
	r := make(map[string]int, len(order))
	for i, s := range order {
		r[s] = i
	}
	return r
}

// sortByPriority sorts roles in place, highest priority first. Roles absent
// from the order (which the invariants exclude) sort last, by slug.
func sortByPriority(roles []string, order []string) {
	if len(roles) < 2 {
		return
	}
	r := rank(order)
	pos := func(s string) int {
		if p, ok := r[s]; ok {
			return p
		}
		return len(order)
	}
	sort.SliceStable(roles, func(i, j int) bool {
		pi, pj := pos(roles[i]), pos(roles[j])
		if pi != pj {
			return pi < pj
		}
		return roles[i] < roles[j]
	})
}

// Resolve returns the candidate highest in order: the winner of rule 7.4.
// It returns "" when candidates is empty or none of them is in order.
func Resolve(order []string, candidates []string) string {
	best, bestPos := "", len(order)
	for _, c := range candidates {
		if p := slices.Index(order, c); p >= 0 && p < bestPos {
			best, bestPos = c, p
		}
	}
	return best
}

func sortedUnique(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// without returns order without slug, as a new slice.
func without(order []string, slug string) []string {
	out := make([]string, 0, len(order))
	for _, s := range order {
		if s != slug {
			out = append(out, s)
		}
	}
	return out
}
