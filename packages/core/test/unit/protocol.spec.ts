import { Signature } from '@celeriac/core';
import { createTestApp } from '@celeriac/core/testing';
import { parseIso, toCeleryIso, toNaiveUtcIso } from '../../src/protocol/dates';
import { MalformedMessage, completeMessage, decodeMessage, encodeMessage, type TaskMessage } from '../../src/protocol/message';
import { argsRepr, kwargsRepr } from '../../src/protocol/repr';
import { celeryKeys } from '../../src/redis/keys';
import { priorityStep } from '../../src/broker/broker';

// celery-wire.md §13, plain `add.delay(2, 3)`: the complete envelope as a Python 5.2.6 client sent it.
const CAPTURED = {
  body: 'W1syLCAzXSwge30sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogbnVsbCwgImNob3JkIjogbnVsbH1d',
  'content-encoding': 'utf-8',
  'content-type': 'application/json',
  headers: {
    lang: 'py',
    task: 'interop.add',
    id: 'dfedfd0e-bf92-4ee4-be7b-9ec69710f24c',
    shadow: null,
    eta: null,
    expires: null,
    group: null,
    group_index: null,
    retries: 0,
    timelimit: [null, null],
    root_id: 'dfedfd0e-bf92-4ee4-be7b-9ec69710f24c',
    parent_id: null,
    argsrepr: '(2, 3)',
    kwargsrepr: '{}',
    origin: 'gen8730@vm',
    ignore_result: false,
  },
  properties: {
    correlation_id: 'dfedfd0e-bf92-4ee4-be7b-9ec69710f24c',
    reply_to: '3d042157-5cdd-3d51-97eb-1aee34ae1ae0',
    delivery_mode: 2,
    delivery_info: { exchange: '', routing_key: 'celery' },
    priority: 0,
    body_encoding: 'base64',
    delivery_tag: 'ba4dfff2-3dad-4b1b-9cc6-95996ad16d2b',
  },
};

interface Envelope {
  body: string;
  'content-encoding': string;
  'content-type': string;
  headers: Record<string, unknown>;
  properties: Record<string, unknown>;
}

const b64json = (s: string): unknown => JSON.parse(Buffer.from(s, 'base64').toString('utf8'));
const envelope = (raw: string): Envelope => JSON.parse(raw) as Envelope;
const b64 = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64');

function message(over: Partial<TaskMessage> = {}): TaskMessage {
  return completeMessage({ id: 'dfedfd0e-bf92-4ee4-be7b-9ec69710f24c', task: 'interop.add', args: [2, 3], kwargs: {}, queue: 'celery', ...over });
}

function malformed(raw: string): MalformedMessage {
  try {
    decodeMessage(raw, 'celery');
  } catch (err) {
    expect(err).toBeInstanceOf(MalformedMessage);
    return err as MalformedMessage;
  }
  throw new Error('expected decodeMessage to throw');
}

