package pgstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/orgroles/rbac"
)

// tx is one transaction on one environment.
type tx struct {
	s     *Store
	tx    pgx.Tx
	env   string
	write bool
	done  bool

	// envOrder is the environment priority order as last read or written
	// in this transaction, when envOrderKnown; PutEnvironment rewrites the
	// order's rows only when it changed.
	envOrder      []string
	envOrderKnown bool
	// deleted is set once the transaction deleted its environment.
	deleted bool
	// cursors counts the cursors the transaction declared (listing.go).
	cursors int
}

var _ rbac.Tx = (*tx)(nil)

func (t *tx) check(write bool) error {
	if t.done {
		return errDone
	}
	if write && !t.write {
		return errReadOnly
	}
	return nil
}

func (t *tx) sql(q string) string { return t.s.q.sql(q) }

func (t *tx) exec(ctx context.Context, q string, args ...any) (pgconn.CommandTag, error) {
	tag, err := t.tx.Exec(ctx, t.sql(q), args...)
	return tag, fail(err)
}

func (t *tx) query(ctx context.Context, q string, args ...any) (pgx.Rows, error) {
	rows, err := t.tx.Query(ctx, t.sql(q), args...)
	return rows, fail(err)
}

// fail wraps a database error; a reference to a missing organization
// matches rbac.ErrNotFound.
func fail(err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23503" {
		switch pe.ConstraintName {
		case "roles_organization_fkey", "memberships_organization_fkey", "group_mappings_organization_fkey":
			return fmt.Errorf("pgstore: organization: %w (%v)", rbac.ErrNotFound, err)
		}
	}
	return fmt.Errorf("pgstore: %w", err)
}

func notFound(format string, args ...any) error {
	return fmt.Errorf("pgstore: %s: %w", fmt.Sprintf(format, args...), rbac.ErrNotFound)
}

// utc returns a stored time as the Store hands it out.
func utc(t time.Time) time.Time { return t.UTC() }

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func sortedUniq(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return nonNil(slices.Compact(s))
}

// scope returns the scope of role slug as named in organization org: org
// for an organization role, "" for an environment role.
func scope(org, slug string) string {
	if rbac.IsOrganizationRoleSlug(slug) {
		return org
	}
	return ""
}

// where builds the conditions and arguments of a query.
type where struct {
	conds []string
	args  []any
}

// arg adds an argument and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return fmt.Sprintf("$%d", len(w.args))
}

func (w *where) and(cond string) { w.conds = append(w.conds, cond) }

// sql returns " WHERE …" and the range's ORDER BY and LIMIT on column id.
func (w *where) sql(id string, r rbac.Range) string {
	if r.After != "" {
		w.and(id + " > " + w.arg(r.After))
	}
	if r.Before != "" {
		w.and(id + " < " + w.arg(r.Before))
	}
	q := " WHERE " + strings.Join(w.conds, " AND ") + " ORDER BY " + id
	if r.Desc {
		q += " DESC"
	}
	if r.Limit > 0 {
		q += " LIMIT " + w.arg(r.Limit)
	}
	return q
}

// each runs q and calls fn with each row scanned by scan.
func each[T any](ctx context.Context, t *tx, q string, args []any, scan pgx.RowToFunc[T], fn func(T) error) error {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return fail(err)
		}
		if err := fn(x); err != nil {
			return err
		}
	}
	return fail(rows.Err())
}

// ---- environment ----

func (t *tx) Environment(ctx context.Context) (rbac.Environment, error) {
	if err := t.check(false); err != nil {
		return rbac.Environment{}, err
	}
	e := rbac.Environment{ID: t.env}
	err := t.tx.QueryRow(ctx, t.sql(`SELECT name, default_role, multiple_roles, revision, created_at, updated_at,
		ARRAY(SELECT role_slug FROM $s.environment_order o WHERE o.env = e.id ORDER BY position)
		FROM $s.environments e WHERE id = $1`), t.env).
		Scan(&e.Name, &e.DefaultRole, &e.MultipleRoles, &e.Revision, &e.CreatedAt, &e.UpdatedAt, &e.PriorityOrder)
	if errors.Is(err, pgx.ErrNoRows) {
		return rbac.Environment{}, notFound("environment %q", t.env)
	}
	if err != nil {
		return rbac.Environment{}, fail(err)
	}
	e.CreatedAt, e.UpdatedAt = utc(e.CreatedAt), utc(e.UpdatedAt)
	e.PriorityOrder = nonNil(e.PriorityOrder)
	t.envOrder, t.envOrderKnown = slices.Clone(e.PriorityOrder), true
	return e, nil
}

func (t *tx) PutEnvironment(ctx context.Context, e rbac.Environment) error {
	if err := t.check(true); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `INSERT INTO $s.environments
		(id, name, default_role, multiple_roles, revision, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, default_role = excluded.default_role,
			multiple_roles = excluded.multiple_roles, revision = excluded.revision,
			created_at = excluded.created_at, updated_at = excluded.updated_at`,
		t.env, e.Name, e.DefaultRole, e.MultipleRoles, e.Revision, e.CreatedAt, e.UpdatedAt); err != nil {
		return err
	}
	order := nonNil(slices.Clone(e.PriorityOrder))
	if t.envOrderKnown && slices.Equal(order, t.envOrder) {
		return nil
	}
	b := &pgx.Batch{}
	b.Queue(t.sql(`DELETE FROM $s.environment_order WHERE env = $1`), t.env)
	b.Queue(t.sql(`INSERT INTO $s.environment_order (env, position, role_slug)
		SELECT $1, u.ord, u.slug FROM unnest($2::text[]) WITH ORDINALITY AS u(slug, ord)`), t.env, order)
	if err := fail(t.tx.SendBatch(ctx, b).Close()); err != nil {
		t.envOrderKnown = false
		return err
	}
	t.envOrder, t.envOrderKnown = order, true
	return nil
}

