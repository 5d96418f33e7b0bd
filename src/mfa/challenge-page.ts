import { Injectable } from '@nestjs/common';
import type { MfaMethod } from './mfa-method.entity';
import { KIND_NAMES, MfaMethodsService } from './mfa-methods.service';
import { PHONE_CODE_MINUTES } from './phone-codes.service';
import { MFA_POLICY } from './policy';
import { RecoveryService } from './recovery.service';
import { redirect, view } from '../web/view';

/**
 * Where a second-factor page sends its forms: the sign-in's second step, or confirming who you
 * are again before something that matters (the person is signed in: no "remember this browser",
 * no recovery).
 */
export interface ChallengeRoutes {
  /** The page itself (a GET; `?method=` picks another method). */
  page: string;
  /** The forms post to `${post}/totp`, `${post}/phone/send`, `${post}/phone`, `${post}/backup`, `${post}/passkey…`. */
  post: string;
  confirming: boolean;
}

export const SIGN_IN_CHALLENGE: ChallengeRoutes = { page: '/mfa/challenge', post: '/mfa/challenge', confirming: false };

/** The second-factor page (views/mfa/challenge.njk) with the person's methods, for the sign-in and for confirming again. */
@Injectable()
export class ChallengePage {
  constructor(
    private readonly mfaMethods: MfaMethodsService,
    private readonly recovery: RecoveryService,
  ) {}

  private withNext(path: string, next: string): string {
    return next ? `${path}${path.includes('?') ? '&' : '?'}next=${encodeURIComponent(next)}` : path;
  }

  async render(accountId: string, chosen: string, next: string, routes: ChallengeRoutes, extra: Record<string, unknown> = {}, status = 200) {
    let methods = await this.mfaMethods.methodsOf(accountId);
    if (methods.length === 0) return redirect(this.withNext('/mfa/setup', next));
    if (await this.mfaMethods.passkeysOnly(accountId)) {
      methods = methods.filter((m) => m.kind === 'passkey');
      if (methods.length === 0) return view('mfa/staff-passkey-required', {}, 403);
    }
    const signInMethods = methods.filter((m) => m.kind !== 'backup_codes');
    const method: MfaMethod =
      methods.find((m) => m.id === chosen) ?? (chosen === 'backup' ? methods.find((m) => m.kind === 'backup_codes') : undefined) ?? signInMethods[0] ?? methods[0];
    return view(
      'mfa/challenge',
      {
        method,
        // A method is named by its kind, and by the person's own name for it when they gave one.
        methodLabel: this.mfaMethods.ownLabel(method),
        methods: methods.map((m) => ({ id: m.kind === 'backup_codes' ? 'backup' : m.id, label: this.mfaMethods.ownLabel(m), kind: m.kind, kindName: KIND_NAMES[m.kind], hint: m.displayHint })),
        next,
        routes,
        recoveryDueAt: routes.confirming ? undefined : await this.recovery.dueAt(accountId),
        codeMinutes: PHONE_CODE_MINUTES,
        rememberDays: MFA_POLICY.rememberBrowserMs / 86_400_000,
        ...extra,
      },
      status,
    );
  }
}
