import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { holdAdvisoryLock } from '../jobs/advisory-locks.queries';
import { currentEntityManager } from '../database/request-context';
import { randomBytes } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { CONFIG, type Config } from '../config/config';
import { IdentityService } from '../identity/identity.service';
import { LOCKS } from '../jobs/jobs';
import { RefereeCertification } from './referee-certification.entity';
import { STAFF_ROLES, type StaffRole } from './roles';
import { StaffRoleGrant } from './staff-role.entity';

export interface StaffMember {
  accountId: string;
  email: string;
  roles: StaffRole[];
  certifiedUntil?: string;
}

/** Staff accounts and their roles, and Trusted Referees' certifications. */
@Injectable()
export class StaffService implements OnApplicationBootstrap {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly em: EntityManager,
    private readonly identity: IdentityService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Roles read during the current request: the route's guard and the service that checks
   * again read them once. Forgotten when this request grants or revokes a role.
   */
  private readonly rolesInRequest = new WeakMap<object, Map<string, Promise<StaffRole[]>>>();

  rolesOf(accountId: string): Promise<StaffRole[]> {
    const request = currentEntityManager(this.em.name);
    const read = () => this.em.find(StaffRoleGrant, { account: accountId }, { fields: ['role'] }).then((grants) => grants.map((g) => g.role));
    if (!request) return read();
    let known = this.rolesInRequest.get(request);
    if (!known) this.rolesInRequest.set(request, (known = new Map()));
    let roles = known.get(accountId);
    if (!roles) {
      roles = read();
      known.set(accountId, roles);
      roles.catch(() => known.delete(accountId));
    }
    return roles;
  }

  private forgetRoles(): void {
    const request = currentEntityManager(this.em.name);
    if (request) this.rolesInRequest.delete(request);
  }

  async isStaff(accountId: string): Promise<boolean> {
    return (await this.em.count(StaffRoleGrant, { account: accountId })) > 0;
  }

  async list(): Promise<StaffMember[]> {
    const grants = await this.em.find(StaffRoleGrant, {}, { populate: ['account'], orderBy: { account: { email: 'asc' }, role: 'asc' } });
    const certs = await this.em.find(RefereeCertification, {});
    const byAccount = new Map<string, StaffMember>();
    for (const g of grants) {
      const member = byAccount.get(g.account.id) ?? { accountId: g.account.id, email: g.account.email, roles: [] };
      member.roles.push(g.role);
      byAccount.set(g.account.id, member);
    }
    for (const c of certs) {
      const member = byAccount.get(c.account.id);
      if (member) member.certifiedUntil = c.expiresOn;
    }
    return [...byAccount.values()];
  }

  /**
   * Gives an account (made if new, by email) these roles. A new account gets no usable
   * password: the person sets one with the reset link (or the caller sets one).
   */
  async grant(email: string, roles: StaffRole[], by?: { actorId?: string; ip?: string }): Promise<{ accountId: string; created: boolean; added: StaffRole[] }> {
    const { account, created } = await this.identity.ensureAccount(email);
    const had = await this.rolesOf(account.id);
    const added = roles.filter((r) => !had.includes(r));
    for (const role of added) this.em.create(StaffRoleGrant, { account, role, grantedBy: by?.actorId });
    await this.em.flush();
    this.forgetRoles();
    for (const role of added) await this.audit.record({ action: 'staff.role_granted', subject: account.id, details: { role }, ...by });
    return { accountId: account.id, created, added };
  }

  async revoke(accountId: string, role: StaffRole, by?: { actorId?: string; ip?: string }): Promise<boolean> {
    const removed = await this.em.nativeDelete(StaffRoleGrant, { account: accountId, role });
    this.forgetRoles();
    if (removed) await this.audit.record({ action: 'staff.role_revoked', subject: accountId, details: { role }, ...by });
    return removed > 0;
  }

  /** Records a referee's training; the certification lasts a year. */
  async certify(accountId: string, trainedOn: Date, by?: { actorId?: string; ip?: string }): Promise<void> {
    const expires = new Date(trainedOn);
    expires.setUTCFullYear(expires.getUTCFullYear() + 1);
    await this.em.upsert(RefereeCertification, { account: accountId, trainedOn: trainedOn.toISOString().slice(0, 10), expiresOn: expires.toISOString().slice(0, 10) });
    await this.audit.record({ action: 'staff.referee_certified', subject: accountId, details: { expiresOn: expires.toISOString().slice(0, 10) }, ...by });
  }

  /** May this account take video calls now? A referee with a current certification. */
  async canTakeCalls(accountId: string, at = new Date()): Promise<boolean> {
    const [roles, cert] = await Promise.all([this.rolesOf(accountId), this.em.findOne(RefereeCertification, { account: accountId })]);
    return roles.includes('referee') && !!cert && cert.expiresOn >= at.toISOString().slice(0, 10);
  }

  /**
   * Development only: at the first start, one account per role so a new user can try the
   * staff side at once. The passwords are printed once, here, and stored only hashed.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (this.config.env !== 'development') return;
    const em = this.em.fork();
    const printed = await em.transactional(async (tx) => {
      await holdAdvisoryLock(tx, LOCKS.staffSeeding);
      if ((await tx.count(StaffRoleGrant, {})) > 0) return [];
      const lines: string[] = [];
      for (const role of STAFF_ROLES) {
        const email = `${role}@referee.localhost`;
        const password = randomBytes(12).toString('base64url');
        const { account } = await this.identity.ensureAccount(email);
        await this.identity.setPassword(account.id, password);
        tx.create(StaffRoleGrant, { account: account.id, role });
        if (role === 'referee') {
          const year = new Date();
          year.setUTCFullYear(year.getUTCFullYear() + 1);
          tx.create(RefereeCertification, { account: account.id, trainedOn: new Date().toISOString().slice(0, 10), expiresOn: year.toISOString().slice(0, 10) });
        }
        lines.push(`  ${role.padEnd(10)} ${email.padEnd(28)} ${password}`);
      }
      return lines;
    });
    if (printed.length) {
      console.log(
        ['', 'Development staff accounts (shown once; each sets up a second factor at first sign-in):', ...printed, ''].join('\n'),
      );
    }
  }
}
