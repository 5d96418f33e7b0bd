import { Body, Controller, Get, Header, Post, Query, Req, UseGuards } from '@nestjs/common';
import { actorOf, AuditService } from '../audit/audit.service';
import { SessionsService } from '../identity/sessions.service';
import { SignedInGuard } from '../identity/signed-in.guard';
import { LanguageResolver } from '../i18n/language';
import { Messages } from '../i18n/messages';
import { ChallengePage, type ChallengeRoutes } from '../mfa/challenge-page';
import { challengeCodeForm, PasskeyForm, SendPhoneCodeForm } from '../mfa/forms';
import { MfaMethodsService } from '../mfa/mfa-methods.service';
import { PasskeysService } from '../mfa/passkeys.service';
import { PhoneCodesService } from '../mfa/phone-codes.service';
import { ReauthenticationService } from '../mfa/reauthentication.service';
import { SignInService, type CodeKind } from '../mfa/sign-in.service';
import { readForm } from '../web/form';
import { localPath } from '../web/redirect.exception';
import type { WebRequest } from '../web/request';
import { invalidForm, redirect, view, type FieldErrors } from '../web/view';
import { ConfirmationService } from './confirmation.service';
import { ConfirmFactorQuery, ConfirmPasswordForm, ConfirmQuery } from './forms';

const ROUTES: ChallengeRoutes = { page: '/account/confirm/second-factor', post: '/account/confirm', confirming: true };

/**
 * Confirming who you are again, before downloading your data or deleting your account: the
 * password, then the second factor with any of the person's methods (the sign-in's own page),
 * then back to the page that asked. Counted against the sign-in limits; audited.
 */
@Controller('account/confirm')
@UseGuards(SignedInGuard)
export class ConfirmController {
  constructor(
    private readonly confirmation: ConfirmationService,
    private readonly reauthentication: ReauthenticationService,
    private readonly sessions: SessionsService,
    private readonly signIn: SignInService,
    private readonly mfaMethods: MfaMethodsService,
    private readonly phoneCodes: PhoneCodesService,
    private readonly passkeys: PasskeysService,
    private readonly page: ChallengePage,
    private readonly audit: AuditService,
    private readonly messages: Messages,
    private readonly languages: LanguageResolver,
  ) {}

  private factorPage(next: string, extra = '') {
    return `${ROUTES.page}?next=${encodeURIComponent(next)}${extra}`;
  }

  @Get()
  passwordPage(@Query() query: unknown) {
    return view('privacy/confirm', { next: readForm(ConfirmQuery, query).valid!.next });
  }

  @Post()
  async password(@Req() req: WebRequest, @Body() body: unknown) {
    const { password, next } = readForm(ConfirmPasswordForm, body).valid!;
    if (!password) return invalidForm('privacy/confirm', { password: 'privacy.confirm.enterPassword' }, { next });
    if (!(await this.reauthentication.checkPassword(req.viewer!, req.ip ?? '', password))) {
      await this.audit.record({ action: 'account.confirm_refused', ...actorOf(req), details: { reason: 'password' } });
      return invalidForm('privacy/confirm', { password: 'mfa.errors.wrongPassword' }, { next });
    }
    await this.sessions.reauthenticated(req);
    await this.confirmation.passwordGiven(req);
    return redirect(this.factorPage(next));
  }

  /** The second factor is asked only right after the password; otherwise back to the password. */
  private async passwordFirst(req: WebRequest, next: string) {
    return (await this.confirmation.passwordRecent(req)) ? undefined : redirect(`/account/confirm?next=${encodeURIComponent(next)}`);
  }

  @Get('second-factor')
  async factorChoice(@Req() req: WebRequest, @Query() query: unknown) {
    const { method, next, sent } = readForm(ConfirmFactorQuery, query).valid!;
    return (await this.passwordFirst(req, next)) ?? this.page.render(req.viewer!.accountId, method, next, ROUTES, { sent });
  }

  private async done(req: WebRequest, next: string) {
    await this.confirmation.confirmed(req);
    return redirect(next);
  }

  private async tryCode(req: WebRequest, body: unknown, kind: CodeKind) {
    const form = readForm(challengeCodeForm(kind), body);
    const next = localPath(form.typed('next'), '/account');
    const first = await this.passwordFirst(req, next);
    if (first) return first;
    const accountId = req.viewer!.accountId;
    if (await this.mfaMethods.passkeysOnly(accountId)) return view('mfa/staff-passkey-required', {}, 403);
    const methodId = kind === 'backup' ? 'backup' : form.typed('method');
    const again = (errors: FieldErrors) => this.page.render(accountId, methodId, next, ROUTES, { errors, sent: true }, 400);
    if (!form.valid) return again(form.errors);
    const result = await this.signIn.tryCode(actorOf(req), req.browserKey, accountId, kind, form.valid.method, form.valid.code, 'confirm');
    return result.ok ? this.done(req, next) : again({ code: result.message });
  }

  @Post('totp')
  totp(@Req() req: WebRequest, @Body() body: unknown) {
    return this.tryCode(req, body, 'totp');
  }

  @Post('phone/send')
  async sendPhone(@Req() req: WebRequest, @Body() body: unknown) {
    const { method, next } = readForm(SendPhoneCodeForm, body).valid!;
    const target = next || '/account';
    const first = await this.passwordFirst(req, target);
    if (first) return first;
    if (await this.mfaMethods.passkeysOnly(req.viewer!.accountId)) return view('mfa/staff-passkey-required', {}, 403);
    const outcome = await this.phoneCodes.sendChallenge(req.browserKey, req.viewer!.accountId, method);
    if (outcome === 'missing') return redirect(this.factorPage(target));
    if (outcome === 'failed') return view('mfa/phone-failed', { next: target, signingIn: true, challengePage: ROUTES.page }, 502);
    return redirect(this.factorPage(target, `&method=${encodeURIComponent(method)}&sent=1`));
  }

  @Post('phone')
  phone(@Req() req: WebRequest, @Body() body: unknown) {
    return this.tryCode(req, body, 'phone');
  }

  @Post('backup')
  backup(@Req() req: WebRequest, @Body() body: unknown) {
    return this.tryCode(req, body, 'backup');
  }

  /** Options carry a one-time challenge: never cached. */
  @Post('passkey/options')
  @Header('Cache-Control', 'no-store')
  passkeyOptions(@Req() req: WebRequest) {
    return this.passkeys.authenticationOptions(req.browserKey, req.viewer!.accountId);
  }

  /** For passkeys.js: JSON, the refusal in the page's language. */
  @Post('passkey')
  async passkey(@Req() req: WebRequest, @Body() body: unknown) {
    const { response, next } = readForm(PasskeyForm, body).valid!;
    const target = next || '/account';
    if (!(await this.confirmation.passwordRecent(req))) return { ok: true, redirect: `/account/confirm?next=${encodeURIComponent(target)}` };
    const result = await this.signIn.tryPasskey(actorOf(req), req.browserKey, req.viewer!.accountId, response, 'confirm');
    if (!result.ok) return { ok: false, message: this.messages.text(this.languages.of(req), result.message) };
    await this.confirmation.confirmed(req);
    return { ok: true, redirect: target };
  }
}
