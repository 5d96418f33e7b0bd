/**
 * Referee as an OpenID provider, driven by openid-client as an organization would: discovery,
 * the code flow with PKCE through the real sign-in (password + second factor) and consent
 * pages, ID token and userinfo with verified_claims, refresh, revocation, and the refusals.
 */
import * as client from 'openid-client';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { createAccount, signIn, type TestPerson } from '../harness/accounts';
import { startTestApp, type TestApp } from '../harness/app';
import { csrfOf } from '../harness/forms';
import { OidcProviderService } from '../../src/oidc/provider.service';
import { SigningKeysService } from '../../src/oidc/signing-keys.service';
import {
  CALLBACK,
  authorizationRequest,
  createOrganization,
  follow,
  inContext,
  organizationClient,
  press,
  recordVerified,
  uidOf,
  verifiedIdentity,
} from './flow';

let t: TestApp;
let base: string;
let issuer: string;
let n = 0;

beforeAll(async () => {
  t = await startTestApp({}, { publicPort: true });
  base = await t.listen();
  issuer = `${base}/oidc`;
});
afterAll(() => t?.close());

type Agent = ReturnType<TestApp['browser']>;

async function person(): Promise<{ person: TestPerson; browser: Agent; accountId: string }> {
  const email = `oidc${++n}.${Date.now()}@example.org`;
  const p = await createAccount(t, email);
  const browser = await signIn(t, p);
  const { rows } = await t.db.sql.query('select id from account where email = $1', [email]);
  return { person: p, browser, accountId: rows[0].id };
}

/** Authorize → (consent page) → Allow → back at the organization with a code; then tokens. */
async function fullFlow(config: client.Configuration, browser: Agent, params: Record<string, string> = {}) {
  const started = await authorizationRequest(config, params);
  let page = await follow(browser, started.url.toString());
  if (!page.offsite) {
    expect(page.path).toMatch(/^\/interaction\/[^/]+$/);
    page = await press(browser, page, `/interaction/${uidOf(page.path)}/allow`);
  }
  expect(page.offsite).toBeDefined();
  const tokens = await client.authorizationCodeGrant(config, new URL(page.offsite!), {
    pkceCodeVerifier: started.verifier,
    expectedState: started.state,
    expectedNonce: started.nonce,
    idTokenExpected: true,
  });
  return { tokens, started, callback: page.offsite! };
}

/** Back at the organization with a code (pressing Allow when consent is asked). */
async function callbackFor(config: client.Configuration, browser: Agent, params: Record<string, string> = {}) {
  const started = await authorizationRequest(config, params);
  let page = await follow(browser, started.url.toString());
  if (!page.offsite) page = await press(browser, page, `/interaction/${uidOf(page.path)}/allow`);
  return { started, callback: new URL(page.offsite!) };
}

const VERIFIED_REQUEST = JSON.stringify({
  userinfo: {
    verified_claims: {
      verification: { trust_framework: null, time: null, evidence: null },
      claims: { given_name: null, family_name: null, birthdate: null },
    },
  },
  id_token: { verified_claims: { verification: { trust_framework: { value: 'nist_800_63A' } }, claims: { family_name: null } } },
});

describe('discovery', () => {
  it('publishes the issuer, the code flow only, PKCE S256, and the Identity Assurance metadata', async () => {
    const metadata = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
    expect(metadata.issuer).toBe(issuer);
    expect(metadata.authorization_endpoint).toBe(`${issuer}/auth`);
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
    expect(metadata.grant_types_supported).not.toContain('implicit');
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']);
    expect(metadata.claims_parameter_supported).toBe(true);
    expect(metadata.verified_claims_supported).toBe(true);
    expect(metadata.trust_frameworks_supported).toEqual(['nist_800_63A']);
    expect(metadata.evidence_supported).toEqual(['document']);
    expect(metadata.documents_supported).toContain('passport');
    expect(metadata.documents_check_methods_supported).toEqual(['vri', 'pvr']);
    expect(metadata.claims_in_verified_claims_supported).toEqual(expect.arrayContaining(['given_name', 'family_name', 'birthdate', 'address']));
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['openid', 'email', 'profile', 'address', 'phone', 'verified_identity']));
    for (const endpoint of ['userinfo_endpoint', 'revocation_endpoint', 'introspection_endpoint', 'end_session_endpoint', 'jwks_uri']) {
      expect(metadata[endpoint]).toMatch(new RegExp(`^${issuer}/`));
    }
  });

  it('publishes one RSA public key and no private part', async () => {
    const jwks = await (await fetch(`${issuer}/jwks`)).json();
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    for (const part of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(jwks.keys[0][part]).toBeUndefined();
    const { rows } = await t.db.sql.query('select private_jwk_sealed from oidc_signing_key');
    expect(rows).toHaveLength(1);
    expect(rows[0].private_jwk_sealed).toMatch(/^pii1\./);
    expect(rows[0].private_jwk_sealed).not.toContain(jwks.keys[0].n.slice(0, 20));
  });

  it('serves no development interactions', async () => {
    const res = await fetch(`${issuer}/interaction/abc`, { redirect: 'manual' });
    expect(res.status).toBe(404);
  });
});

