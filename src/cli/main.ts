#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, CONFIG_FILE, loadTargetConfig } from '../core/target/targetConfig';
import { proposeConfig } from '../core/target/initTarget';
import { ResearchRun, latestRunTag, runsDir } from '../core/levels/researchRun';
import { createProposer } from '../core/proposers/createProposer';
import { createWorkers } from '../core/executors/createWorkers';
import { deriveRunState } from '../core/store/runState';
import { TraceStore } from '../core/store/traceStore';
import { GitError } from '../core/git/runRepo';
import type { RunEvent } from '../core/events/events';
import { renderEvent } from './renderEvent';

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number ≥ 0');
  return n;
};

const program = new Command()
  .name('bilevel')
  .description('Bilevel Autoresearch: an autonomous research loop over your training repo')
  .option('-C, --dir <path>', 'the training repo', process.cwd());

program
  .command('init')
  .description(`inspect the repo and write ${CONFIG_FILE}`)
  .option('--force', 'overwrite an existing config')
  .action((o: { force?: boolean }) => {
    const dir = resolve(program.opts().dir);
    const path = join(dir, CONFIG_FILE);
    if (existsSync(path) && !o.force) fail(`${CONFIG_FILE} already exists in ${dir} (use --force to overwrite)`);
    const { config, notes } = proposeConfig(dir);
    writeFileSync(path, JSON.stringify(config, null, 2) + '\n');
    for (const n of notes) console.log(`  ${n}`);
    console.log(`wrote ${path}\nReview it, commit it, then: bilevel run`);
  });

program
  .command('run')
  .description('run the research loop (resumes the latest run unless --new)')
  .option('-n, --iterations <n>', 'total iterations for the run, baseline not counted', positiveInt, 10)
  .addOption(new Option('--proposer <kind>', 'override the config’s proposer').choices(['heuristic', 'llm']))
  .option('--tag <tag>', 'run tag (branch autoresearch/<tag>)')
  .option('--new', 'start a fresh run instead of resuming')
  .option('-v, --verbose', 'show training output and LLM calls')
  .action(async (o: { iterations: number; proposer?: 'heuristic' | 'llm'; tag?: string; new?: boolean; verbose?: boolean }) => {
    const dir = resolve(program.opts().dir);
    const config = loadTargetConfig(dir);
    if (o.proposer) config.proposer.kind = o.proposer;
    const controller = new AbortController();
    let interrupts = 0;
    process.on('SIGINT', () => {
      if (++interrupts > 1) process.exit(130);
      console.error('\nstopping: ending the current step cleanly (Ctrl+C again to quit at once)');
      controller.abort();
    });
    process.on('SIGTERM', () => controller.abort());
    // On a terminal, the latest training line is shown in place, so a 5-minute run is not silent.
    const live = process.stdout.isTTY && !o.verbose;
    let liveShown = false;
    const print = (e: RunEvent) => {
      if (live && e.type === 'training.output') {
        const width = (process.stdout.columns || 100) - 6;
        process.stdout.write(`\r\x1b[K    │ ${e.line.slice(0, width)}`);
        liveShown = true;
        return;
      }
      const line = renderEvent(e, { verbose: o.verbose });
      if (line === null) return;
      if (liveShown) process.stdout.write('\r\x1b[K');
      liveShown = false;
      console.log(line);
    };
    const run = new ResearchRun({
      repoDir: dir,
      config,
      proposer: createProposer(config, (usage, ok, error) => run.recordLlmCall(usage, ok, error)),
      workers: createWorkers(config.workers),
      iterations: o.iterations,
      tag: o.tag,
      fresh: o.new,
      signal: controller.signal,
      onEvent: print,
    });
    const { state, runDir, branch } = await run.run();
    console.log(`\n${summaryLines(state, runDir, branch).join('\n')}`);
    if (state.stopped === 'error') process.exitCode = 1;
    if (state.stopped === 'interrupted') process.exitCode = 130;
  });

program
  .command('status')
  .description('best result, last experiments, where the trace is')
  .option('--tag <tag>', 'run tag (default: the latest run)')
  .option('--json', 'machine-readable')
  .option('--last <n>', 'how many experiments to list', positiveInt, 10)
  .action((o: { tag?: string; json?: boolean; last: number }) => {
    const dir = resolve(program.opts().dir);
    const tag = o.tag ?? latestRunTag(dir);
    if (!tag) fail(`no runs in ${dir} yet; start one with: bilevel run`);
    const trace = join(runsDir(dir), tag, 'trace.jsonl');
    if (!existsSync(trace)) fail(`no run ${tag} in ${dir}`);
    const { store } = TraceStore.open(trace);
    const state = deriveRunState(store.events());
    store.close();
    if (o.json) {
      console.log(JSON.stringify({ tag, trace, best: state.best, iterationsDone: state.iterationsDone, stopped: state.stopped, experiments: state.experiments.slice(-o.last) }, null, 2));
      return;
    }
    console.log(summaryLines(state, join(runsDir(dir), tag), state.branch).join('\n'));
    console.log('\nlast experiments:');
    for (const x of state.experiments.slice(-o.last)) {
      const what = x.result ?? 'running';
      const metric = x.metric === null ? '' : ` ${x.metric.toFixed(6)}`;
      console.log(`  #${String(x.n).padEnd(4)} ${what.padEnd(15)}${metric.padEnd(10)} ${x.description ?? ''}`);
    }
  });

function summaryLines(state: ReturnType<typeof deriveRunState>, runDir: string, branch: string): string[] {
  const baseline = state.experiments.find((x) => x.baseline && x.status === 'keep');
  const best = state.best;
  const delta = best && baseline?.metric != null ? best.metric - baseline.metric : null;
  return [
    `run ${state.tag}: ${state.iterationsDone} iterations, ${state.stopped ?? 'not finished'}`,
    best ? `best ${state.metricName} ${best.metric.toFixed(6)} at #${best.n} (${best.commit.slice(0, 7)})${delta !== null ? `, Δ ${delta.toFixed(6)} from baseline` : ''}` : 'no result yet',
    `branch ${branch}`,
    `trace ${join(runDir, 'trace.jsonl')}`,
    `results ${join(runDir, 'results.tsv')}`,
  ];
}

function fail(message: string): never {
  console.error(`bilevel: ${message}`);
  process.exit(2);
}

program.parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof ConfigError || e instanceof GitError) fail(e.message);
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
