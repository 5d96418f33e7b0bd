import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { RequestingOrganizationInterceptor } from './requesting-organization.interceptor';
import { ReturnsService } from './returns.service';

/**
 * The way back to the organization that sent someone (ReturnsService) and its name kept in
 * view on every page of the way. A module of its own, on the database alone, so that sign-up
 * and the second factor's setup can use it without depending on the OpenID provider.
 */
@Module({
  providers: [ReturnsService, { provide: APP_INTERCEPTOR, useClass: RequestingOrganizationInterceptor }],
  exports: [ReturnsService],
})
export class ReturnsModule {}
