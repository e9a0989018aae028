// RabbitMQ SIGKILLed and restarted under load: every send that resolved (publisher confirms: the message was
// persisted) completes; sends that failed while it was away are counted, not lost silently. Workers and the
// producer reconnect by themselves.
import { Completion, duplicates, report, sleep } from '../../../core/test/faults/chaos-support';
import { useAmqpChaosEnv } from '../support/chaos';

const QUEUE = 'chaos.restart';

describe('chaos on amqp://: RabbitMQ killed and restarted', () => {
  const env = useAmqpChaosEnv('chaos-amqp-restart');

  it('every resolved send completes after the restart; workers resume by themselves', async () => {
    const settings = { TASK_TRACK_STARTED: 'false', BROKER_CONNECTION_TIMEOUT: '2000' };
    const workers = [await env.startWorker({ queue: QUEUE, concurrency: 10, settings }), await env.startWorker({ queue: QUEUE, concurrency: 10, settings })];

    const resolved: string[] = [];
    let failed = 0;
    let sending = true;
    const producer = (async () => {
      let i = 0;
      while (sending) {
        const batch = Array.from({ length: 20 }, () => env.app.sendTask('chaos.work', [`t${i++}`, 5], { queue: QUEUE }));
        const out = await Promise.allSettled(batch);
        for (const r of out) {
          if (r.status === 'fulfilled') resolved.push(r.value.id);
          else failed++;
        }
        await sleep(20);
      }
    })();

    await sleep(2_000);
    const killedAt = Date.now();
    await env.rabbit.kill();
    await sleep(1_000);
    await env.rabbit.restart();
    const upAt = Date.now();
    await sleep(3_000);
    sending = false;
    await producer;

    const done = new Completion(env.redis, resolved);
    const waited = await done.waitAll(90_000);
    const dup = await duplicates(env.redis, resolved);
    report('chaos/amqp-broker-restart', {
      resolvedSends: resolved.length,
      failedSends: failed,
      downMs: upAt - killedAt,
      completed: resolved.length - done.open.size,
      duplicatedTasks: dup.tasks,
      drainMsAfterSends: waited,
    });
    expect(done.open.size).toBe(0);
    expect(dup.neverRan).toBe(0);
    for (const w of workers) expect(w.alive()).toBe(true);
  }, 240_000);
});
