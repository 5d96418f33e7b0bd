import { Body, Controller, Get, Header, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { actorOf, AuditService } from '../audit/audit.service';
import { SessionsService } from '../identity/sessions.service';
import { LanguageResolver } from '../i18n/language';
import { Messages } from '../i18n/messages';
import { BrowserCookie } from '../web/browser';
import { readForm } from '../web/form';
import { localPath } from '../web/redirect.exception';
import { deviceOf } from '../web/user-agent';
import type { WebRequest } from '../web/request';
import { redirect, view, type FieldErrors } from '../web/view';
import { CancelRecoveryForm, challengeCodeForm, ChallengeQuery, PasskeyForm, SendPhoneCodeForm } from './forms';
import { ChallengePage, SIGN_IN_CHALLENGE } from './challenge-page';
import { MfaMethodsService } from './mfa-methods.service';
import { PasskeysService } from './passkeys.service';
import { PhoneCodesService } from './phone-codes.service';
import { RecoveryService } from './recovery.service';
import { RememberedBrowsersService } from './remembered-browsers.service';
import { SignInService, type CodeKind } from './sign-in.service';
import type { AttemptResult } from './tries.service';
import { MFA_POLICY } from './policy';
import { personAt, SecondFactorGuard } from './second-factor.guard';

const REMEMBER_COOKIE = 'referee-remember';

/**
 * The second step of signing in: a passkey, an app code, a phone code or a backup code;
 * or, for an account without any, setting one up first. Also passwordless passkey sign-in
 * and recovery when every method is lost.
 */
@Controller()
export class ChallengeController {
  constructor(
    private readonly mfaMethods: MfaMethodsService,
    private readonly signIn: SignInService,
    private readonly phoneCodes: PhoneCodesService,
    private readonly passkeys: PasskeysService,
    private readonly browsers: RememberedBrowsersService,
    private readonly recovery: RecoveryService,
    private readonly sessions: SessionsService,
    private readonly cookie: BrowserCookie,
    private readonly messages: Messages,
    private readonly languages: LanguageResolver,
    private readonly page: ChallengePage,
    private readonly audit: AuditService,
  ) {}

  /** A refusal for passkeys.js, which shows the message as it comes: in the page's language. */
  private refusal(req: WebRequest, result: AttemptResult & { ok: false }) {
    return { ok: false, message: this.messages.text(this.languages.of(req), result.message) };
  }

  private withNext(path: string, next: string): string {
    return next ? `${path}${path.includes('?') ? '&' : '?'}next=${encodeURIComponent(next)}` : path;
  }

  /** After the password: where the second step happens. */
  @Get('mfa')
  @UseGuards(SecondFactorGuard)
  async decide(@Req() req: WebRequest, @Query() query: unknown) {
    const { next } = readForm(ChallengeQuery, query).valid!;
    if (req.viewer) return redirect(next || '/account');
    const { accountId } = personAt(req);
    await this.recovery.completeIfDue(accountId);
    const methods = await this.mfaMethods.methodsOf(accountId);
    if (methods.length === 0) return redirect(this.withNext('/mfa/setup', next));
    if (await this.browsers.skipsSecondFactor(accountId, this.cookie.read(req, this.cookie.cookieName(REMEMBER_COOKIE)))) {
      await this.sessions.completeSecondFactor(req);
      // A sign-in all the same: the person's sign-in history shows it.
      await this.audit.record({ action: 'sign_in.completed', ...actorOf(req), details: { method: 'remembered_browser', ...deviceOf(req) } });
      return redirect(next || '/account');
    }
    return redirect(this.withNext('/mfa/challenge', next));
  }

  @Get('mfa/challenge')
  @UseGuards(SecondFactorGuard)
  async challengePage(@Req() req: WebRequest, @Query() query: unknown) {
    const { method, next, sent } = readForm(ChallengeQuery, query).valid!;
    if (req.viewer) return redirect(next || '/account');
    return this.challengeView(req, method, next, { sent });
  }

  private challengeView(req: WebRequest, chosen: string, next: string, extra: Record<string, unknown> = {}, status = 200) {
    return this.page.render(personAt(req).accountId, chosen, next, SIGN_IN_CHALLENGE, extra, status);
  }

  /** The person is signed in now; optionally remember this browser for 30 days (not staff's: no token). */
  private async signedIn(req: WebRequest, res: Response, { remember, next }: { remember: boolean; next: string }) {
    await this.sessions.completeSecondFactor(req);
    const token = remember ? await this.browsers.remember(req.viewer!.accountId) : undefined;
    if (token) this.cookie.set(res, this.cookie.cookieName(REMEMBER_COOKIE), token, MFA_POLICY.rememberBrowserMs / 1000);
    return redirect(next || '/account');
  }

  /** One try at a typed code (the sign-in service records it); the page again with the error when it failed. */
  private async tryCode(req: WebRequest, res: Response, body: unknown, kind: CodeKind) {
    const form = readForm(challengeCodeForm(kind), body);
    const next = localPath(form.typed('next'), '');
    if (req.viewer) return redirect(next || '/account');
    const refused = await this.codesRefused(req);
    if (refused) return refused;
    const methodId = kind === 'backup' ? 'backup' : form.typed('method');
    const again = (errors: FieldErrors) => this.challengeView(req, methodId, next, { errors, sent: true, rememberTicked: form.typed('remember') === 'yes' }, 400);
    if (!form.valid) return again(form.errors);
    const { method, code } = form.valid;
    const result = await this.signIn.tryCode({ ...actorOf(req), device: deviceOf(req) }, req.browserKey, personAt(req).accountId, kind, method, code);
    if (result.ok) return this.signedIn(req, res, form.valid);
    return again({ code: result.message });
  }

  /** Staff in production: codes are refused, whatever the method. */
  private async codesRefused(req: WebRequest) {
    return (await this.mfaMethods.passkeysOnly(personAt(req).accountId)) ? view('mfa/staff-passkey-required', {}, 403) : undefined;
  }

  @Post('mfa/challenge/totp')
  @UseGuards(SecondFactorGuard)
  totp(@Req() req: WebRequest, @Res({ passthrough: true }) res: Response, @Body() body: unknown) {
    return this.tryCode(req, res, body, 'totp');
  }

  @Post('mfa/challenge/phone/send')
  @UseGuards(SecondFactorGuard)
  async sendPhone(@Req() req: WebRequest, @Body() body: unknown) {
    const refused = await this.codesRefused(req);
    if (refused) return refused;
    const { method, next } = readForm(SendPhoneCodeForm, body).valid!;
    const outcome = await this.phoneCodes.sendChallenge(req.browserKey, personAt(req).accountId, method);
    if (outcome === 'missing') return redirect(this.withNext('/mfa/challenge', next));
    if (outcome === 'failed') return view('mfa/phone-failed', { next, signingIn: true }, 502);
    return redirect(this.withNext(`/mfa/challenge?method=${encodeURIComponent(method)}&sent=1`, next));
  }

  @Post('mfa/challenge/phone')
  @UseGuards(SecondFactorGuard)
  phone(@Req() req: WebRequest, @Res({ passthrough: true }) res: Response, @Body() body: unknown) {
    return this.tryCode(req, res, body, 'phone');
  }

  @Post('mfa/challenge/backup')
  @UseGuards(SecondFactorGuard)
  backup(@Req() req: WebRequest, @Res({ passthrough: true }) res: Response, @Body() body: unknown) {
    return this.tryCode(req, res, body, 'backup');
  }

  /** Options carry a one-time challenge: never cached. */
  @Post('mfa/challenge/passkey/options')
  @UseGuards(SecondFactorGuard)
  @Header('Cache-Control', 'no-store')
  passkeyOptions(@Req() req: WebRequest) {
    return this.passkeys.authenticationOptions(req.browserKey, personAt(req).accountId);
  }

  @Post('mfa/challenge/passkey')
  @UseGuards(SecondFactorGuard)
  async passkey(@Req() req: WebRequest, @Res({ passthrough: true }) res: Response, @Body() body: unknown) {
    const form = readForm(PasskeyForm, body).valid!;
    const result = await this.signIn.tryPasskey({ ...actorOf(req), device: deviceOf(req) }, req.browserKey, personAt(req).accountId, form.response);
    if (!result.ok) return this.refusal(req, result);
    const done = await this.signedIn(req, res, form);
    return { ok: true, redirect: done.location };
  }

  /** Passwordless: a passkey that verified its user is both factors at once. */
  @Post('sign-in/passkey/options')
  @Header('Cache-Control', 'no-store')
  passwordlessOptions(@Req() req: WebRequest) {
    return this.passkeys.authenticationOptions(req.browserKey);
  }

  @Post('sign-in/passkey')
  async passwordless(@Req() req: WebRequest, @Res({ passthrough: true }) res: Response, @Body() body: unknown) {
    const { response, next } = readForm(PasskeyForm, body).valid!;
    const result = await this.signIn.passwordless(req.ip, req.browserKey, response, (account) => this.sessions.start(req, res, account, true), deviceOf(req));
    if (!result.ok) return this.refusal(req, result);
    return { ok: true, redirect: next || '/account' };
  }

  // ---- lost every method -------------------------------------------------------------

  @Post('mfa/recovery')
  @UseGuards(SecondFactorGuard)
  async recover(@Req() req: WebRequest) {
    const dueAt = await this.recovery.request(personAt(req).accountId, actorOf(req));
    return view('mfa/recovery', { dueAt });
  }

  @Get('mfa/recovery/cancel')
  cancelPage(@Query() query: unknown) {
    return view('mfa/recovery-cancel', { token: readForm(CancelRecoveryForm, query).valid!.token });
  }

  @Post('mfa/recovery/cancel')
  async cancel(@Body() body: unknown, @Req() req: WebRequest) {
    const { token } = readForm(CancelRecoveryForm, body).valid!;
    const cancelled = await this.recovery.cancel(token, req.ip);
    return view('mfa/recovery-cancel', { cancelled, done: true }, cancelled ? 200 : 410);
  }
}
