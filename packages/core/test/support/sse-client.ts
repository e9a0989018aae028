// A small Server-Sent Events reader over a real HTTP request (Node 20 has no EventSource): parses the stream
// as a browser would (fields, blank-line dispatch, comments) and hands out events in order.
import http from 'node:http';

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

export interface SseConnection {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly events: SseEvent[];
  readonly comments: string[];
  /** The `retry:` hint, when one came. */
  retry?: number;
  /** Resolves with the n-th event (0-based), waiting for it up to `timeout` ms. */
  event(n: number, timeout?: number): Promise<SseEvent>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  /** Resolves once `count` comments have arrived. */
  comment(count: number, timeout?: number): Promise<string>;
  /** The raw body (for non-SSE answers: 400, 204). */
  body(): string;
  close(): void;
}

export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      res.setEncoding('utf8');
      let raw = '';
      let buffer = '';
      let current: Partial<SseEvent> & { data?: string } = {};
      const waiters = new Set<() => void>();
      const notify = () => {
        for (const w of [...waiters]) w();
      };
      let endedResolve: () => void = () => undefined;
      const conn: SseConnection = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events: [],
        comments: [],
        event: (n, timeout = 10_000) => waitFor(() => conn.events[n], timeout, `event #${n}`),
        comment: (count, timeout = 10_000) => waitFor(() => conn.comments[count - 1], timeout, `comment #${count}`),
        ended: new Promise<void>((r) => (endedResolve = r)),
        body: () => raw,
        close: () => req.destroy(),
      };
      let done = false;
      function waitFor<T>(get: () => T | undefined, timeout: number, what: string): Promise<T> {
        return new Promise((ok, fail) => {
          const check = () => {
            const v = get();
            if (v !== undefined) {
              cleanup();
              ok(v);
            } else if (done) {
              cleanup();
              fail(new Error(`stream ended before ${what}; got ${JSON.stringify(conn.events)}`));
            }
          };
          const timer = setTimeout(() => {
            cleanup();
            fail(new Error(`no ${what} within ${timeout} ms; got ${JSON.stringify(conn.events)}`));
          }, timeout);
          const cleanup = () => {
            clearTimeout(timer);
            waiters.delete(check);
          };
          waiters.add(check);
          check();
        });
      }
      res.on('data', (chunk: string) => {
        raw += chunk;
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).replace(/\r$/, '');
          buffer = buffer.slice(nl + 1);
          if (line === '') {
            if (current.data !== undefined) conn.events.push({ event: current.event ?? 'message', data: current.data, ...(current.id !== undefined ? { id: current.id } : {}) });
            current = {};
          } else if (line.startsWith(':')) {
            conn.comments.push(line.slice(1).trim());
          } else {
            const i = line.indexOf(':');
            const field = i < 0 ? line : line.slice(0, i);
            const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
            if (field === 'data') current.data = current.data === undefined ? value : `${current.data}\n${value}`;
            else if (field === 'event') current.event = value;
            else if (field === 'id') current.id = value;
            else if (field === 'retry') conn.retry = Number(value);
          }
        }
        notify();
      });
      const finish = () => {
        done = true;
        endedResolve();
        notify();
      };
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
      resolve(conn);
    });
    req.on('error', reject);
  });
}