// DeleteEnvironment is one statement: everything of the environment goes
// by ON DELETE CASCADE, but for the memberships and mappings, which hang
// from organizations, deleted first.
func (t *tx) DeleteEnvironment(ctx context.Context) error {
	if err := t.check(true); err != nil {
		return err
	}
	b := &pgx.Batch{}
	b.Queue(t.sql(`DELETE FROM $s.memberships WHERE env = $1`), t.env)
	b.Queue(t.sql(`DELETE FROM $s.group_mappings WHERE env = $1`), t.env)
	b.Queue(t.sql(`DELETE FROM $s.organizations WHERE env = $1`), t.env)
	b.Queue(t.sql(`DELETE FROM $s.environments WHERE id = $1`), t.env)
	if err := fail(t.tx.SendBatch(ctx, b).Close()); err != nil {
		return err
	}
	t.deleted, t.envOrderKnown = true, false
	return nil
}

// ---- permissions ----

const permissionColumns = `slug, id, name, description, system, created_at, updated_at`

func scanPermission(row pgx.CollectableRow) (rbac.Permission, error) {
	var p rbac.Permission
	err := row.Scan(&p.Slug, &p.ID, &p.Name, &p.Description, &p.System, &p.CreatedAt, &p.UpdatedAt)
	p.CreatedAt, p.UpdatedAt = utc(p.CreatedAt), utc(p.UpdatedAt)
	return p, err
}

func (t *tx) Permission(ctx context.Context, slug string) (rbac.Permission, error) {
	if err := t.check(false); err != nil {
		return rbac.Permission{}, err
	}
	rows, err := t.query(ctx, `SELECT `+permissionColumns+` FROM $s.permissions WHERE env = $1 AND slug = $2`, t.env, slug)
	if err != nil {
		return rbac.Permission{}, err
	}
	p, err := pgx.CollectExactlyOneRow(rows, scanPermission)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, notFound("permission %q", slug)
	}
	return p, fail(err)
}

func (t *tx) Permissions(ctx context.Context, r rbac.Range, fn func(rbac.Permission) error) error {
	if err := t.check(false); err != nil {
		return err
	}
	w := &where{}
	w.and("env = " + w.arg(t.env))
	return each(ctx, t, `SELECT `+permissionColumns+` FROM $s.permissions`+w.sql("id", r), w.args, scanPermission, fn)
}

func (t *tx) PutPermission(ctx context.Context, p rbac.Permission) error {
	if err := t.check(true); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO $s.permissions (env, `+permissionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (env, slug) DO UPDATE SET id = excluded.id, name = excluded.name,
			description = excluded.description, system = excluded.system,
			created_at = excluded.created_at, updated_at = excluded.updated_at`,
		t.env, p.Slug, p.ID, p.Name, p.Description, p.System, p.CreatedAt, p.UpdatedAt)
	return err
}

// DeletePermission is two statements: move the updated_at of the roles
// that grant the permission, returning them, then delete it, which removes
// it from every role through ON DELETE CASCADE.
func (t *tx) DeletePermission(ctx context.Context, slug string, now time.Time, fn func(rbac.Role) error) error {
	if err := t.check(true); err != nil {
		return err
	}
	rows, err := t.query(ctx, `UPDATE $s.roles r SET updated_at = $3
		FROM $s.role_permissions g
		WHERE g.env = $1 AND g.permission = $2 AND r.env = g.env AND r.scope = g.role_scope AND r.slug = g.role_slug
		RETURNING `+roleColumns, t.env, slug, now)
	if err != nil {
		return err
	}
	roles, err := pgx.CollectRows(rows, scanRole)
	if err != nil {
		return fail(err)
	}
	tag, err := t.exec(ctx, `DELETE FROM $s.permissions WHERE env = $1 AND slug = $2`, t.env, slug)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("permission %q", slug)
	}
	slices.SortFunc(roles, func(a, b rbac.Role) int {
		return cmp.Or(cmp.Compare(a.OrganizationID, b.OrganizationID), cmp.Compare(a.Slug, b.Slug))
	})
	for _, r := range roles {
		r.Permissions = nonNil(slices.DeleteFunc(r.Permissions, func(p string) bool { return p == slug }))
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// ---- roles ----

// roleColumns reads a role's permissions from its own row, kept equal to
// role_permissions by triggers (migration 4).
const roleColumns = `r.scope, r.slug, r.id, r.name, r.description, r.created_at, r.updated_at, r.permissions`

func scanRole(row pgx.CollectableRow) (rbac.Role, error) {
	var r rbac.Role
	var perms string
	err := row.Scan(&r.OrganizationID, &r.Slug, &r.ID, &r.Name, &r.Description, &r.CreatedAt, &r.UpdatedAt, &perms)
	r.Type = rbac.EnvironmentRole
	if r.OrganizationID != "" {
		r.Type = rbac.OrganizationRole
	}
	r.CreatedAt, r.UpdatedAt = utc(r.CreatedAt), utc(r.UpdatedAt)
	r.Permissions = permissionList(perms)
	return r, err
}

// permissionList splits the permissions column: slugs separated by
// spaces. The slugs share the column's string.
func permissionList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, " ")
}

