// Compile-time tests: `tsc -p packages/core/test/tsconfig.json` fails if a line marked
// `@ts-expect-error` compiles (the type check it proves is gone) or if any other line does not.
// Nothing here runs: the calls sit in a function that is never called.
import { createApp, type AsyncResult, type Task, type TaskContext } from '@celeriac/core';

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
function assertType<T extends true>(_proof?: T): void {}

export async function typeTests(): Promise<void> {
  const app = createApp('types');

  const send = app.task('users.send_register_active_mail', async (to: string, username: string, retries: number) => {
    return { sent: true as const, to, username, retries };
  });
  const add = app.task('t.add', (a: number, b: number) => a + b);
  const noArgs = app.task('t.ping', () => 'pong');
  const optional = app.task('t.greet', (name: string, greeting?: string) => `${greeting ?? 'hi'} ${name}`);
  const bound = app.task(
    't.bound',
    async (ctx: TaskContext, n: number) => {
      assertType<Equal<typeof ctx.id, string>>();
      return `${ctx.id}:${n}`;
    },
    { bind: true },
  );

  // ---- .delay() arguments are type-checked -----------------------------------------------------
  await send.delay('ann@example.com', 'ann', 0);
  // @ts-expect-error wrong type: `retries` is a number
  await send.delay('ann@example.com', 'ann', '0');
  // @ts-expect-error wrong type: `to` is a string
  await send.delay(42, 'ann', 0);
  // @ts-expect-error wrong count: too few
  await send.delay('ann@example.com', 'ann');
  // @ts-expect-error wrong count: too many
  await send.delay('ann@example.com', 'ann', 0, 'extra');
  // @ts-expect-error wrong count: none
  await add.delay();
  await noArgs.delay();
  // @ts-expect-error a task without parameters takes no arguments
  await noArgs.delay(1);
  await optional.delay('ann');
  await optional.delay('ann', 'hello');
  // @ts-expect-error optional parameter, wrong type
  await optional.delay('ann', 5);

  // applyAsync takes the same arguments as a tuple
  await add.applyAsync([1, 2], { countdown: 1_000, queue: 'math', priority: 3 });
  // @ts-expect-error wrong tuple
  await add.applyAsync([1, '2']);
  // @ts-expect-error unknown call option
  await add.applyAsync([1, 2], { countdwn: 1_000 });

  // calling the task runs it inline, with the same parameter types
  const inline: number = await add(1, 2);
  void inline;
  // @ts-expect-error inline call is checked too
  await add('1', 2);

  // ---- bound tasks: the context is not part of the arguments ------------------------------------
  assertType<Equal<typeof bound, Task<[n: number], string>>>();
  await bound.delay(5);
  // @ts-expect-error the context is supplied by the worker, not by the caller
  await bound.delay({} as TaskContext, 5);
  // @ts-expect-error wrong type
  await bound.delay('5');

  // ---- result.get() is typed by the task's return type -----------------------------------------
  const r1 = await add.delay(1, 2);
  assertType<Equal<typeof r1, AsyncResult<number>>>();
  const sum = await r1.get({ timeout: 1_000 });
  assertType<Equal<typeof sum, number>>();
  // @ts-expect-error get() resolves a number, not a string
  const wrong: string = await r1.get();
  void wrong;

  const r2 = await send.delay('ann@example.com', 'ann', 0);
  const info = await r2.get();
  assertType<Equal<typeof info, { sent: true; to: string; username: string; retries: number }>>();
  // @ts-expect-error no such property on the return value
  void info.missing;

  const r3 = await bound.delay(1);
  assertType<Equal<Awaited<ReturnType<typeof r3.get>>, string>>();

  // async tasks resolve the awaited value, not a Promise
  const r4 = await send.applyAsync(['a', 'b', 1]);
  assertType<Equal<Awaited<ReturnType<typeof r4.get>>, { sent: true; to: string; username: string; retries: number }>>();

  // sendTask by name: the caller says what it returns
  const byName = await app.sendTask<number>('proj.add', [2, 3]);
  assertType<Equal<Awaited<ReturnType<typeof byName.get>>, number>>();
  const unknown = await app.sendTask('proj.add', [2, 3]);
  assertType<Equal<Awaited<ReturnType<typeof unknown.get>>, unknown>>();

  // ---- settings are typed ------------------------------------------------------------------------
  // @ts-expect-error a misspelt setting does not compile
  createApp('x', { workerConcurency: 4 });
  // @ts-expect-error a wrongly typed setting does not compile
  createApp('x', { workerConcurrency: '4' });
  createApp('x', { broker: 'redis://127.0.0.1:6379/0', backend: 'redis://127.0.0.1:6379/1', workerConcurrency: 4 });
}
