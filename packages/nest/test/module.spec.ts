// CeleriacModule on memory://: registration, typed .delay() per instance, roles, errors, testing modules, DI options.
import 'reflect-metadata';
import { Controller, HttpCode, Injectable, Post, Scope, type INestApplication } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test, type TestingModule } from '@nestjs/testing';
import request from 'supertest';
import { TaskError, type Celeriac, type TaskEventInfo } from '@celeriac/core';
import { drain } from '@celeriac/core/testing';
import { CELERIAC_APP, CeleriacModule, CeleriacWorker, InjectCeleriac, OnTaskEvent, Task, currentTask } from '@celeriac/nest';

@Injectable()
class Greeter {
  readonly greeting = 'Hello';
}

@Injectable()
class MailService {
  constructor(private readonly greeter: Greeter) {}

  @Task({ name: 'users.mail', public: true })
  async mail(to: string, times: number): Promise<string> {
    return `${this.greeter.greeting} ${to} x${times}`;
  }

  @Task()
  boom(reason: string): never {
    throw new RangeError(reason);
  }

  plain(): string {
    return 'plain';
  }
}

@Controller('users')
class UsersController {
  constructor(private readonly mail: MailService) {}
  @Post()
  @HttpCode(202)
  async register() {
    const res = await this.mail.mail.delay('ann@example.com', 2);
    return { task_id: res.id };
  }
}

const compile = (imports: unknown[], providers: unknown[] = [Greeter, MailService], controllers: unknown[] = []) =>
  Test.createTestingModule({ imports: imports as never[], providers: providers as never[], controllers: controllers as never[] }).compile();

