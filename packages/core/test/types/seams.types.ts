// Compile-time tests for getTask, status/watch and the logger/instances accepted by createApp (never run).
import { createApp, createStatusHandler, fromNestLogger, type Broker, type ResultBackend, type Task, type TaskStatus } from '@celeriac/core';
import type { IncomingMessage } from 'node:http';

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
function assertType<T extends true>(_proof?: T): void {}

/** Declared as NestJS's Logger class declares its methods (overloads included). */
declare class NestLikeLogger {
  log(message: unknown, context?: string): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as Nest declares it
  log(message: unknown, ...optionalParams: [...any, string?]): void;
  error(message: unknown, stackOrContext?: string): void;
  error(message: unknown, context?: string): void;
  error(message: unknown, stack?: string, context?: string): void;
  warn(message: unknown, context?: string): void;
  debug(message: unknown, context?: string): void;
  verbose(message: unknown, context?: string): void;
  fatal(message: unknown, context?: string): void;
}

export async function seamTypes(nest: NestLikeLogger, broker: Broker, backend: ResultBackend): Promise<void> {
  const app = createApp('types', { logger: nest, broker, backend });
  createApp('types2', { logger: fromNestLogger(nest) });

  const mail = app.getTask<[string, string], string>('users.mail');
  assertType<Equal<typeof mail, Task<[string, string], string>>>();
  await mail.delay('a@b.c', 'ann');
  // @ts-expect-error the handle is typed by getTask's type arguments
  await mail.delay('a@b.c', 2);
  const res = await mail.delay('a@b.c', 'ann');
  assertType<Equal<Awaited<ReturnType<typeof res.status>>, TaskStatus>>();
  for await (const s of res.watch({ reveal: { traceback: true } })) assertType<Equal<typeof s, TaskStatus>>();

  const handler = createStatusHandler<IncomingMessage>(app, { authorize: (req, id) => req.headers['x-user'] === id });
  // @ts-expect-error the hook receives the framework's request type given to createStatusHandler
  createStatusHandler<IncomingMessage>(app, { authorize: (req: { user: string }) => req.user === 'x' });
  await handler.json('id', {} as IncomingMessage);
  // @ts-expect-error `public` is a boolean task option
  app.task('t.pub', () => 1, { public: 'yes' });
}
