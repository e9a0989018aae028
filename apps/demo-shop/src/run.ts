// Start-up and shutdown for the entry points: a start-up failure is one clear line and exit 1; SIGINT / SIGTERM
// close the server (open event streams end), the worker (warm) and the SMTP server, then the process exits.
import { DemoConfigError } from './settings';

export function runMain(main: () => Promise<() => Promise<unknown>>): void {
  main().then(
    (close) => {
      let closing = false;
      const stop = (signal: NodeJS.Signals) => {
        if (closing) process.exit(130); // a second Ctrl-C: now
        closing = true;
        console.log(`${signal}: shutting down`);
        const force = setTimeout(() => process.exit(1), 30_000);
        force.unref();
        close().then(
          () => process.exit(0),
          (err: unknown) => {
            console.error(err);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    },
    (err: unknown) => {
      console.error(err instanceof DemoConfigError || (err instanceof Error && err.name === 'ConfigurationError') ? `demo shop: ${err.message}` : err);
      process.exit(1);
    },
  );
}
