import { HttpException, HttpStatus, Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { CONFIG, type Config } from '../config/config';
import { connectionPool } from '../database/sql';
import { hmac } from '../crypto/tokens';

/**
 * Every rate limit Referee applies, in one table. Counters live in PostgreSQL (table
 * rate_limit) so they hold across instances. Keys are HMACs: no email or IP is stored.
 * Figures follow Login.gov's published limits where it has one.
 */
export const RATE_LIMITS = {
  /** Password guesses against one account from one address. */
  'sign-in:account-ip': { points: 10, durationSeconds: 15 * 60 },
  /** All sign-in attempts from one address (credential stuffing). */
  'sign-in:ip': { points: 100, durationSeconds: 15 * 60 },
  // Generous: people abroad often share one address (carrier-grade NAT, cafés, offices).
  'sign-up:ip': { points: 50, durationSeconds: 60 * 60 },
  /**
   * "You already have an account" emails, when someone signs up with an address that has
   * one: to one address, and caused from one network address. Counted silently (the sign-up
   * page is the same either way): past the limit, no email.
   */
  'sign-up-existing:account': { points: 3, durationSeconds: 60 * 60 },
  'sign-up-existing:ip': { points: 10, durationSeconds: 60 * 60 },
  /** Password-reset and confirmation emails to one account. */
  'email-link:account': { points: 5, durationSeconds: 60 * 60 },
  'email-link:ip': { points: 20, durationSeconds: 60 * 60 },
  /** Phone codes sent to one account: one per 30 s, five an hour. */
  'phone-code:30s': { points: 1, durationSeconds: 30 },
  'phone-code:hour': { points: 5, durationSeconds: 60 * 60 },
  /** SSN/ITIN entries by one account (Login.gov: 10 per hour). */
  'verify-ssn:account': { points: 10, durationSeconds: 60 * 60 },
  /** Save & Exit emails to one account. */
  'verify-save-exit:account': { points: 10, durationSeconds: 60 * 60 },
  /** Resume-link (continuation code) attempts: per account, and per address. */
  'verify-resume:account': { points: 10, durationSeconds: 60 * 60 },
  'verify-resume:ip': { points: 50, durationSeconds: 60 * 60 },
  /** Support requests: per person (the account, or the email given when not signed in) and per address. */
  'support-request:person': { points: 5, durationSeconds: 60 * 60 },
  'support-request:ip': { points: 20, durationSeconds: 60 * 60 },
  /** Follow-up messages on one's own support requests. */
  'support-reply:account': { points: 20, durationSeconds: 60 * 60 },
  /** Fraud reports, counted apart: someone who used up their support requests can still report fraud. */
  'fraud-report:person': { points: 5, durationSeconds: 60 * 60 },
  'fraud-report:ip': { points: 20, durationSeconds: 60 * 60 },
  /** One-time codes sent to the applicant during one video call. */
  'call-code:call': { points: 5, durationSeconds: 60 * 60 },
  /** Appointment bookings and changes by one account (each sends an email). */
  'call-booking:account': { points: 20, durationSeconds: 60 * 60 },
  /** Document files checked and stored for one case (the per-case quota of 40 stored files is apart). */
  'documents-upload:case': { points: 60, durationSeconds: 60 * 60 },
  /** Document submissions for review by one case (Login.gov: 5 per 6 hours). */
  'documents-submit:case': { points: 5, durationSeconds: 6 * 60 * 60 },
  /** "Take Photo" links sent by SMS for one case (Login.gov: 5 per 10 minutes). */
  'documents-phone-link:case': { points: 5, durationSeconds: 10 * 60 },
} as const;

export type RateLimitName = keyof typeof RATE_LIMITS;

export class TooManyAttemptsException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
    super({ message: 'errors.tooManyAttempts', values: { minutes } }, HttpStatus.TOO_MANY_REQUESTS);
  }
}

@Injectable()
export class RateLimits implements OnModuleInit {
  private limiters = new Map<RateLimitName, RateLimiterPostgres>();

  constructor(@Inject(CONFIG) private readonly config: Config, private readonly em: EntityManager) {}

  async onModuleInit() {
    // The pg pool MikroORM already holds: no second set of connections.
    const pool = await connectionPool(this.em);
    for (const [name, limit] of Object.entries(RATE_LIMITS) as [RateLimitName, (typeof RATE_LIMITS)[RateLimitName]][]) {
      this.limiters.set(
        name,
        new RateLimiterPostgres({
          storeClient: pool,
          storeType: 'pool',
          tableName: 'rate_limit',
          tableCreated: true, // created by a migration
          clearExpiredByTimeout: false,
          keyPrefix: name,
          points: limit.points * this.config.rateLimitScale,
          duration: limit.durationSeconds,
        }),
      );
    }
  }

  /** Counts one attempt; throws TooManyAttemptsException once the limit is used up. */
  async consume(name: RateLimitName, ...keyParts: string[]): Promise<void> {
    const refused = await this.count(name, keyParts);
    if (refused) throw new TooManyAttemptsException(Math.ceil(refused.msBeforeNext / 1000));
  }

  /**
   * Counts `points` attempts (0: the same write, counting nothing) and says whether the count
   * is within the limit, for limits nobody is told about.
   */
  async allows(name: RateLimitName, keyParts: string[], points = 1): Promise<boolean> {
    return !(await this.count(name, keyParts, points));
  }

  /** Forgets a counter (its account is deleted: nothing keyed by it stays). */
  async forget(name: RateLimitName, ...keyParts: string[]): Promise<void> {
    await this.limiters.get(name)!.delete(this.keyOf(name, keyParts));
  }

  private keyOf(name: RateLimitName, keyParts: string[]): string {
    return hmac(this.config.sessionSecret, `${name}:${keyParts.join(':').toLowerCase()}`);
  }

  /** Counts attempts; the limiter's answer when it is over the limit, else undefined. */
  private async count(name: RateLimitName, keyParts: string[], points = 1): Promise<RateLimiterRes | undefined> {
    const key = this.keyOf(name, keyParts);
    try {
      await this.limiters.get(name)!.consume(key, points);
      return undefined;
    } catch (result) {
      if (result instanceof RateLimiterRes) return result;
      throw result;
    }
  }
}
