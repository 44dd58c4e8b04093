/**
 * node --import tsx bench/dashboardRender.ts [--runs 5] [--experiments 10000]
 *
 * The dashboard in headless Chromium with a synthetic run: first render (the trace as its
 * trace.jsonl text, and as event objects), a filter change (status, parameter) and a live append,
 * each measured inside the page from the message (or the change event) to the painted frame, on
 * a fresh page per run. Prints the medians (and min/max) as JSON and writes them to
 * bench/results/dashboardRender.json. Goal: first render of 10,000 experiments under 1 s.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DashboardHost, measureFilterChange, measureFirstRender, measureLiveAppend, setTheme } from '../test/support/dashboardPage';
import { syntheticTrace } from '../test/support/dashboardTraces';

// Local, not loopTiming's: that module loads the whole engine.
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number) => Number(x.toFixed(1));

const { values } = parseArgs({ options: { runs: { type: 'string' }, experiments: { type: 'string' } } });
const runs = Number.parseInt(values.runs ?? '5', 10);
const experiments = Number.parseInt(values.experiments ?? '10000', 10);

async function main() {
  const tag = 'synthetic';
  const events = syntheticTrace(experiments, { tag, seed: 42 });
  const host = await DashboardHost.start();
  const samples: Record<string, number[]> = {};
  const add = (k: string, v: number) => (samples[k] ??= []).push(v);
  try {
    for (let i = 0; i < runs; i++) {
      for (const mode of ['jsonl', 'objects'] as const) {
        const p = await host.openPage(false);
        await setTheme(p, 'dark');
        const first = await measureFirstRender(p, tag, events, mode);
        add(`firstRender.${mode}.toPaintMs`, first.toPaint);
        add(`firstRender.${mode}.renderOnlyMs`, first.app.ms);
        if (mode === 'jsonl') {
          add('filter.statusKeep.toPaintMs', (await measureFilterChange(p, 'status', 'keep')).toPaint);
          add('filter.clear.toPaintMs', (await measureFilterChange(p, 'status', '*')).toPaint);
          add('filter.paramLearningRate.toPaintMs', (await measureFilterChange(p, 'param', 'LEARNING_RATE')).toPaint);
          await measureFilterChange(p, 'param', '*');
          add('liveAppend.toRenderMs', await measureLiveAppend(p, tag, experiments + 1));
        }
        await p.close();
      }
    }
  } finally {
    await host.close();
  }
  const result = {
    part: 'dashboardRender',
    at: new Date().toISOString(),
    experiments,
    events: events.length,
    runs,
    ...Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, { median: round(median(xs)), min: round(Math.min(...xs)), max: round(Math.max(...xs)) }])),
  };
  const json = JSON.stringify(result, null, 2);
  const out = join(__dirname, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'dashboardRender.json'), json + '\n');
  console.log(json);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
