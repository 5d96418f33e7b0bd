'use strict';
/**
 * Baseline `oidc-provider.memory`: a plain oidc-provider (the same version as Referee's) with
 * its in-memory adapter and development interactions, one static confidential client, the same
 * signing key type (RSA 2048, RS256) and the same features on the code-flow path (PKCE S256,
 * client_secret_basic, userinfo). Accounts are { sub, email } from memory.
 */
const { generateKeyPairSync } = require('node:crypto');
const http = require('node:http');
const { serve } = require('./child');

/** The one client, from the driver (bench/oidc.bench.js). */
const CLIENT = JSON.parse(process.env.BENCH_OIDC_CLIENT);

serve('oidc-provider.memory', async () => {
  const { default: Provider } = await import('oidc-provider');
  const issuer = `http://127.0.0.1:${process.env.PORT}`;
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const provider = new Provider(issuer, {
    clients: [{ ...CLIENT, grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' }],
    jwks: { keys: [{ ...key, kid: 'bench', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: ['bench-cookie-key-bench-cookie-key'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    features: { devInteractions: { enabled: true }, resourceIndicators: { enabled: false }, dPoP: { enabled: false } },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 3600, Interaction: 3600, Session: 12 * 3600, Grant: 365 * 24 * 3600 },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, email: `${sub}@bench.example`, email_verified: true }) }),
  });
  const server = http.createServer(provider.callback());
  return {
    listen: (port, host) => new Promise((resolve) => server.listen(port, host, resolve)),
    getHttpServer: () => server,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
});
