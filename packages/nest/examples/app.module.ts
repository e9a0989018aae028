import { Module } from '@nestjs/common';
import { CeleriacModule } from '@celeriac/nest';
import { MailService, Mailer } from './mail.service';
import { UsersController } from './users.controller';

@Module({
  imports: [
    // CELERIAC_BROKER_URL=redis://127.0.0.1:6379/0 and any other CELERIAC_* setting come from the environment.
    CeleriacModule.forRoot({ name: 'shop', namespace: 'CELERIAC', statusRoutes: { path: 'tasks' } }),
  ],
  controllers: [UsersController],
  providers: [Mailer, MailService],
})
export class AppModule {}
