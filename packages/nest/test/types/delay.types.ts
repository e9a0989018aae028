// Type test (run by `npm run typecheck`): `.delay()` / `.applyAsync()` on a @Task() method take exactly its arguments.
import { Injectable } from '@nestjs/common';
import type { AsyncResult } from '@celeriac/core';
import { Task } from '@celeriac/nest';

@Injectable()
export class MailService {
  @Task({ queue: 'mail' })
  async send(to: string, times: number): Promise<string> {
    return `${to} ${times}`;
  }

  @Task()
  total(items: { price: number }[]): number {
    return items.reduce((a, i) => a + i.price, 0);
  }
}

export async function checks(mail: MailService): Promise<void> {
  const ok: AsyncResult<string> = await mail.send.delay('ann@example.com', 2);
  const sum: AsyncResult<number> = await mail.total.delay([{ price: 1 }]);
  await mail.send.applyAsync(['ann@example.com', 2], { countdown: 1_000, queue: 'mail' });
  const direct: string = await mail.send('ann@example.com', 2); // a direct call still runs inline
  void [ok, sum, direct];

  // @ts-expect-error a wrong argument type
  await mail.send.delay('ann@example.com', 'two');
  // @ts-expect-error a missing argument
  await mail.send.delay('ann@example.com');
  // @ts-expect-error one argument too many
  await mail.send.delay('ann@example.com', 2, true);
  // @ts-expect-error applyAsync checks its argument tuple too
  await mail.send.applyAsync(['ann@example.com', '2']);
  // @ts-expect-error the result type is the method's
  const wrong: AsyncResult<number> = await mail.send.delay('ann@example.com', 2);
  // @ts-expect-error an unknown call option
  await mail.send.applyAsync(['ann@example.com', 2], { countdwn: 5 });
  void wrong;
}
