// Every Redis key and channel name, Celery's and celeriac's own, is built here and nowhere else.
import { priorityStep } from '../broker/broker';

/** kombu's separator between a queue name and its priority step, and inside binding members. */
export const SEP = '\x06\x16';

export const celeryKeys = {
  /** The list a message of this priority goes to: the queue itself for step 0. */
  queue(queue: string, priority = 0): string {
    const step = priorityStep(priority);
    return step === 0 ? queue : `${queue}${SEP}${step}`;
  },
  /** The queue a list belongs to (the inverse of `queue`). */
  queueOf(list: string): string {
    const cut = list.indexOf(SEP);
    return cut < 0 ? list : list.slice(0, cut);
  },
  /** All lists of a queue, highest priority (lowest number) first. */
  queueLists(queue: string): string[] {
    return [queue, `${queue}${SEP}3`, `${queue}${SEP}6`, `${queue}${SEP}9`];
  },
  binding(queue: string): string {
    return `_kombu.binding.${queue}`;
  },
  bindingMember(queue: string): string {
    return `${queue}${SEP}${SEP}${queue}`;
  },
  taskMeta(taskId: string): string {
    return `celery-task-meta-${taskId}`;
  },
  /** A saved group (`GroupResult.save()`); with a suffix, a chord's counters: `.s` size, `.j` parts, `.t` added. */
  taskset(groupId: string, suffix: '' | '.s' | '.j' | '.t' = ''): string {
    return `celery-taskset-meta-${groupId}${suffix}`;
  },
  /** Celery's broadcast channel for control commands (revoke), per database. */
  pidbox(db: number): string {
    return `/${db}.celery.pidbox`;
  },
};

/** celeriac's own keys, all under `celeriac.`: no Celery worker reads or writes them. */
export const celeriacKeys = {
  /** zset: worker id → last heartbeat (Redis time, ms). */
  workers: 'celeriac.workers',
  /** hash: worker id → start of its current gap-free run of heartbeats (ms). */
  workersSince: 'celeriac.workers.since',
  /** string: a worker's info JSON, expiring with its heartbeat. */
  workerInfoPrefix: 'celeriac.worker.',
  workerInfo(id: string): string {
    return `celeriac.worker.${id}`;
  },
  /** hash: tag → "<list key>\n<raw message>", the messages a worker holds. */
  unackedPrefix: 'celeriac.unacked.',
  unacked(id: string): string {
    return `celeriac.unacked.${id}`;
  },
  /** zset: "<list key>\n<raw message>" → due time (ms), for countdown / eta tasks. */
  delayed: 'celeriac.delayed',
  /** zset: task id → time its revocation expires (ms). */
  revoked: 'celeriac.revoked',
  /**
   * set: every queue a celeriac producer has published to. Read by `queueNames()`, so it needs no keyspace SCAN;
   * a queue only Python has written to is found through the queues live workers consume.
   */
  queues: 'celeriac.queues',
  /** list: JSON { reason, queue, raw, at, worker } of messages that could not be run (newest at the head). */
  deadLetter: 'celeriac.deadletter',
  /** string: the next free slot (ms, Redis time) of a task's `globalRateLimit`. */
  rate(task: string): string {
    return `celeriac.rate.${task}`;
  },
  /** zset: "<worker id>\t<tag>" → time taken, the holders of one per-key concurrency slot ("<task>#<key>"). */
  slotsPrefix: 'celeriac.slots.',
  slots(name: string): string {
    return `celeriac.slots.${name}`;
  },
  /** list: "<list key>\n<raw message>" parked until a slot of "<task>#<key>" is free (oldest at the tail). */
  slotWaitPrefix: 'celeriac.slotwait.',
  slotWait(name: string): string {
    return `celeriac.slotwait.${name}`;
  },
  /** hash: "<task>#<key>" → maxPerKey, every slot name that has holders or parked messages (read by the reaper). */
  slotIndex: 'celeriac.slotindex',
  /** hash: periodic (beat) entry name → its last run (ms, Redis time). */
  beat: 'celeriac.beat',
  /** stream: the event history (Celery-format events as JSON in field `e`), capped with MAXLEN ~ eventHistoryMax. */
  events: 'celeriac.events',
  /** string: the id of the task that holds a dedup key (`id:<task id>` for a taskId), expiring with its TTL. */
  dedup(key: string): string {
    return `celeriac.dedup.${key}`;
  },
};