async function withModule<T>(mod: Promise<TestingModule>, fn: (m: TestingModule) => Promise<T>): Promise<T> {
  const m = await mod;
  await m.init();
  try {
    return await fn(m);
  } finally {
    await m.close();
  }
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('tasks from provider methods', () => {
  test('registered as ClassName.method or their name; a direct call runs inline; .delay runs with injected deps (eager)', () =>
    withModule(compile([CeleriacModule.forTest({ eager: true })]), async (m) => {
      const app = m.get<Celeriac>(CELERIAC_APP);
      expect(app.registry.names()).toEqual(['MailService.boom', 'users.mail']);
      const mail = m.get(MailService);
      await expect(mail.mail('bob', 1)).resolves.toBe('Hello bob x1');
      const res = await mail.mail.delay('ann', 3);
      await expect(res.get({ timeout: 5_000 })).resolves.toBe('Hello ann x3');
      const opt = await mail.mail.applyAsync(['cy', 1], { taskId: 'fixed-id-1' });
      expect(opt.id).toBe('fixed-id-1');
      expect(mail.plain()).toBe('plain');
    }));

  test('providers built by a factory or given as a value are explored by the class of their instance', async () => {
    @Injectable()
    class Made {
      @Task()
      async run(n: number): Promise<number> {
        return n + 1;
      }
    }
    class Given {
      @Task({ name: 'given.run' })
      run(): string {
        return 'given';
      }
    }
    const providers = [{ provide: 'MADE', useFactory: function make() { return new Made(); } }, { provide: 'GIVEN', useValue: new Given() }];
    await withModule(compile([CeleriacModule.forTest({ eager: true })], providers), async (m) => {
      expect(m.get<Celeriac>(CELERIAC_APP).registry.names()).toEqual(['Made.run', 'given.run']); // the class, not the factory
      await expect((await m.get<Made>('MADE').run.delay(1)).get({ timeout: 5_000 })).resolves.toBe(2);
    });
  });

  test('.delay on a method that is not a task names it', () =>
    withModule(compile([CeleriacModule.forTest()]), async (m) => {
      const mail = m.get(MailService);
      expect(() => mail.plain.delay()).toThrow(/plain\.delay\(\): plain is not a task; decorate the method with @Task\(\)/);
      const stray = new MailService(new Greeter());
      expect(() => stray.mail.delay('x', 1)).toThrow(/mail is a @Task\(\) method, but not of a provider instance set up by CeleriacModule/);
    }));

  test('a throwing task is stored as FAILURE with its error; .get() rejects with TaskError', () =>
    withModule(compile([CeleriacModule.forTest()]), async (m) => {
      const app = m.get<Celeriac>(CELERIAC_APP);
      const res = await m.get(MailService).boom.delay('no way');
      await drain(app);
      expect(await res.state()).toBe('FAILURE');
      const err = await failure(res.get({ timeout: 5_000 }));
      expect(err).toBeInstanceOf(TaskError);
      expect((err as TaskError).excType).toBe('ValueError');
      expect((err as TaskError).excMessage).toEqual(['no way']);
    }));

  test('worker: false (default) never consumes; drain() runs what waits', () =>
    withModule(compile([CeleriacModule.forTest()]), async (m) => {
      const app = m.get<Celeriac>(CELERIAC_APP);
      const res = await m.get(MailService).mail.delay('dee', 1);
      await new Promise((r) => setTimeout(r, 200));
      expect(await app.broker.queueLength('celery')).toBe(1);
      expect(m.get(CeleriacWorker).workers).toHaveLength(0);
      expect(await drain(app)).toBe(1);
      await expect(res.get({ timeout: 5_000 })).resolves.toBe('Hello dee x1');
    }));

  test('worker: { queues } starts a worker at bootstrap', () =>
    withModule(compile([CeleriacModule.forRoot({ broker: 'memory://boot-worker', worker: { queues: ['celery'], concurrency: 2 }, logger: silent() })]), async (m) => {
      expect(m.get(CeleriacWorker).workers).toHaveLength(1);
      const res = await m.get(MailService).mail.delay('eve', 1);
      await expect(res.get({ timeout: 10_000 })).resolves.toBe('Hello eve x1');
    }));
});

const silent = () => ({ debug() {}, info() {}, warn() {}, error() {} });

describe('the running task: currentTask()', () => {
  @Injectable()
  class Importer {
    readonly seen: string[] = [];
    @Task({ name: 'import.rows', defaultRetryDelay: 0 })
    async rows(total: number): Promise<string> {
      const ctx = currentTask();
      this.seen.push(`${ctx.name} try ${ctx.retries}`);
      await ctx.updateState({ state: 'PROGRESS', meta: { done: 1, total } });
      if (ctx.retries === 0) throw ctx.retry({ countdown: 0 });
      return `${ctx.id} imported ${total}`;
    }
  }

  test('gives id, retries, updateState and retry inside a worker run; a direct call has none', () =>
    withModule(compile([CeleriacModule.forTest()], [Importer]), async (m) => {
      const app = m.get<Celeriac>(CELERIAC_APP);
      const importer = m.get(Importer);
      const progress: unknown[] = [];
      const res = await importer.rows.delay(3);
      const unsubscribe = await res.subscribe((meta) => void progress.push(meta.status === 'PROGRESS' ? meta.result : meta.status));
      await drain(app);
      unsubscribe();
      await expect(res.get({ timeout: 5_000 })).resolves.toBe(`${res.id} imported 3`);
      expect(importer.seen).toEqual(['import.rows try 0', 'import.rows try 1']);
      expect(progress).toContainEqual({ done: 1, total: 3 });
      await expect(importer.rows(3)).rejects.toThrow(/currentTask\(\) is only available while a worker/);
    }));
});

describe('start-up errors', () => {
  test('two tasks with one name: an error naming both classes', async () => {
    @Injectable()
    class Other {
      @Task({ name: 'users.mail' })
      mail(): void {}
    }
    const err = await failure(compile([CeleriacModule.forTest()], [Greeter, MailService, Other]).then((m) => m.init()));
    expect(err.message).toMatch(/Two @Task\(\) methods are named "users\.mail": (MailService\.mail and Other\.mail|Other\.mail and MailService\.mail)/);
  });

  test('request-scoped and transient providers with tasks are refused, naming them', async () => {
    @Injectable({ scope: Scope.REQUEST })
    class PerRequest {
      @Task()
      run(): void {}
    }
    @Injectable({ scope: Scope.TRANSIENT })
    class Fresh {
      @OnTaskEvent('completed')
      heard(): void {}
    }
    const a = await failure(compile([CeleriacModule.forTest()], [PerRequest]).then((m) => m.init()));
    expect(a.message).toMatch(/PerRequest\.run uses @Task\(\), but PerRequest is request-scoped/);
    const b = await failure(compile([CeleriacModule.forTest()], [Fresh]).then((m) => m.init()));
    expect(b.message).toMatch(/Fresh\.heard uses @OnTaskEvent\(\), but Fresh is transient/);
  });

  test('bad settings fail module init with an error naming the key', async () => {
    const bad = (opts: Parameters<typeof CeleriacModule.forRoot>[0]) => failure(compile([CeleriacModule.forRoot(opts)]).then((m) => m.init()));
    expect((await bad({ workerConcurrency: 0 })).message).toMatch(/workerConcurrency/);
    expect((await bad({ brokerUrll: 'memory://' } as never)).message).toMatch(/Unknown setting `brokerUrll`. Did you mean `brokerUrl`/);
    expect((await bad({ worker: 'yes' } as never)).message).toMatch(/option `worker` must be a boolean/);
    process.env.TESTNS_WORKER_CONCURENCY = '4';
    try {
      expect((await bad({ namespace: 'TESTNS' })).message).toMatch(/Unknown environment variable TESTNS_WORKER_CONCURENCY. Did you mean TESTNS_WORKER_CONCURRENCY/);
    } finally {
      delete process.env.TESTNS_WORKER_CONCURENCY;
    }
  });
});

describe('options from DI and the environment', () => {
  test('forRootAsync with ConfigService; namespace reads ConfigService values and the environment', async () => {
    const config = ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ BROKER: 'memory://from-config', CELERIAC_TASK_DEFAULT_QUEUE: 'cfg-queue' })] });
    await withModule(
      compile([
        config,
        CeleriacModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (c: ConfigService) => ({ name: 'async', broker: c.get<string>('BROKER'), namespace: 'CELERIAC', logger: silent() }),
        }),
      ]),
      async (m) => {
        const app = m.get<Celeriac>(CELERIAC_APP);
        expect(app.name).toBe('async');
        expect(app.settings.brokerUrl).toBe('memory://from-config');
        expect(app.settings.taskDefaultQueue).toBe('cfg-queue');
      },
    );
    const routed = await compile([
      CeleriacModule.forRootAsync({ useFactory: () => ({ broker: 'memory://async-routes', logger: silent() }), statusRoutes: { path: 'jobs' } }),
    ]);
    const http = routed.createNestApplication({ logger: false });
    await http.init();
    try {
      const res = await http.get(MailService).mail.delay('hal', 1);
      expect((await request(http.getHttpServer()).get(`/jobs/${res.id}`).expect(200)).body).toEqual({ task_id: res.id, state: 'PENDING', ready: false });
    } finally {
      await http.close();
    }
    process.env.NSENV_WORKER_CONCURRENCY = '7';
    try {
      await withModule(compile([CeleriacModule.forRoot({ namespace: 'NSENV', logger: silent() })]), async (m) => {
        expect(m.get<Celeriac>(CELERIAC_APP).settings.workerConcurrency).toBe(7);
      });
    } finally {
      delete process.env.NSENV_WORKER_CONCURRENCY;
    }
  });

  test('@InjectCeleriac() gives the app: sendTask, asyncResult, remoteTask', async () => {
    @Injectable()
    class Dispatcher {
      constructor(@InjectCeleriac() readonly celeriac: Celeriac) {}
    }
    await withModule(compile([CeleriacModule.forTest({ eager: true })], [Greeter, MailService, Dispatcher]), async (m) => {
      const { celeriac } = m.get(Dispatcher);
      expect(celeriac).toBe(m.get(CELERIAC_APP));
      const res = await celeriac.sendTask<string>('users.mail', ['fay', 1]);
      await expect(celeriac.asyncResult<string>(res.id).get({ timeout: 5_000 })).resolves.toBe('Hello fay x1');
      expect(celeriac.remoteTask<[number], number>('py.add').taskName).toBe('py.add');
    });
  });
});

