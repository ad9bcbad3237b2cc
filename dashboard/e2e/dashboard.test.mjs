// The Dashboard in a real browser: Playwright driving Debian's Chromium.
//
// Started by TestBrowser (dashboard/e2e_test.go), which serves the
// Dashboard over an in-memory store with the test data on 127.0.0.1 and
// passes:
//
//	RBAC_DASHBOARD_URL          the Dashboard's URL, ending in /dashboard/
//	RBAC_DASHBOARD_KEY          an API key of the environment "production"
//	RBAC_DASHBOARD_SCREENSHOTS  the folder the screenshots of each step go to
//
// The tests run in order and share one signed-in page: together they walk
// the story of organization roles, then try a forged cross-site form and a
// role named like a script.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import fs from 'node:fs';
import { chromium } from 'playwright-core';

const BASE = process.env.RBAC_DASHBOARD_URL;
const KEY = process.env.RBAC_DASHBOARD_KEY;
const SHOTS = process.env.RBAC_DASHBOARD_SCREENSHOTS;
if (!BASE || !KEY || !SHOTS) {
  throw new Error('RBAC_DASHBOARD_URL, RBAC_DASHBOARD_KEY and RBAC_DASHBOARD_SCREENSHOTS must be set (TestBrowser sets them)');
}
fs.mkdirSync(SHOTS, { recursive: true });

let browser, page;
const dialogs = [];
const pageErrors = [];

before(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(10_000);
  page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

after(async () => {
  await browser?.close();
});

// step is one test of the story; once one fails the later ones, which
// build on it, are skipped, and the page at the failure is kept.
let failed = false;
function step(name, fn) {
  test(name, async (t) => {
    if (failed) {
      t.skip('an earlier step failed');
      return;
    }
    try {
      await fn();
    } catch (e) {
      failed = true;
      await shot('failed').catch(() => {});
      throw e;
    }
  });
}

async function shot(name) {
  await page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: true });
}

const url = (p) => new URL(p, BASE).toString();

// rowSlugs lists the slugs of a roles table, top to bottom.
async function rowSlugs(table) {
  return page.locator(`table[data-testid="${table}"] tbody tr`).evaluateAll((rows) => rows.map((r) => r.dataset.slug));
}

// nav follows a link of the top navigation.
async function nav(name) {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name, exact: true }).click();
}

async function flash() {
  return (await page.getByTestId('flash').textContent()).trim();
}

