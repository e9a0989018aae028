import { Injectable } from '@nestjs/common';
import { Task } from '@celeriac/nest';

@Injectable()
export class Mailer {
  async send(to: string, subject: string): Promise<string> {
    return `"${subject}" sent to ${to} by process ${process.pid}`; // your SMTP client here
  }
}

@Injectable()
export class MailService {
  constructor(private readonly mailer: Mailer) {}

  // public: the status route may show its result to whoever has the task id.
  @Task({ name: 'users.send_register_active_mail', queue: 'mail', maxRetries: 3, public: true })
  async sendRegisterActiveMail(to: string, username: string, token: string): Promise<string> {
    return this.mailer.send(to, `Welcome ${username}: activate with ${token}`);
  }
}