func (t *tx) EnvironmentRole(ctx context.Context, slug string) (rbac.Role, error) {
	return t.role(ctx, "", slug)
}

func (t *tx) OrganizationRole(ctx context.Context, org, slug string) (rbac.Role, error) {
	if org == "" {
		return rbac.Role{}, notFound("role %q of organization %q", slug, org)
	}
	return t.role(ctx, org, slug)
}

// role reads a role of a scope: "" for environment roles, else an
// organization id.
func (t *tx) role(ctx context.Context, org, slug string) (rbac.Role, error) {
	if err := t.check(false); err != nil {
		return rbac.Role{}, err
	}
	rows, err := t.query(ctx, `SELECT `+roleColumns+` FROM $s.roles r WHERE r.env = $1 AND r.scope = $2 AND r.slug = $3`, t.env, org, slug)
	if err != nil {
		return rbac.Role{}, err
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanRole)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, notFound("role %q of %q", slug, org)
	}
	return r, fail(err)
}

func (t *tx) EnvironmentRoles(ctx context.Context) ([]rbac.Role, error) { return t.roles(ctx, "") }

func (t *tx) OrganizationRoles(ctx context.Context, org string) ([]rbac.Role, error) {
	if org == "" {
		return []rbac.Role{}, t.check(false)
	}
	return t.roles(ctx, org)
}

// EachOrganizationRole is one query.
func (t *tx) EachOrganizationRole(ctx context.Context, fn func(rbac.Role) error) error {
	if err := t.check(false); err != nil {
		return err
	}
	return each(ctx, t, `SELECT `+roleColumns+` FROM $s.roles r WHERE r.env = $1 AND r.scope <> '' ORDER BY r.scope, r.slug`,
		[]any{t.env}, scanRole, fn)
}

// roles lists the roles of a scope.
func (t *tx) roles(ctx context.Context, org string) ([]rbac.Role, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	rows, err := t.query(ctx, `SELECT `+roleColumns+` FROM $s.roles r WHERE r.env = $1 AND r.scope = $2 ORDER BY r.slug`, t.env, org)
	if err != nil {
		return nil, err
	}
	rs, err := pgx.CollectRows(rows, scanRole)
	return nonNil(rs), fail(err)
}

func (t *tx) PutRole(ctx context.Context, r rbac.Role) error {
	if err := t.check(true); err != nil {
		return err
	}
	perms := sortedUniq(r.Permissions)
	b := &pgx.Batch{}
	// The permissions column is written with the row (the triggers on
	// role_permissions then leave it alone).
	b.Queue(t.sql(`INSERT INTO $s.roles (env, scope, slug, id, name, description, created_at, updated_at, permissions)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (env, scope, slug) DO UPDATE SET id = excluded.id, name = excluded.name,
			description = excluded.description, created_at = excluded.created_at, updated_at = excluded.updated_at,
			permissions = excluded.permissions`),
		t.env, r.OrganizationID, r.Slug, r.ID, r.Name, r.Description, r.CreatedAt, r.UpdatedAt, strings.Join(perms, " "))
	b.Queue(t.sql(`DELETE FROM $s.role_permissions
		WHERE env = $1 AND role_scope = $2 AND role_slug = $3 AND permission <> ALL($4::text[])`),
		t.env, r.OrganizationID, r.Slug, perms)
	b.Queue(t.sql(`INSERT INTO $s.role_permissions (env, role_scope, role_slug, permission)
		SELECT $1, $2, $3, unnest($4::text[]) ON CONFLICT DO NOTHING`),
		t.env, r.OrganizationID, r.Slug, perms)
	return fail(t.tx.SendBatch(ctx, b).Close())
}

func (t *tx) DeleteEnvironmentRole(ctx context.Context, slug string) error {
	return t.deleteRole(ctx, "", slug)
}

func (t *tx) DeleteOrganizationRole(ctx context.Context, org, slug string) error {
	if org == "" {
		return notFound("role %q of organization %q", slug, org)
	}
	return t.deleteRole(ctx, org, slug)
}

func (t *tx) deleteRole(ctx context.Context, org, slug string) error {
	if err := t.check(true); err != nil {
		return err
	}
	tag, err := t.exec(ctx, `DELETE FROM $s.roles WHERE env = $1 AND scope = $2 AND slug = $3`, t.env, org, slug)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("role %q of %q", slug, org)
	}
	return nil
}

// ---- organizations ----

const organizationColumns = `o.id, o.name, coalesce(o.external_id, ''), o.metadata, coalesce(o.default_role, ''),
	o.created_at, o.updated_at,
	ARRAY(SELECT x.role_slug FROM $s.organization_order x WHERE x.env = o.env AND x.org_id = o.id ORDER BY x.position)`

func scanOrganization(row pgx.CollectableRow) (rbac.Organization, error) {
	var o rbac.Organization
	err := row.Scan(&o.ID, &o.Name, &o.ExternalID, &o.Metadata, &o.DefaultRole, &o.CreatedAt, &o.UpdatedAt, &o.PriorityOrder)
	o.CreatedAt, o.UpdatedAt = utc(o.CreatedAt), utc(o.UpdatedAt)
	if len(o.Metadata) == 0 {
		o.Metadata = nil
	}
	if len(o.PriorityOrder) == 0 {
		o.PriorityOrder = nil
		if o.DefaultRole != "" {
			o.PriorityOrder = []string{}
		}
	}
	return o, err
}

