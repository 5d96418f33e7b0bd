import { Body, Controller, Get, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { actorOf, AuditService } from '../audit/audit.service';
import { LanguageResolver } from '../i18n/language';
import { AfterResponse } from '../web/after-response';
import { RateLimits } from '../web/rate-limits';
import { localPath } from '../web/redirect.exception';
import type { Viewer, WebRequest } from '../web/request';
import { CurrentViewer } from '../web/current-viewer.decorator';
import { invalidForm, redirect, view, type FieldErrors } from '../web/view';
import { readForm } from '../web/form';
import { ReturnsService } from '../oidc/returns.service';
import { VerifiedIdentitiesService } from '../verified-identity/verified-identities.service';
import { IdentityService } from './identity.service';
import { newPasswordForm, PasswordResetForm, SignInForm, SignUpForm } from './forms';
import { PASSWORD_MIN } from './passwords';
import { SessionsService } from './sessions.service';
import { SignedInGuard } from './signed-in.guard';

/** Sign-up, email confirmation, sign-in, sign-out, password reset and the account page. */
@Controller()
export class IdentityController {
  constructor(
    private readonly identity: IdentityService,
    private readonly sessions: SessionsService,
    private readonly rateLimits: RateLimits,
    private readonly audit: AuditService,
    private readonly languages: LanguageResolver,
    private readonly afterResponse: AfterResponse,
    private readonly returns: ReturnsService,
    private readonly verifiedIdentities: VerifiedIdentitiesService,
  ) {}

  /** `next`: the organization's request the person came from (sign-in's "Create an account" passes it on). */
  @Get('sign-up')
  signUpPage(@Query('next') next: unknown) {
    return view('identity/sign-up', { values: {}, passwordMin: PASSWORD_MIN, next: localPath(next, '') });
  }

  @Post('sign-up')
  async signUp(@Body() body: unknown, @Req() req: WebRequest) {
    const form = readForm(SignUpForm, body);
    const next = localPath(form.typed('next'), '');
    if (!form.valid) return invalidForm('identity/sign-up', form.errors, { values: { email: form.typed('email') }, passwordMin: PASSWORD_MIN, next });
    const { email, password } = form.valid;
    await this.rateLimits.consume('sign-up:ip', req.ip ?? '');
    // A new account keeps the organization's request: the confirmation may be opened in another browser, or days later.
    await this.identity.signUp(email, password, this.languages.stated(req), req.ip ?? '', (accountId) => this.returns.rememberRequest(accountId, next));
    return view('identity/check-email', { purpose: 'confirm', next });
  }

  @Get('sign-up/confirm')
  async confirmPage(@Query('token') token: unknown) {
    const link = await this.identity.findLink(token, 'confirm_email');
    if (!link) return view('identity/link-expired', { purpose: 'confirm' }, 410);
    return view('identity/confirm-email', { token, requestingOrganization: await this.organizationWaitingFor(link.account.id) });
  }

  /**
   * Confirming is a POST (a button on the linked page): mail scanners that fetch links change
   * nothing. Then sign in, and on into the organization's request when one is waiting.
   */
  @Post('sign-up/confirm')
  async confirm(@Body('token') token: unknown) {
    const link = await this.identity.findLink(token, 'confirm_email');
    const confirmed = link && (await this.identity.confirmEmail(token));
    if (!confirmed) return view('identity/link-expired', { purpose: 'confirm' }, 410);
    const next = await this.returns.continuePath(link.account.id);
    return redirect(`/sign-in?confirmed=1${next ? `&next=${encodeURIComponent(next)}` : ''}`);
  }

  private async organizationWaitingFor(accountId: string) {
    const pending = await this.returns.pending(accountId);
    return pending ? { name: pending.organization.name } : undefined;
  }

  @Get('sign-in')
  signInPage(@Req() req: WebRequest, @Query() query: Record<string, unknown>) {
    if (req.viewer) return redirect(localPath(query.next, '/account'));
    return view('identity/sign-in', {
      values: {},
      next: localPath(query.next, ''),
      notice: req.sessionEnded ? 'timed-out' : ['confirmed', 'reset', 'signed-out', 'timed-out'].find((key) => key in query),
    });
  }

  @Post('sign-in')
  async signIn(@Body() body: unknown, @Req() req: WebRequest, @Res({ passthrough: true }) res: Response) {
    const form = readForm(SignInForm, body);
    const next = localPath(form.typed('next'), '');
    const again = (errors: FieldErrors, extra: Record<string, unknown> = {}) =>
      invalidForm('identity/sign-in', errors, { values: { email: form.typed('email') }, next, ...extra });
    if (!form.valid) return again(form.errors);
    const { email, password } = form.valid;

    // Both counters and the account at once: round trips to PostgreSQL side by side, not one
    // after the other. No password is checked unless both counters allow it.
    const allowed = Promise.all([this.rateLimits.consume('sign-in:ip', req.ip ?? ''), this.rateLimits.consume('sign-in:account-ip', email, req.ip ?? '')]);
    const result = await this.identity.signIn(email, password, allowed);
    switch (result.outcome) {
      case 'wrong':
        this.afterResponse.run(req, 'wrong password count', () => this.identity.countWrongPassword(email));
        await this.audit.record({ action: 'sign_in.password_refused', ip: req.ip });
        return again({ password: 'identity.errors.wrongPassword' });
      case 'locked':
        await this.audit.record({ action: 'sign_in.locked_account', ip: req.ip });
        return again({ password: 'identity.errors.locked' }, { locked: true });
      case 'unconfirmed':
        return view('identity/check-email', { purpose: 'confirm', unconfirmed: true });
      case 'signed-in':
        // The new session and its audit event side by side (the event needs nothing the session makes).
        await Promise.all([
          this.sessions.start(req, res, result.account),
          this.audit.record({ action: 'sign_in.password_accepted', actorId: result.account.id, ip: req.ip }),
        ]);
        // Always on to the second factor: /mfa challenges, or asks to set one up.
        return redirect(`/mfa${next ? `?next=${encodeURIComponent(next)}` : ''}`);
    }
  }

  @Post('sign-out')
  async signOut(@Req() req: WebRequest, @Res({ passthrough: true }) res: Response) {
    if (req.viewer) await this.audit.record({ action: 'sign_out', ...actorOf(req) });
    await this.sessions.end(req, res);
    return redirect('/sign-in?signed-out=1');
  }

  @Post('session/extend')
  @UseGuards(SignedInGuard)
  async extend(@Req() req: WebRequest, @Body('returnTo') returnTo: unknown) {
    await this.sessions.extend(req);
    return redirect(localPath(returnTo, '/account'));
  }

  @Get('account')
  @UseGuards(SignedInGuard)
  async account(@CurrentViewer() viewer: Viewer) {
    const [account, verified, waiting] = await Promise.all([
      this.identity.findAccount(viewer.accountId),
      this.verifiedIdentities.findVerified(viewer.accountId),
      this.organizationWaitingFor(viewer.accountId),
    ]);
    // The way back is offered on the page itself: the layout's banner would say it twice.
    return view('identity/account', { account, verifiedAt: verified?.verifiedAt, waiting, requestingOrganization: waiting, requestBanner: false });
  }

  @Get('password-reset')
  resetRequestPage() {
    return view('identity/password-reset', { values: {} });
  }

  @Post('password-reset')
  async requestReset(@Body() body: unknown, @Req() req: WebRequest) {
    const form = readForm(PasswordResetForm, body);
    if (!form.valid) return invalidForm('identity/password-reset', form.errors, { values: { email: form.typed('email') } });
    const { email } = form.valid;
    await this.rateLimits.consume('email-link:ip', req.ip ?? '');
    await this.rateLimits.consume('email-link:account', email);
    // Whether the address has an account decides all the work that follows: none of it before the answer.
    this.afterResponse.run(req, 'password reset email', () => this.identity.requestPasswordReset(email));
    return view('identity/check-email', { purpose: 'reset' });
  }

  @Get('password-reset/new')
  async newPasswordPage(@Query('token') token: unknown) {
    const link = await this.identity.findLink(token, 'reset_password');
    return link ? view('identity/new-password', { token, passwordMin: PASSWORD_MIN }) : view('identity/link-expired', { purpose: 'reset' }, 410);
  }

  @Post('password-reset/new')
  async setNewPassword(@Body() body: unknown, @Body('token') token: unknown, @Req() req: WebRequest) {
    const link = await this.identity.findLink(token, 'reset_password');
    if (!link) return view('identity/link-expired', { purpose: 'reset' }, 410);
    const form = readForm(newPasswordForm(link.account.email), body);
    if (!form.valid) return invalidForm('identity/new-password', form.errors, { token, passwordMin: PASSWORD_MIN });
    const account = await this.identity.resetPassword(token, form.valid.password);
    if (account) await this.audit.record({ action: 'password.reset', actorId: account.id, ip: req.ip });
    return account ? redirect('/sign-in?reset=1') : view('identity/link-expired', { purpose: 'reset' }, 410);
  }
}
