'use strict';
// BullMQ's sandboxed processor of the cpu scenario (run in its worker threads or child processes).
const { hashRounds } = require('./cpu-work');

module.exports = async (job) => hashRounds(job.data.rounds);