func (t *tx) Organization(ctx context.Context, id string) (rbac.Organization, error) {
	if err := t.check(false); err != nil {
		return rbac.Organization{}, err
	}
	rows, err := t.query(ctx, `SELECT `+organizationColumns+` FROM $s.organizations o WHERE o.env = $1 AND o.id = $2`, t.env, id)
	if err != nil {
		return rbac.Organization{}, err
	}
	o, err := pgx.CollectExactlyOneRow(rows, scanOrganization)
	if errors.Is(err, pgx.ErrNoRows) {
		return o, notFound("organization %q", id)
	}
	return o, fail(err)
}

func (t *tx) OrganizationByExternalID(ctx context.Context, externalID string) (rbac.Organization, error) {
	if err := t.check(false); err != nil {
		return rbac.Organization{}, err
	}
	rows, err := t.query(ctx, `SELECT `+organizationColumns+` FROM $s.organizations o WHERE o.env = $1 AND o.external_id = $2`,
		t.env, externalID)
	if err != nil {
		return rbac.Organization{}, err
	}
	o, err := pgx.CollectExactlyOneRow(rows, scanOrganization)
	if errors.Is(err, pgx.ErrNoRows) {
		return o, notFound("organization with external id %q", externalID)
	}
	return o, fail(err)
}

func (t *tx) Organizations(ctx context.Context, r rbac.Range, fn func(rbac.Organization) error) error {
	if err := t.check(false); err != nil {
		return err
	}
	w := &where{}
	w.and("o.env = " + w.arg(t.env))
	return each(ctx, t, `SELECT `+organizationColumns+` FROM $s.organizations o`+w.sql("o.id", r), w.args, scanOrganization, fn)
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (t *tx) PutOrganization(ctx context.Context, o rbac.Organization) error {
	if err := t.check(true); err != nil {
		return err
	}
	b := &pgx.Batch{}
	md := o.Metadata
	if md == nil {
		md = map[string]string{}
	}
	b.Queue(t.sql(`INSERT INTO $s.organizations (env, id, name, external_id, metadata, default_role, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (env, id) DO UPDATE SET name = excluded.name, external_id = excluded.external_id,
			metadata = excluded.metadata, default_role = excluded.default_role,
			created_at = excluded.created_at, updated_at = excluded.updated_at`),
		t.env, o.ID, o.Name, nullable(o.ExternalID), md, nullable(o.DefaultRole), o.CreatedAt, o.UpdatedAt)
	b.Queue(t.sql(`DELETE FROM $s.organization_order WHERE env = $1 AND org_id = $2`), t.env, o.ID)
	if len(o.PriorityOrder) > 0 {
		b.Queue(t.sql(`INSERT INTO $s.organization_order (env, org_id, position, role_slug)
			SELECT $1, $2, u.ord, u.slug FROM unnest($3::text[]) WITH ORDINALITY AS u(slug, ord)`),
			t.env, o.ID, o.PriorityOrder)
	}
	return fail(t.tx.SendBatch(ctx, b).Close())
}

// DeleteOrganization is three statements, sent together: the
// organization's memberships (with their roles) and group mappings, then the
// organization, whose roles and order go by ON DELETE CASCADE. (Deleting the
// organization alone would cascade to its roles before their holders.)
func (t *tx) DeleteOrganization(ctx context.Context, id string) error {
	if err := t.check(true); err != nil {
		return err
	}
	b := &pgx.Batch{}
	b.Queue(t.sql(`DELETE FROM $s.memberships WHERE env = $1 AND org_id = $2`), t.env, id)
	b.Queue(t.sql(`DELETE FROM $s.group_mappings WHERE env = $1 AND org_id = $2`), t.env, id)
	b.Queue(t.sql(`DELETE FROM $s.organizations WHERE env = $1 AND id = $2`), t.env, id)
	br := t.tx.SendBatch(ctx, b)
	var tag pgconn.CommandTag
	var err error
	for range 3 {
		if tag, err = br.Exec(); err != nil {
			break
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("organization %q", id)
	}
	return nil
}

func (t *tx) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return nonNil(out), fail(err)
}

func (t *tx) OrganizationsWithDefault(ctx context.Context, slug string) ([]string, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	return t.strings(ctx, `SELECT id FROM $s.organizations WHERE env = $1 AND default_role = $2 ORDER BY id`, t.env, slug)
}

// AppendToOrganizationOrders is one statement.
func (t *tx) AppendToOrganizationOrders(ctx context.Context, slug string, now time.Time) error {
	if err := t.check(true); err != nil {
		return err
	}
	_, err := t.exec(ctx, `WITH added AS (
			INSERT INTO $s.organization_order (env, org_id, position, role_slug)
			SELECT o.env, o.id, coalesce((SELECT max(x.position) FROM $s.organization_order x
				WHERE x.env = o.env AND x.org_id = o.id), 0) + 1, $2
			FROM $s.organizations o WHERE o.env = $1 AND o.default_role IS NOT NULL
			RETURNING org_id)
		UPDATE $s.organizations o SET updated_at = $3 FROM added WHERE o.env = $1 AND o.id = added.org_id`,
		t.env, slug, now)
	return err
}

// RemoveFromOrganizationOrders is one statement.
func (t *tx) RemoveFromOrganizationOrders(ctx context.Context, slug, replacement string, now time.Time) ([]string, error) {
	if err := t.check(true); err != nil {
		return nil, err
	}
	return t.strings(ctx, `WITH gone AS (
			DELETE FROM $s.organization_order WHERE env = $1 AND role_scope = '' AND role_slug = $2
			RETURNING org_id),
		replaced AS (SELECT id FROM $s.organizations WHERE env = $1 AND default_role = $2),
		touched AS (SELECT org_id AS id FROM gone UNION SELECT id FROM replaced),
		up AS (
			UPDATE $s.organizations o
			SET default_role = CASE WHEN o.default_role = $2 THEN $3 ELSE o.default_role END, updated_at = $4
			FROM touched WHERE o.env = $1 AND o.id = touched.id
			RETURNING o.id)
		SELECT id FROM replaced ORDER BY id`, t.env, slug, nullable(replacement), now)
}

// ---- memberships ----

const membershipColumns = `m.id, m.org_id, m.user_id, m.status, m.role_source, m.created_at, m.updated_at`

// membershipRoles is the roles column, a sorted array.
const membershipRoles = `m.roles`

func scanMembership(row pgx.CollectableRow) (rbac.Membership, error) {
	var m rbac.Membership
	err := row.Scan(&m.ID, &m.OrganizationID, &m.UserID, &m.Status, &m.RoleSource, &m.CreatedAt, &m.UpdatedAt, &m.Roles)
	m.CreatedAt, m.UpdatedAt = utc(m.CreatedAt), utc(m.UpdatedAt)
	m.Roles = nonNil(m.Roles)
	slices.Sort(m.Roles)
	return m, err
}

func (t *tx) oneMembership(ctx context.Context, what, q string, args ...any) (rbac.Membership, error) {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return rbac.Membership{}, err
	}
	m, err := pgx.CollectExactlyOneRow(rows, scanMembership)
	if errors.Is(err, pgx.ErrNoRows) {
		return m, notFound("%s", what)
	}
	return m, fail(err)
}

