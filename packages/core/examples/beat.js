// beat.js: periodic tasks. Run `npx celeriac beat -A ./beat.js` (as many as you like), or a worker with -B.
const { createApp, crontab, every } = require('@celeriac/core');

const app = createApp('shop', {
  broker: process.env.BROKER_URL ?? 'redis://127.0.0.1:6379/0',
  timezone: 'Europe/Berlin', // crontab times are Berlin's, summer time included
  beatSchedule: {
    // Celery: {'task': 'task.add', 'schedule': 30.0, 'args': (16, 16)}
    'add-every-30-seconds': { task: 'tasks.add', schedule: every('30s'), args: [16, 16] },
    // Celery: crontab(hour=6, minute=0, day_of_month='1')
    'monthly-report': { task: 'reports.monthly', schedule: crontab({ hour: 6, minute: 0, dayOfMonth: '1' }) },
  },
});

app.task('tasks.add', (a, b) => a + b);
app.task('reports.monthly', () => 'report sent');

// Entries can be added in code too, before the beat starts (or while it runs: it picks them up).
app.addPeriodicTask('cleanup-unactivated', {
  task: 'users.cleanup_unactivated', // not registered here (a Python worker runs it): the beat only warns
  schedule: crontab({ minute: '*/10' }),
  kwargs: { older_than_minutes: 10 },
});

module.exports = { app };
