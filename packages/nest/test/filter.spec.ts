// CeleriacExceptionFilter: celeriac's errors answered as JSON on Nest's Express and Fastify platforms.
import 'reflect-metadata';
import { Body, Controller, HttpCode, Injectable, Post, type INestApplication } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { createServer } from 'node:net';
import { acceptedBody, consoleLogger } from '@celeriac/core';
import { CELERIAC_ERROR_REPLY, CeleriacExceptionFilter, CeleriacModule, Task } from '@celeriac/nest';

@Injectable()
class Jobs {
  @Task({ name: 'jobs.sum' })
  async sum(a: number, b: number): Promise<number> {
    return a + b;
  }
}

@Controller('jobs')
class JobsController {
  constructor(private readonly jobs: Jobs) {}
  @Post()
  @HttpCode(202)
  async send(@Body() body: { big?: boolean }) {
    // A BigInt cannot be carried by JSON: `.delay()` rejects with a SerializationError before anything is sent.
    const res = await this.jobs.sum.delay(body.big ? (10n as never) : 1, 2);
    return acceptedBody(res, '/tasks');
  }
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

async function boot(broker: string, fastify: boolean): Promise<INestApplication> {
  const m = await Test.createTestingModule({
    imports: [CeleriacModule.forRoot({ broker, brokerConnectionTimeout: 300, logger: consoleLogger('silent') })],
    providers: [Jobs, { provide: APP_FILTER, useClass: CeleriacExceptionFilter }, { provide: CELERIAC_ERROR_REPLY, useValue: { retryAfter: 7 } }],
    controllers: [JobsController],
  }).compile();
  const app = fastify ? m.createNestApplication(new FastifyAdapter(), { logger: false }) : m.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

const post = async (app: INestApplication, body: object) => {
  const res = await fetch(`${(await app.getUrl()).replace('[::1]', '127.0.0.1')}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> };
};

describe.each([
  ['Express', false],
  ['Fastify', true],
])('CeleriacExceptionFilter on %s', (_name, fastify) => {
  test('the broker unreachable: 503 with Retry-After, within brokerConnectionTimeout, the server stays up', async () => {
    const app = await boot(`redis://127.0.0.1:${await closedPort()}/0`, fastify);
    try {
      const started = Date.now();
      const down = await post(app, {});
      expect(down).toMatchObject({ status: 503, retryAfter: '7', body: { error: 'ServiceUnavailable' } });
      expect(JSON.stringify(down.body)).not.toContain('127.0.0.1');
      expect(Date.now() - started).toBeLessThan(10_000);
      expect((await post(app, {})).status).toBe(503);
    } finally {
      await app.close();
    }
  });

  test('arguments JSON cannot carry: 400 naming the task; a good send: 202 { task_id, status_url }', async () => {
    const app = await boot('memory://', fastify);
    try {
      const bad = await post(app, { big: true });
      expect(bad.status).toBe(400);
      expect(String(bad.body.message)).toContain('jobs.sum');
      const ok = await post(app, {});
      expect(ok.status).toBe(202);
      expect(ok.body.status_url).toBe(`/tasks/${String(ok.body.task_id)}`);
    } finally {
      await app.close();
    }
  });
});
