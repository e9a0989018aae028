// `celeriac beat`: sends the app's periodic tasks when due, until SIGTERM/SIGINT. Any number may run at once:
// each due run is sent once. `--list` prints each entry with its schedule, last run and next run, and exits.
import type { Celeriac } from '../../app';
import type { BeatEntryInfo } from '../../beat/beat';
import { redactUrl } from '../../config';
import { consoleLogger, type Logger } from '../../utils/logger';
import { logLevel, type Flags } from '../args';
import { appFor } from '../connect';

const when = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

/** The --list table (or JSON): one line per entry. */
export function formatEntries(rows: BeatEntryInfo[], timezone: string): string {
  if (!rows.length) return 'No periodic tasks (set beatSchedule, or call app.addPeriodicTask).';
  const table = [['entry', 'task', 'schedule', 'last run', 'next run'], ...rows.map((r) => [r.name, r.task, r.schedule, when(r.lastRun), when(r.nextRun)])];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const lines = table.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
  return `${lines.join('\n')}\n(crontab times in ${timezone}; times shown in UTC)`;
}

/** Starts a beat beside a worker (`worker -B`); returns its close(). */
export async function startBeat(app: Celeriac, logger: Logger): Promise<() => Promise<void>> {
  const b = app.beat({ logger });
  await b.start();
  return () => b.close();
}

export async function beat(flags: Flags): Promise<number> {
  const level = logLevel(flags);
  const app = await appFor(flags, 'beat');
  const logger = consoleLogger(level, 'celeriac');
  const b = app.beat({ logger });
  if (flags.list) {
    try {
      const rows = await b.list();
      console.log(flags.json ? JSON.stringify({ timezone: app.settings.timezone, entries: rows }) : formatEntries(rows, app.settings.timezone));
    } finally {
      await app.close();
    }
    return 0;
  }
  const stop = (sig: string) => {
    logger.info(`${sig}: beat stopping`);
    b.close()
      .then(() => app.close())
      .then(() => process.exit(0))
      .catch((err) => {
        logger.error(String(err));
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await b.start();
  logger.info(`beat ready: app ${app.name}, broker ${redactUrl(app.settings.brokerUrl)}, ${b.entries().length} entries: ${b.entries().map((e) => e.name).join(', ')}`);
  return -1;
}
