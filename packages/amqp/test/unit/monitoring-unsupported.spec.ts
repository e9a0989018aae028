// Task events and remote control are not carried on amqp:// yet: asking for them is a clear error naming the
// setting and the broker (no server needed: nothing is sent).
import { ConfigurationError, createApp, consoleLogger } from '@celeriac/core';

const opts = { broker: 'amqp://user:secret@127.0.0.1:1/vh', backend: 'memory://', logger: consoleLogger('silent') };

it('a worker with task events (-E) on amqp:// is refused, naming the setting and the broker (password hidden)', async () => {
  const app = createApp('t', opts);
  let err: unknown;
  try {
    app.worker({ sendTaskEvents: true });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigurationError);
  expect((err as Error).message).toMatch(/^`workerSendTaskEvents` needs a broker that carries Celery's events and remote control \(redis:\/\/, rediss:\/\/, sentinel:\/\/\); amqp:\/\/user:\*\*\*@127\.0\.0\.1:1\/vh does not support them yet$/);
  await app.close();
});

it('taskSendSentEvent on amqp:// makes a send reject before anything is sent', async () => {
  const app = createApp('t', { ...opts, taskSendSentEvent: true });
  await expect(app.sendTask('t.add', [1, 2])).rejects.toThrow(/`taskSendSentEvent` needs a broker that carries Celery's events/);
  await app.close();
});
