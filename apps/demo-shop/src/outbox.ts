// The embedded SMTP server (smtp-server, loopback only): catches every mail the demo sends, for /outbox.
import { SMTPServer } from 'smtp-server';

export interface CaughtMail {
  id: number;
  to: string[];
  from: string;
  subject: string;
  text: string;
  receivedAt: string;
}

const MAX_MAILS = 200;
const MAX_SIZE = 256 * 1024;

/** Decodes the body of a single-part text mail (7bit, quoted-printable or base64): enough for the demo's mails. */
export function parseMail(raw: string): { subject: string; from: string; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = split < 0 ? raw : raw.slice(0, split);
  let body = split < 0 ? '' : raw.slice(split + 4);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  const cte = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (cte === 'quoted-printable') {
    const bytes = Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    body = bytes.toString('utf8');
  } else if (cte === 'base64') {
    body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  return { subject: decodeWords(headers.get('subject') ?? ''), from: decodeWords(headers.get('from') ?? ''), text: body.replace(/\r\n/g, '\n').trimEnd() };
}

/** RFC 2047 encoded words (`=?UTF-8?Q?…?=` / `=?UTF-8?B?…?=`), as nodemailer writes non-ASCII headers. */
function decodeWords(value: string): string {
  return value.replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=\s*/g, (_m, _cs: string, enc: string, text: string) =>
    enc.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'),
  );
}

export class Outbox {
  readonly mails: CaughtMail[] = [];
  private server: SMTPServer | null = null;
  private nextId = 1;
  port = 0;

  /** Starts the SMTP server on 127.0.0.1:`port` (0: a free port). A taken port is a clear error. */
  async start(port: number): Promise<void> {
    const server = new SMTPServer({
      name: 'celeriac-demo-outbox',
      banner: 'Celeriac demo shop outbox: catches every mail, delivers none',
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      size: MAX_SIZE,
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        let size = 0;
        stream.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_SIZE) chunks.push(c);
        });
        stream.on('end', () => {
          if (size > MAX_SIZE) return callback(Object.assign(new Error('552 message too big for the demo outbox'), { responseCode: 552 }));
          const parsed = parseMail(Buffer.concat(chunks).toString('utf8'));
          this.mails.unshift({
            id: this.nextId++,
            to: session.envelope.rcptTo.map((r) => r.address),
            from: parsed.from || (session.envelope.mailFrom ? session.envelope.mailFrom.address : ''),
            subject: parsed.subject,
            text: parsed.text,
            receivedAt: new Date().toISOString(),
          });
          this.mails.length = Math.min(this.mails.length, MAX_MAILS);
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        reject(err.code === 'EADDRINUSE' ? new Error(`The embedded SMTP server cannot listen on 127.0.0.1:${port}: the port is taken. Set DEMO_SMTP_PORT to a free port (web and worker alike), or SMTP_URL to use your own server.`) : err);
      };
      server.once('error', onError);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', onError);
        server.on('error', () => undefined); // a client's broken connection is not the server's end
        resolve();
      });
    });
    this.server = server;
    this.port = (server.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
