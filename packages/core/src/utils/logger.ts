import { ConfigurationError } from '../errors';

/** Where celeriac writes what it does. Any object with these four methods will do (pino, winston); NestJS's Logger through `fromNestLogger`. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Optional: lets hot paths skip building messages nobody will see. */
  isLevelEnabled?(level: Exclude<LogLevel, 'silent'>): boolean;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function isLogLevel(v: string): v is LogLevel {
  return v in ORDER;
}

/** A console logger that prints `[time] LEVEL message` at or above `level`. */
export function consoleLogger(level: LogLevel = 'warn', prefix = 'celeriac'): Logger {
  const at = ORDER[level];
  const out = (lvl: Exclude<LogLevel, 'silent'>, stream: 'log' | 'error') => (message: string) => {
    if (ORDER[lvl] >= at) console[stream](`[${new Date().toISOString()}] ${lvl.toUpperCase()} ${prefix}: ${message}`);
  };
  return {
    debug: out('debug', 'log'),
    info: out('info', 'log'),
    warn: out('warn', 'error'),
    error: out('error', 'error'),
    isLevelEnabled: (lvl) => ORDER[lvl] >= at,
  };
}

/**
 * The shape of NestJS's `Logger` / `LoggerService` (`@nestjs/common`): `log` is its info level, `debug` and
 * `verbose` are optional. `createApp`'s `logger` takes it as is; elsewhere wrap it with `fromNestLogger`.
 */
export interface NestStyleLogger {
  log(message: unknown, ...optionalParams: unknown[]): unknown;
  error(message: unknown, ...optionalParams: unknown[]): unknown;
  warn(message: unknown, ...optionalParams: unknown[]): unknown;
  debug?(message: unknown, ...optionalParams: unknown[]): unknown;
  verbose?(message: unknown, ...optionalParams: unknown[]): unknown;
}

/**
 * A celeriac Logger writing to a Nest-style logger: info → `log`, debug → `debug` (else `verbose`, else dropped).
 * NOTE: messages are passed alone: Nest reads a second string argument as the context, an `error`'s as the stack.
 */
export function fromNestLogger(nest: NestStyleLogger): Logger {
  const debug = nest.debug ?? nest.verbose;
  return {
    debug: debug ? (message) => void debug.call(nest, message) : () => undefined,
    info: (message) => void nest.log(message),
    warn: (message) => void nest.warn(message),
    error: (message) => void nest.error(message),
  };
}

/** A celeriac Logger as is; a Nest-style one (it has `log`, not `info`) through `fromNestLogger`. */
export function toLogger(logger: Logger | NestStyleLogger): Logger {
  if (typeof (logger as Partial<Logger>).info === 'function' && typeof (logger as Partial<Logger>).debug === 'function') return logger as Logger;
  if (typeof (logger as Partial<NestStyleLogger>).log === 'function') return fromNestLogger(logger as NestStyleLogger);
  throw new ConfigurationError('Expected `logger` to have debug/info/warn/error methods (or log/warn/error, as NestJS\'s Logger has)');
}
