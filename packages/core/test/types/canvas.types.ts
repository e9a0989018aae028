// Compile-time tests of the canvas types (never run): results are typed by the last step / the body.
import { chain, chord, createApp, group, type AsyncResult, type GroupResult } from '@celeriac/core';

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
function assertType<T extends true>(_proof?: T): void {}

export async function canvasTypeTests(): Promise<void> {
  const app = createApp('types');
  const add = app.task('t.add', (a: number, b: number) => a + b);
  const label = app.task('t.label', (n: number) => `n=${n}`);
  const tsum = app.task('t.sum', (xs: number[]) => xs.reduce((a, b) => a + b, 0));

  const c = await chain(add.s(1, 2), add.s(3), label.s()).applyAsync();
  assertType<Equal<typeof c, AsyncResult<string>>>();
  const p = await add.s(1, 2).pipe(label.s()).applyAsync();
  assertType<Equal<typeof p, AsyncResult<string>>>();
  const g = await group([add.s(1, 1), add.s(2, 2)]).applyAsync();
  assertType<Equal<typeof g, GroupResult<number>>>();
  assertType<Equal<Awaited<ReturnType<typeof g.get>>, number[]>>();
  const ch = await chord([add.s(1, 1)], tsum.s()).applyAsync();
  assertType<Equal<typeof ch, AsyncResult<number>>>();
  // @ts-expect-error a chord's body is a signature, not a plain task
  chord([add.s(1, 1)], tsum);
  // @ts-expect-error sendMany takes signatures or { task, args, options }
  await app.sendMany([{ args: [1] }]);
}
