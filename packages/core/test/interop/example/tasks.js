// tasks.js: the Node side. Run: npx celeriac worker -A ./tasks.js -Q node -l info
const { createApp } = require('@celeriac/core');

const BROKER_URL = process.env.BROKER_URL ?? 'redis://127.0.0.1:6379/0';

const app = createApp('proj', {
  broker: BROKER_URL,
  // The same routes as proj.py: each language's worker consumes its own queue.
  taskRoutes: { 'proj.*': 'py', 'node.*': 'node' },
});

// Python keyword arguments arrive as one trailing object (only when there are some).
app.task('node.greet', (name, kwargs = {}) => `${kwargs.greeting ?? 'Hello'}, ${name}!`);
app.task('node.mul', (x, y) => x * y);
app.task('node.fail', (message) => {
  throw new TypeError(message);
});

module.exports = { app };
