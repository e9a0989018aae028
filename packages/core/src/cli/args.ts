// The CLI's command line: flags shared by every command, and the log level.
import { parseArgs } from 'node:util';
import { CeleriacError } from '../errors';
import type { LogLevel } from '../utils/logger';

export interface Flags {
  app?: string;
  broker?: string;
  queues?: string;
  concurrency?: string;
  pool?: string;
  'max-tasks-per-child'?: string;
  'max-memory-per-child'?: string;
  loglevel?: string;
  hostname?: string;
  args?: string;
  kwargs?: string;
  force?: boolean;
  json?: boolean;
  all?: boolean;
  terminate?: boolean;
  limit?: string;
  batch?: string;
  'task-id'?: string;
  'dedup-key'?: string;
  beat?: boolean;
  list?: boolean;
  'task-events'?: boolean;
  timeout?: string;
  destination?: string;
  port?: string;
  bind?: string;
  'read-only'?: boolean;
  help?: boolean;
  version?: boolean;
}

export interface CommandLine {
  command: string | undefined;
  positionals: string[];
  flags: Flags;
}

export function parse(argv: string[]): CommandLine {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      app: { type: 'string', short: 'A' },
      broker: { type: 'string', short: 'b' },
      queues: { type: 'string', short: 'Q' },
      concurrency: { type: 'string', short: 'c' },
      pool: { type: 'string', short: 'P' },
      'max-tasks-per-child': { type: 'string' },
      'max-memory-per-child': { type: 'string' },
      loglevel: { type: 'string', short: 'l' },
      hostname: { type: 'string', short: 'n' },
      args: { type: 'string' },
      kwargs: { type: 'string' },
      force: { type: 'boolean', short: 'f' },
      json: { type: 'boolean' },
      all: { type: 'boolean' },
      terminate: { type: 'boolean' },
      limit: { type: 'string' },
      batch: { type: 'string' },
      'task-id': { type: 'string' },
      'dedup-key': { type: 'string' },
      beat: { type: 'boolean', short: 'B' },
      list: { type: 'boolean' },
      'task-events': { type: 'boolean', short: 'E' },
      timeout: { type: 'string', short: 't' },
      destination: { type: 'string', short: 'd' },
      port: { type: 'string' },
      bind: { type: 'string' },
      'read-only': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' },
    },
  });
  return { command: positionals[0], positionals: positionals.slice(1), flags: values as Flags };
}

const LEVELS: Record<string, Exclude<LogLevel, 'silent'>> = {
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn', // Celery's name
  error: 'error',
  critical: 'error',
};

/** `-l INFO`, `-l warning`: any case, Celery's names too. */
export function logLevel(flags: Flags): Exclude<LogLevel, 'silent'> {
  const given = flags.loglevel ?? 'info';
  const level = LEVELS[given.toLowerCase()];
  if (!level) throw new CeleriacError(`-l must be debug, info, warn or error, got ${given}`);
  return level;
}

export function queueList(text: string): string[] {
  return text
    .split(',')
    .map((q) => q.trim())
    .filter(Boolean);
}
