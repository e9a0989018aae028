// The CLI's help texts: the overview, and one usage per command (`celeriac <command> --help`).

export const USAGE = `Usage: celeriac <command> [options]

Commands:
  worker   run a worker          celeriac worker -A ./dist/tasks.js -Q mail,default -c 10 -l info
  status   list live workers     celeriac status -A ./dist/tasks.js
  result   show a task's state   celeriac result <task-id> -A ./dist/tasks.js
  purge    empty a queue         celeriac purge -Q mail -A ./dist/tasks.js
  call     send a task by name   celeriac call users.send --args '["ann@example.com"]' -A ./dist/tasks.js
  queues   queue lengths         celeriac queues -A ./dist/tasks.js --json

Options:
  -A, --app <module>        module exporting the app (as \`app\` or default export)
  -b, --broker <url>        broker URL (overrides the app's; without -A, for status/result/purge/call/queues)
  -Q, --queues <a,b>        queues (worker, purge, queues)
  -c, --concurrency <n>     tasks run at once (worker)
  -l, --loglevel <level>    debug | info | warn | error, any case (default info)
  -n, --hostname <name>     worker name shown by status
      --args <json>         positional arguments (call)
      --kwargs <json>       keyword arguments (call)
  -f, --force               purge without asking
      --json                machine-readable output (queues)
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
  -c, --concurrency <n>     tasks run at once (default: workerConcurrency, 10)
  -l, --loglevel <level>    debug | info | warn | error, any case (default info; debug logs each task received/started)
  -n, --hostname <name>     worker name shown by status (default celeriac@<host>)
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
  call: `Usage: celeriac call <task-name> [--args <json>] [--kwargs <json>] [-Q <queue>] -A <module> | -b <url>

Sends a task by name and prints its id. The task need not be registered here (a Python worker's works too).

Options:
${APP}
      --args <json>         positional arguments, a JSON array (default [])
      --kwargs <json>       keyword arguments, a JSON object (default {})
  -Q, --queues <queue>      the queue to send to (default: the task's route)
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