step('sign in with an API key', async () => {
  await page.goto(url('roles'));
  assert.match(page.url(), /\/dashboard\/sign-in\?next=/);
  await shot('01-sign-in');
  // The key field has the focus: type the key and press Enter.
  assert.equal(await page.evaluate(() => document.activeElement.id), 'api_key');
  await page.keyboard.type('not-a-key');
  await page.keyboard.press('Enter');
  assert.match(await page.getByTestId('error').textContent(), /That API key is not one of this server's keys\./);
  await page.fill('#api_key', KEY);
  await page.keyboard.press('Enter');
  await page.waitForURL(url('roles'));
  assert.equal(await page.getByTestId('environment').textContent(), 'production');
  assert.deepEqual(await rowSlugs('roles'), ['admin', 'member']);
  await shot('02-environment-roles');
});

step('find the organization and open its Roles tab', async () => {
  await nav('Organizations');
  await page.getByLabel('Search by id, name or external id').fill('acme');
  await page.keyboard.press('Enter');
  await page.waitForURL(/organizations\?q=acme/);
  assert.equal(await page.locator('table[data-testid="organizations"] tbody tr').count(), 1);
  await shot('03-organizations-search');
  await page.getByRole('link', { name: 'Acme Inc' }).click();
  await page.waitForURL(/org\/roles\?org=acme/);
  assert.match(await page.getByTestId('settings-notice').textContent(), /inherits the environment's default role \(member\) and priority order/);
  assert.deepEqual(await rowSlugs('org-roles'), ['admin', 'member']);
  await shot('04-organization-roles-inherited');
});

step('create an organization role: the org- slug and the organization\'s own order', async () => {
  const name = page.getByLabel('Name', { exact: true });
  const slug = page.getByLabel('Slug (optional)');
  const preview = page.getByTestId('slug-preview');
  await name.fill('Billing Admin');
  // Without a slug, the preview shows the slug made from the name.
  assert.equal((await preview.textContent()).replace(/\s+/g, ' ').trim(), 'org-billing-admin-xxxxxx (x: six random letters and digits)');
  // From the keyboard: Tab goes from the name to the slug.
  await name.focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.name), 'slug');
  await page.keyboard.type('billing-admin');
  assert.equal((await preview.textContent()).trim(), 'org-billing-admin');
  await page.getByRole('checkbox', { name: /billing:manage/ }).check();
  await shot('05-create-organization-role');
  await page.getByRole('button', { name: 'Create role' }).click();
  await page.waitForURL(/org\/roles\?org=acme/);
  assert.equal(await flash(), "Role org-billing-admin created at the bottom of this organization's priority order.");
  assert.deepEqual(await rowSlugs('org-roles'), ['admin', 'member', 'org-billing-admin']);
  assert.equal((await page.locator('#role-org-billing-admin [data-testid="type"]').textContent()).trim(), 'Organization');
  assert.match(await page.getByTestId('settings-notice').textContent(), /has its own default role \(member\) and priority order, independent of the environment/);
  assert.equal(await slug.count(), 1);
  await shot('06-organization-role-created');
});

step('a new environment role goes to the bottom of the organization\'s order', async () => {
  await nav('Roles');
  await page.getByLabel('Name', { exact: true }).fill('Auditor');
  await page.getByLabel('Slug', { exact: true }).fill('auditor');
  await page.getByRole('button', { name: 'Create role' }).click();
  await page.waitForURL(url('roles'));
  assert.equal(await flash(), 'Role auditor created at the bottom of the priority order.');
  assert.deepEqual(await rowSlugs('roles'), ['admin', 'member', 'auditor']);
  await page.goto(url('org/roles?org=acme'));
  assert.deepEqual(await rowSlugs('org-roles'), ['admin', 'member', 'org-billing-admin', 'auditor']);
  assert.equal((await page.locator('#role-auditor [data-testid="type"]').textContent()).trim(), 'Environment (inherited)');
  await shot('07-environment-role-at-the-bottom');
});

step('make it the organization\'s default', async () => {
  await page.getByRole('button', { name: 'Make default auditor' }).click();
  await page.waitForURL(/org\/roles\?org=acme/);
  assert.equal(await flash(), "Role auditor is now this organization's default role.");
  assert.equal(await page.locator('#role-auditor .badge.default').count(), 1);
  assert.equal(await page.locator('#role-member .badge.default').count(), 0);
  assert.match(await page.getByTestId('settings-notice').textContent(), /own default role \(auditor\)/);
  await shot('08-organization-default');
});

step('members get the role: a new member by default, another by hand', async () => {
  await page.getByRole('link', { name: 'Members' }).click();
  await page.getByLabel('User id').fill('erin');
  await page.getByRole('button', { name: 'Add member' }).click();
  await page.waitForURL(/org\/members\?org=acme/);
  assert.equal(await flash(), 'erin is a member with the role auditor.');
  await page.getByLabel('Role of bob').selectOption('auditor');
  await page.getByRole('button', { name: 'Save roles of bob' }).click();
  await page.waitForURL(/org\/members\?org=acme/);
  assert.equal(await flash(), 'bob now has the role auditor.');
  const roles = async (user) => (await page.locator(`tr[data-user="${user}"] [data-testid="member-roles"]`).textContent()).trim();
  assert.equal(await roles('bob'), 'auditor');
  assert.equal(await roles('erin'), 'auditor');
  await shot('09-members');
});

