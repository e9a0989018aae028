// A progress bar for long CLI operations, drawn on stderr only when it is a terminal (a pipe or a log file gets
// the final line only), at most ten times a second.

const WIDTH = 30;

export interface Progress {
  update(done: number): void;
  /** Clears the bar (the caller prints the outcome). */
  end(): void;
}

export function progress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY || total <= 0) return { update: () => undefined, end: () => undefined };
  let last = 0;
  const draw = (done: number) => {
    const filled = Math.round((WIDTH * Math.min(done, total)) / total);
    stream.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${done}/${total}`);
  };
  draw(0);
  return {
    update(done) {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      draw(done);
    },
    end() {
      stream.write('\r\x1b[K');
    },
  };
}

/**
 * Runs `step` until it reports nothing more to do or SIGINT/SIGTERM arrives; a signal lets the step in flight
 * finish (each step moves whole messages in one broker command), so an interrupted run leaves every message in
 * exactly one place. Returns whether it was interrupted.
 */
export async function interruptible(step: () => Promise<boolean>): Promise<boolean> {
  let stop = false;
  const onSignal = () => (stop = true);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    while (!stop && (await step()));
    return stop;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