describe('events, isolation, lifecycle', () => {
  test('@OnTaskEvent methods hear the workers CeleriacWorker starts; a throwing listener is logged', async () => {
    const heard: string[] = [];
    const errors: string[] = [];
    @Injectable()
    class Audit {
      @OnTaskEvent('completed')
      done(info: TaskEventInfo & { result: unknown }): void {
        heard.push(`completed ${info.name} ${String(info.result)}`);
      }
      @OnTaskEvent('failed')
      failed(info: TaskEventInfo & { error: unknown }): void {
        heard.push(`failed ${info.name} ${(info.error as Error).message}`);
        throw new Error('listener broke');
      }
    }
    const logger = { ...silent(), error: (m: string) => void errors.push(m) };
    await withModule(compile([CeleriacModule.forRoot({ broker: 'memory://events', logger })], [Greeter, MailService, Audit]), async (m) => {
      const mail = m.get(MailService);
      await m.get(CeleriacWorker).start({ concurrency: 1 });
      await (await mail.mail.delay('gil', 1)).get({ timeout: 10_000 });
      const bad = await mail.boom.delay('bad');
      await failure(bad.get({ timeout: 10_000 }));
      await until(() => heard.length === 2 && errors.some((e) => e.includes('listener broke')));
      expect(heard).toEqual(['completed users.mail Hello gil x1', 'failed MailService.boom bad']);
      expect(errors.find((e) => e.includes('listener broke'))).toMatch(/@OnTaskEvent\('failed'\) Audit\.failed threw/);
    });
  });

  test('two Nest apps in one process: each instance sends on its own app', async () => {
    const a = await compile([CeleriacModule.forRoot({ broker: 'memory://app-a', logger: silent() })]);
    const b = await compile([CeleriacModule.forRoot({ broker: 'memory://app-b', logger: silent() })]);
    await a.init();
    await b.init();
    try {
      const appA = a.get<Celeriac>(CELERIAC_APP);
      const appB = b.get<Celeriac>(CELERIAC_APP);
      expect(appA).not.toBe(appB);
      await a.get(MailService).mail.delay('a', 1);
      await b.get(MailService).mail.delay('b', 1);
      await b.get(MailService).mail.delay('b', 2);
      expect(await appA.broker.queueLength('celery')).toBe(1);
      expect(await appB.broker.queueLength('celery')).toBe(2);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('50 testing modules created and closed in one process: no name clash, nothing left behind', async () => {
    const before = { sigterm: process.listenerCount('SIGTERM'), handles: process.getActiveResourcesInfo().length };
    let last: Celeriac | undefined;
    for (let i = 0; i < 50; i++) {
      await withModule(compile([CeleriacModule.forTest({ eager: i % 2 === 0 })]), async (m) => {
        const res = await m.get(MailService).mail.delay(`u${i}`, i);
        if (i % 2) await drain(m.get(CELERIAC_APP));
        await expect(res.get({ timeout: 5_000 })).resolves.toBe(`Hello u${i} x${i}`);
        last = m.get<Celeriac>(CELERIAC_APP);
      });
    }
    expect(last?.closed).toBe(true);
    expect(process.listenerCount('SIGTERM')).toBe(before.sigterm);
    await until(() => process.getActiveResourcesInfo().length <= before.handles);
  });

  test('app.close() closes the app and gives instances their prototype methods back', async () => {
    const m = await compile([CeleriacModule.forTest()]);
    await m.init();
    const app = m.get<Celeriac>(CELERIAC_APP);
    const mail = m.get(MailService);
    expect(Object.prototype.hasOwnProperty.call(mail, 'mail')).toBe(true);
    await m.close();
    expect(app.closed).toBe(true);
    expect(Object.prototype.hasOwnProperty.call(mail, 'mail')).toBe(false);
  });
});

describe('HTTP: 202 from a controller, status routes', () => {
  let app: INestApplication;
  let server: Parameters<typeof request>[0];
  let allowed = false;

  @Injectable()
  class Secret {
    @Task({ name: 'secret.compute' })
    async compute(n: number): Promise<number> {
      return n * 2;
    }
  }

  beforeAll(async () => {
    const m = await Test.createTestingModule({
      imports: [CeleriacModule.forTest({ statusRoutes: { path: 'tasks', authorize: () => allowed, heartbeat: 60_000 } })],
      providers: [Greeter, MailService, Secret],
      controllers: [UsersController],
    }).compile();
    app = m.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    server = app.getHttpServer();
  });
  afterAll(() => app.close());

  test('POST answers 202 { task_id }; GET /tasks/:id follows it (public task reveals its result)', async () => {
    const posted = await request(server).post('/users').expect(202);
    const id = posted.body.task_id as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const pending = await request(server).get(`/tasks/${id}`).expect(200);
    expect(pending.body).toMatchObject({ task_id: id, state: 'PENDING', ready: false });
    await drain(app.get(CELERIAC_APP));
    const done = await request(server).get(`/tasks/${id}`).expect(200);
    expect(done.headers['cache-control']).toBe('no-store');
    expect(done.body).toEqual({ task_id: id, state: 'SUCCESS', ready: true, result: 'Hello ann@example.com x2' });
    await request(server).get('/tasks/bad%20id!').expect(400);
  });

  test('a task not marked public shows its result only where authorize allows', async () => {
    const res = await app.get(Secret).compute.delay(21);
    await drain(app.get(CELERIAC_APP));
    allowed = false;
    expect((await request(server).get(`/tasks/${res.id}`).expect(200)).body).toEqual({ task_id: res.id, state: 'SUCCESS', ready: true });
    allowed = true;
    expect((await request(server).get(`/tasks/${res.id}`).expect(200)).body).toMatchObject({ state: 'SUCCESS', result: 42 });
  });

  test('GET /tasks/:id/events streams status events until the task is ready', async () => {
    allowed = true;
    const res = await app.get(Secret).compute.delay(5);
    const stream = await openSse(`${await app.getUrl()}/tasks/${res.id}/events`);
    expect(stream.type).toMatch(/text\/event-stream/);
    expect(await stream.readUntil((t) => t.includes('event: status'))).toContain('"state":"PENDING"');
    await drain(app.get(CELERIAC_APP));
    const body = await stream.readUntil(() => false);
    const events = body.split('\n\n').filter((e) => e.includes('event: status'));
    expect(events.at(-1)).toContain('"state":"SUCCESS"');
    expect(events.at(-1)).toContain('"result":10');
  });
});

/** Reads a Server-Sent Events response as it arrives. */
async function openSse(url: string): Promise<{ type: string | null; readUntil(done: (text: string) => boolean): Promise<string> }> {
  const res = await fetch(url.replace('[::1]', '127.0.0.1'));
  const reader = res.body!.getReader();
  let text = '';
  return {
    type: res.headers.get('content-type'),
    async readUntil(done) {
      while (!done(text)) {
        const chunk = await reader.read();
        if (chunk.done) break;
        text += Buffer.from(chunk.value).toString();
      }
      return text;
    },
  };
}

describe('status routes on Fastify (real socket)', () => {
  test('JSON and SSE through FastifyAdapter', async () => {
    const m = await Test.createTestingModule({
      imports: [CeleriacModule.forTest({ statusRoutes: { path: 'status' } })],
      providers: [Greeter, MailService],
    }).compile();
    const app = m.createNestApplication(new FastifyAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      const res = await app.get(MailService).mail.delay('ida', 4);
      const pending = await fetch(`${base}/status/${res.id}`);
      expect(pending.status).toBe(200);
      expect(pending.headers.get('cache-control')).toBe('no-store');
      expect(await pending.json()).toEqual({ task_id: res.id, state: 'PENDING', ready: false });
      expect((await fetch(`${base}/status/bad%20id`)).status).toBe(400);
      const stream = await openSse(`${base}/status/${res.id}/events`);
      expect(stream.type).toMatch(/text\/event-stream/);
      expect(await stream.readUntil((t) => t.includes('event: status'))).toContain('"state":"PENDING"');
      await drain(app.get(CELERIAC_APP));
      expect(await stream.readUntil(() => false)).toContain('"result":"Hello ida x4"');
    } finally {
      await app.close();
    }
  });
});

async function until(cond: () => boolean | Promise<boolean>, timeout = 15_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