step('delete it: select a replacement role, see the plan, and the members reassigned', async () => {
  await nav('Roles');
  await page.waitForURL(url('roles'));
  await page.getByRole('link', { name: 'Delete auditor' }).click();
  const step = page.getByTestId('replacement-step');
  await step.waitFor();
  assert.match(await step.textContent(), /Select a replacement role/);
  assert.match(await step.textContent(), /It is the default role of 1 organizations: acme/);
  assert.equal(await page.getByTestId('plan').count(), 0, 'no plan before a replacement is chosen');
  await shot('10-select-a-replacement-role');
  await page.getByLabel('Replacement role', { exact: true }).selectOption('member');
  await page.getByRole('button', { name: 'Continue' }).click();
  const plan = page.getByTestId('plan');
  await plan.waitFor();
  assert.match(await plan.textContent(), /The default role of 1 organizations becomes member: acme/);
  assert.match((await page.getByTestId('plan-memberships').textContent()).replace(/\s+/g, ' '), /^2 memberships are reassigned/);
  await shot('11-deletion-plan');
  await page.getByRole('button', { name: 'Delete role auditor' }).click();
  await page.waitForURL(url('roles'));
  assert.equal(await flash(), 'Role auditor deleted; 2 memberships reassigned. member is now the default role wherever auditor was (1 organizations).');
  assert.deepEqual(await rowSlugs('roles'), ['admin', 'member']);
  await page.goto(url('org/members?org=acme'));
  const roles = async (user) => (await page.locator(`tr[data-user="${user}"] [data-testid="member-roles"]`).textContent()).trim();
  assert.equal(await roles('bob'), 'member');
  assert.equal(await roles('erin'), 'member');
  await shot('12-members-reassigned');
  await page.goto(url('org/roles?org=acme'));
  assert.deepEqual(await rowSlugs('org-roles'), ['admin', 'member', 'org-billing-admin']);
  assert.equal(await page.locator('#role-member .badge.default').count(), 1);
});

step('the Groups tab maps a group to a role', async () => {
  await page.getByRole('link', { name: 'Groups' }).click();
  await page.getByLabel('Group id').fill('finance');
  await page.getByLabel('Role', { exact: true }).selectOption('org-billing-admin');
  await page.getByRole('button', { name: 'Map group' }).click();
  await page.waitForURL(/org\/groups\?org=acme/);
  assert.equal(await flash(), 'The directory group finance maps to org-billing-admin.');
  await shot('13-groups');
});

step('an error is shown where it happens, in the library\'s words', async () => {
  await page.goto(url('permissions'));
  await page.getByLabel('Slug').fill('Bad Slug');
  await page.getByLabel('Name').fill('Bad');
  await page.getByRole('button', { name: 'Create permission' }).click();
  const err = page.getByTestId('error');
  await err.waitFor();
  assert.match(await err.textContent(), /permission slug "Bad Slug" has the character 'B', which is not allowed/);
  assert.equal(await page.getByLabel('Slug').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByLabel('Slug').inputValue(), 'Bad Slug', 'the form keeps what was typed');
  await shot('14-permission-error');
});

step('a forged cross-site form is refused', async () => {
  // An attacker's page on another origin that posts a form to the
  // Dashboard as soon as it loads, with the browser's cookies.
  const attacker = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(`<!doctype html><title>Win a prize</title>
<form method="post" action="${url('roles')}">
<input name="slug" value="forged"><input name="name" value="Forged"><input name="csrf_token" value="guessed">
</form><script>document.forms[0].submit()</script>`);
  });
  await new Promise((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  try {
    const response = page.waitForResponse((r) => r.url() === url('roles') && r.request().method() === 'POST');
    await page.goto(`http://127.0.0.1:${attacker.address().port}/`);
    const res = await response;
    assert.equal(res.status(), 403);
    await page.getByText('This request came from another site and was refused: nothing was changed.').waitFor();
    await shot('15-forged-request-refused');
  } finally {
    attacker.close();
  }
  await page.goto(url('roles'));
  assert.deepEqual(await rowSlugs('roles'), ['admin', 'member'], 'the forged role was not created');
});

