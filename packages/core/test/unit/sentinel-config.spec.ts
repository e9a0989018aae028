// sentinel:// URLs and the transport options that name the master: parsing, validation and errors (no server).
import { BrokerError, ConfigurationError, createApp, redactUrl } from '@celeriac/core';
import { settingsFromEnv } from '../../src/config';
import { ConnectionPool } from '../../src/redis/connection';
import { dbOf } from '../../src/redis/broker';
import { parseSentinelUrl } from '../../src/redis/sentinel';
import { freePort } from '../support/redis-server';
import { errorOf, rejectionOf } from '../support/rejection';

const URL3 = 'sentinel://:s3cret@h1:26380/3;sentinel://h2;sentinel://[::1]:26381';

describe('sentinel:// URLs', () => {
  it("parse as Celery's: every address a sentinel, the first one's password and database the master's", () => {
    expect(parseSentinelUrl('brokerUrl', URL3)).toEqual({
      sentinels: [
        { host: 'h1', port: 26380 },
        { host: 'h2', port: 26379 },
        { host: '::1', port: 26381 },
      ],
      password: 's3cret',
      db: 3,
    });
    expect(parseSentinelUrl('brokerUrl', 'sentinel://user:p%40ss@h1:26379')).toMatchObject({ username: 'user', password: 'p@ss', db: 0 });
    expect(dbOf(URL3)).toBe(3);
  });

  it('are accepted as broker and backend URLs, with the master named in the transport options', () => {
    const app = createApp('s', { broker: URL3, brokerTransportOptions: { masterName: 'mymaster' }, resultBackendTransportOptions: { sentinelPassword: 'x' } });
    expect(app.settings.brokerUrl).toBe(URL3);
    expect(app.settings.brokerTransportOptions).toEqual({ masterName: 'mymaster' });
  });

  it('have every password hidden in messages', () => {
    expect(redactUrl(URL3)).toBe('sentinel://:***@h1:26380/3;sentinel://h2;sentinel://[::1]:26381');
    expect(redactUrl('sentinel://h1;sentinel://u:pw@h2')).toBe('sentinel://h1;sentinel://u:***@h2');
  });

  it.each([
    ['sentinel://:pw@h1:26379;redis://h2:6379', /the scheme "redis:" instead of sentinel:.*"redis:\/\/h2:6379"/],
    ['sentinel://:pw@h1:26379/abc', /the database "abc" \(not a number\)/],
    ['sentinel://:pw@h1:99999999', /not a URL in "sentinel:\/\/:\*\*\*@h1:99999999"/],
    ['sentinel://:pw@', /no host|not a URL/],
  ])('refuse a malformed address %s with an error naming it, password hidden', (url, why) => {
    const err = errorOf(() => createApp('s', { broker: url }));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toMatch(/^`brokerUrl` \(sentinel:\/\/:\*\*\*@/);
    expect(err.message).toMatch(why);
    expect(err.message).not.toContain('pw');
  });

  it('need a master name: a clear error when the app first connects, naming the setting to set', () => {
    const app = createApp('s', { broker: 'sentinel://:pw@127.0.0.1:26379' });
    const err = errorOf(() => app.broker);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toMatch(/`brokerUrl` \(sentinel:\/\/:\*\*\*@127\.0\.0\.1:26379\) is a Sentinel URL: set `brokerTransportOptions: \{ masterName: '…' \}`/);
    const b = createApp('s', { broker: 'redis://127.0.0.1:1/0', backend: 'sentinel://127.0.0.1:26379' });
    expect(errorOf(() => b.backend).message).toMatch(/`resultBackend` .* set `resultBackendTransportOptions: \{ masterName/);
  });

  it("let a backend on the broker's sentinels use the broker's master name, and refuse two names for one URL", async () => {
    const url = 'sentinel://127.0.0.1:1';
    const same = createApp('s', { broker: url, brokerTransportOptions: { masterName: 'm' } });
    expect(() => same.backend).not.toThrow();
    await same.close();
    const two = createApp('s', { broker: url, brokerTransportOptions: { masterName: 'm' }, resultBackendTransportOptions: { masterName: 'other' } });
    expect(errorOf(() => two.backend).message).toMatch(/one URL reaches one master/);
  });
});

describe('transport options', () => {
  it('default to none (Celery: {}), frozen so no app can change another one', () => {
    const app = createApp('s');
    expect(app.settings.brokerTransportOptions).toEqual({});
    expect(app.settings.resultBackendTransportOptions).toEqual({});
    expect(Object.isFrozen(app.settings.brokerTransportOptions)).toBe(true);
  });

  it('refuse unknown keys with a hint, and values that are not strings', () => {
    expect(errorOf(() => createApp('s', { brokerTransportOptions: { master_name: 'm' } as never })).message).toBe(
      'Unknown option `brokerTransportOptions.master_name`. Did you mean `masterName`? (known: masterName, sentinelPassword, sentinelUsername)',
    );
    expect(errorOf(() => createApp('s', { brokerTransportOptions: { masterName: 3 } as never })).message).toBe(
      'Expected `brokerTransportOptions.masterName` to be a non-empty string, got `3` (number)',
    );
    expect(errorOf(() => createApp('s', { resultBackendTransportOptions: 'm' as never })).message).toMatch(/^Expected `resultBackendTransportOptions` to be an object/);
  });

  it('come from the environment as JSON', () => {
    expect(settingsFromEnv('C', { C_BROKER_TRANSPORT_OPTIONS: '{"masterName":"mymaster"}', C_BROKER_URL: 'sentinel://h1;sentinel://h2' })).toEqual({
      brokerTransportOptions: { masterName: 'mymaster' },
      brokerUrl: 'sentinel://h1;sentinel://h2',
    });
    expect(() => settingsFromEnv('C', { C_RESULT_BACKEND_TRANSPORT_OPTIONS: 'mymaster' })).toThrow(/must be JSON such as \{"masterName": "mymaster"\}/);
  });
});

describe('sentinel:// without a sentinel to answer', () => {
  it('fails within the connection timeout, naming the URL with the password hidden', async () => {
    const port = await freePort();
    const url = `sentinel://:pw@127.0.0.1:${port}/0`;
    const pool = new ConnectionPool(300);
    pool.useSentinel(url, { masterName: 'mymaster' });
    const conn = pool.command(url);
    const err = await rejectionOf(conn.ready(), BrokerError);
    expect(err.message).toMatch(new RegExp(`^Redis at sentinel://:\\*\\*\\*@127\\.0\\.0\\.1:${port}/0 is unreachable: no connection within 300 ms \\(All sentinels are unreachable`));
    expect(err.message).not.toContain('pw@');
    await pool.releaseCommand(url);
  });
});
