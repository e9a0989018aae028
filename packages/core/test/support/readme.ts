// README examples are real files run by tests: this checks the README shows the file exactly.
import { readFileSync } from 'node:fs';

/** The README's fenced code block that starts with the same first line as `file`, and the file's own text. */
export function readmeExample(readme: string, file: string): { shown: string | null; actual: string } {
  const actual = readFileSync(file, 'utf8');
  const first = actual.split('\n', 1)[0]!;
  const blocks = [...readFileSync(readme, 'utf8').matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return { shown: blocks.find((b) => b.startsWith(`${first}\n`)) ?? null, actual };
}
