// WorkOS's Node SDK, unchanged, against rbac serve. Started by the Go test
// TestNodeSDK (cmd/rbac/sdk_node_test.go), which builds and starts the
// server and sets RBAC_URL and RBAC_API_KEY; by hand:
//
//	RBAC_URL=http://127.0.0.1:8080 RBAC_API_KEY=sk_... node --test sdk.test.mjs
//
// The tests run in order and build on each other, as an application would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  WorkOS,
  ConflictException,
  GenericServerException,
  NotFoundException,
  UnauthorizedException,
  UnprocessableEntityException,
} from '@workos-inc/node';

const url = new URL(process.env.RBAC_URL ?? 'http://127.0.0.1:8080');
const key = process.env.RBAC_API_KEY;
assert.ok(key, 'RBAC_API_KEY is not set');

const options = { apiHostname: url.hostname, port: Number(url.port), https: false };
const workos = new WorkOS(key, options);
const { authorization, organizations, userManagement } = workos;

// rbac's own routes (what WorkOS keeps in its Dashboard) have no SDK
// method: plain fetch, same key.
async function rbac(method, path, body) {
  const res = await fetch(new URL(path, url), {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

// rejects asserts that p fails with an error of class cls, and returns it.
async function rejects(p, cls, fields = {}) {
  let err;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected a ${cls.name}, the call succeeded`);
  assert.ok(err instanceof cls, `expected a ${cls.name}, got ${err?.name}: ${err?.message}`);
  for (const [k, v] of Object.entries(fields)) {
    assert.equal(err[k], v, `${cls.name}.${k}`);
  }
  return err;
}

const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const state = {};

test('permissions: create, get, update, list with pagination, delete', async () => {
  const created = await authorization.createPermission({ slug: 'videos:view', name: 'View videos', description: 'Watch' });
  assert.equal(created.object, 'permission');
  assert.equal(created.slug, 'videos:view');
  assert.equal(created.description, 'Watch');
  assert.equal(created.system, false);
  assert.match(created.id, /^perm_/);
  assert.match(created.createdAt, iso);
  for (const [slug, name] of [['videos:create', 'Create videos'], ['videos:delete', 'Delete videos'], ['billing:manage', 'Manage billing'], ['reports:export', 'Export']]) {
    const p = await authorization.createPermission({ slug, name });
    assert.equal(p.description, null);
  }
  const got = await authorization.getPermission('videos:view');
  assert.equal(got.id, created.id);
  const updated = await authorization.updatePermission('videos:view', { name: 'Watch videos', description: null });
  assert.equal(updated.name, 'Watch videos');
  assert.equal(updated.description, null);

  const page = await authorization.listPermissions({ limit: 2 });
  assert.equal(page.data.length, 2);
  assert.ok(page.listMetadata.after, 'a first page of 2 of 5 has an after cursor');
  const all = await authorization.listPermissions();
  const everything = await all.autoPagination();
  assert.deepEqual(everything.map((p) => p.slug).sort(), ['billing:manage', 'reports:export', 'videos:create', 'videos:delete', 'videos:view']);
  const asc = await authorization.listPermissions({ order: 'asc', limit: 100 });
  const ids = asc.data.map((p) => p.id);
  assert.deepEqual(ids, [...ids].sort(), 'ascending by id');

  await authorization.deletePermission('reports:export');
  await rejects(authorization.getPermission('reports:export'), NotFoundException);
  await rejects(authorization.createPermission({ slug: 'videos:view', name: 'Again' }), ConflictException, { code: 'permission_slug_conflict' });
});

test('environment roles: create, conflict, list in priority order, get, update, set and add permissions', async () => {
  const admin = await authorization.createEnvironmentRole({ slug: 'admin', name: 'Admin', description: 'Everything' });
  assert.equal(admin.object, 'role');
  assert.equal(admin.type, 'EnvironmentRole');
  assert.deepEqual(admin.permissions, []);
  assert.equal(admin.resourceTypeSlug, 'organization');
  await authorization.createEnvironmentRole({ slug: 'editor', name: 'Editor' });
  await rejects(authorization.createEnvironmentRole({ slug: 'admin', name: 'Admin' }), ConflictException, { code: 'role_slug_conflict' });

  const list = await authorization.listEnvironmentRoles();
  assert.deepEqual(list.data.map((r) => r.slug), ['member', 'admin', 'editor'], 'new roles at the bottom of the priority order');

  // Reorder through rbac's own route, and the list follows.
  const order = await rbac('PUT', '/rbac/environment/priority_order', { priority_order: ['admin', 'editor', 'member'] });
  assert.equal(order.status, 200);
  assert.deepEqual((await authorization.listEnvironmentRoles()).data.map((r) => r.slug), ['admin', 'editor', 'member']);

  const got = await authorization.getEnvironmentRole('admin');
  assert.equal(got.id, admin.id);
  const updated = await authorization.updateEnvironmentRole('editor', { name: 'Content editor', description: 'Writes' });
  assert.equal(updated.name, 'Content editor');
  assert.equal(updated.description, 'Writes');

  let r = await authorization.setEnvironmentRolePermissions('admin', { permissions: ['videos:view', 'videos:create', 'videos:delete', 'billing:manage'] });
  assert.deepEqual(r.permissions, ['billing:manage', 'videos:create', 'videos:delete', 'videos:view']);
  r = await authorization.setEnvironmentRolePermissions('member', { permissions: ['videos:view'] });
  assert.deepEqual(r.permissions, ['videos:view']);
  r = await authorization.addEnvironmentRolePermission('editor', { permissionSlug: 'videos:view' });
  assert.deepEqual(r.permissions, ['videos:view']);
  r = await authorization.addEnvironmentRolePermission('editor', { permissionSlug: 'videos:create' });
  assert.deepEqual(r.permissions, ['videos:create', 'videos:view']);
  r = await authorization.addEnvironmentRolePermission('editor', { permissionSlug: 'videos:create' });
  assert.deepEqual(r.permissions, ['videos:create', 'videos:view'], 'adding a permission twice is a no-op');

  await rejects(authorization.getEnvironmentRole('nope'), NotFoundException);
  const invalid = await rejects(authorization.createEnvironmentRole({ slug: 'Not A Slug', name: 'X' }), UnprocessableEntityException);
  assert.equal(invalid.code, 'invalid_request_parameters');
});

test('organizations: create, get, list', async () => {
  const acme = await organizations.createOrganization({ name: 'Acme' });
  assert.equal(acme.object, 'organization');
  assert.match(acme.id, /^org_/);
  assert.deepEqual(acme.domains, []);
  assert.deepEqual(acme.metadata, {});
  assert.equal(acme.externalId, null);
  state.acme = acme.id;
  state.globex = (await organizations.createOrganization({ name: 'Globex' })).id;
  const got = await organizations.getOrganization(state.acme);
  assert.equal(got.name, 'Acme');
  const list = await organizations.listOrganizations({ limit: 1 });
  assert.equal(list.data.length, 1);
  const all = await (await organizations.listOrganizations()).autoPagination();
  assert.deepEqual(all.map((o) => o.id).sort(), [state.acme, state.globex].sort());
  await rejects(organizations.getOrganization('org_nope'), NotFoundException);
});

test('organizations: external_id, metadata, update', async () => {
  const o = await organizations.createOrganization({ name: 'Initech', externalId: 'ext-initech', metadata: { tier: 'gold' } });
  assert.equal(o.externalId, 'ext-initech');
  assert.deepEqual(o.metadata, { tier: 'gold' });
  assert.equal((await organizations.getOrganizationByExternalId('ext-initech')).id, o.id);
  await rejects(organizations.createOrganization({ name: 'Initech again', externalId: 'ext-initech' }), GenericServerException,
    { status: 400, code: 'external_id_already_used' });
  const u = await organizations.updateOrganization({ organization: o.id, name: 'Initech Corp', externalId: 'ext-initech-corp', metadata: { tier: 'silver', region: 'eu' } });
  assert.equal(u.name, 'Initech Corp');
  assert.equal(u.externalId, 'ext-initech-corp');
  assert.deepEqual(u.metadata, { tier: 'silver', region: 'eu' });
  await rejects(organizations.getOrganizationByExternalId('ext-initech'), NotFoundException);
  await organizations.deleteOrganization(o.id);
  await rejects(organizations.getOrganizationByExternalId('ext-initech-corp'), NotFoundException);
});

test('organization roles: create (prefixed), conflict, list in the organization order, get, update, permissions', async () => {
  const billing = await authorization.createOrganizationRole(state.acme, { slug: 'billing', name: 'Billing', description: 'Invoices' });
  assert.equal(billing.slug, 'org-billing', 'the slug comes back prefixed');
  assert.equal(billing.type, 'OrganizationRole');
  const generated = await authorization.createOrganizationRole(state.acme, { name: 'Night Shift' });
  assert.match(generated.slug, /^org-night-shift-[a-z0-9]{6}$/);
  await rejects(authorization.createOrganizationRole(state.acme, { slug: 'org-billing', name: 'Billing' }), ConflictException, { code: 'organization_role_slug_conflict' });

  const list = await authorization.listOrganizationRoles(state.acme);
  assert.deepEqual(list.data.map((r) => r.slug), ['admin', 'editor', 'member', 'org-billing', generated.slug]);
  assert.deepEqual((await authorization.listOrganizationRoles(state.globex)).data.map((r) => r.slug), ['admin', 'editor', 'member']);

  // An environment role created now lands at the bottom of acme's own order.
  await authorization.createEnvironmentRole({ slug: 'intern', name: 'Intern' });
  assert.deepEqual((await authorization.listOrganizationRoles(state.acme)).data.map((r) => r.slug), ['admin', 'editor', 'member', 'org-billing', generated.slug, 'intern']);

  assert.equal((await authorization.getOrganizationRole(state.acme, 'org-billing')).id, billing.id);
  assert.equal((await authorization.getOrganizationRole(state.acme, 'admin')).type, 'EnvironmentRole');
  await rejects(authorization.getOrganizationRole(state.globex, 'org-billing'), NotFoundException);
  const updated = await authorization.updateOrganizationRole(state.acme, 'org-billing', { name: 'Billing team', description: null });
  assert.equal(updated.name, 'Billing team');
  assert.equal(updated.description, null);

  let r = await authorization.setOrganizationRolePermissions(state.acme, 'org-billing', { permissions: ['billing:manage', 'videos:view'] });
  assert.deepEqual(r.permissions, ['billing:manage', 'videos:view']);
  r = await authorization.addOrganizationRolePermission(state.acme, 'org-billing', { permissionSlug: 'videos:create' });
  assert.deepEqual(r.permissions, ['billing:manage', 'videos:create', 'videos:view']);
  await authorization.removeOrganizationRolePermission(state.acme, 'org-billing', { permissionSlug: 'videos:view' });
  assert.deepEqual((await authorization.getOrganizationRole(state.acme, 'org-billing')).permissions, ['billing:manage', 'videos:create']);

  await authorization.deleteOrganizationRole(state.acme, generated.slug);
  await rejects(authorization.getOrganizationRole(state.acme, generated.slug), NotFoundException);
});

test('memberships: one role, invalid role, several roles, update, deactivate, reactivate, list, delete', async () => {
  const m = await userManagement.createOrganizationMembership({ organizationId: state.acme, userId: 'user_alice', roleSlug: 'admin' });
  assert.equal(m.object, 'organization_membership');
  assert.match(m.id, /^om_/);
  assert.equal(m.status, 'active');
  assert.equal(m.organizationName, 'Acme');
  assert.deepEqual(m.role, { slug: 'admin' });
  assert.deepEqual(m.roles, [{ slug: 'admin' }]);
  state.alice = m.id;

  const bob = await userManagement.createOrganizationMembership({ organizationId: state.acme, userId: 'user_bob' });
  assert.deepEqual(bob.role, { slug: 'member' }, 'no role: the default role');
  state.bob = bob.id;

  await rejects(userManagement.createOrganizationMembership({ organizationId: state.globex, userId: 'user_carol', roleSlug: 'org-billing' }),
    UnprocessableEntityException, { code: 'invalid_role' });
  await rejects(userManagement.createOrganizationMembership({ organizationId: state.acme, userId: 'user_carol', roleSlugs: ['admin', 'editor'] }),
    UnprocessableEntityException, { code: 'multiple_roles_not_enabled' });
  await rejects(userManagement.createOrganizationMembership({ organizationId: state.acme, userId: 'user_alice' }),
    ConflictException, { code: 'organization_membership_already_exists' });

  assert.equal((await rbac('PUT', '/rbac/environment/multiple_roles', { enabled: true })).status, 200);
  const carol = await userManagement.createOrganizationMembership({ organizationId: state.acme, userId: 'user_carol', roleSlugs: ['member', 'org-billing', 'editor'] });
  assert.deepEqual(carol.roles, [{ slug: 'editor' }, { slug: 'member' }, { slug: 'org-billing' }], 'in priority order');
  assert.deepEqual(carol.role, { slug: 'editor' }, 'the primary role is the highest');
  state.carol = carol.id;

  const got = await userManagement.getOrganizationMembership(state.alice);
  assert.equal(got.userId, 'user_alice');
  assert.equal(got.organizationId, state.acme);

  let u = await userManagement.updateOrganizationMembership(state.bob, { roleSlug: 'editor' });
  assert.deepEqual(u.roles, [{ slug: 'editor' }]);
  u = await userManagement.updateOrganizationMembership(state.bob, { roleSlugs: ['editor', 'org-billing'] });
  assert.deepEqual(u.roles, [{ slug: 'editor' }, { slug: 'org-billing' }]);

  const d = await userManagement.deactivateOrganizationMembership(state.bob);
  assert.equal(d.status, 'inactive');
  assert.equal((await userManagement.deactivateOrganizationMembership(state.bob)).status, 'inactive', 'deactivating twice is a no-op');
  const active = await userManagement.listOrganizationMemberships({ organizationId: state.acme });
  assert.deepEqual(active.data.map((m) => m.userId).sort(), ['user_alice', 'user_carol'], 'active only by default');
  const inactive = await userManagement.listOrganizationMemberships({ organizationId: state.acme, statuses: ['inactive'] });
  assert.deepEqual(inactive.data.map((m) => m.userId), ['user_bob']);
  const both = await userManagement.listOrganizationMemberships({ organizationId: state.acme, statuses: ['active', 'inactive'], limit: 2 });
  assert.equal(both.data.length, 2);
  assert.ok(both.listMetadata.after);
  assert.equal((await both.autoPagination()).length, 2, 'autoPagination returns the first page when a limit is given');
  const byUser = await userManagement.listOrganizationMemberships({ userId: 'user_alice' });
  assert.deepEqual(byUser.data.map((m) => m.id), [state.alice]);

  const r = await userManagement.reactivateOrganizationMembership(state.bob);
  assert.equal(r.status, 'active');
  assert.deepEqual(r.roles, [{ slug: 'editor' }, { slug: 'org-billing' }], 'reactivation keeps the roles');

  // Creating over an inactive membership reactivates it with the roles given.
  await userManagement.deactivateOrganizationMembership(state.bob);
  const again = await userManagement.createOrganizationMembership({ organizationId: state.acme, userId: 'user_bob', roleSlug: 'member' });
  assert.equal(again.id, state.bob);
  assert.equal(again.status, 'active');
  assert.deepEqual(again.roles, [{ slug: 'member' }]);

  // A pending membership (an invitation, through rbac's own route).
  const invite = await rbac('POST', '/rbac/organization_memberships', { organization_id: state.acme, user_id: 'user_dave', status: 'pending' });
  assert.equal(invite.status, 201);
  await rejects(userManagement.reactivateOrganizationMembership(invite.body.id), GenericServerException,
    { status: 400, code: 'cannot_reactivate_pending_organization_membership' });
  await rejects(userManagement.deactivateOrganizationMembership(invite.body.id), GenericServerException,
    { status: 400, code: 'cannot_deactivate_pending_organization_membership' });

  await userManagement.deleteOrganizationMembership(invite.body.id);
  await rejects(userManagement.getOrganizationMembership(invite.body.id), NotFoundException);
});

test('check', async () => {
  const check = (id, permissionSlug) => authorization.check({ organizationMembershipId: id, permissionSlug,
    resourceTypeSlug: 'organization', resourceExternalId: state.acme });
  assert.deepEqual(await check(state.alice, 'billing:manage'), { authorized: true });
  assert.deepEqual(await check(state.bob, 'billing:manage'), { authorized: false });
  assert.deepEqual(await check(state.carol, 'billing:manage'), { authorized: true }, 'through org-billing');
  await userManagement.updateOrganizationMembership(state.bob, { roleSlug: 'org-billing' });
  assert.deepEqual(await check(state.bob, 'billing:manage'), { authorized: true }, 'a write is visible to the next check');
  await userManagement.deactivateOrganizationMembership(state.bob);
  assert.deepEqual(await check(state.bob, 'billing:manage'), { authorized: false }, 'inactive');
  assert.deepEqual(await authorization.check({ organizationMembershipId: state.alice, permissionSlug: 'videos:view', resourceId: state.acme }), { authorized: true });
  await rejects(authorization.check({ organizationMembershipId: 'om_nope', permissionSlug: 'videos:view', resourceId: state.acme }), NotFoundException);
  await rejects(authorization.check({ organizationMembershipId: state.alice, permissionSlug: 'videos:view', resourceTypeSlug: 'project', resourceExternalId: 'p1' }), NotFoundException);
});

test('deleting organization roles: role_has_assignments, role_has_group_role_mappings, then with a reassignment', async () => {
  // bob (inactive) and carol hold org-billing.
  await rejects(authorization.deleteOrganizationRole(state.acme, 'org-billing'), ConflictException, { code: 'role_has_assignments' });
  const sso = await authorization.createOrganizationRole(state.acme, { slug: 'sso', name: 'SSO users' });
  const mapping = await rbac('POST', `/rbac/organizations/${state.acme}/group_role_mappings`, { source: 'sso', group_id: 'grp_sso', role_slug: sso.slug });
  assert.equal(mapping.status, 201);
  await rejects(authorization.deleteOrganizationRole(state.acme, sso.slug), ConflictException, { code: 'role_has_group_role_mappings' });

  const plan = await rbac('DELETE', `/rbac/organizations/${state.acme}/roles/org-billing?reassign_to=member&dry_run=true`);
  assert.equal(plan.status, 200);
  assert.deepEqual([...plan.body.memberships].sort(), [state.bob, state.carol].sort());
  assert.equal((await authorization.getOrganizationRole(state.acme, 'org-billing')).slug, 'org-billing', 'a dry run changes nothing');
  const done = await rbac('DELETE', `/rbac/organizations/${state.acme}/roles/org-billing?reassign_to=member`);
  assert.equal(done.status, 200);
  assert.deepEqual((await userManagement.getOrganizationMembership(state.carol)).roles, [{ slug: 'editor' }, { slug: 'member' }]);
  await rejects(authorization.getOrganizationRole(state.acme, 'org-billing'), NotFoundException);
});

test('errors: a wrong key, another environment', async () => {
  const stranger = new WorkOS('sk_not_a_key', { ...options, maxRetries: 0 });
  await rejects(stranger.authorization.listEnvironmentRoles(), UnauthorizedException);
  await rejects(stranger.userManagement.getOrganizationMembership(state.alice), UnauthorizedException);
});

test('deleting an organization', async () => {
  await organizations.deleteOrganization(state.globex);
  await rejects(organizations.getOrganization(state.globex), NotFoundException);
});