func (t *tx) Membership(ctx context.Context, id string) (rbac.Membership, error) {
	if err := t.check(false); err != nil {
		return rbac.Membership{}, err
	}
	return t.oneMembership(ctx, fmt.Sprintf("membership %q", id), `SELECT `+membershipColumns+`, `+membershipRoles+`
		FROM $s.memberships m WHERE m.env = $1 AND m.id = $2`, t.env, id)
}

func (t *tx) MembershipOf(ctx context.Context, org, user string) (rbac.Membership, error) {
	if err := t.check(false); err != nil {
		return rbac.Membership{}, err
	}
	return t.oneMembership(ctx, fmt.Sprintf("membership of %q in %q", user, org), `SELECT `+membershipColumns+`, `+membershipRoles+`
		FROM $s.memberships m WHERE m.env = $1 AND m.org_id = $2 AND m.user_id = $3`, t.env, org, user)
}

func (t *tx) Memberships(ctx context.Context, q rbac.MembershipQuery, fn func(rbac.Membership) error) error {
	if err := t.check(false); err != nil {
		return err
	}
	st := make([]string, len(q.Statuses))
	for i, s := range q.Statuses {
		st[i] = string(s)
	}
	if listAll(q) {
		return t.allMemberships(ctx, st, fn)
	}
	w := &where{}
	w.and("m.env = " + w.arg(t.env))
	if q.OrganizationID != "" {
		w.and("m.org_id = " + w.arg(q.OrganizationID))
	}
	if q.UserID != "" {
		w.and("m.user_id = " + w.arg(q.UserID))
	}
	if len(q.Statuses) > 0 {
		w.and("m.status = ANY(" + w.arg(st) + "::text[])")
	}
	if q.Role != "" {
		// A membership's roles are of its own organization (an
		// organization role slug names that organization's role); the
		// organizations counting holders of the role narrow the scan.
		role := w.arg(q.Role)
		w.and(`m.roles @> ARRAY[` + role + `]::text[] AND m.org_id IN (SELECT h.org_id FROM $s.role_holders h
			WHERE h.env = m.env AND h.role_slug = ` + role + ` AND h.holders > 0)`)
	}
	if q.MultipleRoles {
		w.and("cardinality(m.roles) > 1")
	}
	return each(ctx, t, `SELECT `+membershipColumns+`, `+membershipRoles+` FROM $s.memberships m`+w.sql("m.id", q.Range),
		w.args, scanMembership, fn)
}

