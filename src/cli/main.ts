#!/usr/bin/env node
import { applyLevelsFlag, ConfigError, CONFIG_FILE, loadTargetConfig, reviewMechanism, ABLATION_GROUPS, ablationMarkdown, runAblation, proposeConfig, createRun, latestRunTag, runsDir, ExecutorSetupError, TraceStore, GitError, RunRepo, runTagProblem, MissingApiKeyError, RepoBusy, RunStateError, TraceWriteError, repairKilledGit, type AblationGroup, type TargetConfig } from '../core';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { activeMechanisms, currentBaseline, deriveRunState, experimentStatus, incumbentBehindBest } from '../shared/trace/runState';
import type { RunEvent } from '../shared/trace/events';
import { renderEvent } from '../shared/trace/renderEvent';
import { version } from '../../package.json';
// finalize and the run's progress output
import { finalizeRun, FinalizeRefused, bestBranchName, bestParamChanges, readTrace, type FinalizeResult } from '../core';
import { RunOutput } from './runOutput';

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number ≥ 0');
  return n;
};

const runTag = (v: string) => {
  const problem = runTagProblem(v);
  if (problem) throw new InvalidArgumentError(problem);
  return v;
};

/** Errors in what the user gave us (config, repo, flags, key), found before anything ran: exit 2. */
const USAGE_ERRORS = [ConfigError, GitError, ExecutorSetupError, MissingApiKeyError, RepoBusy, RunStateError, TraceWriteError];
/** Set by the run's first event: from then on a failure is a failed run (exit 1), not a usage error. */
let runStarted = false;
const noteStart = (e: RunEvent) => {
  if (e.type === 'run.started' || e.type === 'run.resumed') runStarted = true;
};

/**
 * `bilevel run | head`: once the reader is gone, nothing more is written to stdout, and the run
 * stops as on Ctrl+C (the experiment in flight recorded as interrupted), since nobody is watching.
 */
let stdoutClosed = false;
let onStdoutClosed = () => {};
process.stdout.on('error', () => {
  if (stdoutClosed) return;
  stdoutClosed = true;
  onStdoutClosed();
});
// A closed stderr (`2>&1 | head`) only loses messages.
process.stderr.on('error', () => {});
const out = (text: string) => {
  if (!stdoutClosed) console.log(text);
};

// Commander's own usage errors exit 2 like ours, with the same prefix (settings are inherited by the
// subcommands, so they are made before any is added).
const program = new Command()
  .name('bilevel')
  .description('Bilevel Autoresearch: an autonomous research loop over your training repo')
  .version(version, '-V, --version', 'print the version')
  .option('-C, --dir <path>', 'the training repo (default: the git repository the current directory is in)')
  .option('-v, --verbose', 'run: show training output, LLM calls and mechanism hooks; any command: the stack trace of an error')
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'bilevel: ')) })
  .showHelpAfterError('(add --help for the options)')
  .configureHelp({ showGlobalOptions: true });

/** The repo the command is about: -C's, or the one the current directory is in, at its root. */
async function repoDir(): Promise<string> {
  const given = resolve(program.opts().dir ?? process.cwd());
  if (!existsSync(given)) fail(`${given} does not exist`);
  return (await RunRepo.topLevel(given)) ?? given;
}

