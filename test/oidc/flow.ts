/** Helpers for the OpenID provider tests: an organization driving real flows with openid-client. */
import { MikroORM, RequestContext } from '@mikro-orm/postgresql';
import * as client from 'openid-client';
import type { TestApp } from '../harness/app';
import { csrfOf } from '../harness/forms';
import { OrganizationsService, type OrganizationInput } from '../../src/oidc/organizations.service';
import { VerifiedIdentitiesService } from '../../src/verified-identity/verified-identities.service';
import type { VerifiedIdentity } from '../../src/verified-identity/verified-identity';
import { inContext } from '../harness/calls';

type Agent = ReturnType<TestApp['browser']>;

export const CALLBACK = 'https://org.example/callback';

export { inContext };

export async function createOrganization(t: TestApp, input: Partial<OrganizationInput> = {}) {
  const { organization, clientSecret } = await inContext(t, () =>
    t.app.get(OrganizationsService).create({ name: 'Example Agency', redirectUris: [CALLBACK], ...input }),
  );
  return { clientId: organization.clientId, clientSecret, organization };
}

/** An organization's openid-client configuration against this Referee (plain HTTP on 127.0.0.1). */
export function organizationClient(issuer: string, clientId: string, clientSecret?: string, auth?: client.ClientAuth) {
  return client.discovery(new URL(issuer), clientId, { id_token_signed_response_alg: 'RS256' }, auth ?? client.ClientSecretBasic(clientSecret!), {
    execute: [client.allowInsecureRequests],
  });
}

/** The identity a Trusted Referee verified: recorded through the service the video call will use. */
export function verifiedIdentity(overrides: Partial<VerifiedIdentity> = {}): VerifiedIdentity {
  return {
    verifiedAt: new Date('2026-11-20T10:00:00.000Z'),
    verificationProcess: 'case-7f3a',
    ssnVerified: false,
    claims: {
      givenName: 'Amina',
      familyName: 'Okafor',
      birthdate: '1990-04-12',
      address: { streetAddress: '12 Allen Avenue', locality: 'Ikeja', region: 'Lagos', postalCode: '100271', country: 'NG' },
    },
    documents: [
      {
        type: 'passport',
        number: 'A01234567',
        issuer: { country: 'NGA', name: 'Nigeria Immigration Service' },
        dateOfIssuance: '2020-01-15',
        dateOfExpiry: '2030-01-14',
        checks: [
          { method: 'vri', checkId: 'review-1', time: new Date('2026-11-19T09:00:00.000Z') },
          { method: 'pvr', checkId: 'call-1', time: new Date('2026-11-20T10:00:00.000Z') },
        ],
      },
    ],
    ...overrides,
  };
}

export async function recordVerified(t: TestApp, accountId: string, identity = verifiedIdentity()) {
  await inContext(t, () => t.app.get(VerifiedIdentitiesService).recordVerified(accountId, identity));
}

export interface Started {
  url: URL;
  state: string;
  nonce: string;
  verifier: string;
}

/** The authorization request an organization sends (code flow, PKCE S256, state, nonce). */
export async function authorizationRequest(config: client.Configuration, params: Record<string, string> = {}): Promise<Started> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: CALLBACK,
    scope: 'openid email',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { url, state, nonce, verifier };
}

const pathOf = (url: string) => {
  const parsed = new URL(url, 'http://referee.invalid');
  return parsed.pathname + parsed.search;
};

/**
 * Follows redirects (and the "Returning you to…" page's meta refresh) within Referee, as a
 * browser would, until a page is shown or Referee sends the browser off to the organization.
 */
export async function follow(agent: Agent, start: string): Promise<{ status: number; text: string; path: string; offsite?: string }> {
  let path = pathOf(start);
  for (let hops = 0; hops < 15; hops++) {
    const res = await agent.get(path);
    const location = res.headers.location as string | undefined;
    if (res.status >= 300 && res.status < 400 && location) {
      if (location.startsWith('https://org.example')) return { status: res.status, text: res.text, path, offsite: location };
      path = pathOf(location);
      continue;
    }
    const refresh = /<meta http-equiv="refresh" content="0;url=([^"]+)">/.exec(res.text);
    if (refresh) {
      path = pathOf(refresh[1].replace(/&amp;/g, '&'));
      continue;
    }
    return { status: res.status, text: res.text, path };
  }
  throw new Error(`too many redirects from ${start}`);
}

/** Presses a form's button on the page at `path` (Allow, Deny, …), then follows on. */
export async function press(agent: Agent, page: { text: string; path: string }, action: string, fields: Record<string, string> = {}) {
  const res = await agent.post(action).type('form').send({ _csrf: csrfOf(page.text), ...fields });
  if (res.status >= 300 && res.status < 400) return follow(agent, res.headers.location);
  const refresh = /<meta http-equiv="refresh" content="0;url=([^"]+)">/.exec(res.text);
  if (refresh) return follow(agent, refresh[1].replace(/&amp;/g, '&'));
  return { status: res.status, text: res.text, path: action };
}

/** The interaction's uid on a page of /interaction/:uid. */
export const uidOf = (path: string) => /\/interaction\/([^/?]+)/.exec(path)?.[1];
