// The CLI's help texts: the overview, and one usage per command (`celeriac <command> --help`).

export const USAGE = `Usage: celeriac <command> [options]

Commands:
  worker   run a worker          celeriac worker -A ./dist/tasks.js -Q mail,default -c 10 -l info [-B]
  beat     send periodic tasks   celeriac beat -A ./dist/tasks.js [--list]
  status   list live workers     celeriac status -A ./dist/tasks.js
  result   show a task's state   celeriac result <task-id> -A ./dist/tasks.js
  purge    empty a queue         celeriac purge -Q mail -A ./dist/tasks.js
  call     send a task by name   celeriac call users.send --args '["ann@example.com"]' -A ./dist/tasks.js
  queues   queue lengths         celeriac queues -A ./dist/tasks.js --json
  dlq      dead letters          celeriac dlq list | show <n> | redrive [--all | <n>] | purge -A ./dist/tasks.js
  revoke   revoke tasks          celeriac revoke <task-id> [--terminate] -A ./dist/tasks.js
  dashboard web dashboard      celeriac dashboard -A ./dist/tasks.js --port 5555 (needs @celeriac/dashboard)
  inspect  ask every worker      celeriac inspect ping|active|reserved|scheduled|registered|revoked|stats -A ./dist/tasks.js

Options:
  -A, --app <module>        module exporting the app (as \`app\` or default export)
  -b, --broker <url>        broker URL (overrides the app's; without -A, for status/result/purge/call/queues)
  -Q, --queues <a,b>        queues (worker, purge, queues)
  -c, --concurrency <n>     tasks run at once (worker)
  -l, --loglevel <level>    debug | info | warn | error, any case (default info)
  -n, --hostname <name>     worker name shown by status and inspect
  -E, --task-events         send Celery's task events (worker)
  -B, --beat                also run a beat in the worker's process (worker)
      --list                print the periodic tasks with their last and next runs (beat)
  -t, --timeout <s>         seconds to wait for replies (inspect; default 1)
  -d, --destination <a,b>   only these workers answer (inspect)
      --port <n>            port (dashboard; default 5555)
      --bind <host>         address to listen on (dashboard; default 127.0.0.1)
      --read-only           hide and refuse the actions (dashboard)
      --args <json>         positional arguments (call)
      --kwargs <json>       keyword arguments (call)
  -f, --force               purge without asking
      --json                machine-readable output (queues, dlq, revoke, call, beat --list)
      --all                 every dead letter (dlq redrive)
      --terminate           also abort the task where it runs (revoke)
  -h, --help                this text; \`celeriac <command> --help\` for one command
  -V, --version             the version of celeriac

The broker comes from -b, else the app's setting (brokerUrl), else CELERIAC_BROKER_URL. A Sentinel URL
(sentinel://h1:26379;sentinel://h2:26379) names its master in the app's brokerTransportOptions, or in
CELERIAC_BROKER_TRANSPORT_OPTIONS='{"masterName":"mymaster"}'.`;

const APP = `  -A, --app <module>        module exporting the app (as \`app\` or default export)
  -b, --broker <url>        broker URL; overrides the app's (CELERIAC_BROKER_URL is used when neither is set)`;

