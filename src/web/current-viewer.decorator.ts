import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Viewer, WebRequest } from './request';

/**
 * The signed-in person, as a handler parameter. For routes behind SignedInGuard (or a role
 * guard), which make sure there is one; elsewhere read `req.viewer`, which may be absent.
 */
export const CurrentViewer = createParamDecorator((_data: unknown, context: ExecutionContext): Viewer => {
  return context.switchToHttp().getRequest<WebRequest>().viewer!;
});
