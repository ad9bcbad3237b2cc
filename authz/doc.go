// Package authz is the read model of package rbac: permission checks and
// session claims answered from memory, for the request path.
//
// An [Authorizer] holds a snapshot of one environment. [Authorizer.Can]
// and [Authorizer.Claims] answer from it without a lock, an allocation or
// a read of the store, and agree with [rbac.Service.Can] and
// [rbac.Service.Claims], which read the store.
//
// # Creating and closing
//
//	az, err := authz.New(ctx, svc, "production") // loads the environment
//	if err != nil { … }
//	defer az.Close()
//
//	az.Can("acme", "user_123", "docs:write")          // bool
//	claims, ok := az.Claims("acme", "user_123")       // org_id, role, roles, permissions
//
// [New] loads the environment from the Service's store and returns once
// it has. From then on every write made through svc is visible to checks
// before the write call returns. New fails, and leaves nothing behind,
// when the load fails. [Authorizer.Close] stops keeping the snapshot up
// to date; checks go on answering from the last one.
//
// A write costs the authorizer what it changed: one membership's record
// for a membership change, the records of its holders for an organization
// role, a small environment-level part for an environment role or a
// permission. A role deletion that reassigns more than
// [rbac.MaxListedMemberships] holders, which the Service reports with one
// [rbac.EventMembershipsReassigned], is applied as one batch from the
// snapshot, reading only the organizations' default roles when holders
// are left with none. An authorizer following the writes of another
// process through a feed loads the snapshot again on such a change.
//
// # Following other processes
//
// When other processes write to the same store, give the authorizer the
// store's feed; with [github.com/orgroles/rbac/pgstore]:
//
//	store, err := pgstore.Open(ctx, pool, pgstore.Options{})
//	svc := rbac.New(store)
//	az, err := authz.New(ctx, svc, "production", authz.WithFeed(store))
//
// The authorizer then follows the writes of every process and supervises
// the feed itself: it follows it again, with backoff, when it fails, when
// its connection stops answering (every read has a deadline), and when it
// falls behind the store; a gap in revisions (changes pruned) makes it
// load the snapshot again. Nothing is to be run in a loop by the caller.
//
// # Staleness
//
// Every poll interval ([WithPollInterval], 1 s) the authorizer reads the
// store's revision, through the Service's store. A poll that finds the
// snapshot current confirms it; one that finds it behind a revision
// already seen at the previous poll brings it up to date. [Authorizer.Status]
// says when the snapshot was last confirmed and how far behind it may
// be ([Status.Lag], [Status.Stale]); errors are passed to the handler of
// [WithErrorHandler], or logged with [log/slog] when the authorizer starts
// failing and when it recovers.
//
// [WithMaxStaleness] makes checks fail closed: while the snapshot may be
// missing writes committed more than the bound ago — the store cannot be
// read, or the feed cannot catch up — every check denies and Claims
// reports no membership, until the snapshot is confirmed again. A check
// then allows nothing the store denies for longer than the bound (plus a
// poll interval). Without it, checks answer from the last snapshot, and
// the authorizer catches up by itself once the store can be read: with
// the defaults, within about two poll intervals and one read timeout
// ([WithReadTimeout], 5 s).
//
// # Reading your writes
//
// Every answer can say the revision it reflects ([Authorizer.CanAt],
// [Authorizer.ClaimsAt]); [Authorizer.Revision] is the revision up to
// which the snapshot reflects every write. A writer learns the revision
// its write committed at with an [rbac.Receipt], and any authorizer, in
// this process or another, waits for it with [Authorizer.WaitFor]:
//
//	var r rbac.Receipt
//	_, err := svc.UpdateMembershipRoles(rbac.WithReceipt(ctx, &r), "production", id, []string{"admin"})
//	…
//	err = az.WaitFor(ctx, r.Revision()) // in another process: r.Revision() passed along
//
// In the writer's process the write is visible when the call returns; in
// another process following pgstore's feed it is visible, measured on
// two shared cores, within 1.3 ms at the median and 7.5 ms at the 99th
// percentile of the write's return.
//
// # Numbers
//
// At 1,000,000 memberships in 100,000 organizations (200 permissions, 50
// environment roles, 10 organization roles per organization), a check
// takes about as long as one lookup in a Go map of every membership's
// permission bitset (the benchmark's baseline), allocates nothing, and the
// snapshot takes under 115 bytes per membership. The measurements, the
// machine and the commands are in docs/performance.md; the check
// benchmarks run with
//
//	go test -run '^$' -bench 'BenchmarkCan|BenchmarkClaims|BenchmarkSnapshot' -benchmem ./authz/
package authz