describe('encodeMessage: the envelope Celery 5.2 sends (celery-wire.md §3–§5, §13)', () => {
  const encoded = envelope(encodeMessage(message({ origin: 'gen8730@vm' })));

  it('has exactly the captured top-level fields, headers and properties, in order', () => {
    expect(Object.keys(encoded)).toEqual(Object.keys(CAPTURED));
    expect(Object.keys(encoded.headers)).toEqual(Object.keys(CAPTURED.headers));
    expect(Object.keys(encoded.properties)).toEqual(Object.keys(CAPTURED.properties));
  });

  it('matches the captured plain add.delay(2, 3) field by field', () => {
    expect(encoded['content-encoding']).toBe('utf-8');
    expect(encoded['content-type']).toBe('application/json');
    for (const [k, v] of Object.entries(CAPTURED.headers)) expect([k, encoded.headers[k]]).toEqual([k, v]);
    const { reply_to, delivery_tag, ...props } = CAPTURED.properties;
    for (const [k, v] of Object.entries(props)) expect([k, encoded.properties[k]]).toEqual([k, v]);
    // producer-chosen values: the same types as Python's
    expect(typeof encoded.properties.reply_to).toBe(typeof reply_to);
    expect(encoded.properties.delivery_tag).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(typeof delivery_tag).toBe('string');
  });

  it('carries the body as base64 of [args, kwargs, embed], the same JSON as the capture', () => {
    expect(encoded.body).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(b64json(encoded.body)).toEqual(b64json(CAPTURED.body));
    expect(b64json(encoded.body)).toEqual([[2, 3], {}, { callbacks: null, errbacks: null, chain: null, chord: null }]);
  });

  it('the captured Python envelope decodes to the same message', () => {
    const m = decodeMessage(JSON.stringify(CAPTURED), 'celery');
    expect(m).toMatchObject({
      id: CAPTURED.headers.id,
      task: 'interop.add',
      args: [2, 3],
      kwargs: {},
      queue: 'celery',
      priority: 0,
      eta: null,
      expires: null,
      retries: 0,
      rootId: CAPTURED.headers.id,
      parentId: null,
      group: null,
      groupIndex: null,
      timeLimit: [null, null],
      ignoreResult: false,
      origin: 'gen8730@vm',
      lang: 'py',
      replyTo: '3d042157-5cdd-3d51-97eb-1aee34ae1ae0',
      deliveryTag: 'ba4dfff2-3dad-4b1b-9cc6-95996ad16d2b',
      redelivered: false,
      callbacks: null,
      errbacks: null,
      chain: null,
      chord: null,
    });
  });

  it('writes expires as ISO plus properties.expiration in ms, like Python', () => {
    const now = Date.now();
    const env = envelope(encodeMessage(message({ expires: now + 600_000 })));
    expect(env.headers.expires).toBe(toCeleryIso(now + 600_000));
    const expiration = Number(env.properties.expiration);
    expect(typeof env.properties.expiration).toBe('string');
    expect(expiration).toBeGreaterThan(590_000);
    expect(expiration).toBeLessThanOrEqual(600_000);
  });

  it('writes the time limit in seconds and redelivered only when set', () => {
    const env = envelope(encodeMessage(message({ timeLimit: [30_000, 1_500], redelivered: true })));
    expect(env.headers.timelimit).toEqual([30, 1.5]);
    expect(env.headers.redelivered).toBe(true);
    expect('redelivered' in envelope(encodeMessage(message())).headers).toBe(false);
  });
});

describe('encodeMessage / decodeMessage round trip', () => {
  it('gives back every field', () => {
    const callback = new Signature('t.cb', [1], { k: 'v' }, { taskId: 'cb-id', queue: 'q2' }).toDict();
    const m = message({
      id: 'abc',
      task: 'users.send',
      args: ['ann@example.com', { nested: [1, 'two', null, true] }],
      kwargs: { token: 'tok', n: 1.5 },
      queue: 'mail',
      priority: 6,
      eta: Date.UTC(2026, 10, 21, 19, 10, 8, 876),
      expires: Date.UTC(2026, 10, 21, 20, 0, 0, 1),
      retries: 2,
      rootId: 'root',
      parentId: 'parent',
      group: 'g',
      groupIndex: 1,
      timeLimit: [30_000, null],
      ignoreResult: true,
      replyTo: 'reply',
      deliveryTag: 'tag-1',
      redelivered: true,
      callbacks: [callback],
      errbacks: [callback],
      chain: [callback],
      chord: callback,
    });
    expect(decodeMessage(encodeMessage(m), 'ignored')).toEqual(m);
  });

  it('keeps non-ASCII text intact', () => {
    const m = message({ args: ['Zoë', '日本語', '🥬'], kwargs: { ключ: 'значение' } });
    const back = decodeMessage(encodeMessage(m), 'celery');
    expect(back.args).toEqual(['Zoë', '日本語', '🥬']);
    expect(back.kwargs).toEqual({ ключ: 'значение' });
  });

  it('a minimal celery-node message (§13) is accepted with defaults', () => {
    const raw =
      '{"body": "W1syLDNdLHt9LHt9XQ==", "content-type": "application/json", "content-encoding": "utf-8", "headers": {"lang": "js", "task": "interop.add", "id": "4a3ad64a-1a04-45e7-980f-705591e153f4"}, "properties": {"body_encoding": "base64", "delivery_info": {"exchange": "", "routing_key": "celery"}, "delivery_mode": 2, "delivery_tag": "5bba3ca8-5adf-4438-bf96-bc11a2e6153b", "correlationId": "4a3ad64a-1a04-45e7-980f-705591e153f4", "replyTo": ""}}';
    const m = decodeMessage(raw, 'celery');
    expect(m).toMatchObject({ task: 'interop.add', args: [2, 3], kwargs: {}, rootId: m.id, parentId: null, lang: 'js', eta: null, retries: 0 });
  });

  it('takes the queue from the routing key, else from where it was read', () => {
    const env = envelope(encodeMessage(message({ queue: 'other' })));
    expect(decodeMessage(JSON.stringify(env), 'celery').queue).toBe('other');
    env.properties.delivery_info = {};
    expect(decodeMessage(JSON.stringify(env), 'fallback').queue).toBe('fallback');
  });

  it('reads a redelivered flag set by kombu in delivery_info', () => {
    const env = envelope(encodeMessage(message()));
    (env.properties.delivery_info as Record<string, unknown>).redelivered = true;
    expect(decodeMessage(JSON.stringify(env), 'celery').redelivered).toBe(true);
  });
});

