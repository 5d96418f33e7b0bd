import { Injectable } from '@nestjs/common';
import { IdentityService } from '../identity/identity.service';
import { RateLimits } from '../web/rate-limits';
import type { MfaKind } from './mfa-method.entity';
import { MfaMethodsService } from './mfa-methods.service';
import { MFA_POLICY } from './policy';

/** Who is changing factors: the pending sign-in or the signed-in person, and when they last gave their password. */
export interface FactorChanger {
  accountId: string;
  signedIn: boolean;
  authenticatedAt: Date;
}

/** Why someone may not change factors now: staff add passkeys only; give the password again; use the second factor first. */
export type ChangeRefusal = 'passkeys-only' | 'reauthenticate' | 'challenge';

/**
 * Proving who you are again before changing second factors: how recently the password must
 * have been given, and the one exception, the first method right after the password.
 */
@Injectable()
export class ReauthenticationService {
  constructor(
    private readonly methods: MfaMethodsService,
    private readonly identity: IdentityService,
    private readonly rateLimits: RateLimits,
  ) {}

  /**
   * Who may add or change a method now (`kind`: the kind being added, if known): a signed-in
   * person who gave their password recently, or someone at the second step whose account has
   * no method yet (`first`; otherwise adding one would skip the second factor).
   */
  async mayChange(who: FactorChanger, kind?: MfaKind): Promise<{ first: boolean } | { refused: ChangeRefusal }> {
    if (kind && kind !== 'passkey' && (await this.methods.passkeysOnly(who.accountId))) return { refused: 'passkeys-only' };
    if (who.signedIn) {
      if (Date.now() - who.authenticatedAt.getTime() > MFA_POLICY.reauthenticateAfterMs) return { refused: 'reauthenticate' };
      return { first: false };
    }
    const methods = await this.methods.methodsOf(who.accountId);
    if (methods.length > 0) return { refused: 'challenge' };
    return { first: true };
  }

  /** Checks the password given again, counted against the same limit as signing in (per account and address). */
  async checkPassword(who: { accountId: string; email: string }, ip: string, password: string): Promise<boolean> {
    await this.rateLimits.consume('sign-in:account-ip', who.email, ip);
    return this.identity.verifyPassword(who.accountId, password);
  }
}
