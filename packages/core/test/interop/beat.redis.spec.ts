// A celeriac beat schedules a task that only a Python Celery worker runs (Celery's beat does the same): the beat
// warns that the app does not register it, sends it on schedule, and the Python worker runs each run once.
import { join } from 'node:path';
import { createApp, every, type Logger } from '../../src';
import { startRedis, type RedisServer } from '../support/redis-server';
import { startPythonWorker, type PythonWorker } from './support';

const EXAMPLE = join(__dirname, 'example');

let redis: RedisServer;
let py: PythonWorker;

beforeAll(async () => {
  redis = await startRedis({ own: true });
  py = await startPythonWorker(redis.url(), { name: 'beatpy', queues: ['py'], module: 'proj', cwd: EXAMPLE });
});
afterAll(async () => {
  await py?.stop();
  await redis?.stop();
});

it("a Python worker runs the beat's proj.add, once per run", async () => {
  const lines: string[] = [];
  const logger: Logger = { debug: () => {}, info: (m) => void lines.push(m), warn: (m) => void lines.push(`WARN ${m}`), error: (m) => void lines.push(`ERROR ${m}`) };
  const app = createApp('beat-py', { broker: redis.url(), logger });
  app.addPeriodicTask('py-add', { task: 'proj.add', schedule: every(400), args: [2, 3], options: { queue: 'py' } });
  const beat = app.beat();
  try {
    await beat.start();
    expect(lines).toContainEqual(expect.stringMatching(/^WARN beat: entry "py-add" sends proj\.add, which this app does not register/));
    await py.waitForLog(/Task proj\.add\[[0-9a-f-]+\] succeeded in [\d.e-]+s: 5[\s\S]*Task proj\.add\[[0-9a-f-]+\] succeeded in [\d.e-]+s: 5/, 10_000);
  } finally {
    await beat.close();
    await app.close();
  }
  const sent = lines.filter((l) => l.startsWith('beat: sending due task py-add')).map((l) => /\[([0-9a-f-]+)\]/.exec(l)![1]!);
  for (const id of sent.slice(0, 2)) expect(py.logs()).toContain(`Task proj.add[${id}] succeeded`);
});
