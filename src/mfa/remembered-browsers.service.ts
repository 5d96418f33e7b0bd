import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { randomToken, tokenHash } from '../crypto/tokens';
import { StaffService } from '../staff/staff.service';
import { MFA_POLICY } from './policy';
import { RememberedBrowser } from './remembered-browser.entity';

/**
 * Browsers that skip the second factor for a while after one was given ("remember this
 * browser"). Never for staff, who handle other people's data.
 */
@Injectable()
export class RememberedBrowsersService {
  constructor(
    private readonly em: EntityManager,
    private readonly staff: StaffService,
  ) {}

  /** The token for this browser's cookie, or undefined for staff (not remembered). */
  async remember(accountId: string): Promise<string | undefined> {
    if (await this.staff.isStaff(accountId)) return undefined;
    const token = randomToken();
    await this.em.insert(RememberedBrowser, { tokenHash: tokenHash(token), account: accountId, expiresAt: new Date(Date.now() + MFA_POLICY.rememberBrowserMs) });
    return token;
  }

  /** Whether the browser with this cookie token skips the second factor. */
  async skipsSecondFactor(accountId: string, token: string | undefined): Promise<boolean> {
    if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return false;
    const remembered = (await this.em.count(RememberedBrowser, { tokenHash: tokenHash(token), account: accountId, expiresAt: { $gt: new Date() } })) === 1;
    return remembered && !(await this.staff.isStaff(accountId));
  }

  /** Forgets every remembered browser of an account (after a change to its factors); in `em`'s transaction when given. */
  async forgetAll(accountId: string, em: EntityManager = this.em): Promise<void> {
    await em.nativeDelete(RememberedBrowser, { account: accountId });
  }
}
