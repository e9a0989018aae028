// The worker's start-up banner and its warning about tasks routed to queues the worker does not consume.
import { consoleLogger, createApp } from '../../src';

describe('worker.banner()', () => {
  it('names the app, transport and results (passwords hidden), concurrency, queues and the registered tasks', async () => {
    // NOTE: nothing connects: the banner reads settings and the registry only.
    const app = createApp('shop', {
      broker: 'redis://:hunter2@127.0.0.1:6379/2',
      backend: 'redis://:other-secret@127.0.0.1:6379/3',
      logger: consoleLogger('silent'),
      taskRoutes: { 'reports.*': 'reports' },
    });
    app.task('users.send', () => null);
    app.task('mail.digest', () => null, { queue: 'mail' });
    app.task('reports.daily', () => null);
    const worker = app.worker({ queues: ['celery', 'mail'], concurrency: 4, hostname: 'w1@host' });
    expect(worker.banner()).toBe(
      [
        'w1@host ready.',
        '- app:         shop',
        '- transport:   redis://:***@127.0.0.1:6379/2',
        '- results:     redis://:***@127.0.0.1:6379/3',
        '- concurrency: 4 (prefetch 16)',
        '- queues:      celery, mail',
        '',
        '[tasks]',
        '  . mail.digest',
        '  . reports.daily  (routed to "reports", not consumed here)',
        '  . users.send',
      ].join('\n'),
    );
    expect(worker.unconsumedRoutes()).toEqual([{ task: 'reports.daily', queue: 'reports' }]);
    await app.close();
  });

  it('says so when no task is registered, and finds nothing unconsumed', async () => {
    const app = createApp('empty', { logger: consoleLogger('silent') });
    const worker = app.worker();
    expect(worker.banner()).toContain('- transport:   memory://\n');
    expect(worker.banner()).toMatch(/\[tasks\]\n {2}\(none registered\)$/);
    expect(worker.unconsumedRoutes()).toEqual([]);
    await app.close();
  });
});
