import { SignJWT } from 'jose';
import type { Config } from '../config/config';

export interface Participant {
  id: string;
  name: string;
  email?: string;
  /** The Trusted Referee: moderator, and the only one who may record. */
  agent: boolean;
}

/**
 * A participant's JWT for Jitsi Meet's token authentication:
 * HS256 with the shared app secret; iss the app id, aud "jitsi", sub the domain, the room,
 * exp, context.user (moderator and owner only for the agent) and context.features (recording only for
 * the agent). Undefined without JITSI_APP_ID/JITSI_APP_SECRET (a development Jitsi without auth).
 */
export async function jitsiToken(config: Config['jitsi'], room: string, who: Participant, expiresAt: Date): Promise<string | undefined> {
  if (!config.appId || !config.appSecret) return undefined;
  return new SignJWT({
    room,
    context: {
      // moderator for Prosody modules that read it (token_moderation), affiliation for those that read that (token_affiliation).
      user: { id: who.id, name: who.name, ...(who.email ? { email: who.email } : {}), moderator: who.agent, affiliation: who.agent ? 'owner' : 'member' },
      features: { recording: who.agent, livestreaming: false },
    },
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(config.appId)
    .setAudience('jitsi')
    .setSubject(config.domain)
    .setIssuedAt()
    .setNotBefore(Math.floor(Date.now() / 1000) - 60)
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(new TextEncoder().encode(config.appSecret));
}

/** The page's Content-Security-Policy with the Jitsi origin allowed for its script and its iframe (and nothing else changes). */
export function allowJitsi(csp: string, domain: string): string {
  const origin = `https://${domain}`;
  const withScript = csp.replace(/script-src ([^;]*)/, `script-src $1 ${origin}`);
  return /frame-src /.test(withScript) ? withScript.replace(/frame-src ([^;]*)/, `frame-src $1 ${origin}`) : `${withScript};frame-src ${origin}`;
}

/** Events of the Jitsi IFrame API the call page reports, in the call record's words. */
export const CALL_EVENTS = {
  videoConferenceJoined: 'joined',
  videoConferenceLeft: 'left',
  recordingOn: 'recording_on',
  recordingOff: 'recording_off',
  readyToClose: 'ready_to_close',
} as const;
export type CallEventType = (typeof CALL_EVENTS)[keyof typeof CALL_EVENTS];
export const isCallEvent = (value: unknown): value is CallEventType => Object.values(CALL_EVENTS).includes(value as CallEventType);
