import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../database/sql';
import type { Organization, TokenEndpointAuthMethod } from './organization.entity';

/** An organization's row as clientOf reads it. */
interface ClientRow {
  client_id: string;
  name: string;
  logo_uri: string | null;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  backchannel_logout_uri: string | null;
  allowed_scopes: string[];
  allowed_claims: string[];
  requires_ssn: boolean;
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  client_secret_hash: string | null;
  jwks: Organization['jwks'] | null;
  jwks_uri: string | null;
}

/** What the OpenID provider needs of an organization: one plain query, no entity to hydrate or track. */
export async function clientOf(em: EntityManager, clientId: string) {
  const [row] = await sql<ClientRow>(
    em,
    `select client_id, name, logo_uri, redirect_uris, post_logout_redirect_uris, backchannel_logout_uri, allowed_scopes, allowed_claims, requires_ssn,
            token_endpoint_auth_method, client_secret_hash, jwks, jwks_uri
     from organization where client_id = ?`,
    [clientId],
  );
  if (!row) return undefined;
  return {
    clientId: row.client_id,
    name: row.name,
    logoUri: row.logo_uri,
    redirectUris: row.redirect_uris,
    postLogoutRedirectUris: row.post_logout_redirect_uris,
    backchannelLogoutUri: row.backchannel_logout_uri,
    allowedScopes: row.allowed_scopes,
    allowedClaims: row.allowed_claims,
    requiresSsn: row.requires_ssn,
    tokenEndpointAuthMethod: row.token_endpoint_auth_method,
    clientSecretHash: row.client_secret_hash,
    jwks: row.jwks,
    jwksUri: row.jwks_uri,
  };
}
