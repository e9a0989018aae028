import { ConfigurationError, createApp } from '../../src';
import { loadTransport, setTransportLoader, transportPackage } from '../../src/transports';
import { MemoryBroker } from '../../src/broker/memory';

afterEach(() => setTransportLoader(null));

describe('optional transports (amqp://, db+postgresql://)', () => {
  it('maps each optional scheme to its package', () => {
    expect(transportPackage('amqp://guest:guest@127.0.0.1:5672//')).toBe('@celeriac/amqp');
    expect(transportPackage('db+postgresql://u:p@127.0.0.1/db')).toBe('@celeriac/postgres');
    expect(transportPackage('redis://127.0.0.1:6379/0')).toBeUndefined();
  });

  it('accepts the scheme in config and names the package to install, password hidden, when it is missing', () => {
    setTransportLoader((id) => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
    });
    const app = createApp('t', { broker: 'amqp://guest:s3cret@127.0.0.1:5672//' });
    let err: unknown;
    try {
      void app.broker;
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(String(err)).toContain('needs the package @celeriac/amqp: npm install @celeriac/amqp');
    expect(String(err)).not.toContain('s3cret');
  });

  it('builds the broker with the package factory, given the settings and the logger', () => {
    const seen: string[] = [];
    setTransportLoader(() => ({
      createBroker: (url: string, ctx: { settings: { brokerConnectionTimeout: number } }) => {
        seen.push(`${url} ${ctx.settings.brokerConnectionTimeout}`);
        return new MemoryBroker('memory://');
      },
    }));
    const app = createApp('t', { broker: 'amqp://127.0.0.1//', brokerConnectionTimeout: 1234 });
    expect(app.broker).toBeInstanceOf(MemoryBroker);
    expect(seen).toEqual(['amqp://127.0.0.1// 1234']);
  });

  it('refuses a package that cannot serve the role', () => {
    setTransportLoader(() => ({ createBroker: () => new MemoryBroker('memory://') }));
    expect(() => loadTransport('resultBackend', 'db+postgresql://127.0.0.1/x', 'createBackend')).toThrow(/exports no createBackend/);
  });

  it('rethrows an error raised while loading an installed package', () => {
    setTransportLoader(() => {
      throw new Error('boom inside the package');
    });
    expect(() => loadTransport('brokerUrl', 'amqp://127.0.0.1//', 'createBroker')).toThrow('boom inside the package');
  });
});
