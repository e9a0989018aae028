// The two environments the status suites run on: memory:// with a backend that counts its subscriptions and lookups
// (counting-backend.ts),
// and a real redis-server whose subscriptions Redis itself counts (PUBSUB NUMSUB).
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { consoleLogger, createApp, type AppConfig, type Celeriac } from '../../src';
import { MemoryBackend } from '../../src/backend/memory';
import { CountingBackend, countedStatusEnv } from './counting-backend';
import { startRedis } from './redis-server';
import type { StatusEnv } from './status-suite';

export async function memoryStatusEnv(name: string, config: AppConfig = {}): Promise<StatusEnv> {
  const url = `memory://${randomUUID()}`;
  const backend = new CountingBackend(new MemoryBackend(url));
  const app = createApp(name, { broker: url, backend, logger: consoleLogger('silent'), ...config });
  return countedStatusEnv(app, backend);
}

export async function redisStatusEnv(name: string, config: AppConfig = {}): Promise<StatusEnv> {
  const redis = await startRedis();
  const admin: Redis = redis.client();
  const app = createApp(name, { broker: redis.url(), logger: consoleLogger('silent'), ...config });
  return {
    app,
    subscriptions: async (id) => {
      const [, n] = (await admin.pubsub('NUMSUB', `celery-task-meta-${id}`)) as [string, number];
      return Number(n);
    },
    close: async () => {
      await app.close();
      await redis.stop();
    },
  };
}

/** A broker URL for a test file, and how to clean it up. */
export interface Place {
  url: string;
  stop(): Promise<void>;
}

export async function memoryPlace(): Promise<Place> {
  return { url: `memory://${randomUUID()}`, stop: async () => undefined };
}

export async function redisPlace(): Promise<Place> {
  const redis = await startRedis();
  return { url: redis.url(), stop: () => redis.stop() };
}

/**
 * For a describe block: a Place made in beforeAll, and `newApp()` for apps on it (silent; closed in afterAll with
 * the place). `place()` reads it once beforeAll has run.
 */
export function usePlace(makePlace: () => Promise<Place>, prefix: string): { place(): Place; newApp(config?: AppConfig): Celeriac } {
  let place: Place;
  const apps: Celeriac[] = [];
  beforeAll(async () => {
    place = await makePlace();
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await place.stop();
  });
  return {
    place: () => place,
    newApp(config = {}) {
      const app = createApp(`${prefix}-${randomUUID()}`, { broker: place.url, logger: consoleLogger('silent'), ...config });
      apps.push(app);
      return app;
    },
  };
}
