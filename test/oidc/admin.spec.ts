import { startTestApp, type TestApp } from '../harness/app';
import { createAccount, grantRoles, signIn } from '../harness/accounts';
import { csrfOf, textOf } from '../harness/forms';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

it('lets an admin add an organization (its secret shown once, only a hash kept) and change its redirect URIs', async () => {
  const admin = await createAccount(t, `org-admin.${Date.now()}@example.org`);
  await grantRoles(t, admin.email, ['admin']);
  const browser = await signIn(t, admin);
  let page = await browser.get('/admin/organizations');
  expect(page.status).toBe(200);

  const bad = await browser.post('/admin/organizations').type('form').send({ _csrf: csrfOf(page.text), name: 'County Clerk', redirectUris: 'not a url' });
  expect(bad.status).toBe(400);
  expect(textOf(bad.text, 'redirectUris-error')).toMatch(/absolute URL/);
  expect(bad.text).toContain('County Clerk'); // input kept

  const created = await browser
    .post('/admin/organizations')
    .type('form')
    .send({ _csrf: csrfOf(page.text), name: 'County Clerk', redirectUris: 'https://clerk.example/callback', requiresSsn: 'yes' });
  expect(created.status).toBe(200);
  const secret = textOf(created.text, 'client-secret')!;
  expect(secret.length).toBeGreaterThan(30);
  const { rows } = await t.db.sql.query(`select client_id, client_secret_hash, requires_ssn from organization where name = 'County Clerk'`);
  expect(rows[0].requires_ssn).toBe(true);
  expect(rows[0].client_secret_hash).not.toContain(secret);

  page = await browser.get(`/admin/organizations/${rows[0].client_id}`);
  const saved = await browser
    .post(`/admin/organizations/${rows[0].client_id}`)
    .type('form')
    .send({ _csrf: csrfOf(page.text), name: 'County Clerk', redirectUris: 'https://clerk.example/callback\nhttps://clerk.example/cb2' });
  expect(saved.headers.location).toBe('/admin/organizations');
  const after = await t.db.sql.query(`select redirect_uris, requires_ssn from organization where client_id = $1`, [rows[0].client_id]);
  expect(after.rows[0]).toEqual({ redirect_uris: ['https://clerk.example/callback', 'https://clerk.example/cb2'], requires_ssn: false });
  expect((await browser.get('/admin/organizations')).text).toContain('County Clerk');
});