program
  .command('init')
  .description(`inspect the repo and write ${CONFIG_FILE}`)
  .option('--force', 'overwrite an existing config')
  .action(async (o: { force?: boolean }) => {
    const dir = await repoDir();
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
  .option('-n, --iterations <n>', 'experiments to train in the run (baseline not counted; failed proposals, rejections and cache hits cost nothing)', positiveInt, 10)
  .addOption(new Option('--proposer <kind>', 'override the config’s proposer').choices(['heuristic', 'tpe', 'llm']))
  .option('--tag <tag>', 'run tag (branch autoresearch/<tag>): letters, digits, ".", "_", "-"', runTag)
  .option('--new', 'start a fresh run instead of resuming')
  .option('--adopt', "resume building on your commits: the run branch's commits the loop did not make, or new commits on the branch the run started from, trained as the new baseline (with the config they hold)")
  .option('--levels <list>', 'which levels run: 1 (inner loop only), 1,1.5 (+ strategy review), 1,2 (+ mechanism research), 1,1.5,2 (all; the config default)')
  .option('--no-overlap', 'propose only after each training run ends (default: the next candidate is proposed while one trains)')
  .action(async (o: { iterations: number; proposer?: 'heuristic' | 'tpe' | 'llm'; tag?: string; new?: boolean; adopt?: boolean; levels?: string; overlap: boolean }) => {
    const verbose: boolean = program.opts().verbose ?? false;
    const dir = await repoDir();
    // Before the config's checks read the tree: a run killed inside a git checkout left it half-done.
    await repairKilledGit(dir);
    // The flags win over the config, and over the one an adopted commit brings.
    const configure = (c: TargetConfig) => {
      if (o.proposer) c.proposer.kind = o.proposer;
      if (o.levels) applyLevelsFlag(c, o.levels);
    };
    const config = loadTargetConfig(dir);
    configure(config);
    const controller = new AbortController();
    let interrupts = 0;
    process.on('SIGINT', () => {
      if (++interrupts > 1) process.exit(130);
      console.error('\nstopping: ending the current step cleanly (Ctrl+C again to quit at once)');
      controller.abort();
    });
    process.on('SIGTERM', () => controller.abort());
    onStdoutClosed = () => {
      console.error('\nbilevel: the output was closed; stopping the run cleanly (`bilevel run` resumes it)');
      controller.abort();
    };
    // ── progress: event lines, and on a terminal a status line rewritten in place (src/cli/runOutput.ts).
    const output = new RunOutput({
      total: o.iterations,
      tty: process.stdout.isTTY === true,
      verbose,
      columns: () => process.stdout.columns || 100,
      write: (text) => void (stdoutClosed || process.stdout.write(text)),
      // A resumed run: the events before this process are on disk, in the run being resumed.
      stateOnDisk: () => deriveRunState(readTrace(readFileSync(join(runsDir(dir), o.tag ?? latestRunTag(dir)!, 'trace.jsonl'))).events),
    });
    const print = (e: RunEvent) => {
      noteStart(e);
      output.onEvent(e);
    };
    const run = createRun({
      repoDir: dir,
      config,
      iterations: o.iterations,
      overlap: o.overlap,
      tag: o.tag,
      fresh: o.new,
      adopt: o.adopt,
      configure,
      signal: controller.signal,
      onEvent: print,
    });
    const { state, runDir, branch } = await run.run().finally(() => output.stop());
    out(`\n${summaryLines(state, runDir, branch).join('\n')}`);
    if (state.stopped === 'error') process.exitCode = 1;
    if (state.stopped === 'interrupted') process.exitCode = 130;
  });

program
  .command('ablate')
  .description("the paper's ablation: groups A (level 1), B (1+1.5), C (1+1.5+2), D (1+2), each repeated from the current commit on its own branch; writes a table of Δ = best − baseline")
  .option('--groups <list>', 'groups to run', 'A,B,C,D')
  .option('--repeats <n>', 'repeats per group', positiveInt, 3)
  .option('-n, --iterations <n>', 'iterations per run', positiveInt, 10)
  .addOption(new Option('--proposer <kind>', 'override the config’s proposer').choices(['heuristic', 'tpe', 'llm']))
  .action(async (o: { groups: string; repeats: number; iterations: number; proposer?: 'heuristic' | 'tpe' | 'llm' }) => {
    const dir = await repoDir();
    const config = loadTargetConfig(dir);
    if (o.proposer) config.proposer.kind = o.proposer;
    const groups = o.groups.split(',').map((g) => g.trim().toUpperCase());
    const bad = groups.filter((g) => !(g in ABLATION_GROUPS));
    if (bad.length || !groups.length) fail(`--groups: unknown group ${bad.join(', ')} (A, B, C, D)`);
    const controller = new AbortController();
    process.on('SIGINT', () => controller.abort());
    const { report, files } = await runAblation({
      repoDir: dir,
      config,
      groups: groups as AblationGroup[],
      repeats: o.repeats,
      iterations: o.iterations,
      onEvent: (group, repeat, e) => {
        noteStart(e);
        if (e.type === 'run.started') console.log(`\n── group ${group}, repeat ${repeat}: ${e.tag}`);
        if (e.type === 'experiment.decided' || e.type === 'strategy.updated' || e.type === 'mechanism.activated' || e.type === 'run.stopped') {
          const line = renderEvent(e);
          if (line) console.log(`  ${line}`);
        }
      },
      signal: controller.signal,
    });
    console.log(`\n${ablationMarkdown(report)}\nwritten to ${files.md} and ${files.json}`);
  });

const mechanisms = program.command('mechanisms').description('Level 2: the mechanisms of a run (list, accept, reject)');

function runTagOrFail(dir: string, tag?: string): string {
  const t = tag ?? latestRunTag(dir);
  if (!t) fail(`no runs in ${dir} yet; start one with: bilevel run`);
  if (!existsSync(join(runsDir(dir), t, 'trace.jsonl'))) fail(`no run ${t} in ${dir}`);
  return t;
}

mechanisms
  .command('list')
  .description('every mechanism proposed in the run, its status, validation and how often its hooks ran')
  .option('--tag <tag>', 'run tag (default: the latest run)')
  .action(async (o: { tag?: string }) => {
    const dir = await repoDir();
    const tag = runTagOrFail(dir, o.tag);
    const state = deriveRunState(TraceStore.read(join(runsDir(dir), tag, 'trace.jsonl')));
    if (!state.mechanisms.size) {
      console.log(`run ${tag}: no mechanism proposed yet`);
      return;
    }
    for (const m of state.mechanisms.values()) {
      const runs = (state.hookStats.get(m.name)?.hooks ?? []).map((h) => `${h.hook}×${h.runs}`).join(' ') || 'no hook ran yet';
      console.log(`${m.name.padEnd(28)} ${m.status.padEnd(16)} ${m.description}`);
      console.log(`${''.padEnd(28)} branch ${m.branch}; hooks ${m.hooks.join(', ') || 'none'}; ran: ${runs}`);
      for (const c of m.checks) console.log(`${''.padEnd(28)} ${c.ok ? '✓' : '✗'} ${c.name}${c.detail ? `: ${c.detail}` : ''}`);
      if (m.reason) console.log(`${''.padEnd(28)} ${m.status}: ${m.reason}`);
    }
  });

for (const verdict of ['accept', 'reject'] as const) {
  mechanisms
    .command(`${verdict} <name>`)
    .description(verdict === 'accept' ? 'activate a mechanism awaiting review (commits it onto the run branch)' : 'reject a mechanism awaiting review, or switch off an active one')
    .option('--tag <tag>', 'run tag (default: the latest run)')
    .option('--reason <text>', 'why (recorded in the trace)')
    .action(async (name: string, o: { tag?: string; reason?: string }) => {
      const dir = await repoDir();
      const tag = runTagOrFail(dir, o.tag);
      try {
        const m = await reviewMechanism(dir, loadTargetConfig(dir), tag, name, verdict, o.reason);
        console.log(`${m.name}: ${m.status}${verdict === 'accept' ? ` (on ${m.status === 'active' ? 'the run branch' : m.branch}); it runs from the next \`bilevel run\`` : ''}`);
      } catch (e) {
        if (e instanceof ConfigError || e instanceof GitError) throw e;
        fail((e as Error).message);
      }
    });
}

// ── finalize: the best result as one commit on a new branch, and a report beside the trace.
program
  .command('finalize')
  .description("take the run's best result home: a new branch from where the run started with the winning change as one commit (without .autoresearch/), and a report.md")
  .option('--tag <tag>', 'run tag (default: the latest run)')
  .option('--branch <name>', 'the branch to create (default: autoresearch/<tag>-best)')
  .action(async (o: { tag?: string; branch?: string }) => {
    const dir = await repoDir();
    const tag = runTagOrFail(dir, o.tag);
    let r: FinalizeResult;
    try {
      r = await finalizeRun(dir, tag, { branch: o.branch });
    } catch (e) {
      if (e instanceof FinalizeRefused) fail(e.message);
      throw e;
    }
    const base = r.baselineMetric;
    console.log(`${r.branch} at ${r.commit.slice(0, 7)}: the best ${r.metricName} ${r.bestMetric.toFixed(6)} (#${r.bestN})${base !== null ? `, Δ ${(r.bestMetric - base).toFixed(6)} from baseline` : ''}, as one commit on ${r.baseCommit.slice(0, 7)}`);
    for (const k of r.kept) console.log(`  #${k.n} ${k.description}: ${k.metric.toFixed(6)}${k.delta !== null ? ` (Δ ${k.delta.toFixed(6)})` : ''}`);
    for (const p of r.params) console.log(`  ${p.name}: ${JSON.stringify(p.baseline)} → ${JSON.stringify(p.best)}`);
    console.log(`files ${r.files.join(', ')}\nreport ${r.report} (chart: ${r.chart}, also as ${r.chartSvg})\nnext: git switch ${r.branch}, or git push -u origin ${r.branch} and open a pull request`);
  });

program
  .command('status')
  .description('best result, last experiments, where the trace is')
  .option('--tag <tag>', 'run tag (default: the latest run)')
  .option('--json', 'machine-readable')
  .option('--last <n>', 'how many experiments to list', positiveInt, 10)
  .action(async (o: { tag?: string; json?: boolean; last: number }) => {
    const dir = await repoDir();
    const tag = o.tag ?? latestRunTag(dir);
    if (!tag) fail(`no runs in ${dir} yet; start one with: bilevel run`);
    const trace = join(runsDir(dir), tag, 'trace.jsonl');
    if (!existsSync(trace)) fail(`no run ${tag} in ${dir}`);
    // Read only: a live run may be writing the trace, and opening it for writing would cut its last line.
    const state = deriveRunState(TraceStore.read(trace));
    if (o.json) {
      console.log(JSON.stringify({ tag, trace, best: state.best, incumbent: state.incumbent, adopted: state.adopted, iterationsDone: state.iterationsDone, stopped: state.stopped, experiments: state.experiments.slice(-o.last) }, null, 2));
      return;
    }
    console.log(summaryLines(state, join(runsDir(dir), tag), state.branch).join('\n'));
    if (state.strategy.reviewer) {
      const s = state.strategy;
      console.log(`strategy (review ${state.strategyReviews}, ${s.reviewer}): frozen ${s.frozen.join(', ') || 'none'}; focus ${s.focus.join(', ') || 'none'}`);
    }
    for (const m of activeMechanisms(state)) {
      const runs = state.hookStats.get(m.name)?.runs ?? 0;
      console.log(`mechanism ${m.name} active since #${m.activatedAt}: ${runs ? `${runs} hook calls` : 'NO hook has run yet'}`);
    }
    const waiting = [...state.mechanisms.values()].filter((m) => m.status === 'awaiting-review');
    for (const m of waiting) console.log(`mechanism ${m.name} awaits review: bilevel mechanisms accept ${m.name}  (or reject)`);
    console.log('\nlast experiments:');
    for (const x of state.experiments.slice(-o.last)) {
      const what = experimentStatus(x, state);
      const metric = x.metric === null ? '' : ` ${x.metric.toFixed(6)}`;
      const mark = x.n === state.best?.n ? '  (best)' : x.n === state.incumbent?.n ? '  (continuing from here)' : '';
      console.log(`  #${String(x.n).padEnd(4)} ${what.padEnd(15)}${metric.padEnd(10)} ${x.description ?? ''}${mark}`);
    }
  });

function summaryLines(state: ReturnType<typeof deriveRunState>, runDir: string, branch: string): string[] {
  const baseline = currentBaseline(state);
  const { best } = state;
  const delta = best && baseline?.metric != null ? best.metric - baseline.metric : null;
  // A mechanism's decide can keep a worse result: the search then goes on from it, the best stays.
  const behind = incumbentBehindBest(state);
  const continuing = behind ? ` · continuing from #${behind.n} ${behind.metric.toFixed(6)} (${behind.commit.slice(0, 7)})` : '';
  return [
    `run ${state.tag}: ${state.iterationsDone} iterations, ${state.stopped ?? 'not finished'}`,
    best ? `best ${state.metricName} ${best.metric.toFixed(6)} at #${best.n} (${best.commit.slice(0, 7)})${delta !== null ? `, Δ ${delta.toFixed(6)} from baseline` : ''}${continuing}` : 'no result yet',
    ...bestHomeLines(state),
    ...(state.adopted ? [`adopted ${state.adopted.commit.slice(0, 7)} (${state.adopted.from === 'run-branch' ? `your commit on ${state.adopted.branch}` : `from ${state.adopted.branch}`}) as the new baseline, from #${state.adopted.n} on`] : []),
    `branch ${branch}`,
    `trace ${join(runDir, 'trace.jsonl')}`,
    `results ${join(runDir, 'results.tsv')}`,
  ];
}

/** The best configuration against the baseline's, and the command that takes it home (none while the baseline is best). */
function bestHomeLines(state: ReturnType<typeof deriveRunState>): string[] {
  const best = state.experiments.find((x) => x.n === state.best?.n);
  if (!best || best.baseline) return [];
  const params = bestParamChanges(state).map((p) => `${p.name} ${JSON.stringify(p.baseline)} → ${JSON.stringify(p.best)}`);
  return [
    `best configuration: ${params.join(', ') || 'no parameter changed (code edits)'}; #${best.n} ${best.description ?? ''}`.trimEnd(),
    `take it home: bilevel finalize --tag ${state.tag}  (creates ${bestBranchName(state.tag)})`,
  ];
}

function fail(message: string): never {
  console.error(`bilevel: ${message}`);
  process.exit(2);
}

program.parseAsync(process.argv).catch((e: unknown) => {
  // Commander has said what was wrong (or printed the help or version) already.
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  const known = USAGE_ERRORS.some((kind) => e instanceof kind);
  if (program.opts().verbose) console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  else console.error(`bilevel: ${e instanceof Error ? e.message : String(e)}${known ? '' : '\n(bilevel -v … shows the stack trace)'}`);
  process.exit(known && !runStarted ? 2 : 1);
});
