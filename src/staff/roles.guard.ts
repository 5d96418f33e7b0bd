import { CanActivate, ExecutionContext, ForbiddenException, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { signInFirst } from '../web/redirect.exception';
import type { WebRequest } from '../web/request';
import type { StaffRole } from './roles';
import { StaffService } from './staff.service';

const ROLES_KEY = 'referee:roles';

/** The staff roles that may use a controller or route (any one of them). */
export const RequireRole = (...roles: StaffRole[]) => SetMetadata(ROLES_KEY, roles);

/** Signed in and holding one of the required roles; otherwise sign in, or 403. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector, private readonly staff: StaffService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<WebRequest>();
    if (!req.viewer) throw signInFirst(req);
    const required = this.reflector.getAllAndOverride<StaffRole[]>(ROLES_KEY, [context.getHandler(), context.getClass()]) ?? [];
    const held = await this.staff.rolesOf(req.viewer.accountId);
    const role = required.find((r) => held.includes(r));
    if (role) {
      req.staffRole = role;
      return true;
    }
    throw new ForbiddenException('errors.staffRole');
  }
}
