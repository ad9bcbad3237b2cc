package authz_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/authz"
	"github.com/orgroles/rbac/memstore"
	"github.com/orgroles/rbac/pgstore"
)

// TestBulkReassignment deletes an organization role and then an
// environment role, each held by more than rbac.MaxListedMemberships
// memberships, which the Service reports with one summary event: the
// authorizer of the writing Service, which applies it from its snapshot
// (or, when told not to, by reading the holders again), and a follower,
// which sees a bulk change in the feed, must agree with the store on
// every membership when the deletion returns (the follower once it has
// caught up).
func TestBulkReassignment(t *testing.T) {
	defer authz.SetCheckRecords(true)()
	for _, fromSnapshot := range []bool{true, false} {
		name := map[bool]string{true: "apply=snapshot", false: "apply=reads"}[fromSnapshot]
		t.Run("store=memstore/"+name, func(t *testing.T) {
			defer authz.SetBulkFromSnapshot(fromSnapshot)()
			bulkReassignment(t, newWorld(t, memstore.New(), "production", newLogFeed()))
		})
		t.Run("store=postgres/"+name, func(t *testing.T) {
			dsn := pgDSN(t)
			if testing.Short() && !fromSnapshot {
				t.Skip("the reads on PostgreSQL are the long variant: skipped with -short")
			}
			defer authz.SetBulkFromSnapshot(fromSnapshot)()
			schema := randomSchema()
			store := newPGStore(t, newPool(t, dsn), schema)
			other, err := pgstore.Open(context.Background(), newPool(t, dsn), pgstore.Options{Schema: schema})
			if err != nil {
				t.Fatal(err)
			}
			bulkReassignment(t, newWorld(t, store, "production", other))
		})
	}
}

