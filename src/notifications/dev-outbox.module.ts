import { Module } from '@nestjs/common';
import { DevOutboxController } from './dev-outbox.controller';
import { NotificationsModule } from './notifications.module';

/** /dev/outbox: imported by the app module only outside production. */
@Module({ imports: [NotificationsModule], controllers: [DevOutboxController] })
export class DevOutboxModule {}
