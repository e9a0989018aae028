#!/usr/bin/env node
// The `celeriac` command as npm links it. Committed, not built: npm links a workspace's bin only if the file
// exists at install time, and dist/ does not exist until `npm run build`.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'dist', 'cli', 'celeriac.js');
if (!existsSync(cli)) {
  console.error(`celeriac: ${cli} is missing: run \`npm run build\` first`);
  process.exit(1);
}
// NOTE: loaded in this process, never spawned as a child, so a signal sent to this pid reaches the worker.
// dist/cli/celeriac.js runs its main when loaded, whoever loads it.
require(cli);
