// decodeMessage validates every header and embed field a worker acts on: a bad one is a MalformedMessage
// (dead-lettered with the reason) at decode time, never a task held STARTED or a follow-up that fails later.
// What real Celery 5.2 sends (celery-wire.md §4, §5, §13: nulls in many places) must still be accepted.
import { MalformedMessage, completeMessage, decodeMessage, encodeMessage } from '../../src/protocol/message';

type Obj = Record<string, unknown>;
interface Envelope {
  body: string;
  headers: Obj;
  properties: Obj;
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64');
const good = (): Envelope => JSON.parse(encodeMessage(completeMessage({ id: 'id-1', task: 't.add', args: [2, 3], kwargs: {}, queue: 'celery' }))) as Envelope;

function reason(env: Envelope): string {
  try {
    decodeMessage(JSON.stringify(env), 'celery');
  } catch (err) {
    expect(err).toBeInstanceOf(MalformedMessage);
    return (err as MalformedMessage).reason;
  }
  throw new Error('expected decodeMessage to throw');
}

const withHeader = (field: string, value: unknown): Envelope => {
  const env = good();
  env.headers[field] = value;
  return env;
};

const withEmbed = (embed: unknown): Envelope => ({ ...good(), body: b64([[2, 3], {}, embed]) });

// celery-wire.md §5: a signature dict as a Python 5.2 client writes it.
const SIG = { task: 'interop.mul', args: [10], kwargs: {}, options: { task_id: 'eca660c8', reply_to: '3d04' }, subtask_type: null, immutable: false };

describe('headers', () => {
  it.each<[string, unknown, RegExp]>([
    ['retries', -1, /^header retries must be an integer >= 0, got -1$/],
    ['retries', 1.5, /^header retries must be an integer >= 0, got 1.5$/],
    ['retries', '2', /^header retries must be an integer >= 0, got "2"$/],
    ['group_index', -3, /^header group_index must be an integer >= 0, got -3$/],
    ['group_index', 'first', /^header group_index must be an integer >= 0/],
    ['timelimit', 30, /^header timelimit must be \[hard, soft\] seconds .*, got 30$/],
    ['timelimit', [30], /^header timelimit must be \[hard, soft\]/],
    ['timelimit', ['30', null], /^header timelimit must be \[hard, soft\].*got \["30",null\]$/],
    ['timelimit', [-1, null], /^header timelimit must be \[hard, soft\]/],
    ['eta', 'soon', /^header eta is not an ISO 8601 time: "soon"$/],
    ['eta', 1_700_000_000, /^header eta is not an ISO 8601 time/],
    ['expires', { at: 1 }, /^header expires is not an ISO 8601 time/],
    ['root_id', 42, /^header root_id must be a string or null, got 42$/],
    ['parent_id', ['p'], /^header parent_id must be a string or null/],
    ['group', 7, /^header group must be a string or null, got 7$/],
    ['ignore_result', 'yes', /^header ignore_result must be a boolean, got "yes"$/],
  ])('%s = %j', (field, value, expected) => {
    expect(reason(withHeader(field, value))).toMatch(expected);
  });

  it('accepts what Celery 5.2 sends: nulls, [null, null], [30, 20.5], group_index 0, retries 3, +00:00 and Z times', () => {
    const env = good();
    Object.assign(env.headers, {
      eta: '2026-11-21T19:10:08.876605+00:00',
      expires: '2026-11-21T19:20:08Z',
      group: 'eb5b4f28',
      group_index: 0,
      retries: 3,
      timelimit: [30, 20.5],
      shadow: null,
      parent_id: null,
      root_id: null,
      ignore_result: null,
    });
    const m = decodeMessage(JSON.stringify(env), 'celery');
    expect(m).toMatchObject({ retries: 3, group: 'eb5b4f28', groupIndex: 0, timeLimit: [30_000, 20_500], rootId: 'id-1', parentId: null, ignoreResult: false });
    expect(m.eta).toBe(Date.UTC(2026, 10, 21, 19, 10, 8, 877));
    for (const tl of [null, [null, null], [0, 0]]) expect(decodeMessage(JSON.stringify(withHeader('timelimit', tl)), 'celery').timeLimit).toEqual([null, null]);
    for (const r of [null, undefined]) expect(decodeMessage(JSON.stringify(withHeader('retries', r)), 'celery').retries).toBe(0);
  });
});

describe('embed: callbacks, errbacks, chain, chord', () => {
  it.each<[string, unknown, RegExp]>([
    ['callbacks not a list', { callbacks: SIG }, /^embed.callbacks must be a list of signatures or null/],
    ['a callback that is not an object', { callbacks: ['interop.mul'] }, /^embed.callbacks\[0\] is not a signature object: "interop.mul"$/],
    ['kwargs not an object', { callbacks: [{ ...SIG, kwargs: 'x=1' }] }, /^embed.callbacks\[0\].kwargs must be an object, got "x=1"$/],
    ['task not a string', { errbacks: [SIG, { ...SIG, task: 5 }] }, /^embed.errbacks\[1\].task must be a task name, got 5$/],
    ['task missing', { chain: [{ ...SIG, task: undefined }] }, /^embed.chain\[0\].task must be a task name, got undefined$/],
    ['args missing', { chain: [{ ...SIG, args: undefined }] }, /^embed.chain\[0\].args must be an array, got undefined$/],
    ['args not an array', { callbacks: [{ ...SIG, args: '10' }] }, /^embed.callbacks\[0\].args must be an array, got "10"$/],
    ['options not an object', { callbacks: [{ ...SIG, options: [] }] }, /^embed.callbacks\[0\].options must be an object, got \[\]$/],
    ['immutable not a boolean', { callbacks: [{ ...SIG, immutable: 'yes' }] }, /^embed.callbacks\[0\].immutable must be a boolean/],
    ['chord not an object', { chord: 'interop.echo' }, /^embed.chord is not a signature object/],
    ['chord body args not an array', { chord: { ...SIG, args: null } }, /^embed.chord.args must be an array, got null$/],
    ['embed not an object', 'callbacks', /^body embed \(body\[2\]\) is not an object: "callbacks"$/],
  ])('%s', (_what, embed, expected) => {
    expect(reason(withEmbed(embed))).toMatch(expected);
  });

  it("accepts Celery's own: null fields, an empty chain, full signature dicts, missing kwargs/options, a null or empty embed", () => {
    const m = decodeMessage(JSON.stringify(withEmbed({ callbacks: null, errbacks: null, chain: [SIG], chord: SIG })), 'celery');
    expect(m.chain).toEqual([SIG]);
    expect(m.chord).toEqual(SIG);
    expect(decodeMessage(JSON.stringify(withEmbed({ callbacks: null, errbacks: null, chain: [], chord: null })), 'celery').chain).toEqual([]);
    const { kwargs: _k, options: _o, subtask_type: _s, immutable: _i, ...bare } = SIG;
    expect(decodeMessage(JSON.stringify(withEmbed({ callbacks: [bare] })), 'celery').callbacks).toEqual([{ ...bare, kwargs: {}, options: {}, subtask_type: null, immutable: false }]);
    // Celery 5.1+ adds chord_size to a signature dict; extra keys are kept.
    expect(decodeMessage(JSON.stringify(withEmbed({ chain: [{ ...SIG, chord_size: null }] })), 'celery').chain?.[0]).toMatchObject({ chord_size: null });
    expect(decodeMessage(JSON.stringify(withEmbed(null)), 'celery').callbacks).toBeNull();
    expect(decodeMessage(JSON.stringify({ ...good(), body: b64([[2, 3], {}]) }), 'celery').chain).toBeNull();
  });
});