func bulkReassignment(t *testing.T, w *world) {
	ctx, env, svc := w.ctx, w.env, w.svc
	var mu sync.Mutex
	var summaries []rbac.Event
	svc.OnCommit(func(c rbac.Commit) {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range c.Events {
			if e.Type == rbac.EventMembershipsReassigned {
				summaries = append(summaries, e)
			}
		}
	})
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	perms := []string{"docs:read", "docs:write", "billing:view", "audit:view", "ops:run"}
	for _, p := range perms {
		must(svc.CreatePermission(ctx, env, rbac.PermissionInput{Slug: p, Name: p}))
	}
	must(svc.UpdateRole(ctx, env, "member", rbac.RoleUpdate{Permissions: &[]string{"docs:read"}}))
	for _, r := range []rbac.RoleInput{
		{Slug: "admin", Name: "Admin", Permissions: []string{"docs:read", "docs:write"}},
		{Slug: "viewer", Name: "Viewer", Permissions: []string{"billing:view"}},
		{Slug: "auditor", Name: "Auditor", Permissions: []string{"audit:view"}},
	} {
		must(svc.CreateRole(ctx, env, r))
	}
	must(svc.SetMultipleRoles(ctx, env, true))
	for _, org := range []string{"acme", "globex", "initech"} {
		must(svc.CreateOrganization(ctx, env, rbac.OrganizationInput{ID: org}))
	}
	// acme: its own default viewer and the organization role org-team,
	// held by 1,050 members (some with admin or auditor besides, some
	// inactive); initech: its own order and org-ops; globex inherits.
	must(svc.SetOrganizationDefaultRole(ctx, env, "acme", "viewer"))
	must(svc.CreateOrganizationRole(ctx, env, "acme", rbac.RoleInput{Slug: "team", Name: "Team", Permissions: []string{"docs:write", "ops:run"}}))
	must(svc.CreateOrganizationRole(ctx, env, "initech", rbac.RoleInput{Slug: "ops", Name: "Ops", Permissions: []string{"ops:run"}}))
	must(svc.SetOrganizationPriorityOrder(ctx, env, "initech", []string{"org-ops", "viewer", "auditor", "admin", "member"}))
	const big = rbac.MaxListedMemberships + 50
	for j := range big {
		roles := []string{"org-team"}
		switch {
		case j%10 == 0:
			roles = append(roles, "admin")
		case j%7 == 0:
			roles = append(roles, "auditor")
		}
		m, err := svc.CreateMembership(ctx, env, rbac.MembershipInput{OrganizationID: "acme", UserID: fmt.Sprintf("u%04d", j), Roles: roles})
		if err != nil {
			t.Fatal(err)
		}
		if j%100 == 1 {
			must(svc.DeactivateMembership(ctx, env, m.ID))
		}
	}
	for j := range 30 {
		roles := []string{"viewer"}
		if j%3 == 0 {
			roles = append(roles, "org-ops")
		}
		must(svc.CreateMembership(ctx, env, rbac.MembershipInput{OrganizationID: "initech", UserID: fmt.Sprintf("i%02d", j), Roles: roles}))
		must(svc.CreateMembership(ctx, env, rbac.MembershipInput{OrganizationID: "globex", UserID: fmt.Sprintf("g%02d", j), Roles: []string{"viewer"}}))
	}
	compare := func(what string) {
		t.Helper()
		if d := agreeOnAll(w, w.auth, perms); len(d) > 0 {
			t.Fatalf("%s: the authorizer disagrees with the store on %d answers; the first: %s", what, len(d), d[0])
		}
		w.catchUp(t)
		if d := agreeOnAll(w, w.follower, perms); len(d) > 0 {
			t.Fatalf("%s: the follower disagrees with the store on %d answers; the first: %s", what, len(d), d[0])
		}
	}
	compare("before the deletions")

	plan, err := svc.DeleteOrganizationRole(ctx, env, "acme", "org-team", rbac.DeleteOptions{ReassignTo: "viewer"})
	if err != nil {
		t.Fatal(err)
	}
	if plan.MembershipCount != big {
		t.Fatalf("the plan counts %d memberships, want %d", plan.MembershipCount, big)
	}
	compare("after the organization role's deletion")
	plan, err = svc.DeleteRole(ctx, env, "viewer", rbac.DeleteOptions{ReplacementDefault: "member"})
	if err != nil {
		t.Fatal(err)
	}
	if plan.MembershipCount != big+60 {
		t.Fatalf("the plan counts %d memberships, want %d", plan.MembershipCount, big+60)
	}
	compare("after the environment role's deletion")
	mu.Lock()
	defer mu.Unlock()
	if len(summaries) != 2 {
		t.Fatalf("%d summary events, want 2: %+v", len(summaries), summaries)
	}
}

// agreeOnAll compares the claims and checks a answers for every
// membership of w, active or not, with the store's.
func agreeOnAll(w *world, a *authz.Authorizer, perms []string) []string {
	var out []string
	opt := rbac.ListOptions{Limit: rbac.MaxLimit}
	all := rbac.MembershipFilter{Statuses: []rbac.MembershipStatus{rbac.StatusActive, rbac.StatusInactive, rbac.StatusPending}}
	for {
		page, err := w.svc.ListMemberships(w.ctx, w.env, all, opt)
		if err != nil {
			return append(out, err.Error())
		}
		for _, m := range page.Data {
			want, err := w.svc.Claims(w.ctx, w.env, m.OrganizationID, m.UserID)
			wantOK := err == nil
			got, ok := a.Claims(m.OrganizationID, m.UserID)
			if ok != wantOK {
				out = append(out, fmt.Sprintf("Claims(%q, %q): ok %v, want %v", m.OrganizationID, m.UserID, ok, wantOK))
				continue
			}
			if diff := cmp.Diff(want, got); diff != "" {
				out = append(out, fmt.Sprintf("Claims(%q, %q) mismatch (-want +got):\n%s", m.OrganizationID, m.UserID, diff))
			}
			for _, p := range perms {
				if c := a.Can(m.OrganizationID, m.UserID, p); c != (wantOK && slices.Contains(want.Permissions, p)) {
					out = append(out, fmt.Sprintf("Can(%q, %q, %q) = %v, want %v", m.OrganizationID, m.UserID, p, c, !c))
				}
			}
		}
		if page.After == "" {
			return out
		}
		opt.After = page.After
	}
}
