import { Controller, Get } from '@nestjs/common';
import { view } from '../web/view';
import { NotificationsService } from './notifications.service';

/**
 * Development only (never registered in production): the messages Referee would have
 * sent, with their links clickable, so a new user needs no mail server to try it.
 */
@Controller('dev/outbox')
export class DevOutboxController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get()
  async list() {
    const messages = await this.notifications.latest();
    return view('notifications/outbox', { messages });
  }
}
