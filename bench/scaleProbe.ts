/**
 * One cold load of a trace, in a fresh process so that memory and JIT state are those of a real
 * resume: prints the timings and the memory the loaded run holds as JSON.
 *
 *   node --expose-gc --import tsx bench/scaleProbe.ts <trace.jsonl>
 */
import { performance } from 'node:perf_hooks';
import { renderResultsTable } from '../src/core/store/resultsTable';
import { deriveRunState } from '../src/shared/trace/runState';
import { TraceStore } from '../src/core/store/traceStore';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const mb = (bytes: number) => Number((bytes / 2 ** 20).toFixed(1));

gc();
const before = process.memoryUsage();
const t0 = performance.now();
const { store } = TraceStore.open(process.argv[2]);
const t1 = performance.now();
const state = deriveRunState(store.events());
const t2 = performance.now();
const tsv = renderResultsTable(store.events(), state.metricName);
const t3 = performance.now();
gc();
const after = process.memoryUsage();
store.close();
console.log(JSON.stringify({
  events: store.events().length,
  experiments: state.experiments.length,
  resultsRows: tsv.split('\n').length - 2,
  openMs: t1 - t0,
  deriveMs: t2 - t1,
  resultsTsvMs: t3 - t2,
  // What the loaded events and state hold, and the process's peak (parsing allocates transiently).
  heapHeldMb: mb(after.heapUsed - before.heapUsed),
  rssMb: mb(after.rss),
  peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
}));
