// A node:test reporter that keeps, in the file named by BILEVEL_TEST_PROGRESS, the tests running right
// now (file › name, and since when). .ci/run's watchdog prints it when the suite runs out of time, so a
// hang names the test that hung. It writes nothing to the terminal; the spec reporter does that.
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';

const out = process.env.BILEVEL_TEST_PROGRESS;

export default async function* progress(source) {
  const running = new Map();
  for await (const event of source) {
    const { type, data } = event;
    if (type !== 'test:dequeue' && type !== 'test:pass' && type !== 'test:fail') continue;
    const file = data.file ? relative(process.cwd(), data.file) : '';
    const key = `${file}\0${data.nesting}\0${data.name}`;
    if (type === 'test:dequeue') running.set(key, { file, name: data.name, nesting: data.nesting, since: new Date().toISOString() });
    else running.delete(key);
    if (out) {
      const lines = [...running.values()].map((t) => `${t.since}  ${t.file} › ${'  '.repeat(t.nesting)}${t.name}`);
      writeFileSync(out, lines.join('\n') + (lines.length ? '\n' : ''));
    }
  }
}
