import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { CONFIG, type Config } from '../config/config';
import { type Language } from '../i18n/languages';
import { Messages, type Text } from '../i18n/messages';
import { SmsSender } from '../notifications/sms-sender';
import { parsePhoneNumberWithError } from 'libphonenumber-js/max';
import type { Link } from '../links/link.entity';
import { issueLink, newestLink, openLink } from '../links/links';
import { CaseSteps } from '../verification/case-steps';
import { VerificationCase } from '../verification/verification-case.entity';
import { RateLimits } from '../web/rate-limits';
import { SENDING } from './submission.service';

/** A Take Photo link works this long. */
export const CAPTURE_MINUTES = 15;

/** Field name → why: a catalog key, or a key with values (the applicant's pages translate it). */
type Problems = Record<string, Text>;

/**
 * Take Photo: a one-time link by SMS that opens the case's phone page. The rest of the
 * documents module: SubmissionService (what a case must send, submitting it),
 * DocumentFilesService (checking and storing files), ReviewQueueService and
 * ReviewDecisionsService (the reviewers), DocumentRetentionService (the scheduled jobs).
 */
@Injectable()
export class DocumentsService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    private readonly steps: CaseSteps,
    private readonly rateLimits: RateLimits,
    private readonly sms: SmsSender,
    private readonly messages: Messages,
  ) {}

  // ---- Take Photo (a one-time link by SMS) --------------------------------------------------

  /**
   * The phone number the applicant gave with their details, as the "text me a link" form
   * shows it: its country and its national number (empty when there is none).
   */
  phoneOnFile(c: VerificationCase): { country: string; number: string } {
    if (!c.phone) return { country: '', number: '' };
    try {
      const phone = parsePhoneNumberWithError(c.phone);
      return { country: phone.country ?? '', number: phone.country ? phone.formatNational() : c.phone };
    } catch {
      return { country: '', number: c.phone };
    }
  }

  /** Sends a "Take Photo" link to a checked phone number (any country, as in MFA: forms.ts). */
  async sendCaptureLink(accountId: string, e164: string, language: Language): Promise<{ errors: Problems } | { phoneLast4: string }> {
    const c = await this.steps.open(accountId);
    if (!SENDING.includes(c.status)) return { errors: { number: 'documents.errors.documentsLocked' } };
    await this.rateLimits.consume('documents-phone-link:case', c.id);
    const phoneLast4 = e164.slice(-4);
    const em = this.em.fork();
    const token = issueLink(em, 'capture_photos', { accountId, caseId: c.id }, CAPTURE_MINUTES * 60_000, { phoneLast4 });
    await em.flush();
    // In the language of the page that asked for it: the person holding both.
    await this.sms.send(e164, this.messages.text(language, 'documents.capture.sms', { url: `${this.config.baseUrl}/capture/${token}`, minutes: CAPTURE_MINUTES }), 'sms');
    return { phoneLast4 };
  }

  /** The case a capture link opens (for every upload, not once), while it is valid and the case takes documents. */
  async captureCase(token: string): Promise<VerificationCase | undefined> {
    const em = this.em.fork();
    const link = await openLink(em, 'capture_photos', token);
    if (!link?.verificationCase) return undefined;
    const c = await em.findOne(VerificationCase, { id: link.verificationCase.id });
    return c && SENDING.includes(c.status) ? c : undefined;
  }

  /** The newest capture link of a case that still works (the desktop page polls while there is one). */
  async activeCapture(caseId: string): Promise<Link | undefined> {
    return (await newestLink(this.em.fork(), 'capture_photos', caseId)) ?? undefined;
  }
}
