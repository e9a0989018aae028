// The activation e-mail: rendered here, sent with nodemailer over SMTP (the embedded server on loopback, or SMTP_URL).
// sendRegisterActiveMail() is the task's body, shared by the three entry points and the worker.
import type { TaskOptions } from '@celeriac/core';
import nodemailer, { type Transporter } from 'nodemailer';
import type { DemoSettings } from './settings';

export const MAIL_TASK = 'users.send_register_active_mail';
export const MAIL_QUEUE = 'mail';

/** An SMTP failure: retried with exponential backoff (1 s, 2 s, 4 s, …) up to 5 times. */
export class SmtpError extends Error {
  override name = 'SmtpError';
}

/** The task options, the same on every entry point (`public`: the status routes may show result and error). */
export const MAIL_TASK_OPTIONS: TaskOptions = {
  queue: MAIL_QUEUE,
  maxRetries: 5,
  autoretryFor: [SmtpError],
  retryBackoff: true,
  retryJitter: false,
  retryBackoffMax: 30_000,
  timeLimit: 60_000,
  public: true,
};

/** What the task needs of its context (core's TaskContext and Nest's currentTask() both have it). */
export interface MailTaskContext {
  readonly retries: number;
  updateState(update: { state: string; meta?: unknown }): Promise<void>;
}

export interface Mailer {
  /** Where the mail goes, for banners: `smtp://127.0.0.1:2525` (no password shown). */
  readonly target: string;
  send(mail: { to: string; subject: string; text: string }): Promise<{ messageId: string }>;
  close(): void;
}

/** A nodemailer transport to `url` (smtp:// or smtps://, with user:pass when the server wants them). */
export function createMailer(url: string): Mailer {
  const u = new URL(url);
  const secure = u.protocol === 'smtps:';
  const transport: Transporter = nodemailer.createTransport({
    host: u.hostname,
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    auth: u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : undefined,
    // Nothing waits forever: an SMTP server that does not answer is a failed attempt (then a retry).
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 15_000,
  });
  return {
    target: `${u.protocol}//${u.host}`,
    async send(mail) {
      try {
        const info = (await transport.sendMail({ from: 'Celeriac Greengrocer <shop@localhost>', ...mail, textEncoding: 'quoted-printable' })) as { messageId: string };
        return { messageId: info.messageId };
      } catch (err) {
        const e = err as { message?: string; responseCode?: number };
        throw new SmtpError(`SMTP ${u.host}: ${e.message ?? String(err)}`);
      }
    },
    close: () => transport.close(),
  };
}

/** Where this process sends mail: SMTP_URL, or the embedded server (this process', or the web process' port). */
export function mailUrl(settings: DemoSettings, embeddedPort?: number): string {
  return settings.smtpUrl ?? `smtp://127.0.0.1:${embeddedPort ?? settings.smtpPort}`;
}

export function activationMail(username: string, link: string): { subject: string; text: string } {
  return {
    subject: `Welcome to Celeriac Greengrocer, ${username}: activate your account`,
    text: [
      `Hello ${username},`,
      '',
      'thank you for registering at Celeriac Greengrocer. Open this link to activate your account:',
      '',
      link,
      '',
      'If you did not register, ignore this e-mail.',
      '',
      '-- Celeriac Greengrocer',
    ].join('\r\n'),
  };
}

export interface MailDeps {
  mailer: Mailer;
  /** The base of activation links, e.g. http://localhost:3000. */
  publicUrl(): string;
  /** DEMO_SMTP_FAIL_FIRST: refuse the first N attempts of each mail. */
  failFirst: number;
}

/** The task: reports progress, sends the activation e-mail, and says where it went. */
export async function sendRegisterActiveMail(ctx: MailTaskContext, deps: MailDeps, email: string, username: string, token: string): Promise<string> {
  const attempt = ctx.retries + 1;
  await ctx.updateState({ state: 'PROGRESS', meta: { step: 'writing the e-mail', attempt } });
  const link = `${deps.publicUrl()}/activate/${encodeURIComponent(token)}`;
  const mail = activationMail(username, link);
  await ctx.updateState({ state: 'PROGRESS', meta: { step: `sending it over ${deps.mailer.target}`, attempt } });
  if (attempt <= deps.failFirst) {
    throw new SmtpError(`451 4.4.1 temporary failure (DEMO_SMTP_FAIL_FIRST=${deps.failFirst}: attempt ${attempt} refused on purpose)`);
  }
  await deps.mailer.send({ to: email, ...mail });
  return `Activation e-mail sent to ${email} (attempt ${attempt})`;
}