describe('decodeMessage of malformed input: MalformedMessage with a clear reason', () => {
  const good = () => envelope(encodeMessage(message()));

  it('not JSON', () => {
    expect(malformed('{"body": ').reason).toBe('not JSON');
  });

  it('JSON but not an object', () => {
    expect(malformed('[1, 2]').reason).toMatch(/envelope is not a JSON object/);
    expect(malformed('null').reason).toMatch(/envelope is not a JSON object/);
  });

  it('no headers', () => {
    const { headers: _drop, ...env } = good();
    expect(malformed(JSON.stringify(env)).reason).toMatch(/no headers/);
  });

  it('a protocol 1 message (task and id in the body, not in headers)', () => {
    const env = good();
    const raw = JSON.stringify({
      ...env,
      headers: {},
      body: b64({ task: 'interop.add', id: 'x', args: [2, 3], kwargs: {}, retries: 0, eta: null }),
    });
    const err = malformed(raw);
    expect(err.reason).toMatch(/protocol 2/);
    expect(err.message).toBe(err.reason);
    expect(err.name).toBe('MalformedMessage');
  });

  it('a pickle content-type', () => {
    const env = { ...good(), 'content-type': 'application/x-python-serialize', body: b64('\x80\x04\x95') };
    expect(malformed(JSON.stringify(env)).reason).toMatch(/content-type "application\/x-python-serialize" is not accepted \(JSON only\)/);
  });

  it('a body that is not a string', () => {
    expect(malformed(JSON.stringify({ ...good(), body: [[2, 3], {}, {}] })).reason).toMatch(/body is not a string/);
  });

  it('an unsupported body encoding', () => {
    const env = good();
    env.properties.body_encoding = 'gzip';
    expect(malformed(JSON.stringify(env)).reason).toMatch(/body_encoding "gzip" is not supported/);
  });

  it('bad base64', () => {
    expect(malformed(JSON.stringify({ ...good(), body: '%%% this is not base64 %%%' })).reason).toMatch(/base64/);
  });

  it('a body that is not JSON', () => {
    expect(malformed(JSON.stringify({ ...good(), body: b64('[[2, 3], {}, {') })).reason).toBe('body is not JSON');
  });

  it.each([
    ['an object', { args: [2, 3] }],
    ['args not an array', ['2, 3', {}, {}]],
    ['kwargs not an object', [[2, 3], [], {}]],
  ])('a body that is not [args, kwargs, embed]: %s', (_what, body) => {
    expect(malformed(JSON.stringify({ ...good(), body: b64(body) })).reason).toMatch(/body is not \[args, kwargs, embed\]/);
  });

  it.each([['tomorrow'], ['2026-13-45T25:61:00+00:00'], ['2026-11-21'], [12345]])('a bad eta: %j', (eta) => {
    const env = good();
    env.headers.eta = eta;
    const err = malformed(JSON.stringify(env));
    expect(err.reason).toMatch(/^header eta is not an ISO 8601 time/);
    expect(err.reason).toContain(JSON.stringify(eta));
  });

  it('a bad expires', () => {
    const env = good();
    env.headers.expires = 'never';
    expect(malformed(JSON.stringify(env)).reason).toMatch(/^header expires is not an ISO 8601 time: "never"/);
  });
});

