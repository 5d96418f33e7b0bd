import { Module } from '@nestjs/common';
import { OidcModule } from '../oidc/oidc.module';
import { DemoOrganizationController } from './demo-organization.controller';
import { DemoOrganizationService } from './demo-organization.service';

/** An example organization at /demo (DEMO_ORGANIZATION=off removes it): what a new user tries first. */
@Module({
  imports: [OidcModule],
  controllers: [DemoOrganizationController],
  providers: [DemoOrganizationService],
})
export class DemoOrganizationModule {}
