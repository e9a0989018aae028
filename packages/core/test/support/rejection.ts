// Awaits a promise that must reject with an error of the given class, and returns that error for more checks.

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
