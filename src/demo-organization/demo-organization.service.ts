import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import * as client from 'openid-client';
import { CONFIG, type Config } from '../config/config';
import { SecretBox } from '../crypto/secret-box';
import { hmac } from '../crypto/tokens';
import { OrganizationsService } from '../oidc/organizations.service';

export const DEMO_CLIENT_ID = 'referee-demo-organization';
export const DEMO_NAME = 'Demo Organization';
/** How long a started sign-in may take before the demo forgets it. */
const FLOW_SECONDS = 30 * 60;

/** What the demo asks for: an email, and a verified identity per OpenID Connect for Identity Assurance. */
export const DEMO_CLAIMS_REQUEST = {
  userinfo: {
    email: null,
    verified_claims: {
      verification: { trust_framework: null, assurance_level: null, time: null, verification_process: null, evidence: null },
      claims: { given_name: null, family_name: null, birthdate: null, address: null },
    },
  },
};

export interface DemoFlow {
  state: string;
  nonce: string;
  verifier: string;
  startedAt: number;
}

export interface DemoResult {
  idToken: client.IDToken;
  userinfo: Record<string, unknown>;
}

/**
 * An example organization, built like any outside relying party: openid-client, talking to
 * Referee's /oidc over HTTP only (discovery on first use, so the server is listening by then).
 * Its flow state travels in a sealed cookie: nothing is kept in memory but the discovery cache.
 */
@Injectable()
export class DemoOrganizationService implements OnModuleInit {
  private discovered?: Promise<client.Configuration>;
  private readonly box: SecretBox;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly organizations: OrganizationsService,
  ) {
    this.box = new SecretBox(config.sessionSecret);
  }

  get redirectUri() {
    return `${this.config.baseUrl}/demo/callback`;
  }

  /** Every instance derives the same secret; only its hash is stored, like any organization's. */
  private get clientSecret() {
    return hmac(this.config.sessionSecret, 'demo-organization client secret');
  }

  /** Registered at every start (idempotent; two instances starting together write one row). */
  async onModuleInit() {
    await this.organizations.ensure(DEMO_CLIENT_ID, this.clientSecret, {
      name: DEMO_NAME,
      redirectUris: [this.redirectUri],
      postLogoutRedirectUris: [`${this.config.baseUrl}/demo`],
      initiateLoginUri: `${this.config.baseUrl}/demo/login`,
      allowedScopes: ['openid', 'email', 'profile', 'address', 'verified_identity'],
      tokenEndpointAuthMethod: 'client_secret_basic',
    }, { ownOrigin: true });
  }

  /** An authorization request (code flow, PKCE S256, state, nonce) and the flow to remember. */
  async start(): Promise<{ url: string; flow: string }> {
    const configuration = await this.configuration();
    const flow: DemoFlow = { state: client.randomState(), nonce: client.randomNonce(), verifier: client.randomPKCECodeVerifier(), startedAt: Date.now() };
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri,
      scope: 'openid email',
      claims: JSON.stringify(DEMO_CLAIMS_REQUEST),
      code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    return { url: url.toString(), flow: this.box.seal(JSON.stringify(flow), 'demo-organization:flow') };
  }

  readFlow(sealed: string | undefined): DemoFlow | undefined {
    if (!sealed) return undefined;
    try {
      const flow = JSON.parse(this.box.open(sealed, 'demo-organization:flow')) as DemoFlow;
      return Date.now() - flow.startedAt < FLOW_SECONDS * 1000 ? flow : undefined;
    } catch {
      return undefined;
    }
  }

  /** The code for tokens (ID token signature, nonce, state and issuer checked), then userinfo. */
  async finish(callbackUrl: URL, flow: DemoFlow): Promise<DemoResult> {
    const configuration = await this.configuration();
    const tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
      idTokenExpected: true,
    });
    const idToken = tokens.claims()!;
    const userinfo = await client.fetchUserInfo(configuration, tokens.access_token, idToken.sub);
    return { idToken, userinfo };
  }

  private configuration(): Promise<client.Configuration> {
    this.discovered ??= client
      .discovery(
        new URL(this.config.issuerUrl),
        DEMO_CLIENT_ID,
        { id_token_signed_response_alg: 'RS256' },
        client.ClientSecretBasic(this.clientSecret),
        this.config.issuerUrl.startsWith('http:') ? { execute: [client.allowInsecureRequests] } : undefined,
      )
      .catch((error: unknown) => {
        this.discovered = undefined; // try again on the next visit
        throw error;
      });
    return this.discovered;
  }
}
