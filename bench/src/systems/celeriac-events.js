'use strict';
// celeriac as systems/celeriac.js with Celery's task events on (`celeriac worker -E`): every task also publishes
// task-received / task-started / task-succeeded on the celeryev fanout and appends them to the capped history
// stream (eventHistoryMax, default 10,000). The cost of events is celeriac ÷ this.
const base = require('./celeriac');

module.exports = {
  name: 'celeriac-events',
  label: 'celeriac -E',
  // Only where a worker runs: sending does not send events (taskSendSentEvent stays off).
  scenarios: ['process', 'latency'],
  producer: (url) => base.producer(url),
  worker: (url, opts) => base.worker(url, { ...opts, sendTaskEvents: true }),
};
