/**
 * The estimated wait in the video-call queue: the
 * queue-length estimator. With n applicants ahead and s agents serving at mean handle time
 * h, the wait is about (n + 1)·h / s. Its spread is large when n is small or when few
 * calls have been measured, so it is shown as a range; with no agent on duty there is no
 * honest number at all. Pure: the queue service gathers the inputs, the simulation in
 * bench/ewt.bench.js scores it against the waits applicants really had.
 */

import { phrase, type Phrase } from '../i18n/messages';

export interface WaitInput {
  /** Applicants ahead of this one in the queue. */
  ahead: number;
  /** Agents available or on a call (not away). */
  agentsOnDuty: number;
  /** Of those, agents free right now: fewer applicants ahead than free agents means the wait is about nil. */
  agentsAvailable?: number;
  /** Handle times of recent calls, in seconds. */
  handleTimes: number[];
  /** Handle time assumed before any call has been measured (the slot length), in seconds. */
  fallbackHandleSeconds: number;
}

export type WaitEstimate =
  | { kind: 'unknown' }
  | { kind: 'soon'; expectedSeconds: number }
  | { kind: 'range'; expectedSeconds: number; lowMinutes: number; highMinutes: number };

/** Fewer measured calls than this and the range widens: the handle time itself is uncertain. */
export const THIN_DATA = 10;
const ROUND = 5;

export function meanHandleSeconds(handleTimes: number[], fallback: number): number {
  const valid = handleTimes.filter((t) => Number.isFinite(t) && t > 0);
  if (!valid.length) return fallback;
  return valid.reduce((a, b) => a + b, 0) / valid.length;
}

/** The point estimate, (n + 1)·h / s, in seconds; undefined when nobody is on duty. */
export function expectedWaitSeconds(input: WaitInput): number | undefined {
  if (input.agentsOnDuty < 1) return undefined;
  if (input.ahead < (input.agentsAvailable ?? 0)) return 0;
  const h = meanHandleSeconds(input.handleTimes, input.fallbackHandleSeconds);
  return ((Math.max(0, input.ahead) + 1) * h) / input.agentsOnDuty;
}

/** Relative half-width of the range: wide for a short queue (1/√(n+1)) and for thin data. */
export function relativeSpread(ahead: number, samples: number): number {
  const queue = 0.5 / Math.sqrt(Math.max(0, ahead) + 1);
  const data = samples < THIN_DATA ? 0.25 * (1 - samples / THIN_DATA) + 0.1 : 0;
  return Math.min(0.75, Math.max(0.15, queue + data));
}

export function estimateWait(input: WaitInput): WaitEstimate {
  const expected = expectedWaitSeconds(input);
  if (expected === undefined) return { kind: 'unknown' };
  if (expected < ROUND * 60) return { kind: 'soon', expectedSeconds: expected };
  const spread = relativeSpread(input.ahead, input.handleTimes.length);
  const minutes = expected / 60;
  const low = Math.max(ROUND, Math.floor((minutes * (1 - spread)) / ROUND) * ROUND);
  const high = Math.max(low + ROUND, Math.ceil((minutes * (1 + spread)) / ROUND) * ROUND);
  return { kind: 'range', expectedSeconds: expected, lowMinutes: low, highMinutes: high };
}

/**
 * The estimate in words: a catalog key and its numbers, under `area` (the queue page's
 * call.wait.*, or another page's own sentences with the same four keys, so that each
 * language can write the estimate into its sentence naturally).
 */
export function waitPhrase(estimate: WaitEstimate, area = 'call.wait'): Phrase {
  switch (estimate.kind) {
    case 'unknown':
      return phrase(`${area}.unknown`);
    case 'soon':
      return phrase(`${area}.soon`);
    case 'range': {
      const { lowMinutes: low, highMinutes: high } = estimate;
      if (high < 120) return phrase(`${area}.minutes`, { low, high });
      const hours = (m: number) => Math.round((m / 60) * 2) / 2;
      return phrase(`${area}.hours`, { low: hours(low), high: hours(high) });
    }
  }
}

/** The applicant confirms "I have my documents ready" this close to their estimated turn. */
export const READY_WINDOW_SECONDS = 15 * 60;

/**
 * Within 15 minutes of the estimated turn. With nobody on duty no turn is close, even at the
 * head of the queue: the page says no Trusted Referee is available and offers an appointment.
 */
export function readyWindowOpen(estimate: WaitEstimate): boolean {
  if (estimate.kind === 'unknown') return false;
  return estimate.expectedSeconds <= READY_WINDOW_SECONDS;
}
