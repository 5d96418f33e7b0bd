import { Body, Controller, Get, Header, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { SessionsService } from '../identity/sessions.service';
import { SignedInGuard } from '../identity/signed-in.guard';
import { LanguageResolver } from '../i18n/language';
import { Messages, phrase, type Text } from '../i18n/messages';
import { localPath, RedirectException } from '../web/redirect.exception';
import type { Viewer, WebRequest } from '../web/request';
import { CurrentViewer } from '../web/current-viewer.decorator';
import { invalidForm, redirect, view, type FieldErrors } from '../web/view';
import type { MfaKind } from './mfa-method.entity';
import { BACKUP_CODES_LABEL, BackupCodesService } from './backup-codes.service';
import { CodeGeneratorService } from './code-generator.service';
import { KIND_NAMES, MfaMethodsService } from './mfa-methods.service';
import { PasskeysService } from './passkeys.service';
import { PHONE_CODE_MINUTES, PhoneCodesService } from './phone-codes.service';
import { countrySelectOptions } from './phone';
import { ReauthenticationService, type ChangeRefusal } from './reauthentication.service';
import { MFA_POLICY } from './policy';
import { personAt, SecondFactorGuard } from './second-factor.guard';
import {
  BackupCodesForm,
  labelProblem,
  MethodLabelForm,
  MethodsQuery,
  NextForm,
  PasskeySetupForm,
  PhoneConfirmForm,
  PhoneConfirmQuery,
  PhoneSetupFields,
  PhoneSetupForm,
  ReauthenticateForm,
  SetupDoneQuery,
  TotpSetupForm,
} from './forms';
import { readForm } from '../web/form';
import { ReturnsService } from '../oidc/returns.service';
import { actorOf, AuditService } from '../audit/audit.service';
import { deviceOf } from '../web/user-agent';

/**
 * Adding second factors (the first one right after the password, more from the account),
 * and managing them: rename, remove (never the last), new backup codes. Changes by a
 * signed-in person need a recent proof of identity.
 */
@Controller('mfa')
export class SetupController {
  constructor(
    private readonly mfaMethods: MfaMethodsService,
    private readonly codeGenerators: CodeGeneratorService,
    private readonly phoneCodes: PhoneCodesService,
    private readonly backupCodesService: BackupCodesService,
    private readonly passkeys: PasskeysService,
    private readonly reauthentication: ReauthenticationService,
    private readonly sessions: SessionsService,
    private readonly messages: Messages,
    private readonly languages: LanguageResolver,
    private readonly returns: ReturnsService,
    private readonly audit: AuditService,
  ) {}

  /** Text in the page's language: the name a new method gets unless the person gives one, and answers to passkeys.js. */
  private say(req: WebRequest, text: Text): string {
    return this.messages.text(this.languages.of(req), text);
  }

  /** Who may add or change a method now (ReauthenticationService decides); otherwise to the page that lets them. */
  private async mayAdd(req: WebRequest, kind?: MfaKind): Promise<{ accountId: string; email: string; first: boolean }> {
    const person = personAt(req);
    const access = await this.reauthentication.mayChange(person, kind);
    if ('refused' in access) throw new RedirectException(this.pageFor(req, access.refused));
    return { accountId: person.accountId, email: person.email, first: access.first };
  }

  private pageFor(req: WebRequest, refusal: ChangeRefusal): string {
    if (refusal === 'passkeys-only') return '/mfa/setup/passkey';
    if (refusal === 'challenge') return '/mfa/challenge';
    return `/mfa/reauthenticate?next=${encodeURIComponent(req.originalUrl.split('?')[0])}`;
  }

  /**
   * The first method, just set up, signs the person in: recorded as a sign-in like any other
   * (the person's access history lists it, with the browser).
   */
  private async signInWithFirstMethod(req: WebRequest, kind: MfaKind): Promise<void> {
    await this.sessions.completeSecondFactor(req);
    await this.audit.record({ action: 'sign_in.completed', ...actorOf(req), details: { method: kind, first: true, ...deviceOf(req) } });
  }

  /** A method was added: the first one signs the person in. */
  private async added(req: WebRequest, first: boolean, kind: MfaKind, next: string) {
    if (first) await this.signInWithFirstMethod(req, kind);
    return view('mfa/setup-done', { first, kindName: KIND_NAMES[kind], next: next || (await this.afterSetup(req, first)), offerBackupCodes: kind !== 'backup_codes' });
  }

  /** Where "Continue" leads when no page asked to come back: a first factor goes on with the organization's request, if one waits. */
  private async afterSetup(req: WebRequest, first: boolean): Promise<string> {
    if (!first) return '/mfa/methods';
    const accountId = (req.viewer ?? req.pendingSignIn)?.accountId;
    return accountId && (await this.returns.pending(accountId)) ? '/return-to-organization' : '/account';
  }

  @Get('setup')
  @UseGuards(SecondFactorGuard)
  async choose(@Req() req: WebRequest, @Query() query: unknown) {
    const { first, accountId } = await this.mayAdd(req);
    const methods = await this.mfaMethods.methodsOf(accountId);
    const passkeysOnly = await this.mfaMethods.passkeysOnly(accountId);
    return view('mfa/setup', { first, next: readForm(NextForm, query).valid!.next, hasMethods: methods.length > 0, passkeysOnly });
  }

  // ---- code generator app -----------------------------------------------------------------

  @Get('setup/totp')
  @UseGuards(SecondFactorGuard)
  async totpPage(@Req() req: WebRequest, @Query() query: unknown) {
    const { accountId, email } = await this.mayAdd(req, 'totp');
    const totp = await this.codeGenerators.startSetup(req.browserKey, accountId, email);
    return view('mfa/setup-totp', { ...totp, values: { label: this.say(req, 'mfa.defaultLabel.totp') }, next: readForm(NextForm, query).valid!.next });
  }

  @Post('setup/totp')
  @UseGuards(SecondFactorGuard)
  async totp(@Req() req: WebRequest, @Body() body: unknown) {
    const { accountId, email, first } = await this.mayAdd(req, 'totp');
    const form = readForm(TotpSetupForm, body);
    const next = localPath(form.typed('next'), '');
    let errors: FieldErrors = form.errors ?? {};
    if (form.valid) {
      const result = await this.codeGenerators.confirmSetup(req.browserKey, accountId, form.valid.code, form.valid.label);
      if (typeof result !== 'string') return this.added(req, first, 'totp', next);
      errors = { code: result };
    }
    const totp = await this.codeGenerators.startSetup(req.browserKey, accountId, email);
    return invalidForm('mfa/setup-totp', errors, { ...totp, values: { label: form.typed('label').trim() }, next });
  }

  // ---- phone --------------------------------------------------------------------------

  @Get('setup/phone')
  @UseGuards(SecondFactorGuard)
  async phonePage(@Req() req: WebRequest, @Query() query: unknown) {
    await this.mayAdd(req, 'phone');
    return view('mfa/setup-phone', {
      countries: countrySelectOptions(this.languages.of(req)),
      values: { channel: 'sms', label: this.say(req, 'mfa.defaultLabel.phone') },
      next: readForm(NextForm, query).valid!.next,
    });
  }

  @Post('setup/phone')
  @UseGuards(SecondFactorGuard)
  async phone(@Req() req: WebRequest, @Body() body: unknown) {
    const { accountId } = await this.mayAdd(req, 'phone');
    const form = readForm(PhoneSetupForm, body);
    // Shown again as typed: the fields read without the label's rule (a list sent as the form is a form with none, not a 500).
    const values = form.valid ?? readForm(PhoneSetupFields, body).valid!;
    const next = localPath(form.typed('next'), '');
    const language = this.languages.of(req);
    if (!form.valid) return invalidForm('mfa/setup-phone', form.errors, { countries: countrySelectOptions(language), values, next });
    const outcome = await this.phoneCodes.startSetup(req.browserKey, accountId, values, language);
    if (outcome.error) return invalidForm('mfa/setup-phone', outcome.error, { countries: countrySelectOptions(language), values, next });
    if (outcome.failed) return view('mfa/phone-failed', { next }, 502);
    return redirect(`/mfa/setup/phone/confirm${next ? `?next=${encodeURIComponent(next)}` : ''}`);
  }

  @Get('setup/phone/confirm')
  @UseGuards(SecondFactorGuard)
  async phoneConfirmPage(@Req() req: WebRequest, @Query() query: unknown) {
    const { accountId } = await this.mayAdd(req);
    const hint = await this.phoneCodes.setupHint(req.browserKey, accountId);
    if (!hint) return redirect('/mfa/setup/phone');
    const { next, resent } = readForm(PhoneConfirmQuery, query).valid!;
    return view('mfa/setup-phone-confirm', { hint, next, resent, codeMinutes: PHONE_CODE_MINUTES });
  }

  @Post('setup/phone/confirm')
  @UseGuards(SecondFactorGuard)
  async phoneConfirm(@Req() req: WebRequest, @Body() body: unknown) {
    const { accountId, first } = await this.mayAdd(req);
    const { code, next } = readForm(PhoneConfirmForm, body).valid!;
    const result = await this.phoneCodes.confirmSetup(req.browserKey, accountId, code);
    if (typeof result !== 'string') return this.added(req, first, 'phone', next);
    const hint = await this.phoneCodes.setupHint(req.browserKey, accountId);
    if (!hint) return redirect('/mfa/setup/phone');
    return invalidForm('mfa/setup-phone-confirm', { code: result }, { hint, next, codeMinutes: PHONE_CODE_MINUTES });
  }

  @Post('setup/phone/resend')
  @UseGuards(SecondFactorGuard)
  async phoneResend(@Req() req: WebRequest, @Body() body: unknown) {
    const { accountId } = await this.mayAdd(req);
    const { next } = readForm(NextForm, body).valid!;
    const outcome = await this.phoneCodes.resendSetup(req.browserKey, accountId);
    if (outcome === 'expired') return redirect('/mfa/setup/phone');
    if (outcome === 'failed') return view('mfa/phone-failed', { next }, 502);
    return redirect(`/mfa/setup/phone/confirm?resent=1${next ? `&next=${encodeURIComponent(next)}` : ''}`);
  }

  // ---- passkey ------------------------------------------------------------------------

  @Get('setup/passkey')
  @UseGuards(SecondFactorGuard)
  async passkeyPage(@Req() req: WebRequest, @Query() query: unknown) {
    await this.mayAdd(req);
    return view('mfa/setup-passkey', { next: readForm(NextForm, query).valid!.next, values: { label: this.say(req, 'mfa.defaultLabel.passkey') } });
  }

  /** Options carry a one-time challenge: never cached. */
  @Post('setup/passkey/options')
  @UseGuards(SecondFactorGuard)
  @Header('Cache-Control', 'no-store')
  async passkeyOptions(@Req() req: WebRequest) {
    const { accountId, email } = await this.mayAdd(req);
    return this.passkeys.registrationOptions(req.browserKey, accountId, email);
  }

  @Post('setup/passkey')
  @UseGuards(SecondFactorGuard)
  async passkey(@Req() req: WebRequest, @Body() body: unknown) {
    const { accountId, first } = await this.mayAdd(req);
    const form = readForm(PasskeySetupForm, body).valid!;
    const label = form.label || this.say(req, 'mfa.defaultLabel.passkey');
    const labelError = labelProblem(label);
    if (labelError) return { ok: false, message: this.say(req, labelError) };
    const result = await this.passkeys.register(req.browserKey, accountId, form.response, label);
    if (typeof result === 'string') return { ok: false, message: this.say(req, result) };
    if (first) await this.signInWithFirstMethod(req, 'passkey');
    const next = form.next;
    return { ok: true, redirect: `/mfa/setup/done?kind=passkey${next ? `&next=${encodeURIComponent(next)}` : ''}${first ? '&first=1' : ''}` };
  }

  @Get('setup/done')
  @UseGuards(SignedInGuard)
  async done(@Req() req: WebRequest, @Query() query: unknown) {
    const { kind, first, next } = readForm(SetupDoneQuery, query).valid!;
    return view('mfa/setup-done', { first, kindName: KIND_NAMES[kind], next: next || (await this.afterSetup(req, first)), offerBackupCodes: true });
  }

  // ---- backup codes -------------------------------------------------------------------

  @Post('setup/backup-codes')
  @UseGuards(SignedInGuard)
  async backupCodes(@Req() req: WebRequest, @Body() body: unknown) {
    const { accountId } = await this.mayAdd(req, 'backup_codes');
    const codes = await this.backupCodesService.regenerate(accountId);
    return view('mfa/backup-codes', { codes, next: readForm(BackupCodesForm, body).valid!.next });
  }

  // ---- managing methods ---------------------------------------------------------------

  @Get('methods')
  @UseGuards(SignedInGuard)
  async methods(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Query() query: unknown) {
    const methods = await this.mfaMethods.methodsOf(viewer.accountId);
    const rows = await Promise.all(
      methods.map(async (m) => ({
        id: m.id,
        // Backup codes nobody renamed are named by their kind, in the reader's language.
        label: m.kind === 'backup_codes' && m.label === BACKUP_CODES_LABEL ? undefined : m.label,
        kind: m.kind,
        kindName: KIND_NAMES[m.kind],
        hint: m.displayHint,
        createdAt: m.createdAt,
        lastUsedAt: m.lastUsedAt,
        codesLeft: m.kind === 'backup_codes' ? await this.backupCodesService.codesLeft(m.id) : undefined,
        codesTotal: MFA_POLICY.backupCodes.count,
      })),
    );
    // The error summary names each rename field as its label does.
    const errorLabels = Object.fromEntries(
      rows.map((m) => [`label-${m.id}`, this.say(req, phrase('mfa.methods.renameLabel', { label: m.label ?? this.say(req, m.kindName) }))]),
    );
    return view('mfa/methods', { methods: rows, errorLabels, notice: readForm(MethodsQuery, query).valid!.notice });
  }

  @Post('methods/:id/rename')
  @UseGuards(SignedInGuard)
  async rename(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Param('id') id: string, @Body() body: unknown) {
    const { accountId } = await this.mayAdd(req);
    const form = readForm(MethodLabelForm, body);
    if (!form.valid) {
      const page = await this.methods(viewer, req, {});
      // One page lists every method: the error goes next to this one's label field.
      return invalidForm('mfa/methods', { [`label-${id}`]: form.errors.label }, { ...page.context });
    }
    const renamed = await this.mfaMethods.rename(accountId, id, form.valid.label);
    return redirect(renamed ? '/mfa/methods?notice=renamed' : '/mfa/methods');
  }

  @Post('methods/:id/remove')
  @UseGuards(SignedInGuard)
  async remove(@Req() req: WebRequest, @Param('id') id: string) {
    const { accountId } = await this.mayAdd(req);
    const outcome = await this.mfaMethods.remove(accountId, id);
    if (outcome === 'removed') await this.sessions.endOthers(req, accountId);
    return redirect(`/mfa/methods?notice=${outcome}`);
  }

  // ---- proving who you are again --------------------------------------------------------

  @Get('reauthenticate')
  @UseGuards(SignedInGuard)
  reauthenticatePage(@Query() query: unknown) {
    return view('mfa/reauthenticate', { next: readForm(ReauthenticateForm, query).valid!.next });
  }

  @Post('reauthenticate')
  @UseGuards(SignedInGuard)
  async reauthenticate(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Body() body: unknown) {
    const { password, next } = readForm(ReauthenticateForm, body).valid!;
    if (!(await this.reauthentication.checkPassword(viewer, req.ip ?? '', password))) {
      return invalidForm('mfa/reauthenticate', { password: 'mfa.errors.wrongPassword' }, { next });
    }
    await this.sessions.reauthenticated(req);
    return redirect(next);
  }
}
