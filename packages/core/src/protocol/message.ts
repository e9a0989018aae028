// Celery message protocol v2 inside kombu's Redis envelope (shared/celery-wire.md §3–§5).
import { randomUUID } from 'node:crypto';
import { argsRepr, kwargsRepr } from './repr';
import { parseIso, toCeleryIso } from './dates';

/** A task call as Celery carries it in `callbacks`, `errbacks`, `chain` and `chord`. */
export interface SignatureDict {
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  options: Record<string, unknown>;
  subtask_type: string | null;
  immutable: boolean;
}

/** One task message, decoded. Times are epoch milliseconds. */
export interface TaskMessage {
  id: string;
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  queue: string;
  priority: number;
  eta: number | null;
  expires: number | null;
  retries: number;
  rootId: string;
  parentId: string | null;
  group: string | null;
  groupIndex: number | null;
  /** [hard, soft] in milliseconds (seconds on the wire). */
  timeLimit: [number | null, number | null];
  ignoreResult: boolean;
  origin: string;
  lang: string;
  replyTo: string;
  deliveryTag: string;
  redelivered: boolean;
  callbacks: SignatureDict[] | null;
  errbacks: SignatureDict[] | null;
  chain: SignatureDict[] | null;
  chord: SignatureDict | null;
}

export type NewTaskMessage = Pick<TaskMessage, 'id' | 'task' | 'args' | 'kwargs' | 'queue'> & Partial<TaskMessage>;

/** `gen<pid>@<host>`, as a Python client names itself in `origin`. */
export const ORIGIN = `gen${process.pid}@${safeHostname()}`;

function safeHostname(): string {
  try {
    return require('node:os').hostname() as string;
  } catch {
    return 'localhost';
  }
}

/** Fills in every field a Python worker expects, as a Python 5.2 client would. */
export function completeMessage(m: NewTaskMessage): TaskMessage {
  return {
    priority: 0,
    eta: null,
    expires: null,
    retries: 0,
    rootId: m.id,
    parentId: null,
    group: null,
    groupIndex: null,
    timeLimit: [null, null],
    ignoreResult: false,
    origin: ORIGIN,
    lang: 'py',
    replyTo: '',
    deliveryTag: randomUUID(),
    redelivered: false,
    callbacks: null,
    errbacks: null,
    chain: null,
    chord: null,
    ...m,
  };
}

const sec = (ms: number | null) => (ms === null ? 'null' : String(ms / 1000));
const quoted = new Map<string, string>();
/** JSON of a string; the few that repeat on every message (task names, queues, origin) are remembered. */
const str = (v: string | null) => (v === null ? 'null' : JSON.stringify(v));
const strCached = (v: string): string => {
  let q = quoted.get(v);
  if (q === undefined) {
    q = JSON.stringify(v);
    if (quoted.size < 10_000) quoted.set(v, q);
  }
  return q;
};
const NO_EMBED = '{"callbacks": null, "errbacks": null, "chain": null, "chord": null}';

/**
 * The JSON string that goes onto the queue list, laid out as kombu writes it (", " and ": " separators).
 * NOTE: built as a template rather than with one JSON.stringify of an object: this is the hot path of every
 * send, and only the variable parts need escaping.
 */
export function encodeMessage(m: TaskMessage): string {
  const embed =
    m.callbacks === null && m.errbacks === null && m.chain === null && m.chord === null
      ? NO_EMBED
      : JSON.stringify({ callbacks: m.callbacks, errbacks: m.errbacks, chain: m.chain, chord: m.chord });
  const body = Buffer.from(`[${JSON.stringify(m.args)}, ${JSON.stringify(m.kwargs)}, ${embed}]`).toString('base64');
  const expiration = m.expires === null ? '' : `"expiration": "${Math.max(0, m.expires - Date.now())}", `;
  const id = str(m.id);
  const lang = strCached(m.lang);
  const task = strCached(m.task);
  const origin = strCached(m.origin);
  const queue = strCached(m.queue);
  const replyTo = strCached(m.replyTo);
  return (
    `{"body": "${body}", "content-encoding": "utf-8", "content-type": "application/json", ` +
    `"headers": {"lang": ${lang}, "task": ${task}, "id": ${id}, "shadow": null, ` +
    `"eta": ${m.eta === null ? 'null' : `"${toCeleryIso(m.eta)}"`}, "expires": ${m.expires === null ? 'null' : `"${toCeleryIso(m.expires)}"`}, ` +
    `"group": ${str(m.group)}, "group_index": ${m.groupIndex === null ? 'null' : m.groupIndex}, "retries": ${m.retries}, ` +
    `"timelimit": [${sec(m.timeLimit[0])}, ${sec(m.timeLimit[1])}], "root_id": ${m.rootId === m.id ? id : str(m.rootId)}, "parent_id": ${str(m.parentId)}, ` +
    `"argsrepr": ${str(argsRepr(m.args))}, "kwargsrepr": ${str(kwargsRepr(m.kwargs))}, "origin": ${origin}, ` +
    `"ignore_result": ${m.ignoreResult}${m.redelivered ? ', "redelivered": true' : ''}}, ` +
    `"properties": {"correlation_id": ${id}, "reply_to": ${replyTo}, "delivery_mode": 2, ${expiration}` +
    `"delivery_info": {"exchange": "", "routing_key": ${queue}}, "priority": ${m.priority}, ` +
    `"body_encoding": "base64", "delivery_tag": ${str(m.deliveryTag)}}}`
  );
}

