import { DynamicModule, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import type { Config } from './config/config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DemoOrganizationModule } from './demo-organization/demo-organization.module';
import { AuditModule } from './audit/audit.module';
import { IdentityModule } from './identity/identity.module';
import { JobsModule } from './jobs/jobs.module';
import { MfaModule } from './mfa/mfa.module';
import { SessionMiddleware } from './identity/sessions.service';
import { DevOutboxModule } from './notifications/dev-outbox.module';
import { NotificationsModule } from './notifications/notifications.module';
import { StaffModule } from './staff/staff.module';
import { SupervisorModule } from './staff/supervisor.module';
import { OidcModule } from './oidc/oidc.module';
import { VerificationModule } from './verification/verification.module';
import { HelpModule } from './help/help.module';
import { PrivacyModule } from './privacy/privacy.module';
import { SupportModule } from './support/support.module';
import { SchedulingModule } from './scheduling/scheduling.module';
import { VideoModule } from './video/video.module';
import { DocumentsModule } from './documents/documents.module';
import { BodyMiddleware } from './web/body.middleware';
import { BrowserMiddleware } from './web/browser';
import { CsrfMiddleware } from './web/csrf';
import { RequestContextMiddleware } from './web/request-context.middleware';
import { Sequence } from './web/sequence.middleware';
import { WebModule } from './web/web.module';
import { I18nModule } from './i18n/i18n.module';
import { AccountDeletionModule } from './privacy/account-deletion.module';

@Module({})
export class AppModule implements NestModule {
  static register(config: Config): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.register(config),
        ScheduleModule.forRoot(),
        DatabaseModule,
        JobsModule,
        I18nModule,
        WebModule,
        NotificationsModule,
        AuditModule,
        IdentityModule,
        StaffModule,
        SupervisorModule,
        VerificationModule,
        DocumentsModule,
        MfaModule,
        ...(config.env === 'production' ? [] : [DevOutboxModule]),
        OidcModule,
        ...(config.demoOrganization ? [DemoOrganizationModule] : []),
        SupportModule,
        SchedulingModule,
        VideoModule,
        HelpModule,
        PrivacyModule,
        AccountDeletionModule,
      ],
    };
  }

  /** The order matters: database context, body, browser key, session, then the CSRF check (one layer: see Sequence). */
  configure(consumer: MiddlewareConsumer) {
    consumer
      .apply(Sequence(RequestContextMiddleware, BodyMiddleware, BrowserMiddleware, SessionMiddleware, CsrfMiddleware))
      .exclude('healthz', 'readyz') // probes must not depend on sessions or the database
      .exclude('oidc/{*path}') // the OpenID provider (mounted in app.ts) parses its own bodies and has its own protections
      // Recordings arrive from Jibri and JaaS, not browsers: the body is the file (streamed) or a signed webhook read raw.
      .exclude({ path: 'recordings/jibri', method: RequestMethod.POST }, { path: 'recordings/jaas', method: RequestMethod.POST })
      .forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
