// Awaits a promise that must reject with an error of the given class, and returns that error for more checks;
// errorOf does the same for a call that must throw.

export async function rejectionOf<E extends Error>(p: Promise<unknown>, cls: abstract new (...args: never[]) => E): Promise<E> {
  const err = await p.then(
    (v: unknown) => {
      throw new Error(`expected a rejection with ${cls.name}, it resolved ${JSON.stringify(v)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(cls);
  return err as E;
}

/** The error `fn` throws; fails the test when it returns. */
export function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to throw');
}
