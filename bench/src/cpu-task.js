'use strict';
// The celeriac tasks' module of the cpu scenario: each pool thread/child loads it (the worker's `module`).
const core = require('@celeriac/core');
const { hashRounds } = require('./cpu-work');

const TASK = 'bench.hash';

function register(app) {
  app.task(TASK, (rounds) => hashRounds(rounds));
  return app;
}

module.exports = { TASK, register, celeriacChild: () => register(core.createApp('bench-cpu')) };