// PutMembership is one statement: the row, and the counts of role_holders
// for the roles it gains and loses. The database refuses a second
// membership of the same (organization, user); a membership never moves
// to another organization or user (the update is then skipped, and
// PutMembership fails).
func (t *tx) PutMembership(ctx context.Context, m rbac.Membership) error {
	if err := t.check(true); err != nil {
		return err
	}
	var n int
	err := t.tx.QueryRow(ctx, t.sql(`WITH old AS (
			SELECT m.roles FROM $s.memberships m WHERE m.env = $1 AND m.id = $2 AND m.org_id = $3 AND m.user_id = $4),
		up AS (
			INSERT INTO $s.memberships (env, id, org_id, user_id, status, role_source, roles, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $9, $7, $8)
			ON CONFLICT (env, id) DO UPDATE SET status = excluded.status, role_source = excluded.role_source,
				roles = excluded.roles, created_at = excluded.created_at, updated_at = excluded.updated_at
			WHERE memberships.org_id = excluded.org_id AND memberships.user_id = excluded.user_id
			RETURNING id),
		delta AS (
			SELECT x.r, sum(x.n)::integer AS n FROM (
				SELECT unnest($9::text[]) AS r, 1 AS n FROM up
				UNION ALL SELECT unnest(old.roles), -1 FROM old, up) x
			GROUP BY x.r HAVING sum(x.n) <> 0),
		lost AS (
			UPDATE $s.role_holders h SET holders = h.holders + delta.n FROM delta
			WHERE delta.n < 0 AND h.env = $1 AND h.org_id = $3 AND h.role_slug = delta.r),
		gained AS (
			INSERT INTO $s.role_holders AS h (env, org_id, role_slug, holders)
			SELECT $1, $3, r, n FROM delta WHERE n > 0
			ON CONFLICT (env, role_slug, org_id) DO UPDATE SET holders = h.holders + excluded.holders)
		SELECT count(*) FROM up`),
		t.env, m.ID, m.OrganizationID, m.UserID, string(m.Status), string(m.RoleSource), m.CreatedAt, m.UpdatedAt,
		sortedUniq(m.Roles)).Scan(&n)
	if err != nil {
		return fail(err)
	}
	if n == 0 {
		return fmt.Errorf("pgstore: membership %q cannot change organization or user", m.ID)
	}
	return nil
}

func (t *tx) DeleteMembership(ctx context.Context, id string) error {
	if err := t.check(true); err != nil {
		return err
	}
	var n int
	err := t.tx.QueryRow(ctx, t.sql(`WITH gone AS (
			DELETE FROM $s.memberships WHERE env = $1 AND id = $2 RETURNING org_id, roles),
		counted AS (
			UPDATE $s.role_holders h SET holders = h.holders - 1
			FROM gone, unnest(gone.roles) AS r(slug)
			WHERE h.env = $1 AND h.org_id = gone.org_id AND h.role_slug = r.slug)
		SELECT count(*) FROM gone`), t.env, id).Scan(&n)
	if err != nil {
		return fail(err)
	}
	if n == 0 {
		return notFound("membership %q", id)
	}
	return nil
}

// ReplaceOrganizationRole is one statement: every holder of from in org
// has from replaced by to (once: a holder of both keeps one), its
// updated_at set, and role_holders counts org's holders of from and to
// again. The memberships come back sorted by id and go to fn as they
// arrive.
func (t *tx) ReplaceOrganizationRole(ctx context.Context, org, from, to string, now time.Time, fn func(rbac.Membership) error) error {
	if err := t.check(true); err != nil {
		return err
	}
	if org == "" {
		return nil
	}
	const q = `WITH had AS (
			SELECT count(*) FILTER (WHERE m.roles @> ARRAY[$4]::text[]) AS n FROM $s.memberships m
			WHERE m.env = $1 AND m.org_id = $2 AND m.roles @> ARRAY[$3]::text[]),
		up AS (
			UPDATE $s.memberships m
			SET roles = ARRAY(SELECT DISTINCT x.r COLLATE "C" FROM unnest(array_replace(m.roles, $3, $4)) AS x(r) ORDER BY 1),
				updated_at = $5
			WHERE m.env = $1 AND m.org_id = $2 AND m.roles @> ARRAY[$3]::text[]
			RETURNING ` + membershipColumns + `, m.roles),
		moved AS (SELECT count(*) AS n FROM up),
		lost AS (
			UPDATE $s.role_holders h SET holders = h.holders - moved.n FROM moved
			WHERE h.env = $1 AND h.org_id = $2 AND h.role_slug = $3 AND moved.n > 0),
		gained AS (
			INSERT INTO $s.role_holders AS h (env, org_id, role_slug, holders)
			SELECT $1, $2, $4, moved.n - had.n FROM moved, had WHERE moved.n > had.n
			ON CONFLICT (env, role_slug, org_id) DO UPDATE SET holders = h.holders + excluded.holders)
		SELECT * FROM up ORDER BY id`
	return t.bulk(ctx, q, []any{t.env, org, from, to, now}, fn, nil)
}

