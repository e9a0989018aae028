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
  /** celeriac's dedup key (header `celeriac_dedup`): let go when the task ends. */
  dedup?: string;
  /** The rate-limit slot (epoch ms) reserved for this message (header `celeriac_rate_slot`). */
  rateSlot?: number;
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
const NON_ASCII = /[^\x00-\x7f]/;
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
  const json = `[${JSON.stringify(m.args)}, ${JSON.stringify(m.kwargs)}, ${embed}]`;
  // NOTE: btoa reads Latin-1, the same bytes as UTF-8 for ASCII text (most bodies), and skips the Buffer copy.
  const body = NON_ASCII.test(json) ? Buffer.from(json).toString('base64') : btoa(json);
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
    `"ignore_result": ${m.ignoreResult}${m.redelivered ? ', "redelivered": true' : ''}${ownHeaders(m)}}, ` +
    `"properties": {"correlation_id": ${id}, "reply_to": ${replyTo}, "delivery_mode": 2, ${expiration}` +
    `"delivery_info": {"exchange": "", "routing_key": ${queue}}, "priority": ${m.priority}, ` +
    `"body_encoding": "base64", "delivery_tag": ${str(m.deliveryTag)}}}`
  );
}

/** celeriac's own headers, when a message has them (Celery's workers ignore unknown headers). */
function ownHeaders(m: TaskMessage): string {
  let out = '';
  if (m.dedup !== undefined) out += `, "celeriac_dedup": ${str(m.dedup)}`;
  if (m.rateSlot !== undefined) out += `, "celeriac_rate_slot": ${m.rateSlot}`;
  return out;
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

const show = (v: unknown): string => {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};

/** `[hard, soft]` seconds, each null or a number >= 0 (0 = none, as Celery); absent or null = no limits. */
function timeLimits(v: unknown): [number | null, number | null] {
  if (v === null || v === undefined) return [null, null];
  const ok = (x: unknown) => x === null || (typeof x === 'number' && Number.isFinite(x) && x >= 0);
  if (!Array.isArray(v) || v.length !== 2 || !ok(v[0]) || !ok(v[1])) {
    throw new MalformedMessage(`header timelimit must be [hard, soft] seconds (each null or a number >= 0), got ${show(v)}`);
  }
  const ms = (x: unknown) => (typeof x === 'number' && x > 0 ? x * 1000 : null);
  return [ms(v[0]), ms(v[1])];
}

/** An integer >= 0, or null when absent. */
function count(v: unknown, field: string): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new MalformedMessage(`header ${field} must be an integer >= 0, got ${show(v)}`);
  return v;
}

/** A string, or null when absent. */
function optString(v: unknown, field: string): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') throw new MalformedMessage(`${field} must be a string or null, got ${show(v)}`);
  return v;
}

/**
 * One signature dict (a link, a chain step, a chord body), checked so that a follow-up never fails after the task
 * ran: `task` a non-empty string, `args` an array, `kwargs` and `options` objects (absent or null: {}).
 */
function sigDict(v: unknown, at: string): SignatureDict {
  if (!isObj(v)) throw new MalformedMessage(`${at} is not a signature object: ${show(v)}`);
  if (typeof v.task !== 'string' || !v.task) throw new MalformedMessage(`${at}.task must be a task name, got ${show(v.task)}`);
  if (!Array.isArray(v.args)) throw new MalformedMessage(`${at}.args must be an array, got ${show(v.args)}`);
  const kwargs = v.kwargs ?? {};
  if (!isObj(kwargs)) throw new MalformedMessage(`${at}.kwargs must be an object, got ${show(v.kwargs)}`);
  const options = v.options ?? {};
  if (!isObj(options)) throw new MalformedMessage(`${at}.options must be an object, got ${show(v.options)}`);
  if (v.immutable !== undefined && v.immutable !== null && typeof v.immutable !== 'boolean') {
    throw new MalformedMessage(`${at}.immutable must be a boolean, got ${show(v.immutable)}`);
  }
  const subtask = v.subtask_type ?? null;
  if (subtask !== null && typeof subtask !== 'string') throw new MalformedMessage(`${at}.subtask_type must be a string or null, got ${show(v.subtask_type)}`);
  return { ...v, task: v.task, args: v.args, kwargs, options, subtask_type: subtask, immutable: v.immutable === true };
}

function sigList(v: unknown, at: string): SignatureDict[] | null {
  if (v === null || v === undefined) return null;
  if (!Array.isArray(v)) throw new MalformedMessage(`${at} must be a list of signatures or null, got ${show(v)}`);
  return v.map((x, i) => sigDict(x, `${at}[${i}]`));
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
  if (body[2] !== undefined && body[2] !== null && !isObj(body[2])) throw new MalformedMessage(`body embed (body[2]) is not an object: ${show(body[2])}`);
  const embed: Obj = body[2] ?? {};
  const deliveryInfo = isObj(props.delivery_info) ? props.delivery_info : {};
  if (headers.ignore_result !== undefined && headers.ignore_result !== null && typeof headers.ignore_result !== 'boolean') {
    throw new MalformedMessage(`header ignore_result must be a boolean, got ${show(headers.ignore_result)}`);
  }
  const msg: TaskMessage = {
    id: headers.id,
    task: headers.task,
    args: body[0] as unknown[],
    kwargs: (body[1] as Obj | undefined) ?? {},
    queue: typeof deliveryInfo.routing_key === 'string' && deliveryInfo.routing_key ? deliveryInfo.routing_key : queue,
    priority: typeof props.priority === 'number' ? props.priority : 0,
    eta: time(headers.eta, 'eta'),
    expires: time(headers.expires, 'expires'),
    retries: count(headers.retries, 'retries') ?? 0,
    rootId: optString(headers.root_id, 'header root_id') || headers.id,
    parentId: optString(headers.parent_id, 'header parent_id'),
    group: optString(headers.group, 'header group'),
    groupIndex: count(headers.group_index, 'group_index'),
    timeLimit: timeLimits(headers.timelimit),
    ignoreResult: headers.ignore_result === true,
    origin: typeof headers.origin === 'string' ? headers.origin : '',
    lang: typeof headers.lang === 'string' ? headers.lang : 'py',
    replyTo: typeof props.reply_to === 'string' ? props.reply_to : '',
    deliveryTag: typeof props.delivery_tag === 'string' ? props.delivery_tag : randomUUID(),
    redelivered: headers.redelivered === true || deliveryInfo.redelivered === true,
    callbacks: sigList(embed.callbacks, 'embed.callbacks'),
    errbacks: sigList(embed.errbacks, 'embed.errbacks'),
    chain: sigList(embed.chain, 'embed.chain'),
    chord: embed.chord === null || embed.chord === undefined ? null : sigDict(embed.chord, 'embed.chord'),
  };
  if (typeof headers.celeriac_dedup === 'string') msg.dedup = headers.celeriac_dedup;
  if (typeof headers.celeriac_rate_slot === 'number') msg.rateSlot = headers.celeriac_rate_slot;
  return msg;
}
