// The package README shows the examples that redis.e2e.spec.ts runs, unchanged.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

test('README.md shows every file of examples/ verbatim', () => {
  const readme = readFileSync(join(__dirname, '../README.md'), 'utf8');
  const files = readdirSync(join(__dirname, '../examples')).filter((f) => f.endsWith('.ts'));
  expect(files.sort()).toEqual(['app.module.ts', 'mail.service.ts', 'main.ts', 'users.controller.ts', 'worker.ts']);
  for (const f of files) expect(readme).toContain('```ts\n' + readFileSync(join(__dirname, '../examples', f), 'utf8') + '```');
});
