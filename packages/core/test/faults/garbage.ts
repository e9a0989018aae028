// Raw queue entries a worker cannot run, each with the reason it must be dead-lettered for.
// Used by faults/garbage.redis.spec.ts and chaos/garbage.chaos.spec.ts.
import { randomUUID } from 'node:crypto';

export interface Garbage {
  /** Unique marker inside the raw entry (to find its dead letter). */
  marker: string;
  raw: string | Buffer;
  reason: RegExp;
}

function envelope(marker: string, over: { headers?: unknown; body?: unknown; contentType?: string; encoding?: string } = {}): string {
  const id = randomUUID();
  return JSON.stringify({
    body: over.body ?? Buffer.from(JSON.stringify([[marker, 0], {}, {}])).toString('base64'),
    'content-encoding': 'utf-8',
    'content-type': over.contentType ?? 'application/json',
    headers: over.headers ?? { lang: 'py', task: 'chaos.work', id, root_id: id, parent_id: null, group: null, retries: 0, eta: null, expires: null },
    properties: { correlation_id: id, delivery_tag: marker, body_encoding: over.encoding ?? 'base64', delivery_info: { exchange: '', routing_key: 'x' }, priority: 0 },
  });
}

const KINDS: ((m: string) => Omit<Garbage, 'marker'>)[] = [
  (m) => ({ raw: `not json at all ${m}`, reason: /malformed message: not JSON/ }),
  (m) => ({ raw: JSON.stringify({ body: m }), reason: /no headers/ }),
  (m) => ({ raw: JSON.stringify([m, 1, 2]), reason: /not a JSON object/ }),
  (m) => ({ raw: envelope(m, { contentType: 'application/x-python-serialize', body: Buffer.from(`\x80\x04\x95${m}`).toString('base64') }), reason: /content-type "application\/x-python-serialize" is not accepted/ }),
  (m) => ({ raw: envelope(m, { headers: { lang: 'py', task: `chaos.unknown.${m}`, id: randomUUID() } }), reason: /unknown task "chaos\.unknown\./ }),
  (m) => ({ raw: envelope(m, { body: `%%% not base64 !!! ${m}` }), reason: /body is not (valid base64|JSON)/ }),
  (m) => ({ raw: envelope(m, { body: Buffer.from(JSON.stringify({ args: m })).toString('base64') }), reason: /body is not \[args, kwargs, embed\]/ }),
  (m) => ({ raw: envelope(m, { headers: { task: 'chaos.work' } }), reason: /headers lack "task" or "id"/ }),
  (m) => ({ raw: envelope(m, { encoding: 'gzip' }), reason: /body_encoding "gzip" is not supported/ }),
  (m) => ({ raw: envelope(m, { headers: { lang: 'py', task: 'chaos.work', id: randomUUID(), eta: 'tomorrow-ish' } }), reason: /eta is not an ISO 8601 time/ }),
  (m) => ({ raw: Buffer.concat([Buffer.from(`${m} `), Buffer.from([0xff, 0xfe, 0x00, 0xc3])]), reason: /not JSON/ }),
  (m) => ({ raw: envelope(m, { headers: { lang: 'py', task: 'chaos.work', id: randomUUID(), retries: -1 } }), reason: /header retries must be an integer >= 0, got -1/ }),
  (m) => ({ raw: envelope(m, { headers: { lang: 'py', task: 'chaos.work', id: randomUUID(), timelimit: 'soon' } }), reason: /header timelimit must be \[hard, soft\]/ }),
  (m) => ({
    raw: envelope(m, { body: Buffer.from(JSON.stringify([[m, 0], {}, { callbacks: [{ task: 'chaos.work', args: [], kwargs: 'x=1', options: {} }] }])).toString('base64') }),
    reason: /embed\.callbacks\[0\]\.kwargs must be an object/,
  }),
  (m) => ({
    raw: envelope(m, { body: Buffer.from(JSON.stringify([[m, 0], {}, { chain: [{ task: 42, args: [], kwargs: {}, options: {} }] }])).toString('base64') }),
    reason: /embed\.chain\[0\]\.task must be a task name, got 42/,
  }),
];

/** `n` garbage entries, cycling through every kind. */
export function garbage(n: number, tag = 'g'): Garbage[] {
  return Array.from({ length: n }, (_, i) => {
    const marker = `${tag}-${i}-${randomUUID().slice(0, 8)}`;
    return { marker, ...KINDS[i % KINDS.length]!(marker) };
  });
}

export const GARBAGE_KINDS = KINDS.length;

interface DeadLetterEntry {
  reason: string;
  queue: string;
  raw: string;
}

/** Matches every garbage entry to its dead letter; returns the ones missing or with the wrong reason. */
export function checkDeadLetters(entries: Garbage[], deadLetterRows: string[]): { missing: string[]; wrongReason: string[]; byReason: Record<string, number> } {
  const rows = deadLetterRows.map((r) => JSON.parse(r) as DeadLetterEntry);
  const missing: string[] = [];
  const wrongReason: string[] = [];
  const byReason: Record<string, number> = {};
  for (const g of entries) {
    const row = rows.find((r) => r.raw.includes(g.marker));
    if (!row) {
      missing.push(g.marker);
      continue;
    }
    if (!g.reason.test(row.reason)) wrongReason.push(`${g.marker}: ${row.reason}`);
    const key = row.reason.replace(/[a-z]+-\d+-[0-9a-f]{8}.*/, '…').slice(0, 60);
    byReason[key] = (byReason[key] ?? 0) + 1;
  }
  return { missing, wrongReason, byReason };
}
