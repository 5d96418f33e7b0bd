import { Module } from '@nestjs/common';
import { CryptoModule } from '../crypto/crypto.module';
import { NotificationsService } from './notifications.service';
import { SmsSender } from './sms-sender';

@Module({ imports: [CryptoModule], providers: [NotificationsService, SmsSender], exports: [NotificationsService, SmsSender] })
export class NotificationsModule {}
