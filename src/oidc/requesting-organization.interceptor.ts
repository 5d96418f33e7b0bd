import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { from, mergeMap, type Observable } from 'rxjs';
import { Renderer } from '../web/renderer';
import type { WebRequest } from '../web/request';
import { View } from '../web/view';
import { ReturnsService } from './returns.service';

/** Pages that name the organization themselves (its consent, its own demo pages, the way back). */
const NAMES_IT_ITSELF = /^(oidc|demo-organization)\/|^call\/verified$/;
/** Staff consoles: on no applicant's way to an organization, so no lookup (they refresh often). */
const STAFF_CONSOLES = /^(agent|staff)\/|\/agent-|^oidc\/admin-|^notifications\/outbox$/;

/**
 * Keeps the organization that asked in view, from its button to its consent page: every
 * whole page shown to someone on its way gets `requestingOrganization` (its registered name),
 * and the layout's slim banner says who asked, unless the page names it already.
 * Whose way it is: the request a `next` continues (before sign-in), or the account's.
 */
@Injectable()
export class RequestingOrganizationInterceptor implements NestInterceptor {
  constructor(
    private readonly returns: ReturnsService,
    private readonly renderer: Renderer,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<WebRequest>();
    return next.handle().pipe(mergeMap((result) => from(this.withOrganization(req, result))));
  }

  private async withOrganization(req: WebRequest, result: unknown): Promise<unknown> {
    if (!(result instanceof View) || this.renderer.isFragmentRequest(req) || STAFF_CONSOLES.test(result.template)) return result;
    if (Object.hasOwn(result.context, 'requestingOrganization')) return result;
    const organization = await this.organizationFor(req, result.context);
    if (!organization) return result;
    return new View(result.template, { ...result.context, requestingOrganization: organization, requestBanner: !NAMES_IT_ITSELF.test(result.template) }, result.status);
  }

  private async organizationFor(req: WebRequest, context: Record<string, unknown>) {
    const fromRequest = await this.returns.organizationOfRequest(context.next ?? req.query?.next);
    if (fromRequest) return { name: fromRequest.name };
    const accountId = req.viewer?.accountId ?? req.pendingSignIn?.accountId;
    const pending = accountId ? await this.returns.pending(accountId) : null;
    return pending ? { name: pending.organization.name } : undefined;
  }
}
