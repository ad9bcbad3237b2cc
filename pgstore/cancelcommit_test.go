package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/internal/pgtest"
)

// cancelCommitOps is the number of writes of each part of
// TestRandomCancellationsInCommit.
const cancelCommitOps = 120

// TestRandomCancellationsInCommit makes writes with contexts canceled
// after a random delay, as the conformance suite does, on a server whose
// every COMMIT takes a few milliseconds (commit_delay), so that many
// cancellations land while COMMIT is in flight: with the default commit
// timeout (such writes must succeed), and with a commit timeout about as
// long as a commit (many end with the outcome unknown). After each write
// the state must show it if it succeeded, be unchanged if it failed, and
// be one or the other if the outcome is unknown; the Authorizer must
// agree with the store along the way and at the end.
func TestRandomCancellationsInCommit(t *testing.T) {
	// Every commit sleeps 4 ms before it flushes the WAL (commit_siblings
	// 0: whatever the number of other transactions).
	c := pgtest.Start(t, pgtest.Options{Conf: []string{"commit_delay = 4000", "commit_siblings = 0", "fsync = on"}})
	for _, part := range []struct {
		name    string
		timeout time.Duration
	}{
		{"DefaultCommitTimeout", 0},
		{"CommitTimeoutAsLongAsACommit", 5 * time.Millisecond},
	} {
		t.Run(part.name, func(t *testing.T) {
			r := newRig(t, c, "cancel-"+part.name, part.timeout)
			counts := randomCancellations(t, r)
			if part.timeout != 0 {
				return
			}
			// A commit has all the time it needs: a cancellation during it
			// must not make the outcome unknown.
			if n := counts["outcome unknown (stored)"] + counts["outcome unknown (not stored)"]; n > 0 {
				t.Errorf("%d writes ended with the outcome unknown, with a commit timeout of 30 s", n)
			}
			if counts["succeeded, canceled in flight"] == 0 {
				t.Errorf("no cancellation landed after the write's last check of its context: COMMIT was never in flight when one did")
			}
		})
	}
}

// randomCancellations makes the writes on r and returns the number of
// each outcome.
func randomCancellations(t *testing.T, r *rig) map[string]int {
	ctx := context.Background()
	// The time of a write, from three of them (uncanceled).
	startAt := time.Now()
	for _, u := range []string{"w1", "w2", "w3"} {
		if _, err := r.svc.CreateMembership(ctx, "prod", rbac.MembershipInput{OrganizationID: "acme", UserID: u}); err != nil {
			t.Logf("calibration write: %v", err) // outcome unknown, with a short commit timeout
		}
	}
	perWrite := time.Since(startAt) / 3
	r.users = append(r.users, "w1", "w2", "w3")
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 18))
	st := r.dump(t)
	counts := map[string]int{}
	temps := 0
	for i := range cancelCommitOps {
		name, run, done := pickWrite(rnd, r, st, i, &temps)
		wctx, cancel := context.WithCancel(ctx)
		var delay time.Duration
		if rnd.IntN(8) == 0 {
			cancel()
		} else {
			delay = time.Duration(rnd.Int64N(int64(2*perWrite) + 1))
			time.AfterFunc(delay, cancel)
		}
		err := run(wctx)
		canceled := wctx.Err() != nil
		cancel()
		if err != nil && !isExpected(err) {
			t.Fatalf("write %d, %s (canceled after %v): %v, want success, canceled or outcome unknown", i, name, delay, err)
		}
		what, after := r.classify(t, err, st, done)
		counts[what]++
		if err == nil && canceled {
			counts["succeeded, canceled in flight"]++
		}
		st = after
		if i%30 == 29 {
			r.agree(t)
		}
	}
	r.agree(t)
	t.Logf("%d writes of about %v each, canceled before the call or after 0 to %v: %d succeeded (%d with the context canceled while in flight), %d failed, outcome unknown: %d stored, %d not stored",
		cancelCommitOps, perWrite.Round(time.Microsecond), (2 * perWrite).Round(time.Microsecond), counts["succeeded"], counts["succeeded, canceled in flight"], counts["failed"],
		counts["outcome unknown (stored)"], counts["outcome unknown (not stored)"])
	return counts
}

