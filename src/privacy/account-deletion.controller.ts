import { Body, Controller, Get, Inject, Post, Query, Req, UseGuards } from '@nestjs/common';
import { CONFIG, type Config } from '../config/config';
import { SignedInGuard } from '../identity/signed-in.guard';
import { StaffService } from '../staff/staff.service';
import { formatDuration } from '../i18n/formats';
import { LanguageResolver } from '../i18n/language';
import { CurrentViewer } from '../web/current-viewer.decorator';
import { readForm } from '../web/form';
import { localPath } from '../web/redirect.exception';
import type { Viewer, WebRequest } from '../web/request';
import { invalidForm, redirect, view } from '../web/view';
import { DeletionRequestForm, KeepForm } from './account-deletion.forms';
import { AccountDeletionService } from './account-deletion.service';
import { ConfirmedGuard } from './confirmation.service';

export const SCHEDULED_PAGE = '/account/privacy/delete/scheduled';
/**
 * Staff accounts are not deleted here: their calls, appointments and reviews belong to other
 * people's cases (and would go with the account), so an administrator removes their roles first.
 */
const STAFF_PAGE = () => view('privacy/delete-staff', {}, 403);

/**
 * Deleting one's account: what is deleted and what is kept, the request (after confirming who
 * you are: password and second factor, ConfirmedGuard), the page a person waiting for their deletion sees when signed in, and cancelling
 * (from that page, or from the email's link).
 */
@Controller('account/privacy/delete')
export class AccountDeletionController {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly deletions: AccountDeletionService,
    private readonly languages: LanguageResolver,
    private readonly staff: StaffService,
  ) {}

  @Get()
  @UseGuards(ConfirmedGuard)
  async page(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest) {
    if (viewer.deletionPending) return redirect(SCHEDULED_PAGE); // read with the session
    if (await this.staff.isStaff(viewer.accountId)) return STAFF_PAGE();
    return view('privacy/delete', this.context(req, {}));
  }

  @Post()
  @UseGuards(ConfirmedGuard)
  async request(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Body() body: unknown) {
    if (await this.staff.isStaff(viewer.accountId)) return STAFF_PAGE();
    const form = readForm(DeletionRequestForm, body);
    const kept = { understand: form.typed('understand') === 'yes', timeZone: form.typed('timeZone') };
    if (!form.valid) return invalidForm('privacy/delete', form.errors, this.context(req, kept));
    await this.deletions.schedule(viewer.accountId, form.valid.timeZone, req.ip);
    return redirect(SCHEDULED_PAGE);
  }

  /** "Your account will be deleted on …": what a person waiting for their deletion sees, signed in. */
  @Get('scheduled')
  @UseGuards(SignedInGuard)
  async scheduled(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Query('next') next: unknown) {
    const deletion = await this.deletions.pending(viewer.accountId);
    if (!deletion) return redirect('/account');
    return view('privacy/delete-scheduled', { ...this.deletions.when(deletion, this.languages.of(req)), next: localPath(next, '') });
  }

  /** "Keep my account": the deletion is cancelled; on to the OpenID sign-in it interrupted, if any. */
  @Post('keep')
  @UseGuards(SignedInGuard)
  async keep(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Body() body: unknown) {
    const next = localPath(readForm(KeepForm, body).typed('next'), '');
    await this.deletions.cancel(viewer.accountId, 'sign_in', req.ip);
    if (next) return redirect(next);
    return view('privacy/delete-cancelled', { by: 'sign_in' });
  }

  /** The email's link: a page with a button (a POST), so that mail scanners fetching links cancel nothing. */
  @Get('cancel')
  async cancelPage(@Query('token') token: unknown) {
    if (!(await this.deletions.cancelLinkWorks(token))) return view('privacy/delete-link-expired', {}, 410);
    return view('privacy/delete-cancel', { token });
  }

  @Post('cancel')
  async cancelByLink(@Req() req: WebRequest, @Body('token') token: unknown) {
    if (!(await this.deletions.cancelByLink(token, req.ip))) return view('privacy/delete-link-expired', {}, 410);
    return view('privacy/delete-cancelled', { by: 'email_link' });
  }

  /** The page's values, and the two periods it names (from the configuration the job and the audit log follow). */
  private context(req: WebRequest, values: { understand?: boolean; timeZone?: string }) {
    const language = this.languages.of(req);
    return {
      values,
      wait: formatDuration(language, this.config.accountDeletionWaitHours, 'hour'),
      auditYears: formatDuration(language, this.config.retention.auditYears, 'year'),
    };
  }
}
