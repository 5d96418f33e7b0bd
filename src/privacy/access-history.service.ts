import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { accessHistoryPage, lastTimeZoneOf, type AccessEvent } from './access-history.queries';
import { countryOf } from './network-country';

/** The staff role shown to the person (never the staff member's name or id). */
export type StaffRoleShown = 'reviewer' | 'referee' | 'supervisor' | 'support';
const ROLES_SHOWN = new Set<string>(['reviewer', 'referee', 'supervisor', 'support']);

/** One line of "Who saw my data". */
export type AccessEntry =
  | { kind: 'staff'; at: Date; role: StaffRoleShown; what: StaffWhat }
  | { kind: 'sharing'; at: Date; organization: string; clientId: string; claims: string[] }
  | { kind: 'sign-in'; at: Date; browser?: string; os?: string; country?: string };

export type StaffWhat = 'details' | 'image' | 'claimed' | 'call' | 'recording' | 'support';

export const ACCESS_PAGE_SIZE = 25;

/** The role of a staff view: recorded in the event's details since this history exists; for older events, what the action and standing tell. */
export function roleOf(e: Pick<AccessEvent, 'action' | 'details'>): StaffRoleShown {
  const { role, as, during } = e.details as { role?: string; as?: string; during?: string };
  if (role && ROLES_SHOWN.has(role)) return role as StaffRoleShown;
  if (as === 'supervisor') return 'supervisor';
  if (as === 'referee') return 'referee'; // recording.viewed says who watched: a supervisor or the call's referee
  if (e.action === 'support.request_viewed') return 'support';
  if (e.action === 'video.details_viewed' || during === 'call') return 'referee';
  return 'reviewer';
}

const WHAT: Record<string, StaffWhat> = {
  'documents.details_viewed': 'details',
  'documents.image_viewed': 'image',
  'documents.case_claimed': 'claimed',
  'video.details_viewed': 'call',
  'recording.viewed': 'recording',
  'support.request_viewed': 'support',
};

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

function entryOf(e: AccessEvent): AccessEntry {
  if (e.action === 'sign_in.completed') {
    const { browser, os } = e.details as { browser?: string; os?: string };
    return { kind: 'sign-in', at: e.at, browser, os, country: countryOf(e.ip) };
  }
  if (e.action === 'organization.claims_released') {
    const claims = [...new Set([...strings(e.details.claims).filter((c) => c !== 'verified_claims'), ...strings(e.details.verifiedClaims)])];
    return { kind: 'sharing', at: e.at, organization: e.organization ?? e.subject ?? '', clientId: e.subject ?? '', claims };
  }
  return { kind: 'staff', at: e.at, role: roleOf(e), what: WHAT[e.action] ?? 'details' };
}

/**
 * "Who saw my data", read from the audit log: staff who opened the person's details, images,
 * call, call recording or support requests (role and time), what organizations received (claim names), and
 * the account's sign-ins (browser, country of the network address). Newest first.
 */
@Injectable()
export class AccessHistoryService {
  constructor(private readonly em: EntityManager) {}

  async page(accountId: string, page: number, size = ACCESS_PAGE_SIZE): Promise<{ entries: AccessEntry[]; total: number; pages: number; page: number }> {
    const { events, total } = await accessHistoryPage(this.em, accountId, size, (page - 1) * size);
    return { entries: events.map(entryOf), total, pages: Math.max(1, Math.ceil(total / size)), page };
  }

  /** Everything, for the download (in pages, so a long history is read in parts). */
  async all(accountId: string): Promise<AccessEntry[]> {
    const out: AccessEntry[] = [];
    for (let page = 1; ; page++) {
      const { events } = await accessHistoryPage(this.em, accountId, 500, (page - 1) * 500);
      out.push(...events.map(entryOf));
      if (events.length < 500) return out;
    }
  }

  /** The zone times are shown in: the one the person gave when booking a call, else UTC. */
  async timeZoneOf(accountId: string): Promise<string> {
    return (await lastTimeZoneOf(this.em, accountId)) ?? 'UTC';
  }
}