describe('dates (celery-wire.md §6)', () => {
  const t = Date.UTC(2026, 10, 21, 19, 10, 8, 876);

  it('eta / expires are written with SIX fraction digits and +00:00', () => {
    expect(toCeleryIso(t)).toBe('2026-11-21T19:10:08.876000+00:00');
    expect(toCeleryIso(Date.UTC(2026, 0, 2, 3, 4, 5, 0))).toBe('2026-01-02T03:04:05.000000+00:00');
    expect(toCeleryIso(t)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/);
  });

  it('date_done is naive UTC with six digits', () => {
    expect(toNaiveUtcIso(t)).toBe('2026-11-21T19:10:08.876000');
  });

  it('the eta header of .applyAsync() has six digits and +00:00', async () => {
    const app = createTestApp('eta-header');
    const eta = new Date(Date.UTC(2030, 0, 1, 12, 0, 0, 5));
    const msg = app.buildMessage('t.x', [], { eta, expires: new Date(Date.UTC(2030, 0, 2)) });
    const env = envelope(encodeMessage(msg));
    expect(env.headers.eta).toBe('2030-01-01T12:00:00.005000+00:00');
    expect(env.headers.expires).toBe('2030-01-02T00:00:00.000000+00:00');
    const before = Date.now();
    const cd = envelope(encodeMessage(app.buildMessage('t.x', [], { countdown: 10_000 })));
    const etaMs = parseIso(cd.headers.eta as string)!;
    expect(etaMs).toBeGreaterThanOrEqual(before + 10_000);
    expect(etaMs).toBeLessThanOrEqual(Date.now() + 10_000);
    await app.close();
  });

  it.each([
    ['2026-11-21T19:10:08.876605+00:00', Date.UTC(2026, 10, 21, 19, 10, 8, 877)],
    ['2026-11-21T19:10:08.876000+00:00', t],
    ['2026-11-21T19:10:08.876Z', t],
    ['2026-11-21T19:10:08.876+00:00', t],
    ['2026-11-21T19:10:08Z', Date.UTC(2026, 10, 21, 19, 10, 8)],
    ['2026-11-21T19:10:08.876605', Date.UTC(2026, 10, 21, 19, 10, 8, 877)],
    ['2026-11-21T19:10:08', Date.UTC(2026, 10, 21, 19, 10, 8)],
    ['2026-11-21 19:10:08.876605+00:00', Date.UTC(2026, 10, 21, 19, 10, 8, 877)],
    ['2026-11-21T21:10:08.876+02:00', t],
    ['2026-11-21T14:40:08.876-04:30', t],
    ['2026-11-21T21:10:08.876+0200', t],
    ['2026-11-21T21:10:08.876+02', t],
    ['2026-11-21T19:10Z', Date.UTC(2026, 10, 21, 19, 10)],
  ])('parseIso(%s)', (text, ms) => {
    expect(parseIso(text)).toBe(ms);
  });

  it.each([['tomorrow'], [''], ['2026-11-21'], ['2026-11-21T19:10:08+2'], ['2026-13-01T00:00:00Z'], ['2026-02-30T00:00:00Z'], ['2026-11-21T24:00:00Z']])(
    'parseIso(%j) is null',
    (text) => {
      expect(parseIso(text)).toBeNull();
    },
  );

  it('round-trips what toCeleryIso writes', () => {
    for (const ms of [0, t, Date.UTC(1999, 11, 31, 23, 59, 59, 999)]) expect(parseIso(toCeleryIso(ms))).toBe(ms);
  });
});