// isExpected reports whether err is one a canceled write may end with.
func isExpected(err error) bool {
	return errors.Is(err, rbac.ErrCanceled) || errors.Is(err, rbac.ErrOutcomeUnknown)
}

// pickWrite returns a write valid in state e: a membership created,
// deactivated, reactivated, given another role or deleted, an environment
// role created, or one deleted with its holders reassigned.
func pickWrite(rnd *rand.Rand, r *rig, e pgState, i int, temps *int) (string, func(context.Context) error, func(pgState) bool) {
	svc := r.svc
	var members []memberRec
	users := map[string]string{} // membership id → user
	for user, m := range e.Members {
		members = append(members, m)
		users[m.ID] = user
	}
	slices.SortFunc(members, func(a, b memberRec) int { return strings.Compare(a.ID, b.ID) }) // a seeded run repeats
	roles := e.Roles
	var temp []string
	for _, ro := range roles {
		if ro != "admin" && ro != "member" {
			temp = append(temp, ro)
		}
	}
	for {
		switch k := rnd.IntN(8); {
		case k < 2 || len(members) < 3:
			user := fmt.Sprintf("u%d", i)
			role := roles[rnd.IntN(len(roles))]
			r.users = append(r.users, user)
			return "CreateMembership(" + user + ", " + role + ")", func(ctx context.Context) error {
					_, err := svc.CreateMembership(ctx, "prod", rbac.MembershipInput{OrganizationID: "acme", UserID: user, Roles: []string{role}})
					return err
				}, func(after pgState) bool {
					return hasMember(after, user, rbac.StatusActive, role)
				}
		case k == 2 || k == 3:
			m := members[rnd.IntN(len(members))]
			if m.Status == rbac.StatusActive {
				return "DeactivateMembership(" + users[m.ID] + ")", func(ctx context.Context) error {
						_, err := svc.DeactivateMembership(ctx, "prod", m.ID)
						return err
					}, func(after pgState) bool {
						return hasMember(after, users[m.ID], rbac.StatusInactive)
					}
			}
			return "ReactivateMembership(" + users[m.ID] + ")", func(ctx context.Context) error {
					_, err := svc.ReactivateMembership(ctx, "prod", m.ID)
					return err
				}, func(after pgState) bool {
					return hasMember(after, users[m.ID], rbac.StatusActive)
				}
		case k == 4:
			m := members[rnd.IntN(len(members))]
			role := roles[rnd.IntN(len(roles))]
			if slices.Equal(m.Roles, []string{role}) {
				continue
			}
			return "UpdateMembershipRoles(" + users[m.ID] + ", " + role + ")", func(ctx context.Context) error {
					_, err := svc.UpdateMembershipRoles(ctx, "prod", m.ID, []string{role})
					return err
				}, func(after pgState) bool {
					return hasMember(after, users[m.ID], m.Status, role)
				}
		case k == 5:
			m := members[rnd.IntN(len(members))]
			return "DeleteMembership(" + users[m.ID] + ")", func(ctx context.Context) error {
					return svc.DeleteMembership(ctx, "prod", m.ID)
				}, func(after pgState) bool {
					return noMember(after, users[m.ID])
				}
		case len(temp) < 2:
			*temps++
			slug := fmt.Sprintf("temp%d", *temps)
			return "CreateRole(" + slug + ")", func(ctx context.Context) error {
					_, err := svc.CreateRole(ctx, "prod", rbac.RoleInput{Slug: slug, Name: "Temporary", Permissions: []string{"write"}})
					return err
				}, func(after pgState) bool {
					return slices.Contains(after.Roles, slug)
				}
		default:
			slug := temp[rnd.IntN(len(temp))]
			return "DeleteRole(" + slug + ")", func(ctx context.Context) error {
					_, err := svc.DeleteRole(ctx, "prod", slug, rbac.DeleteOptions{})
					return err
				}, func(after pgState) bool {
					if slices.Contains(after.Roles, slug) {
						return false
					}
					for _, m := range after.Members {
						if slices.Contains(m.Roles, slug) {
							return false
						}
					}
					return true
				}
		}
	}
}
