// Celery 5.2's RabbitMQ topology (kombu's declarations), and celeriac's own additions, in one place.
import type { Options } from 'amqplib';

/**
 * A task queue as Celery declares it for a queue name (task_create_missing_queues): a durable direct exchange of
 * the same name, a durable queue, bound with the queue name as routing key. No arguments unless
 * `taskQueueMaxPriority` (Celery's task_queue_max_priority) is set: any other argument would make RabbitMQ refuse
 * (406 PRECONDITION_FAILED) the declaration of the side that differs.
 */
export function taskQueueArgs(maxPriority: number | null): Options.AssertQueue {
  return { durable: true, exclusive: false, autoDelete: false, arguments: maxPriority === null ? {} : { 'x-max-priority': maxPriority } };
}
export const TASK_EXCHANGE: Options.AssertExchange = { durable: true, autoDelete: false };

/** Celery's remote-control mailbox (kombu pidbox, namespace "celery"). */
export const PIDBOX_EXCHANGE = 'celery.pidbox';
export const PIDBOX_REPLY_EXCHANGE = 'reply.celery.pidbox';
/** Both pidbox exchanges: not durable, transient messages (kombu's Mailbox). */
export const PIDBOX_EXCHANGE_OPTS: Options.AssertExchange = { durable: false, autoDelete: false };
/** A node's or a reply queue, with Celery's control_queue_ttl (300 s) and control_queue_expires (10 s). */
export const PIDBOX_QUEUE_OPTS: Options.AssertQueue = {
  durable: false,
  autoDelete: true,
  arguments: { 'x-message-ttl': 300_000, 'x-expires': 10_000 },
};

/** celeriac's dead letters: one durable queue no Celery worker consumes. */
export const DEAD_LETTER_QUEUE = 'celeriac.deadletter';

/**
 * Deferred (eta / countdown) messages wait in the broker, not in a worker (RabbitMQ closes a channel holding a
 * delivery unacked past consumer_timeout). One durable queue per power of two of milliseconds, each with that
 * TTL, dead-lettering into the default exchange: an expired message goes back to its own queue by the routing
 * key it was published with. A message waits in the largest step not beyond its eta, so it reaches its eta in
 * at most one hop per step (a 30-day countdown: about 30 hops, never a loop), each hop a worker re-deferring it.
 */
export const DELAY_MIN_STEP = 7; // 128 ms
export const DELAY_MAX_STEP = 41; // about 70 years
export const delayName = (step: number): string => `celeriac.delay.${step}`;
export function delayStep(waitMs: number): number {
  let step = DELAY_MIN_STEP;
  while (step < DELAY_MAX_STEP && 2 ** (step + 1) <= waitMs) step++;
  return step;
}
export function delayQueueArgs(step: number): Options.AssertQueue {
  return {
    durable: true,
    autoDelete: false,
    arguments: { 'x-message-ttl': 2 ** step, 'x-dead-letter-exchange': '' },
  };
}