describe('argsrepr / kwargsrepr: Python repr', () => {
  it.each<[unknown[], string]>([
    [[2, 3], '(2, 3)'],
    [['a'], "('a',)"],
    [[], '()'],
    [[1, 'two'], "(1, 'two')"],
    [[null, true, false], '(None, True, False)'],
    [[[2, 4]], '([2, 4],)'],
    [['capture', 3], "('capture', 3)"],
    [["it's"], '("it\'s",)'],
    [['say "hi"'], `('say "hi"',)`],
    [[`it's "x"`], `('it\\'s "x"',)`],
    [['a\nb\\c\t'], "('a\\nb\\\\c\\t',)"],
    [[1.5, -2], '(1.5, -2)'],
    [[{ a: [1, { b: null }] }], "({'a': [1, {'b': None}]},)"],
  ])('argsRepr(%j) = %s', (args, repr) => {
    expect(argsRepr(args)).toBe(repr);
  });

  it('kwargsRepr matches the capture', () => {
    expect(kwargsRepr({})).toBe('{}');
    expect(kwargsRepr({ a: 1, b: { c: [1, 2] } })).toBe("{'a': 1, 'b': {'c': [1, 2]}}");
    expect(kwargsRepr({ tag: 'chord-body' })).toBe("{'tag': 'chord-body'}");
  });

  it('shows a Date as the string that is sent', () => {
    const d = new Date(Date.UTC(2026, 0, 1));
    expect(argsRepr([d])).toBe("('2026-01-01T00:00:00.000Z',)");
  });

  it('is cut to at most 1024 characters', () => {
    const repr = argsRepr(['x'.repeat(5000)]);
    expect(repr.length).toBeLessThanOrEqual(1024);
    expect(repr.endsWith('...')).toBe(true);
    expect(kwargsRepr({ big: 'y'.repeat(5000) }).length).toBeLessThanOrEqual(1024);
  });

  it('is what the encoded headers carry', () => {
    const env = envelope(encodeMessage(message({ args: [1, 'two'], kwargs: { a: 1, b: { c: [1, 2] } } })));
    expect(env.headers.argsrepr).toBe("(1, 'two')");
    expect(env.headers.kwargsrepr).toBe("{'a': 1, 'b': {'c': [1, 2]}}");
  });
});

describe('priority → list key (celery-wire.md §7)', () => {
  it.each([
    [0, 'celery'],
    [1, 'celery'],
    [2, 'celery'],
    [3, 'celery\x06\x163'],
    [5, 'celery\x06\x163'],
    [6, 'celery\x06\x166'],
    [8, 'celery\x06\x166'],
    [9, 'celery\x06\x169'],
  ])('priority %i → %j', (priority, key) => {
    expect(celeryKeys.queue('celery', priority)).toBe(key);
  });

  it('defaults to the bare queue, and clamps out-of-range priorities', () => {
    expect(celeryKeys.queue('mail')).toBe('mail');
    expect(priorityStep(-1)).toBe(0);
    expect(priorityStep(42)).toBe(9);
    expect(celeryKeys.queueLists('celery')).toEqual(['celery', 'celery\x06\x163', 'celery\x06\x166', 'celery\x06\x169']);
  });

  it('a task sent with priority 5 lands in celery\\x06\\x163 with properties.priority 5', async () => {
    const app = createTestApp('prio');
    const t = app.task('t.prio', (n: number) => n);
    await t.applyAsync([1], { priority: 5 });
    expect(await app.broker.queueLength('celery')).toBe(1);
    const msg = app.buildMessage('t.prio', [1], { priority: 9 });
    expect(msg.priority).toBe(9);
    expect(envelope(encodeMessage(msg)).properties.priority).toBe(9);
    await app.close();
  });

  it('the other Celery keys', () => {
    expect(celeryKeys.taskMeta('abc')).toBe('celery-task-meta-abc');
    expect(celeryKeys.binding('celery')).toBe('_kombu.binding.celery');
    expect(celeryKeys.bindingMember('celery')).toBe('celery\x06\x16\x06\x16celery');
    expect(celeryKeys.pidbox(0)).toBe('/0.celery.pidbox');
  });
});
