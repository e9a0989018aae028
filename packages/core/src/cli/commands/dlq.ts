// `celeriac dlq list | show <n> | redrive [--all | <n>] | purge`: the dead-letter list, numbered oldest first
// (#1 is the oldest; numbers stay put as new letters arrive).
import type { Broker } from '../../broker/broker';
import { describeDeadLetter } from '../../broker/dead-letter';
import { CeleriacError, ConfigurationError } from '../../errors';
import type { Flags } from '../args';
import { appFor } from '../connect';
import { interruptible, progress } from '../progress';
import { confirm } from './confirm';

type Ops = Required<Pick<Broker, 'deadLetterRange' | 'redriveDeadLetter' | 'redriveDeadLetters' | 'purgeDeadLetters'>> & Broker;

const DEFAULT_BATCH = 500;
const DEFAULT_LIMIT = 50;

const view = describeDeadLetter;

function ops(broker: Broker): Ops {
  if (!broker.deadLetterRange || !broker.redriveDeadLetter || !broker.redriveDeadLetters || !broker.purgeDeadLetters) {
    throw new ConfigurationError(`celeriac dlq: the broker ${broker.url} keeps no dead-letter list this command can read (use redis://)`);
  }
  return broker as Ops;
}

function positiveInt(text: string | undefined, what: string): number {
  if (text === undefined || !/^\d+$/.test(text) || Number(text) < 1) throw new CeleriacError(`${what} must be a whole number >= 1, got ${text === undefined ? 'nothing' : JSON.stringify(text)}`);
  return Number(text);
}

export async function dlq(flags: Flags, positionals: string[]): Promise<number> {
  const [sub, arg] = positionals;
  if (!sub || !['list', 'show', 'redrive', 'purge'].includes(sub)) {
    throw new CeleriacError(`Usage: celeriac dlq list | show <n> | redrive [--all | <n>] | purge  (got ${sub === undefined ? 'nothing' : JSON.stringify(sub)})`);
  }
  if (sub === 'show') positiveInt(arg, 'dlq show <n>');
  if (sub === 'redrive' && !flags.all) positiveInt(arg, 'dlq redrive <n> (or --all)');
  const app = await appFor(flags, 'dlq');
  try {
    const broker = ops(app.broker);
    switch (sub) {
      case 'list':
        return await list(broker, flags);
      case 'show':
        return await show(broker, Number(arg), flags);
      case 'redrive':
        return flags.all ? await redriveAll(broker, flags) : await redriveOne(broker, Number(arg), flags);
      default:
        return await purgeAll(broker, flags);
    }
  } finally {
    await app.close();
  }
}

async function list(broker: Ops, flags: Flags): Promise<number> {
  const limit = flags.limit === undefined ? DEFAULT_LIMIT : positiveInt(flags.limit, '--limit');
  const total = await broker.deadLetterCount();
  const rows = (await broker.deadLetterRange(0, limit)).map((d, i) => view(d, i + 1, false));
  if (flags.json) {
    console.log(JSON.stringify({ total, deadLetters: rows }, null, 2));
    return 0;
  }
  if (!total) {
    console.log('No dead letters.');
    return 0;
  }
  for (const r of rows) console.log(`#${r.n}  ${r.at}  ${r.queue}  ${r.task ?? '?'}[${r.id ?? '?'}]  ${r.reason}`);
  console.log(total > rows.length ? `${rows.length} of ${total} dead letter(s) shown, oldest first (--limit for more).` : `${total} dead letter(s), oldest first.`);
  return 0;
}

async function show(broker: Ops, n: number, flags: Flags): Promise<number> {
  const [d] = await broker.deadLetterRange(n - 1, 1);
  if (!d) throw new CeleriacError(`No dead letter #${n} (there are ${await broker.deadLetterCount()})`);
  const v = view(d, n, true);
  if (flags.json) {
    console.log(JSON.stringify(v, null, 2));
    return 0;
  }
  const lines = [`Dead letter #${n}`, `  task:    ${v.task ?? '(unreadable message)'}`, `  id:      ${v.id ?? '?'}`, `  queue:   ${v.queue}`, `  reason:  ${v.reason}`, `  at:      ${v.at}`, `  worker:  ${v.worker}`];
  if (v.args) lines.push(`  args:    ${JSON.stringify(v.args)}`, `  kwargs:  ${JSON.stringify(v.kwargs)}`);
  else lines.push(`  raw:     ${d.raw}`);
  console.log(lines.join('\n'));
  return 0;
}

async function redriveOne(broker: Ops, n: number, flags: Flags): Promise<number> {
  const [d] = await broker.deadLetterRange(n - 1, 1);
  const moved = d !== undefined && (await broker.redriveDeadLetter(n));
  if (!moved) throw new CeleriacError(`No dead letter #${n} (there are ${await broker.deadLetterCount()})`);
  const v = view(d, n, false);
  if (flags.json) console.log(JSON.stringify({ redriven: 1, remaining: await broker.deadLetterCount(), interrupted: false }));
  else console.log(`Sent dead letter #${n} (${v.task ?? '?'}[${v.id ?? '?'}]) back to queue ${v.queue}.`);
  return 0;
}

/** Moves `total` letters in batches through `step`, with a progress bar; a signal stops it between batches. */
async function batches(label: string, total: number, batch: number, step: (max: number) => Promise<number>) {
  const bar = progress(label, total);
  let done = 0;
  const interrupted = await interruptible(async () => {
    const n = await step(Math.min(batch, total - done));
    done += n;
    bar.update(done);
    return n > 0 && done < total;
  });
  bar.end();
  return { done, interrupted };
}

async function redriveAll(broker: Ops, flags: Flags): Promise<number> {
  const batch = flags.batch === undefined ? DEFAULT_BATCH : positiveInt(flags.batch, '--batch');
  // NOTE: only the letters there now: one a worker dead-letters again while this runs is not sent round again.
  const total = await broker.deadLetterCount();
  const { done, interrupted } = await batches('redrive', total, batch, (max) => broker.redriveDeadLetters(max));
  return report(flags, { redriven: done, remaining: await broker.deadLetterCount(), interrupted }, `Sent ${done} of ${total} dead letter(s) back to their queues`);
}

async function purgeAll(broker: Ops, flags: Flags): Promise<number> {
  const batch = flags.batch === undefined ? DEFAULT_BATCH : positiveInt(flags.batch, '--batch');
  const total = await broker.deadLetterCount();
  const go = await confirm(flags.force, `This deletes all ${total} dead letter(s); there is no undo (-f skips this question).\nPurge?`, `dlq purge would delete ${total} dead letter(s)`, 'purge');
  if (!go) {
    console.log('Nothing purged.');
    return 0;
  }
  const { done, interrupted } = await batches('purge', total, batch, (max) => broker.purgeDeadLetters(max));
  return report(flags, { purged: done, remaining: await broker.deadLetterCount(), interrupted }, `Deleted ${done} of ${total} dead letter(s)`);
}

function report(flags: Flags, out: { remaining: number; interrupted: boolean } & Record<string, unknown>, text: string): number {
  if (flags.json) console.log(JSON.stringify(out));
  else console.log(`${out.interrupted ? 'Interrupted: ' : ''}${text}; ${out.remaining} remain in the dead-letter list.`);
  // NOTE: 130, as a shell reports a command stopped by Ctrl-C.
  return out.interrupted ? 130 : 0;
}