export const COMMAND_USAGE: Record<string, string> = {
  worker: `Usage: celeriac worker -A <module> [options]

Runs a worker: fetches the app's tasks from its queues and runs them until SIGTERM/SIGINT
(warm shutdown: running tasks finish; a second signal makes it cold: they go back to their queues).

Options:
${APP}
  -Q, --queues <a,b>        queues to consume, in order of preference (default: taskDefaultQueue)
  -c, --concurrency <n>     tasks run at once, the pool's size (default: workerConcurrency, 10)
  -P, --pool <kind>         main (this event loop; I/O-bound tasks) | threads | processes (CPU-bound tasks;
                            each thread/child loads the -A module) (default: workerPool, main)
  --max-tasks-per-child <n> replace a pool thread/child after n tasks (threads, processes)
  --max-memory-per-child <KiB>  replace a pool thread/child after a task leaves it above this (threads, processes)
  -l, --loglevel <level>    debug | info | warn | error, any case (default info; debug logs each task received/started)
  -n, --hostname <name>     worker name shown by status and inspect (default celeriac@<host>)
  -E, --task-events         send Celery's task events (task-received, task-succeeded…; workerSendTaskEvents)
  -B, --beat                also send the app's periodic tasks from this process (as \`celeriac beat\`)
  -h, --help                this text`,
  beat: `Usage: celeriac beat -A <module> [--list [--json]] [-l <level>]

Sends the app's periodic tasks (beatSchedule, app.addPeriodicTask) when due, until SIGTERM/SIGINT. Any number
of beats may run against one broker: each due run is sent once (claimed and sent in one Redis step), and when
one beat dies the others go on. Last runs live in the broker: a restart neither re-fires nor skips a run.
On amqp:// the result backend must be Redis (it keeps the schedule's state).

Options:
${APP}
      --list                print each entry, its schedule, last run and next run, and exit
      --json                with --list: one JSON object
  -l, --loglevel <level>    debug | info | warn | error (default info: each send is logged)
  -h, --help                this text`,
  status: `Usage: celeriac status -A <module> | -b <url>

Lists the live workers (those whose heartbeat is recent) with their queues, concurrency and counts.

Options:
${APP}
  -h, --help                this text`,
  result: `Usage: celeriac result <task-id> -A <module> | -b <url>

Prints the stored state of a task as JSON (PENDING when nothing is stored).

Options:
${APP}
  -h, --help                this text`,
  purge: `Usage: celeriac purge [-Q <a,b>] [-f] -A <module> | -b <url>

Deletes every waiting message of the queues (all priorities). There is no undo: on a terminal it asks
first; otherwise it needs -f.

Options:
${APP}
  -Q, --queues <a,b>        queues to empty (default: taskDefaultQueue)
  -f, --force               do not ask
  -h, --help                this text`,
  call: `Usage: celeriac call <task-name> [--args <json>] [--kwargs <json>] [-Q <queue>] [--task-id <id>] [--dedup-key <key>] [--json] -A <module> | -b <url>

Sends a task by name and prints its id. The task need not be registered here (a Python worker's works too).

Options:
${APP}
      --args <json>         positional arguments, a JSON array (default [])
      --kwargs <json>       keyword arguments, a JSON object (default {})
  -Q, --queues <queue>      the queue to send to (default: the task's route)
      --task-id <id>        the task's id (while a task with it waits or runs, nothing is sent: its id is printed)
      --dedup-key <key>     deduplication key (while a task sent with it waits or runs, its id is printed instead)
      --json                print {"task_id": …} instead of the bare id
  -h, --help                this text`,
  dlq: `Usage: celeriac dlq list | show <n> | redrive [--all | <n>] | purge [options] -A <module> | -b <url>

The dead-letter list: messages no worker could run (unknown task, malformed message, rejected), each with
the reason. Numbered oldest first: #1 is the oldest, and numbers stay put as new letters arrive.
  list              the oldest --limit letters (default 50): number, time, queue, task[id], reason
  show <n>          one letter in full: task, id, arguments, reason, worker
  redrive <n>       sends letter #n back to its queue (its priority kept)
  redrive --all     sends every letter there now back to its queue, oldest first
  purge             deletes every letter (asks on a terminal; needs -f otherwise)
redrive --all and purge show a progress bar on a terminal and stop cleanly on Ctrl-C: each message is moved
in one step, so it is either back in its queue or still a dead letter, never both, never lost.

Options:
${APP}
      --json                one JSON object instead of text
      --limit <n>           letters listed (list; default 50)
      --batch <n>           messages moved per step (redrive --all, purge; default 500)
  -f, --force               purge without asking
  -h, --help                this text`,
  revoke: `Usage: celeriac revoke <task-id>… [--terminate] -A <module> | -b <url>

Revokes tasks on every worker, Node or Python: one that has not started never runs (stored as REVOKED).
With --terminate a running one is aborted too (its AbortSignal fires; a Python worker gets SIGTERM).

Options:
${APP}
      --terminate           abort the task where it runs
      --json                one JSON object instead of text
  -h, --help                this text`,
  dashboard: `Usage: celeriac dashboard -A <module> [--port 5555] [--bind 127.0.0.1] [--read-only]

Serves the web dashboard (the optional package @celeriac/dashboard): workers, queues, the task history with
filters and search by id or argument value, dead letters, live updates, revoke / terminate / retry / redrive, and
Prometheus /metrics.
Workers need task events on (celeriac worker -E) for tasks to appear.
Access: set CELERIAC_DASHBOARD_TOKEN (Authorization: Bearer <token>, or open /?token=<token> once) or
CELERIAC_DASHBOARD_BASIC_AUTH=<user>:<password>; with neither it answers requests from this machine only (none a proxy forwarded).

Options:
${APP}
      --port <n>            port (default 5555)
      --bind <host>         address to listen on (default 127.0.0.1)
      --read-only           hide and refuse the actions
  -l, --loglevel <level>    debug | info | warn | error (default info)
  -h, --help                this text`,
  inspect: `Usage: celeriac inspect ping|active|reserved|scheduled|registered|revoked|stats [-t <s>] [-d <a,b>] [--json] -A <module> | -b <url>

Asks every live worker, celeriac or Python Celery, over Celery's remote control (the pidbox) and prints
each one's reply under its name (-n). Exits 69 when no worker replied within the timeout. Redis only.

Options:
${APP}
  -t, --timeout <s>         seconds to wait for replies (default 1)
  -d, --destination <a,b>   only these workers (by name) answer
      --json                one JSON object, worker name → reply
  -h, --help                this text`,
  queues: `Usage: celeriac queues [-Q <a,b>] [--json] -A <module> | -b <url>

Prints each queue's waiting messages (all priorities), the delayed (countdown/eta) set, the dead-letter
list and the live workers. Without -Q: every queue that holds messages, the app's default queue, and
the queues the live workers consume.

Options:
${APP}
  -Q, --queues <a,b>        only these queues
      --json                one JSON object instead of text
  -h, --help                this text`,
};