// RemoveEnvironmentRole is one statement, after one that counts the
// organizations with holders of the role: a holder with no other role has
// it replaced by its organization's effective default (the
// organization's own default if it has one, else the environment's: the
// rule of rbac.EffectiveSettings, in SQL); one with other roles loses it.
// Each has its updated_at set; role_holders forgets the role (no one
// holds it any more) and counts the holders of the defaults again. The
// memberships come back sorted by id and go to fn as they arrive.
//
// When few organizations hold the role, the statement reads their
// memberships only; otherwise it scans the environment's memberships
// (an index descent per organization would cost more than the scan). The
// rewritten rows change no indexed column (roles and updated_at are in no
// index), so PostgreSQL updates them in place where their page has room
// (memberships is filled to half): a million holders cost a million
// heap-only updates and no index entry.
func (t *tx) RemoveEnvironmentRole(ctx context.Context, slug string, now time.Time, fn func(rbac.Membership) error) error {
	if err := t.check(true); err != nil {
		return err
	}
	var orgs int
	if err := t.tx.QueryRow(ctx, t.sql(`SELECT count(*) FROM $s.role_holders h
		WHERE h.env = $1 AND h.role_slug = $2 AND h.holders > 0`), t.env, slug).Scan(&orgs); err != nil {
		return fail(err)
	}
	if orgs == 0 {
		return nil
	}
	// The roles the statement writes are roles the memberships held, and
	// defaults, which exist (their foreign keys are checked at commit):
	// the trigger that checks the roles written into memberships, which
	// would read every row again, is told so.
	settings := map[string]string{"rbac.membership_roles_checked": "on"}
	narrow := ""
	if orgs <= narrowOrganizations {
		narrow = ` AND m.org_id IN (SELECT h.org_id FROM $s.role_holders h WHERE h.env = $1 AND h.role_slug = $2 AND h.holders > 0)`
	} else {
		// The per-organization steps join 100,000s of rows with the
		// statement's own: hash joins, which PostgreSQL does not pick
		// for rows it cannot estimate.
		settings["enable_nestloop"] = "off"
	}
	q := `WITH sole AS (
			UPDATE $s.memberships m SET roles = ARRAY[coalesce(o.default_role, e.default_role)], updated_at = $3
			FROM $s.organizations o, $s.environments e
			WHERE m.env = $1 AND m.roles = ARRAY[$2]::text[]` + narrow + `
				AND o.env = $1 AND o.id = m.org_id AND e.id = $1
			RETURNING ` + membershipColumns + `, m.roles, m.roles[1] AS given),
		shared AS (
			UPDATE $s.memberships m SET roles = array_remove(m.roles, $2), updated_at = $3
			WHERE m.env = $1 AND m.roles @> ARRAY[$2]::text[] AND cardinality(m.roles) > 1` + narrow + `
			RETURNING ` + membershipColumns + `, m.roles, NULL::text AS given),
		changed AS (SELECT * FROM sole UNION ALL SELECT * FROM shared),
		per AS (
			SELECT c.org_id, count(*) AS n, count(c.given) AS given, min(c.given) AS role
			FROM changed c GROUP BY c.org_id),
		lost AS (DELETE FROM $s.role_holders h WHERE h.env = $1 AND h.role_slug = $2),
		raised AS (
			UPDATE $s.role_holders h SET holders = h.holders + per.given FROM per
			WHERE per.given > 0 AND h.env = $1 AND h.role_slug = per.role AND h.org_id = per.org_id),
		added AS (
			INSERT INTO $s.role_holders (env, org_id, role_slug, holders)
			SELECT $1, per.org_id, per.role, per.given FROM per
			WHERE per.given > 0 AND NOT EXISTS (SELECT 1 FROM $s.role_holders x
				WHERE x.env = $1 AND x.role_slug = per.role AND x.org_id = per.org_id))
		SELECT id, org_id, user_id, status, role_source, created_at, updated_at, roles FROM changed ORDER BY id`
	return t.bulk(ctx, q, []any{t.env, slug, now}, fn, settings)
}

// narrowOrganizations is the number of organizations holding a role up
// to which RemoveEnvironmentRole reads only theirs.
var narrowOrganizations = 1000

// bulkWorkMem is the memory a bulk statement may give each of its sorts
// and hashes (PostgreSQL's work_mem, set for that statement only): its
// joins and its sort by id hold as many rows as it changes, which the
// server's default (4 MB) would send to temporary files.
const bulkWorkMem = "256MB"

// bulk runs a bulk statement q, which returns memberships sorted by id,
// with work_mem raised for it and the settings of set (name → value), and
// hands the rows to fn as they arrive. Every setting is restored after it.
func (t *tx) bulk(ctx context.Context, q string, args []any, fn func(rbac.Membership) error, set map[string]string) error {
	names, values := []string{"work_mem"}, []string{bulkWorkMem}
	for name, value := range set {
		names, values = append(names, name), append(values, value)
	}
	var old []string
	if err := t.tx.QueryRow(ctx, `SELECT array_agg(coalesce(current_setting(s.name, true), '') ORDER BY s.i)
		FROM unnest($1::text[]) WITH ORDINALITY AS s(name, i)`, names).Scan(&old); err != nil {
		return fail(err)
	}
	if err := t.configure(ctx, names, values); err != nil {
		return err
	}
	if err := each(ctx, t, q, args, scanMembership, fn); err != nil {
		return err
	}
	return t.configure(ctx, names, old)
}

// configure sets each setting of names to its value, for the transaction.
func (t *tx) configure(ctx context.Context, names, values []string) error {
	_, err := t.tx.Exec(ctx, `SELECT set_config(s.name, s.value, true) FROM unnest($1::text[], $2::text[]) AS s(name, value)`,
		names, values)
	return fail(err)
}

// ---- group mappings ----

const mappingColumns = `g.id, g.org_id, g.source, g.group_id, g.role_slug, g.created_at, g.updated_at`

func scanMapping(row pgx.CollectableRow) (rbac.GroupMapping, error) {
	var m rbac.GroupMapping
	err := row.Scan(&m.ID, &m.OrganizationID, &m.Source, &m.GroupID, &m.Role, &m.CreatedAt, &m.UpdatedAt)
	m.CreatedAt, m.UpdatedAt = utc(m.CreatedAt), utc(m.UpdatedAt)
	return m, err
}

func (t *tx) GroupMappings(ctx context.Context, q rbac.GroupMappingQuery, fn func(rbac.GroupMapping) error) error {
	if err := t.check(false); err != nil {
		return err
	}
	w := &where{}
	w.and("g.env = " + w.arg(t.env))
	if q.OrganizationID != "" {
		w.and("g.org_id = " + w.arg(q.OrganizationID))
	}
	if q.Role != "" {
		w.and("g.role_slug = " + w.arg(q.Role))
	}
	return each(ctx, t, `SELECT `+mappingColumns+` FROM $s.group_mappings g`+w.sql("g.id", q.Range), w.args, scanMapping, fn)
}