describe('the authorization code flow with PKCE, through sign-in and consent', () => {
  it('signs in, asks for consent in plain words, and gives a verified ID token and userinfo with verified_claims', async () => {
    const { clientId, clientSecret } = await createOrganization(t, { name: 'Department of Examples' });
    const config = await organizationClient(issuer, clientId, clientSecret);
    const { browser, accountId } = await person();
    await recordVerified(t, accountId);

    const started = await authorizationRequest(config, { scope: 'openid email', claims: VERIFIED_REQUEST, acr_values: 'urn:referee:ial:2' });
    const consent = await follow(browser, started.url.toString());
    expect(consent.path).toMatch(/^\/interaction\/[^/]+$/);
    expect(consent.text).toContain('Share your information with Department of Examples');
    expect(consent.text).toContain('Your email address');
    expect(consent.text).toMatch(/Your verified identity: your first name, your last name, your middle name, your date of birth, your address/);
    expect(consent.text).toMatch(/<button type="submit" class="usa-button">Allow<\/button>/);
    expect(consent.text).toMatch(/>Deny<\/button>/);

    const back = await press(browser, consent, `/interaction/${uidOf(consent.path)}/allow`);
    const callback = new URL(back.offsite!);
    expect(callback.origin + callback.pathname).toBe(CALLBACK);
    expect(callback.searchParams.get('state')).toBe(started.state);
    expect(callback.searchParams.get('iss')).toBe(issuer);

    // openid-client checks the ID token's signature (our JWKS), issuer, audience, nonce and the PKCE verifier.
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: started.verifier,
      expectedState: started.state,
      expectedNonce: started.nonce,
      idTokenExpected: true,
    });
    const idToken = tokens.claims()!;
    expect(idToken.sub).toBe(accountId);
    expect(idToken.nonce).toBe(started.nonce);
    expect(idToken.acr).toBe('urn:referee:ial:2');
    expect(idToken.verified_claims).toEqual({ verification: { trust_framework: 'nist_800_63A' }, claims: { family_name: 'Okafor' } });
    expect(tokens.refresh_token).toBeUndefined();

    const userinfo = await client.fetchUserInfo(config, tokens.access_token, accountId);
    expect(userinfo.email).toMatch(/@example\.org$/);
    expect(userinfo.email_verified).toBe(true);
    expect(userinfo.verified_claims).toEqual({
      verification: {
        trust_framework: 'nist_800_63A',
        time: '2026-11-20T10:00:00.000Z',
        evidence: [
          {
            type: 'document',
            check_details: [
              { check_method: 'vri', check_id: 'review-1', time: '2026-11-19T09:00:00.000Z' },
              { check_method: 'pvr', check_id: 'call-1', time: '2026-11-20T10:00:00.000Z' },
            ],
            document_details: {
              type: 'passport',
              document_number: 'A01234567',
              date_of_issuance: '2020-01-15',
              date_of_expiry: '2030-01-14',
              issuer: { name: 'Nigeria Immigration Service', country_code: 'NGA' },
            },
          },
        ],
      },
      claims: { given_name: 'Amina', family_name: 'Okafor', birthdate: '1990-04-12' },
    });
    // Not consented to (no profile or address scope): not released.
    expect(userinfo.given_name).toBeUndefined();
    expect(userinfo.address).toBeUndefined();

    // Consent is remembered: the next request goes straight back to the organization.
    const again = await authorizationRequest(config, { scope: 'openid email', claims: VERIFIED_REQUEST });
    expect((await follow(browser, again.url.toString())).offsite).toMatch(/^https:\/\/org\.example\/callback\?code=/);
  });

  it('gives the whole verified identity for the verified_identity scope, and the profile and address as verified', async () => {
    const { clientId, clientSecret } = await createOrganization(t);
    const config = await organizationClient(issuer, clientId, clientSecret);
    const { browser, accountId } = await person();
    await recordVerified(t, accountId);
    const { tokens } = await fullFlow(config, browser, { scope: 'openid profile address verified_identity' });
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, accountId);
    expect(userinfo).toMatchObject({
      given_name: 'Amina',
      family_name: 'Okafor',
      name: 'Amina Okafor',
      birthdate: '1990-04-12',
      address: { street_address: '12 Allen Avenue', locality: 'Ikeja', region: 'Lagos', postal_code: '100271', country: 'NG' },
    });
    expect(userinfo.email).toBeUndefined();
    const verified = userinfo.verified_claims as { verification: Record<string, unknown>; claims: Record<string, unknown> };
    expect(verified.verification).toMatchObject({ trust_framework: 'nist_800_63A', assurance_level: 'ial2', verification_process: 'case-7f3a' });
    expect(verified.claims).toMatchObject({ given_name: 'Amina', family_name: 'Okafor', birthdate: '1990-04-12' });
  });

  it('releases only the claims the organization may receive', async () => {
    const { clientId, clientSecret } = await createOrganization(t, { allowedClaims: ['email', 'verified_claims', 'given_name'] });
    const config = await organizationClient(issuer, clientId, clientSecret);
    const { browser, accountId } = await person();
    await recordVerified(t, accountId);
    const { tokens } = await fullFlow(config, browser, { scope: 'openid email verified_identity' });
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, accountId);
    expect((userinfo.verified_claims as { claims: unknown }).claims).toEqual({ given_name: 'Amina' });
  });

  it('refreshes with rotation; a refresh token used twice ends the whole grant', async () => {
    const { clientId, clientSecret } = await createOrganization(t, { allowedScopes: ['openid', 'email', 'offline_access'] });
    const config = await organizationClient(issuer, clientId, clientSecret);
    const { browser, accountId } = await person();
    const { tokens } = await fullFlow(config, browser, { scope: 'openid email offline_access', prompt: 'consent' });
    expect(tokens.refresh_token).toBeDefined();

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.claims()!.sub).toBe(accountId);
    expect((await client.fetchUserInfo(config, refreshed.access_token, accountId)).sub).toBe(accountId);

    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(client.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(client.fetchUserInfo(config, refreshed.access_token, accountId)).rejects.toBeDefined();
  });

  it('revokes tokens, and introspection shows them inactive', async () => {
    const { clientId, clientSecret } = await createOrganization(t);
    const config = await organizationClient(issuer, clientId, clientSecret);
    const { browser, accountId } = await person();
    const { tokens } = await fullFlow(config, browser);
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(true);
    await client.tokenRevocation(config, tokens.access_token);
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    await expect(client.fetchUserInfo(config, tokens.access_token, accountId)).rejects.toBeDefined();
  });

  it('lets one organization introspect only its own tokens', async () => {
    const a = await createOrganization(t);
    const b = await createOrganization(t);
    const configA = await organizationClient(issuer, a.clientId, a.clientSecret);
    const configB = await organizationClient(issuer, b.clientId, b.clientSecret);
    const { browser } = await person();
    const { tokens } = await fullFlow(configA, browser);
    expect((await client.tokenIntrospection(configB, tokens.access_token)).active).toBe(false);
  });

  it('accepts client_secret_post and a public client with PKCE', async () => {
    const post = await createOrganization(t, { tokenEndpointAuthMethod: 'client_secret_post' });
    const { browser, accountId } = await person();
    const postConfig = await organizationClient(issuer, post.clientId, undefined, client.ClientSecretPost(post.clientSecret!));
    expect((await fullFlow(postConfig, browser)).tokens.claims()!.sub).toBe(accountId);

    const spa = await createOrganization(t, { tokenEndpointAuthMethod: 'none' });
    expect(spa.clientSecret).toBeUndefined();
    const publicConfig = await organizationClient(issuer, spa.clientId, undefined, client.None());
    expect((await fullFlow(publicConfig, browser)).tokens.claims()!.sub).toBe(accountId);
  });

  it('accepts private_key_jwt', async () => {
    const { privateKey, publicKey } = await client.randomDPoPKeyPair('ES256', { extractable: true });
    const { exportJWK } = await import('jose');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'org-key-1', alg: 'ES256', use: 'sig' };
    const org = await createOrganization(t, { tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [jwk] } });
    const config = await organizationClient(issuer, org.clientId, undefined, client.PrivateKeyJwt({ key: privateKey, kid: 'org-key-1' }));
    const { browser, accountId } = await person();
    expect((await fullFlow(config, browser)).tokens.claims()!.sub).toBe(accountId);
  });

  it('sends an organization back with access_denied when the person selects Deny', async () => {
    const { clientId, clientSecret } = await createOrganization(t);
    const config = await organizationClient(issuer, clientId, clientSecret);
    const { browser } = await person();
    const started = await authorizationRequest(config);
    const consent = await follow(browser, started.url.toString());
    const back = await press(browser, consent, `/interaction/${uidOf(consent.path)}/deny`);
    const callback = new URL(back.offsite!);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe(started.state);
    expect(callback.searchParams.get('code')).toBeNull();
  });
});