step('a role named like a script renders as text', async () => {
  const evil = '<script>alert(1)</script>';
  await page.getByLabel('Name', { exact: true }).fill(evil);
  await page.getByLabel('Slug', { exact: true }).fill('xss');
  await page.getByRole('button', { name: 'Create role' }).click();
  await page.waitForURL(url('roles'));
  assert.equal((await page.locator('#role-xss .name').textContent()), evil);
  await page.goto(url('org/roles?org=acme'));
  assert.equal((await page.locator('#role-xss .name').textContent()), evil);
  const scripts = await page.locator('script').evaluateAll((s) => s.map((e) => e.getAttribute('src')));
  assert.equal(scripts.length, 1);
  assert.match(scripts[0], /\/dashboard\/static\/dashboard\.js\?v=/);
  assert.deepEqual(dialogs, [], 'no script ran');
  await shot('16-script-name-escaped');
});

step('readable at a narrow width, with a visible keyboard focus', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(url('org/roles?org=acme'));
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  await shot('17-narrow-organization-roles');
  // The first Tab reaches the skip link, which shows itself and is outlined.
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => {
    const e = document.activeElement;
    const s = getComputedStyle(e);
    return { text: e.textContent, outline: s.outlineStyle, left: e.getBoundingClientRect().left };
  });
  assert.equal(focused.text, 'Skip to content');
  assert.equal(focused.outline, 'solid');
  assert.ok(focused.left >= 0, 'the focused skip link is on screen');
  await page.setViewportSize({ width: 1280, height: 900 });
});

step('the live slug preview makes the slug the server makes', async () => {
  const names = ['  Billing -- Admin__Team  ', 'Ünïcode Näme', 'İstanbul Office', '日本語', 'x'.repeat(60), 'a_-b', '---'];
  for (const name of names) {
    await page.goto(url('org/roles?org=globex'));
    await page.getByLabel('Name', { exact: true }).fill(name);
    const live = (await page.getByTestId('slug-preview').textContent()).replace(/\s+/g, ' ').trim();
    // The server's preview: the form's hidden "Preview slug" button.
    const posted = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === url('org/roles?org=globex'));
    await page.locator('#create-org-role').evaluate((f) => f.requestSubmit(f.querySelector('button[name="preview"]')));
    assert.equal((await posted).status(), 200);
    await page.waitForLoadState();
    const server = (await page.getByTestId('slug-preview').textContent()).replace(/\s+/g, ' ').trim();
    assert.equal(live, server, `the previews of ${JSON.stringify(name)} differ`);
  }
});

step('works without JavaScript: the slug preview is a button', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  try {
    const p = await context.newPage();
    await p.goto(url('sign-in'));
    await p.fill('#api_key', KEY);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.goto(url('org/roles?org=globex'));
    await p.getByLabel('Name', { exact: true }).fill('Support Staff');
    await p.getByRole('button', { name: 'Preview slug' }).click();
    assert.equal((await p.getByTestId('slug-preview').textContent()).replace(/\s+/g, ' ').trim(),
      'org-support-staff-xxxxxx (x: six random letters and digits)');
    assert.equal(await p.getByLabel('Name', { exact: true }).inputValue(), 'Support Staff', 'the preview keeps the form');
    await p.getByRole('button', { name: 'Create role' }).click();
    assert.match(await p.getByTestId('flash').textContent(), /^Role org-support-staff-[a-z0-9]{6} created at the bottom/);
    await p.screenshot({ path: path.join(SHOTS, '18-without-javascript.png'), fullPage: true });
  } finally {
    await context.close();
  }
});

test('no script error on any page', async () => {
  assert.deepEqual(pageErrors, []);
});
