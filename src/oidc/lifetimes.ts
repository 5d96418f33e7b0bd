/** How long each thing of the OpenID provider lives, in seconds (one place: the keys' retention depends on them). */
export const LIFETIMES = {
  AuthorizationCode: 60,
  AccessToken: 10 * 60,
  IdToken: 60 * 60,
  RefreshToken: 14 * 24 * 60 * 60,
  Interaction: 60 * 60,
  /** Consent: remembered for a year, or until revoked from "Connected organizations". */
  Grant: 365 * 24 * 60 * 60,
} as const;

/** A retired signing key stays published this long: everything it signed has expired by then (plus clock skew and caches). */
export const KEY_RETENTION_SECONDS = LIFETIMES.IdToken + 15 * 60;

/** Every instance re-reads the signing keys this often. */
export const KEY_REFRESH_SECONDS = 30;
/** `npm run keys:rotate`: a new key is published at once and signs after this delay, once every instance publishes it. */
export const KEY_ACTIVATION_DELAY_SECONDS = 2 * KEY_REFRESH_SECONDS;