func (t *tx) PutGroupMapping(ctx context.Context, m rbac.GroupMapping) error {
	if err := t.check(true); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO $s.group_mappings (env, org_id, source, group_id, id, role_slug, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (env, org_id, source, group_id) DO UPDATE SET id = excluded.id, role_slug = excluded.role_slug,
			created_at = excluded.created_at, updated_at = excluded.updated_at`,
		t.env, m.OrganizationID, string(m.Source), m.GroupID, m.ID, m.Role, m.CreatedAt, m.UpdatedAt)
	return err
}

func (t *tx) DeleteGroupMapping(ctx context.Context, org string, source rbac.GroupSource, group string) error {
	if err := t.check(true); err != nil {
		return err
	}
	tag, err := t.exec(ctx, `DELETE FROM $s.group_mappings WHERE env = $1 AND org_id = $2 AND source = $3 AND group_id = $4`,
		t.env, org, string(source), group)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("group mapping %q/%q of %q", source, group, org)
	}
	return nil
}

// RepointOrganizationRoleMappings is one statement.
func (t *tx) RepointOrganizationRoleMappings(ctx context.Context, org, from, to string, now time.Time, fn func(rbac.GroupMapping) error) error {
	if err := t.check(true); err != nil {
		return err
	}
	if org == "" {
		return nil
	}
	return t.repoint(ctx, org, from, to, now, fn)
}

// RepointEnvironmentRoleMappings is one statement.
func (t *tx) RepointEnvironmentRoleMappings(ctx context.Context, from, to string, now time.Time, fn func(rbac.GroupMapping) error) error {
	if err := t.check(true); err != nil {
		return err
	}
	return t.repoint(ctx, "", from, to, now, fn)
}

// repoint re-points or deletes the mappings of org ("" for every
// organization) that target from, and hands them to fn as they were
// (role and time of the last change included), by id.
func (t *tx) repoint(ctx context.Context, org, from, to string, now time.Time, fn func(rbac.GroupMapping) error) error {
	var rows pgx.Rows
	var err error
	if to == "" {
		rows, err = t.query(ctx, `DELETE FROM $s.group_mappings g
			WHERE g.env = $1 AND g.role_scope = $2 AND g.role_slug = $3 AND ($4 = '' OR g.org_id = $4)
			RETURNING `+mappingColumns, t.env, scope(org, from), from, org)
	} else {
		rows, err = t.query(ctx, `WITH old AS (
				SELECT `+mappingColumns+` FROM $s.group_mappings g
				WHERE g.env = $1 AND g.role_scope = $2 AND g.role_slug = $3 AND ($4 = '' OR g.org_id = $4)),
			up AS (
				UPDATE $s.group_mappings g SET role_slug = $5, updated_at = $6
				FROM old WHERE g.env = $1 AND g.id = old.id AND g.org_id = old.org_id)
			SELECT * FROM old`, t.env, scope(org, from), from, org, to, now)
	}
	if err != nil {
		return err
	}
	ms, err := pgx.CollectRows(rows, scanMapping)
	if err != nil {
		return fail(err)
	}
	slices.SortFunc(ms, func(a, b rbac.GroupMapping) int { return cmp.Compare(a.ID, b.ID) })
	for _, m := range ms {
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

// ---- change feed ----

// maxListed is the most memberships a row of the changes table lists;
// a write that changed more is marked bulk instead.
const maxListed = 2000

// Publish stores the change, itemized, in the changes table and sends a
// notice on the Store's channel, both in the transaction: the notice goes
// out when it commits.
func (t *tx) Publish(ctx context.Context, revision int64, events []rbac.Event) error {
	if err := t.check(true); err != nil {
		return err
	}
	if t.deleted {
		// The environment and its changes are gone: only the notice goes
		// out, and followers find the environment missing.
		_, err := t.exec(ctx, `SELECT pg_notify($1, $2)`, t.s.q.channel, notice(t.env, revision))
		return err
	}
	c := rbac.ChangeOf(t.env, revision, events)
	if len(c.Memberships) > maxListed {
		c.Memberships, c.Bulk = nil, true
	}
	var roleOrgs, roleSlugs, ids, orgs, users []string
	for _, r := range c.Roles {
		roleOrgs, roleSlugs = append(roleOrgs, r.OrganizationID), append(roleSlugs, r.Slug)
	}
	for _, m := range c.Memberships {
		ids, orgs, users = append(ids, m.ID), append(orgs, m.OrganizationID), append(users, m.UserID)
	}
	_, err := t.exec(ctx, `WITH c AS (
			INSERT INTO $s.changes (env, revision, environment, organizations, itemized, bulk, settings,
				role_orgs, role_slugs, memberships, membership_orgs, membership_users)
			VALUES ($1, $2, $3, $4, true, $5, $6, $7, $8, $9, $10, $11))
		SELECT pg_notify($12, $13)`,
		t.env, revision, c.Environment, nonNil(c.Organizations), c.Bulk, nonNil(c.Settings),
		nonNil(roleOrgs), nonNil(roleSlugs), nonNil(ids), nonNil(orgs), nonNil(users),
		t.s.q.channel, notice(t.env, revision))
	return err
}