/** Why a raw queue entry cannot be run; it goes to the dead-letter list with this reason. */
export class MalformedMessage extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'MalformedMessage';
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function time(v: unknown, field: string): number | null {
  if (v === null || v === undefined) return null;
  const t = typeof v === 'string' ? parseIso(v) : null;
  if (t === null) throw new MalformedMessage(`header ${field} is not an ISO 8601 time: ${JSON.stringify(v)}`);
  return t;
}

function limit(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v * 1000 : null;
}

function sigList(v: unknown): SignatureDict[] | null {
  return Array.isArray(v) ? (v.filter(isObj) as unknown as SignatureDict[]) : null;
}

/** Decodes one queue entry; throws MalformedMessage with a reason a person can act on. */
export function decodeMessage(raw: string, queue: string): TaskMessage {
  let env: unknown;
  try {
    env = JSON.parse(raw);
  } catch {
    throw new MalformedMessage('not JSON');
  }
  if (!isObj(env)) throw new MalformedMessage('envelope is not a JSON object');
  const headers = env.headers;
  const props = isObj(env.properties) ? env.properties : {};
  if (!isObj(headers)) throw new MalformedMessage('envelope has no headers object');
  if (typeof headers.task !== 'string' || typeof headers.id !== 'string' || !headers.id) {
    throw new MalformedMessage('headers lack "task" or "id" (only Celery message protocol 2 is supported)');
  }
  const ctype = env['content-type'];
  if (ctype !== 'application/json') throw new MalformedMessage(`content-type ${JSON.stringify(ctype)} is not accepted (JSON only)`);
  if (typeof env.body !== 'string') throw new MalformedMessage('body is not a string');
  const encoding = props.body_encoding ?? 'base64';
  let bodyText: string;
  if (encoding === 'base64') bodyText = Buffer.from(env.body, 'base64').toString('utf8');
  else throw new MalformedMessage(`body_encoding ${JSON.stringify(encoding)} is not supported`);
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    // NOTE: Buffer.from(…, 'base64') silently skips what is not base64; only a failed body says which it was.
    const base64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(env.body);
    throw new MalformedMessage(base64 ? 'body is not JSON' : 'body is not valid base64');
  }
  if (!Array.isArray(body) || !Array.isArray(body[0]) || (body[1] !== undefined && !isObj(body[1]))) {
    throw new MalformedMessage('body is not [args, kwargs, embed]');
  }
  const embed = isObj(body[2]) ? body[2] : {};
  const deliveryInfo = isObj(props.delivery_info) ? props.delivery_info : {};
  const tl = Array.isArray(headers.timelimit) ? headers.timelimit : [];
  return {
    id: headers.id,
    task: headers.task,
    args: body[0] as unknown[],
    kwargs: (body[1] as Obj | undefined) ?? {},
    queue: typeof deliveryInfo.routing_key === 'string' && deliveryInfo.routing_key ? deliveryInfo.routing_key : queue,
    priority: typeof props.priority === 'number' ? props.priority : 0,
    eta: time(headers.eta, 'eta'),
    expires: time(headers.expires, 'expires'),
    retries: typeof headers.retries === 'number' ? headers.retries : 0,
    rootId: typeof headers.root_id === 'string' ? headers.root_id : headers.id,
    parentId: typeof headers.parent_id === 'string' ? headers.parent_id : null,
    group: typeof headers.group === 'string' ? headers.group : null,
    groupIndex: typeof headers.group_index === 'number' ? headers.group_index : null,
    timeLimit: [limit(tl[0]), limit(tl[1])],
    ignoreResult: headers.ignore_result === true,
    origin: typeof headers.origin === 'string' ? headers.origin : '',
    lang: typeof headers.lang === 'string' ? headers.lang : 'py',
    replyTo: typeof props.reply_to === 'string' ? props.reply_to : '',
    deliveryTag: typeof props.delivery_tag === 'string' ? props.delivery_tag : randomUUID(),
    redelivered: headers.redelivered === true || deliveryInfo.redelivered === true,
    callbacks: sigList(embed.callbacks),
    errbacks: sigList(embed.errbacks),
    chain: sigList(embed.chain),
    chord: isObj(embed.chord) ? (embed.chord as unknown as SignatureDict) : null,
  };
}
