/** Where celeriac writes what it does. Any object with these four methods will do (pino, winston, Nest's Logger). */
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
