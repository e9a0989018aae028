// A pool thread or child process: loads the worker's module (or calls its `celeriacChild()` bootstrap), then runs
// the task functions it is sent, one at a time, and answers with their outcomes. It holds no broker connection:
// progress states go to the worker, which stores them.
import { isMainThread, parentPort, threadId } from 'node:worker_threads';
import { getHeapStatistics } from 'node:v8';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { findApp } from '../../cli/load-app';
import { importModule } from '../../utils/autodiscover';
import type { Settings } from '../../config';
import { NotRegisteredError, SerializationError } from '../../errors';
import { unstorableResult } from '../meta';
import { Cancellation, runTask, type Outcome } from '../trace';
import { decodeError, encodeOutcome, type ChildApp, type ChildSpec, type FromChild, type ToChild } from './wire';

/** How long a pool thread stays idle before it exits (see 'exit' below). */
const THREAD_QUIET_MS = 100;

const send = (m: FromChild): void => {
  if (parentPort) parentPort.postMessage(m);
  else process.send?.(m);
};

async function load(spec: ChildSpec): Promise<ChildApp> {
  const path = resolve(spec.cwd, spec.module);
  const file = [path, `${path}.js`, `${path}.cjs`, `${path}.mjs`, `${path}/index.js`].find((p) => existsSync(p));
  if (!file) throw new Error(`module ${spec.module}: no such file (looked for ${path}[.js|.cjs|.mjs])`);
  const mod = await importModule(file);
  // NOTE: the bootstrap hook: an app built by a framework (a Nest application context) is made by the module's code.
  const hook = mod.celeriacChild ?? (mod.default as Record<string, unknown> | undefined)?.celeriacChild;
  const app = (typeof hook === 'function' ? await (hook as () => unknown)() : findApp(mod)) as ChildApp | undefined;
  if (!app || typeof app.registry?.get !== 'function') {
    throw new Error(`module ${spec.module} exports no app (export it as \`app\` or as the default export, or a function celeriacChild() that returns it)`);
  }
  // NOTE: a task that sends others from the child reaches the broker the worker uses (the CLI's -b may differ from the module's).
  const configurable = app as ChildApp & { configure?(s: Partial<Settings>): void };
  if (configurable.configure && (app.settings.brokerUrl !== spec.brokerUrl || app.settings.resultBackend !== spec.resultBackend)) {
    try {
      configurable.configure({ brokerUrl: spec.brokerUrl, resultBackend: spec.resultBackend });
    } catch {
      // NOTE: connected while loading: it keeps the broker its module chose.
    }
  }
  return app;
}

function memoryKiB(): number {
  // NOTE: a thread shares the process' RSS: its own heap is what it can give back by being replaced.
  if (!isMainThread) {
    const h = getHeapStatistics();
    return Math.round((h.used_heap_size + h.external_memory) / 1024);
  }
  return Math.round(process.memoryUsage().rss / 1024);
}

function main(): void {
  let app: ChildApp | null = null;
  const running = new Map<number, Cancellation>();
  const states = new Map<number, { resolve: () => void; reject: (e: unknown) => void }>();
  let seq = 0;
  const on = (m: ToChild): void => {
    switch (m.t) {
      case 'init':
        load(m.spec).then(
          (a) => {
            app = a;
            send({ t: 'ready', pid: process.pid, threadId });
          },
          (err: unknown) => send({ t: 'load-failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
        );
        return;
      case 'run': {
        const def = app!.registry.get(m.msg.task);
        if (!def) {
          send({ t: 'done', id: m.id, outcome: encodeOutcome({ kind: 'failure', error: new NotRegisteredError(m.msg.task) }), memory: memoryKiB() });
          return;
        }
        const cancellation = new Cancellation();
        running.set(m.id, cancellation);
        void runTask({
          msg: m.msg,
          def,
          settings: { ...app!.settings, ...m.settings },
          hostname: m.hostname,
          cancellation,
          hardLimit: false,
          updateState: (state, meta) =>
            new Promise<void>((resolve, reject) => {
              const n = ++seq;
              states.set(n, { resolve, reject });
              send({ t: 'state', id: m.id, seq: n, state, meta });
            }),
        }).then((ran) => {
          running.delete(m.id);
          // NOTE: checked here as the worker checks it on the main pool (same error, naming the path): such a value cannot be copied across either.
          const unstorable = ran.kind === 'success' ? unstorableResult(m.msg, ran.value) : null;
          const outcome: Outcome = unstorable ? { kind: 'failure', error: unstorable } : ran;
          try {
            send({ t: 'done', id: m.id, outcome: encodeOutcome(outcome), memory: memoryKiB() });
          } catch (err) {
            // NOTE: a value that cannot be copied to the worker (a function, a symbol) is what JSON cannot carry either.
            const why = err instanceof Error ? err.message : String(err);
            const error = new SerializationError(`the outcome of task "${m.msg.task}" [${m.msg.id}] cannot leave its pool member: ${why}; results and errors must be JSON`);
            send({ t: 'done', id: m.id, outcome: encodeOutcome({ kind: 'failure', error }), memory: memoryKiB() });
          }
        });
        return;
      }
      case 'cancel':
        running.get(m.id)?.cancel(new Error('terminated'));
        return;
      case 'state-done': {
        const w = states.get(m.seq);
        states.delete(m.seq);
        if (m.error) w?.reject(decodeError(m.error));
        else w?.resolve();
        return;
      }
      case 'exit': {
        // NOTE: a thread leaves after a quiet moment: Node 20 unregisters a thread's isolate before disposing of it, and
        // an optimizing compile still running then (the code just ran hot) can abort the whole process (seen once in CI:
        // "NodePlatform::ForIsolate ... Assertion failed"). 100 ms lets those jobs finish; a process just exits.
        const bye = () => (isMainThread ? process.exit(0) : setTimeout(() => process.exit(0), THREAD_QUIET_MS));
        Promise.resolve(app?.close?.()).then(bye, bye);
        return;
      }
    }
  };
  if (parentPort) parentPort.on('message', on);
  else process.on('message', on as (m: unknown) => void);
}

main();
