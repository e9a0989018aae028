// What the three entry points share: settings, users, the mailer, the embedded SMTP outbox, and the answers of
// the shop's own routes (framework-free: each entry point maps them onto its framework).
import type { AsyncResult } from '@celeriac/core';
import { createMailer, mailUrl, type MailDeps, type Mailer } from './mail';
import { Outbox } from './outbox';
import { activationPage, outboxPage, shopPage } from './page';
import { readSettings, type DemoSettings } from './settings';
import { RegistrationError, UserStore, type User } from './users';

/** Request bodies above this are refused with 413 by every entry point. */
export const BODY_LIMIT = 16 * 1024;

export interface Answer {
  statusCode: number;
  contentType: string;
  body: string;
}

const html = (statusCode: number, body: string): Answer => ({ statusCode, contentType: 'text/html; charset=utf-8', body });
const json = (statusCode: number, value: unknown): Answer => ({ statusCode, contentType: 'application/json; charset=utf-8', body: JSON.stringify(value) });

export class Shop {
  readonly users = new UserStore();
  /** The embedded SMTP server; null with SMTP_URL. */
  readonly outbox: Outbox | null;
  private mailer_: Mailer | null = null;
  private publicUrl_: string;

  private constructor(
    readonly settings: DemoSettings,
    readonly framework: string,
  ) {
    this.outbox = settings.smtpUrl === null ? new Outbox() : null;
    this.publicUrl_ = settings.publicUrl ?? `http://localhost:${settings.port}`;
  }

  /** The web process' shop: starts the embedded SMTP server unless SMTP_URL is set. */
  static async start(framework: string, settings = readSettings()): Promise<Shop> {
    const shop = new Shop(settings, framework);
    if (shop.outbox) await shop.outbox.start(settings.smtpPort);
    return shop;
  }

  /** What the task needs (in this process: the web process on memory://). */
  get mailDeps(): MailDeps {
    this.mailer_ ??= createMailer(mailUrl(this.settings, this.outbox?.port));
    const mailer = this.mailer_;
    return { mailer, publicUrl: () => this.publicUrl_, failFirst: this.settings.failFirst };
  }

  /** After listening: the real port (PORT=0) goes into activation links unless DEMO_PUBLIC_URL says otherwise. */
  listening(port: number): string {
    const url = `http://localhost:${port}`;
    if (!this.settings.publicUrl) this.publicUrl_ = url;
    return url;
  }

  banner(url: string): string {
    const mail = this.outbox ? `mail is caught by the embedded SMTP server on 127.0.0.1:${this.outbox.port} (see ${url}/outbox)` : `mail goes out through ${mailUrl(this.settings).replace(/\/\/[^@/]*@/, '//***@')}`;
    const tasks = this.settings.embeddedWorker ? 'tasks run in this process (memory://)' : `tasks go to ${this.settings.brokerUrl.replace(/\/\/[^@/]*@/, '//***@')}: run \`npm run worker\` with the same CELERIAC_BROKER_URL`;
    return `Demo shop (${this.framework}) on ${url}\n  ${tasks}\n  ${mail}`;
  }

  page(): Answer {
    return html(200, shopPage(this.framework));
  }

  /** POST /register: stores the user and sends the mail task; 400/409 `{ message }` for bad input. */
  async register(body: unknown, delay: (email: string, username: string, token: string) => Promise<AsyncResult<string>>): Promise<Answer> {
    let user: User;
    try {
      user = this.users.register(body);
    } catch (err) {
      if (err instanceof RegistrationError) return json(err.statusCode, { message: err.message });
      throw err;
    }
    const res = await delay(user.email, user.username, user.token);
    return json(202, { status: 'successful', task_id: res.id, status_url: `/tasks/${res.id}` });
  }

  activate(token: string): Answer {
    const user = this.users.activate(token);
    return user ? html(200, activationPage(user.username)) : html(404, activationPage(null));
  }

  outboxPage(): Answer {
    return html(200, outboxPage(this.outbox?.mails ?? null, this.settings.smtpUrl ? mailUrl(this.settings).replace(/\/\/[^@/]*@/, '//***@') : null));
  }

  outboxJson(): Answer {
    return json(200, { catching: this.outbox !== null, mails: this.outbox?.mails ?? [] });
  }

  async close(): Promise<void> {
    this.mailer_?.close();
    await this.outbox?.close();
  }
}

/** The body-parser errors every entry point answers the same: 400 for malformed JSON, 413 for too big. */
export function bodyErrorAnswer(err: unknown): Answer | null {
  const e = err as { type?: string; status?: number; statusCode?: number; code?: string };
  const status = e?.status ?? e?.statusCode;
  if (status === 413 || e?.type === 'entity.too.large' || e?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return json(413, { message: `The request body is larger than ${BODY_LIMIT / 1024} KiB.` });
  if (e?.type === 'entity.parse.failed' || e?.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err instanceof SyntaxError) return json(400, { message: 'The request body is not valid JSON.' });
  if (status === 415 || e?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || e?.type === 'charset.unsupported' || e?.type === 'encoding.unsupported') return json(415, { message: 'Send the registration as application/json.' });
  return null;
}
