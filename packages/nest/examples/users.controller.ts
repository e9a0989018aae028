import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { acceptedBody } from '@celeriac/core';
import { MailService } from './mail.service';

@Controller('users')
export class UsersController {
  constructor(private readonly mail: MailService) {}

  @Post()
  @HttpCode(202)
  async register(@Body() dto: { email: string; username: string }) {
    const res = await this.mail.sendRegisterActiveMail.delay(dto.email, dto.username, randomUUID());
    return acceptedBody(res, '/tasks'); // { task_id, status_url: '/tasks/<id>' }
  }
}
