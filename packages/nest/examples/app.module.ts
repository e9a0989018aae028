import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CeleriacExceptionFilter, CeleriacModule } from '@celeriac/nest';
import { MailService, Mailer } from './mail.service';
import { UsersController } from './users.controller';

@Module({
  imports: [
    // CELERIAC_BROKER_URL=redis://127.0.0.1:6379/0 and any other CELERIAC_* setting come from the environment.
    CeleriacModule.forRoot({ name: 'shop', namespace: 'CELERIAC', statusRoutes: { path: 'tasks' } }),
  ],
  controllers: [UsersController],
  // Redis down: 503 with Retry-After; arguments JSON cannot carry: 400 (core's errorReply).
  providers: [Mailer, MailService, { provide: APP_FILTER, useClass: CeleriacExceptionFilter }],
})
export class AppModule {}
