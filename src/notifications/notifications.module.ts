import { Module } from '@nestjs/common';
import { NotificationsService } from './notifications.service';
import { SmsSender } from './sms-sender';

@Module({ providers: [NotificationsService, SmsSender], exports: [NotificationsService, SmsSender] })
export class NotificationsModule {}
