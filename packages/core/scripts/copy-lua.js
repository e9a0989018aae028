// Copies the Lua scripts next to the compiled code (tsc copies only .ts output).
const fs = require('node:fs');
const path = require('node:path');
const from = path.join(__dirname, '..', 'src', 'redis', 'commands');
const to = path.join(__dirname, '..', 'dist', 'redis', 'commands');
fs.mkdirSync(to, { recursive: true });
for (const f of fs.readdirSync(from)) if (f.endsWith('.lua')) fs.copyFileSync(path.join(from, f), path.join(to, f));
