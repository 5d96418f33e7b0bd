import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { CONFIG, type Config } from '../config/config';
import { phrase } from '../i18n/messages';
import { MfaMethod } from './mfa-method.entity';
import { MfaMethodsService } from './mfa-methods.service';
import { PendingStepsService } from './pending-steps.service';
import { TriesService, type AttemptResult } from './tries.service';

/**
 * Passkeys and security keys (WebAuthn, through @simplewebauthn/server): registered as a
 * second factor, used as one, or alone for a passwordless sign-in when the authenticator
 * verified the user (PIN or biometrics) itself.
 */
@Injectable()
export class PasskeysService {
  private readonly rpID: string;
  private readonly origin: string;

  constructor(
    @Inject(CONFIG) config: Config,
    private readonly em: EntityManager,
    private readonly methods: MfaMethodsService,
    private readonly pending: PendingStepsService,
    private readonly tries: TriesService,
  ) {
    const base = new URL(config.baseUrl);
    this.rpID = base.hostname;
    this.origin = base.origin;
  }

  private passkeysOf(accountId: string) {
    return this.em.find(MfaMethod, { account: accountId, kind: 'passkey' });
  }

  async registrationOptions(browserKey: string, accountId: string, email: string) {
    const existing = await this.passkeysOf(accountId);
    const options = await generateRegistrationOptions({
      rpName: 'Referee',
      rpID: this.rpID,
      userName: email,
      userID: Buffer.from(accountId.replace(/-/g, ''), 'hex'),
      attestationType: 'none',
      // EdDSA, ES256, RS256: what every authenticator and every Node.js we run can check.
      supportedAlgorithmIDs: [-8, -7, -257],
      excludeCredentials: existing.map((m) => ({ id: m.credentialId!, transports: m.transports })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
    await this.pending.set('passkey_setup', browserKey, accountId, { challenge: options.challenge });
    return options;
  }

  /** The new passkey, or what went wrong (a catalog key). */
  async register(browserKey: string, accountId: string, response: unknown, label: string): Promise<MfaMethod | string> {
    const pending = await this.pending.take('passkey_setup', browserKey, accountId);
    if (!pending) return 'mfa.errors.passkeySetupExpired';
    let credential;
    try {
      const { verified, registrationInfo } = await verifyRegistrationResponse({
        response: response as RegistrationResponseJSON,
        expectedChallenge: pending.data.challenge as string,
        expectedOrigin: this.origin,
        expectedRPID: this.rpID,
        requireUserVerification: false,
        supportedAlgorithmIDs: [-8, -7, -257],
      });
      if (!verified) return 'mfa.errors.passkeyUnchecked';
      credential = registrationInfo.credential;
    } catch {
      return 'mfa.errors.passkeyUnchecked';
    }
    return this.methods.add(
      accountId,
      {
        kind: 'passkey',
        label,
        credentialId: credential.id,
        publicKey: Buffer.from(credential.publicKey).toString('base64url'),
        signCount: credential.counter,
        transports: credential.transports,
      },
      phrase('mfa.email.passkeyAdded', { label }),
    );
  }

  /** Options to sign in: as the second factor of `accountId`, or (no account) passwordless. */
  async authenticationOptions(browserKey: string, accountId?: string) {
    const allow = accountId ? (await this.passkeysOf(accountId)).map((m) => ({ id: m.credentialId!, transports: m.transports })) : undefined;
    const options = await generateAuthenticationOptions({
      rpID: this.rpID,
      allowCredentials: allow,
      userVerification: accountId ? 'preferred' : 'required',
    });
    await this.pending.set(accountId ? 'passkey_challenge' : 'passkey_signin', browserKey, accountId, { challenge: options.challenge });
    return options;
  }

  /**
   * Checks an assertion. With `accountId` it is that account's second factor; without,
   * a passwordless sign-in, which needs user verification on the authenticator.
   */
  async authenticate(browserKey: string, response: unknown, accountId?: string): Promise<AttemptResult> {
    const fail = (message: string): AttemptResult => ({ ok: false, reason: 'wrong', message });
    const pending = await this.pending.take(accountId ? 'passkey_challenge' : 'passkey_signin', browserKey, accountId);
    if (!pending) return fail('mfa.errors.passkeySignInExpired');
    const credentialId = (response as { id?: unknown })?.id;
    if (typeof credentialId !== 'string') return fail('mfa.errors.passkeyUnchecked');
    const method = await this.em.findOne(
      MfaMethod,
      { credentialId, kind: 'passkey', ...(accountId ? { account: accountId } : {}) },
      { populate: ['account'] },
    );
    if (!method) return fail('mfa.errors.passkeyUnknown');
    return this.tries.attempt(method, async () => {
      try {
        const { verified, authenticationInfo } = await verifyAuthenticationResponse({
          response: response as AuthenticationResponseJSON,
          expectedChallenge: pending.data.challenge as string,
          expectedOrigin: this.origin,
          expectedRPID: this.rpID,
          requireUserVerification: !accountId,
          credential: {
            id: method.credentialId!,
            publicKey: Buffer.from(method.publicKey!, 'base64url'),
            counter: Number(method.signCount ?? 0),
            transports: method.transports as never,
          },
        });
        if (!verified) return false;
        // A counter that goes backwards means a cloned authenticator: refuse.
        const stored = Number(method.signCount ?? 0);
        if ((authenticationInfo.newCounter !== 0 || stored !== 0) && authenticationInfo.newCounter <= stored) return false;
        await this.em.nativeUpdate(MfaMethod, { id: method.id }, { signCount: authenticationInfo.newCounter });
        return true;
      } catch {
        return false;
      }
    }, { countFailures: !!accountId, wrongMessage: 'mfa.errors.passkeyUnchecked' });
  }
}
