import { Controller, Get, NotFoundException, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { actorOf } from '../audit/audit.service';
import { SignedInGuard } from '../identity/signed-in.guard';
import { zoneLabel } from '../scheduling/time-zones';
import { CurrentViewer } from '../web/current-viewer.decorator';
import { readForm } from '../web/form';
import type { Viewer, WebRequest } from '../web/request';
import { fileResponse, redirect, view } from '../web/view';
import { AccessHistoryService } from './access-history.service';
import { ConfirmedGuard } from './confirmation.service';
import type { DataExport } from './data-export.entity';
import { DataExportService, EXPORT_LIFETIME_MS } from './data-export.service';
import { AccessPageQuery } from './forms';
import { countryName } from './network-country';
import { LanguageResolver } from '../i18n/language';
import { CLAIM_WORDS } from '../oidc/claims';

/** What the download page and its progress fragment show of the newest export. */
function exportState(row: DataExport | null, now = Date.now()) {
  if (!row) return undefined;
  const expired = row.status === 'expired' || (row.status === 'ready' && !!row.expiresAt && row.expiresAt.getTime() <= now);
  return { id: row.id, status: expired ? 'expired' : row.status, progress: row.progress, expiresAt: row.expiresAt, requestedAt: row.requestedAt, bytes: row.bytes };
}

/**
 * The Privacy Rights Center: what the person can do with their data (download it, see who saw
 * it, delete their account), and "Who saw my data" and "Download my data" themselves.
 */
@Controller('account/privacy')
@UseGuards(SignedInGuard)
export class PrivacyController {
  constructor(
    private readonly history: AccessHistoryService,
    private readonly exports: DataExportService,
    private readonly languages: LanguageResolver,
  ) {}

  @Get()
  center() {
    return view('privacy/center', { hours: EXPORT_LIFETIME_MS / 3_600_000 });
  }

  @Get('access')
  async access(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Query() query: unknown) {
    const { page } = readForm(AccessPageQuery, query).valid!;
    const shown = await this.history.page(viewer.accountId, page);
    if (page > shown.pages) return redirect(`/account/privacy/access?page=${shown.pages}`);
    const language = this.languages.of(req);
    const timeZone = await this.history.timeZoneOf(viewer.accountId);
    const entries = shown.entries.map((e) =>
      e.kind === 'sign-in'
        ? { ...e, countryName: e.country ? countryName(e.country, language) : undefined }
        : e.kind === 'sharing'
          ? { ...e, claimLabels: e.claims.map((name) => (CLAIM_WORDS[name] ? { key: CLAIM_WORDS[name].listed } : { raw: name })) }
          : e,
    );
    return view('privacy/access', { ...shown, entries, timeZone, zoneName: zoneLabel(timeZone, language) });
  }

  @Get('download')
  async downloadPage(@CurrentViewer() viewer: Viewer) {
    return view('privacy/download', { latest: exportState(await this.exports.latest(viewer.accountId)), hours: EXPORT_LIFETIME_MS / 3_600_000 });
  }

  /** The progress while it builds, polled by htmx (the fragment stops polling once done). */
  @Get('download/progress')
  async progress(@CurrentViewer() viewer: Viewer) {
    return view('privacy/download-progress', { latest: exportState(await this.exports.latest(viewer.accountId)) });
  }

  /** Asking for the data needs a fresh confirmation (password and second factor). */
  @Post('download')
  @UseGuards(ConfirmedGuard)
  async requestExport(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest) {
    await this.exports.request(viewer.accountId, actorOf(req));
    return redirect('/account/privacy/download');
  }

  /** The ZIP, once, within 24 hours; a second click gets a page saying so, and offering a new one. */
  @Get('download/:id/file')
  @UseGuards(ConfirmedGuard)
  async file(@CurrentViewer() viewer: Viewer, @Req() req: WebRequest, @Param('id') id: string) {
    const outcome = await this.exports.download(viewer.accountId, id, actorOf(req));
    if (outcome === 'missing') throw new NotFoundException();
    if (outcome === 'building') return redirect('/account/privacy/download');
    if (outcome === 'used' || outcome === 'expired') return view('privacy/download-gone', { reason: outcome }, 410);
    return fileResponse('application/zip', outcome.file, 'referee-data.zip');
  }
}
