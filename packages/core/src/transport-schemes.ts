// The URL schemes that optional packages serve (no imports: config.ts and transports.ts both read it).

/** Scheme (with its colon, as `URL.protocol` gives it) → the package that serves it. */
export const OPTIONAL_TRANSPORTS: Readonly<Record<string, string>> = {
  'amqp:': '@celeriac/amqp',
  'amqps:': '@celeriac/amqp',
  'rpc:': '@celeriac/amqp',
  'db+postgresql:': '@celeriac/postgres',
  'postgresql:': '@celeriac/postgres',
  'postgres:': '@celeriac/postgres',
};

/** The scheme of a URL as `URL.protocol` spells it, or '' when it is not a URL. */
export function schemeOf(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*):/i.exec(url);
  return m ? `${m[1]!.toLowerCase()}:` : '';
}