describe('refusals', () => {
  let config: client.Configuration;
  let clientId: string;
  let clientSecret: string;
  let browser: Agent;
  let accountId: string;

  beforeAll(async () => {
    ({ clientId, clientSecret } = (await createOrganization(t)) as { clientId: string; clientSecret: string });
    config = await organizationClient(issuer, clientId, clientSecret);
    ({ browser, accountId } = await person());
    await fullFlow(config, browser); // consent given once
  });

  it('refuses an unknown client without redirecting anywhere', async () => {
    const started = await authorizationRequest(config);
    started.url.searchParams.set('client_id', 'no-such-organization');
    const res = await browser.get(started.url.pathname + started.url.search);
    expect(res.status).toBe(400);
    expect(res.headers.location).toBeUndefined();
    expect(res.text).toContain('invalid_client');
  });

  it.each([
    ['an unregistered one', 'https://evil.example/callback'],
    ['a trailing slash', `${CALLBACK}/`],
    ['another case', CALLBACK.replace('callback', 'Callback')],
    ['an extra query', `${CALLBACK}?x=1`],
    ['http instead of https', CALLBACK.replace('https:', 'http:')],
    ['another port', CALLBACK.replace('org.example', 'org.example:8443')],
  ])('refuses a redirect URI that is %s, without redirecting', async (_what, redirectUri) => {
    const started = await authorizationRequest(config, { redirect_uri: redirectUri });
    const res = await browser.get(started.url.pathname + started.url.search);
    expect(res.status).toBe(400);
    expect(res.headers.location).toBeUndefined();
    expect(res.text).toContain('redirect_uri did not match any of the client');
  });

  it('refuses a public client that leaves out PKCE', async () => {
    const spa = await createOrganization(t, { tokenEndpointAuthMethod: 'none' });
    const publicConfig = await organizationClient(issuer, spa.clientId, undefined, client.None());
    const started = await authorizationRequest(publicConfig);
    started.url.searchParams.delete('code_challenge');
    started.url.searchParams.delete('code_challenge_method');
    const answer = await follow(browser, started.url.toString());
    const callback = new URL(answer.offsite!);
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('error_description')).toMatch(/PKCE/);
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('refuses a code used twice, and revokes the tokens issued from it', async () => {
    const { tokens, started, callback } = await fullFlow(config, browser);
    await expect(
      client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(client.fetchUserInfo(config, tokens.access_token, accountId)).rejects.toBeDefined();
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
  });

  it('gives tokens to only one of two simultaneous redemptions of a code', async () => {
    const { started, callback } = await callbackFor(config, browser);
    const redeem = () => client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce });
    const results = await Promise.allSettled([redeem(), redeem(), redeem()]);
    const won = results.filter((r) => r.status === 'fulfilled') as PromiseFulfilledResult<Awaited<ReturnType<typeof redeem>>>[];
    expect(won.length).toBeLessThanOrEqual(1);
    // Whoever won, a replay took the grant down with it: no token from this code works.
    for (const { value } of won) await expect(client.fetchUserInfo(config, value.access_token, accountId)).rejects.toBeDefined();
  });

  it('refuses an expired code', async () => {
    const { started, callback } = await callbackFor(config, browser);
    await t.db.sql.query(
      `update oidc_payload set expires_at = now() - interval '1 second', payload = jsonb_set(payload, '{exp}', to_jsonb(extract(epoch from now())::int - 1))
       where model = 'AuthorizationCode'`,
    );
    await expect(
      client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses a wrong client secret', async () => {
    const wrong = await organizationClient(issuer, clientId, `${clientSecret.slice(0, -2)}xx`);
    const { started, callback } = await callbackFor(config, browser);
    await expect(
      client.authorizationCodeGrant(wrong, callback, { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce }),
    ).rejects.toMatchObject({ status: 401, cause: [{ scheme: 'basic', parameters: { error: 'invalid_client' } }] });
  });

  it('stores only hashes of client secrets, codes and tokens', async () => {
    const { tokens } = await fullFlow(config, browser);
    const { rows } = await t.db.sql.query('select id, payload::text as payload from oidc_payload');
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(tokens.access_token);
    const org = await t.db.sql.query('select client_secret_hash from organization where client_id = $1', [clientId]);
    expect(org.rows[0].client_secret_hash).not.toBe(clientSecret);
    expect(JSON.stringify(org.rows)).not.toContain(clientSecret);
  });
});

describe('signing key rotation', () => {
  it('signs with the new key while tokens signed before still verify', async () => {
    const { clientId, clientSecret } = await createOrganization(t);
    const config = await organizationClient(issuer, clientId, clientSecret);
    const { browser } = await person();
    const before = (await fullFlow(config, browser)).tokens.id_token!;

    const rotated = await inContext(t, () => t.app.get(SigningKeysService).rotate(0));
    await t.app.get(OidcProviderService).reloadKeys();

    const after = (await fullFlow(config, browser)).tokens.id_token!;
    expect(decodeProtectedHeader(after).kid).toBe(rotated.kid);
    expect(decodeProtectedHeader(before).kid).not.toBe(rotated.kid);

    const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
    await expect(jwtVerify(before, jwks, { issuer, audience: clientId })).resolves.toBeDefined();
    await expect(jwtVerify(after, jwks, { issuer, audience: clientId })).resolves.toBeDefined();
    const published = (await (await fetch(`${issuer}/jwks`)).json()).keys.map((k: { kid: string }) => k.kid);
    expect(published).toEqual([rotated.kid, decodeProtectedHeader(before).kid]);
  });
});

describe('the Referee session decides who is signed in', () => {
  it('asks to sign in again once the person signed out of Referee', async () => {
    const { clientId, clientSecret } = await createOrganization(t);
    const config = await organizationClient(issuer, clientId, clientSecret);
    const { browser } = await person();
    await fullFlow(config, browser);
    const account = await browser.get('/account');
    await browser.post('/sign-out').type('form').send({ _csrf: csrfOf(account.text) });
    const started = await authorizationRequest(config);
    const page = await follow(browser, started.url.toString());
    expect(page.offsite).toBeUndefined();
    expect(page.path).toMatch(/^\/sign-in\?next=%2Finteraction%2F[^%]+%2Flogin$/);
  });

  /** prompt=none: the organization asks whether the person is signed in, without showing anything. */
  async function silentRequest(config: client.Configuration, browser: Agent) {
    const started = await authorizationRequest(config, { prompt: 'none' });
    const page = await follow(browser, started.url.toString());
    const callback = new URL(page.offsite!);
    expect(callback.searchParams.get('state')).toBe(started.state);
    return callback.searchParams;
  }

  it('answers prompt=none with login_required for a browser that never signed in, and for one that signed out of Referee', async () => {
    const { clientId, clientSecret } = await createOrganization(t);
    const config = await organizationClient(issuer, clientId, clientSecret);
    expect((await silentRequest(config, t.browser())).get('error')).toBe('login_required');

    const { browser } = await person();
    await fullFlow(config, browser);
    expect((await silentRequest(config, browser)).get('code')).toBeTruthy(); // signed in: a code, nothing shown
    const account = await browser.get('/account');
    await browser.post('/sign-out').type('form').send({ _csrf: csrfOf(account.text) });
    const answer = await silentRequest(config, browser);
    expect(answer.get('error')).toBe('login_required');
    expect(answer.get('code')).toBeNull();
  });
});

describe('verified identity and organizations that require an SSN', () => {
  it('takes an unverified person to verify first, and back to the organization once verified', async () => {
    const { clientId, clientSecret } = await createOrganization(t, { name: 'Benefits Office' });
    const config = await organizationClient(issuer, clientId, clientSecret);
    const { browser, accountId } = await person();

    const started = await authorizationRequest(config, { scope: 'openid verified_identity' });
    const page = await follow(browser, started.url.toString());
    expect(page.text).toContain('Verify your identity to continue to Benefits Office');
    expect(page.text).toContain('href="/verify"');
    const uid = uidOf(page.path)!;

    // Save & Exit, come back: the way back is remembered.
    expect((await browser.get('/return-to-organization')).headers.location).toBe(`/interaction/${uid}`);
    expect((await follow(browser, `/interaction/${uid}`)).text).toContain('Verify your identity to continue');

    await recordVerified(t, accountId);
    const consent = await follow(browser, '/return-to-organization');
    expect(consent.text).toContain('Share your information with Benefits Office');
    const back = await press(browser, consent, `/interaction/${uid}/allow`);
    const tokens = await client.authorizationCodeGrant(config, new URL(back.offsite!), {
      pkceCodeVerifier: started.verifier,
      expectedState: started.state,
      expectedNonce: started.nonce,
    });
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, accountId);
    expect((userinfo.verified_claims as { verification: { assurance_level: string } }).verification.assurance_level).toBe('ial2');
    expect((await browser.get('/return-to-organization')).headers.location).toBe('/account'); // nothing waiting any more
  });

  it('asks for verification for acr_values IAL2 too', async () => {
    const { clientId, clientSecret } = await createOrganization(t);
    const config = await organizationClient(issuer, clientId, clientSecret);
    const { browser } = await person();
    const started = await authorizationRequest(config, { acr_values: 'urn:referee:ial:2' });
    expect((await follow(browser, started.url.toString())).text).toContain('Verify your identity to continue');
  });

  it('explains that an SSN is required to someone verified with an ITIN or passport, and tells the organization access_denied', async () => {
    const { clientId, clientSecret } = await createOrganization(t, { name: 'Tax Agency', requiresSsn: true });
    const config = await organizationClient(issuer, clientId, clientSecret);
    const { browser, accountId } = await person();
    await recordVerified(t, accountId, verifiedIdentity({ ssnVerified: false }));

    const started = await authorizationRequest(config, { scope: 'openid verified_identity' });
    const page = await follow(browser, started.url.toString());
    expect(page.text).toContain('Tax Agency requires a Social Security number');
    expect(page.text).toContain('Contact Tax Agency directly');
    expect(page.text).not.toContain('>Allow<');
    // A forged Allow changes nothing.
    const forged = await browser.post(`/interaction/${uidOf(page.path)}/allow`).type('form').send({ _csrf: csrfOf(page.text) });
    expect(forged.headers.location).toBe(`/interaction/${uidOf(page.path)}`);

    const back = await press(browser, page, `/interaction/${uidOf(page.path)}/deny`, { reason: 'ssn_required' });
    const callback = new URL(back.offsite!);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('error_description')).toMatch(/Social Security number/);
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('shares with an SSN-requiring organization an identity verified with an SSN', async () => {
    const { clientId, clientSecret } = await createOrganization(t, { requiresSsn: true });
    const config = await organizationClient(issuer, clientId, clientSecret);
    const { browser, accountId } = await person();
    await recordVerified(t, accountId, verifiedIdentity({ ssnVerified: true }));
    const { tokens } = await fullFlow(config, browser, { scope: 'openid verified_identity' });
    expect((await client.fetchUserInfo(config, tokens.access_token, accountId)).verified_claims).toBeDefined();
  });
});

describe('the consent page in the person’s language', () => {
  it('asks in Arabic (right to left) and in French, with each claim described in that language, and Allow still works', async () => {
    const { clientId, clientSecret } = await createOrganization(t, { name: 'Bureau des Exemples' });
    const config = await organizationClient(issuer, clientId, clientSecret);
    const { browser, accountId } = await person();
    await recordVerified(t, accountId);
    /** The consent page's list of what is asked for, as its reader sees it. */
    const claimsOn = (html: string) => /id="shared-claims">([\s\S]*?)<\/ul>/.exec(html)![1].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
    const choose = async (language: string) => {
      const page = await browser.get('/account');
      const chosen = await browser.post('/language').type('form').send({ _csrf: csrfOf(page.text), language, returnTo: '/account' });
      expect(chosen.status).toBe(303);
    };

    await choose('ar');
    const started = await authorizationRequest(config, { scope: 'openid email', claims: VERIFIED_REQUEST });
    const arabic = await follow(browser, started.url.toString());
    expect(arabic.path).toMatch(/^\/interaction\/[^/]+$/);
    expect(arabic.text).toContain('<html lang="ar" dir="rtl">');
    expect(arabic.text).toContain('<h1>مشاركة معلوماتك مع Bureau des Exemples</h1>');
    const arabicClaims = claimsOn(arabic.text);
    expect(arabicClaims).toContain('عنوان بريدك الإلكتروني');
    expect(arabicClaims).toContain('هويتك التي تم التحقق منها: اسمك الأول، اسم عائلتك، اسمك الأوسط، تاريخ ميلادك، عنوانك');
    expect(arabicClaims.replace(/Trusted Referee|NIST/g, '')).not.toMatch(/[A-Za-z]{2,}/); // no English left, but the names
    expect(arabic.text).toMatch(/<button type="submit" class="usa-button">سماح<\/button>/);

    // The same request, the person now reading French.
    await choose('fr');
    const french = await follow(browser, arabic.path);
    expect(french.text).toContain('<html lang="fr" dir="ltr">');
    expect(french.text).toContain('<h1>Partager vos informations avec Bureau des Exemples</h1>');
    const frenchClaims = claimsOn(french.text);
    expect(frenchClaims).toContain('Votre adresse e-mail');
    expect(frenchClaims).toContain('Votre identité vérifiée : votre prénom, votre nom de famille, votre deuxième prénom, votre date de naissance, votre adresse');
    expect(frenchClaims).not.toMatch(/\b(Your|your|email address|verified identity)\b/);
    expect(french.text).toContain('href="/account/organizations">Organisations connectées</a>');

    const back = await press(browser, french, `/interaction/${uidOf(french.path)}/allow`);
    expect(back.offsite).toMatch(/^https:\/\/org\.example\/callback\?code=/);
  });
});

describe('connected organizations', () => {
  it('lists the organizations shared with, and stopping revokes their tokens and the remembered consent', async () => {
    const { clientId, clientSecret } = await createOrganization(t, { name: 'Housing Authority' });
    const config = await organizationClient(issuer, clientId, clientSecret);
    const { browser, accountId } = await person();
    const { tokens } = await fullFlow(config, browser);

    const page = await browser.get('/account/organizations');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Housing Authority');
    const stopped = await browser.post(`/account/organizations/${clientId}/revoke`).type('form').send({ _csrf: csrfOf(page.text) });
    // The banner names the organization from the database, not from the address.
    expect(stopped.headers.location).not.toContain('Housing');
    expect((await browser.get(stopped.headers.location)).text).toContain('You stopped sharing your information with Housing Authority');

    await expect(client.fetchUserInfo(config, tokens.access_token, accountId)).rejects.toBeDefined();
    const started = await authorizationRequest(config);
    expect((await follow(browser, started.url.toString())).text).toContain('Share your information with Housing Authority');
  });

  it('shows no banner text taken from the address', async () => {
    const { clientId, clientSecret } = await createOrganization(t, { name: 'Water Board' });
    const config = await organizationClient(issuer, clientId, clientSecret);
    const { browser } = await person();
    await fullFlow(config, browser);
    const injected = '<b>Your account is locked, call +1 555 0100</b>';
    for (const stopped of [injected, encodeURIComponent(injected), 'Water Board', clientId, 'no-such-organization']) {
      const page = await browser.get(`/account/organizations?stopped=${encodeURIComponent(stopped)}`);
      expect(page.status).toBe(200);
      expect(page.text).not.toContain('Your account is locked');
      expect(page.text).not.toContain('+1 555 0100');
      // Still connected to the Water Board (and never to the others): nothing was stopped.
      expect(page.text).not.toContain('You stopped sharing');
      expect(page.text).not.toContain('usa-alert--success');
    }
  });
});

describe('signing out from the organization (RP-initiated logout)', () => {
  /** The organization sends the browser to the end-session endpoint; the person answers Referee's question. */
  async function logOutFromOrganization(browser: Agent, config: client.Configuration, idToken: string, answer: 'yes' | 'no') {
    const logout = client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: 'https://org.example/signed-out', state: 'bye' });
    const page = await browser.get(logout.pathname + logout.search);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<h1>Sign out of Referee?</h1>');
    expect(page.headers['content-security-policy']).toContain("form-action 'self'");
    const action = /<form[^>]*action="([^"]+)"/.exec(page.text.slice(page.text.indexOf('op.logoutForm') - 200))![1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.text)![1];
    // The buttons submit the provider's form: "Yes" adds logout=yes, "No" sends the form alone.
    return browser.post(new URL(action, base).pathname).type('form').send(answer === 'yes' ? { xsrf, logout: 'yes' } : { xsrf });
  }

  /** A person signed in to two organizations in one Referee session; the first may sign them out. */
  async function signedInToTwoOrganizations() {
    const { clientId, clientSecret } = await createOrganization(t, { postLogoutRedirectUris: ['https://org.example/signed-out'] });
    const config = await organizationClient(issuer, clientId, clientSecret);
    const other = await createOrganization(t, { name: 'Another Office' });
    const otherConfig = await organizationClient(issuer, other.clientId, other.clientSecret);
    const { browser } = await person();
    const { tokens } = await fullFlow(config, browser);
    const otherTokens = (await fullFlow(otherConfig, browser)).tokens;
    return { config, otherConfig, browser, tokens, otherTokens };
  }

  it('asks on a Referee page, then signs out of Referee too and goes back to the organization', async () => {
    const { config, otherConfig, browser, tokens, otherTokens } = await signedInToTwoOrganizations();
    const done = await logOutFromOrganization(browser, config, tokens.id_token!, 'yes');
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe('https://org.example/signed-out?state=bye');
    expect((await browser.get('/account')).headers.location).toMatch(/^\/sign-in/);
    // The session is over for every organization in it.
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    expect((await client.tokenIntrospection(otherConfig, otherTokens.access_token)).active).toBe(false);
  });

  it('keeps the Referee session when the person answers "No, stay signed in"', async () => {
    const { config, otherConfig, browser, tokens, otherTokens } = await signedInToTwoOrganizations();
    const done = await logOutFromOrganization(browser, config, tokens.id_token!, 'no');
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe('https://org.example/signed-out?state=bye');
    await new Promise((r) => setTimeout(r, 200)); // a session ended late, after the answer, would show by now
    const account = await browser.get('/account');
    expect(account.status).toBe(200);
    expect(account.text).toContain('action="/sign-out"');
    // Signed out of the organization that asked, not of the others.
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    expect((await client.tokenIntrospection(otherConfig, otherTokens.access_token)).active).toBe(true);
  });

  it('remembers the consent across the sign-out, while the tokens issued before it stop working', async () => {
    const { clientId, clientSecret } = await createOrganization(t, { name: 'Water Utility', postLogoutRedirectUris: ['https://org.example/signed-out'] });
    const config = await organizationClient(issuer, clientId, clientSecret);
    const { browser, person: p, accountId } = await person();
    const { tokens } = await fullFlow(config, browser);
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(true);

    expect((await logOutFromOrganization(browser, config, tokens.id_token!, 'yes')).status).toBe(303);
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    await expect(client.fetchUserInfo(config, tokens.access_token, accountId)).rejects.toBeDefined();
    expect((await browser.get('/account')).headers.location).toMatch(/^\/sign-in/);

    // Signed in again, the next request from the organization needs no new consent…
    await signIn(t, p, browser);
    const again = await authorizationRequest(config);
    const back = await follow(browser, again.url.toString());
    expect(back.text).not.toContain('Share your information with Water Utility');
    expect(back.offsite).toMatch(/^https:\/\/org\.example\/callback\?code=/);
    // …and the organization is still listed where the person can stop sharing.
    expect((await browser.get('/account/organizations')).text).toContain('Water Utility');
  });
});
