import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseParams } from './pythonParams';
import { reportingOnlyConstants } from './reportingConstants';
import { ConfigError } from './targetConfig';
import { timeBudgetParams } from './timeBudget';

/** What `bilevel init` found in a repo, as the JSON it will write. */
export interface InitProposal {
  config: Record<string, unknown>;
  notes: string[];
}

const METRIC_WORDS = ['val_bpb', 'val_loss', 'val_ppl', 'perplexity', 'val_acc', 'accuracy', 'loss'];
const MAXIMIZE = /acc|f1|score|reward|auc/i;

/** Picks the file that holds the hyperparameters: train.py if present, else the .py file with the most constants. */
export function findParamFile(repoDir: string): { file: string; count: number } | null {
  const files = readdirSync(repoDir).filter((f) => f.endsWith('.py'));
  const counts = files.map((file) => ({ file, count: parseParams(readFileSync(join(repoDir, file), 'utf8')).length }));
  const train = counts.find((c) => c.file === 'train.py' && c.count > 0);
  if (train) return train;
  counts.sort((a, b) => b.count - a.count);
  return counts[0]?.count ? counts[0] : null;
}

/** The metric the script prints, guessed from its source. Pure. */
export function guessMetric(source: string): { name: string; goal: 'minimize' | 'maximize' } {
  const name = METRIC_WORDS.find((w) => new RegExp(`["'{ ]${w}\\s*[:=]`).test(source) || source.includes(`${w}:`)) ?? 'val_loss';
  return { name, goal: MAXIMIZE.test(name) ? 'maximize' : 'minimize' };
}

/** The first interpreter on this machine that can import what the script needs. */
export function findPython(repoDir: string, needs: string[], candidates = ['python3', 'python', '.venv/bin/python', 'venv/bin/python', '/usr/bin/python3']): string | null {
  for (const py of candidates) {
    const exe = py.includes('/') && !py.startsWith('/') ? join(repoDir, py) : py;
    if (py.includes('/') && !existsSync(exe)) continue;
    try {
      execFileSync(exe, ['-c', needs.map((m) => `import ${m}`).join('; ') || 'pass'], { cwd: repoDir, stdio: 'ignore', timeout: 60_000 });
      return py;
    } catch {
      continue;
    }
  }
  return null;
}

/** Top-level third-party imports worth checking for (the heavy ones a wrong interpreter lacks). */
export function heavyImports(source: string): string[] {
  const wanted = ['torch', 'numpy', 'jax', 'tensorflow'];
  return wanted.filter((m) => new RegExp(`^\\s*(import|from)\\s+${m}\\b`, 'm').test(source));
}

/** Inspects a training repo and proposes an autoresearch.config.json for it. */
export function proposeConfig(repoDir: string): InitProposal {
  const notes: string[] = [];
  const found = findParamFile(repoDir);
  if (!found) throw new ConfigError(`No Python file with UPPER_CASE constants found in ${repoDir}. Create autoresearch.config.json by hand (see the schema) and list your parameter names under parameters.names.`);
  const source = readFileSync(join(repoDir, found.file), 'utf8');
  const params = parseParams(source);
  const names = new Set(params.map((p) => p.name));
  notes.push(`parameters: ${found.count} constants in ${found.file}`);

  let command: string;
  if (existsSync(join(repoDir, 'uv.lock'))) {
    command = `uv run ${found.file}`;
  } else {
    const py = findPython(repoDir, heavyImports(source));
    if (!py) notes.push(`no Python interpreter here could import ${heavyImports(source).join(', ')}; edit run.command`);
    command = `${py ?? 'python3'} ${found.file}`;
  }
  notes.push(`run command: ${command}`);

  const metric = guessMetric(source);
  notes.push(`metric: ${metric.name} (${metric.goal})`);
  const budget = timeBudgetParams(params);
  const timeBudgetSeconds = (budget.find((p) => /^TIME_BUDGET$/i.test(p.name))?.value as number | undefined) ?? 300;
  const fixed = [...names].filter((n) => budget.some((p) => p.name === n) || /SEED/i.test(n));
  if (fixed.length) notes.push(`frozen (fixed by design): ${fixed.join(', ')}`);
  const reporting = reportingOnlyConstants(source, [...names].filter((n) => !fixed.includes(n)));
  if (reporting.length) notes.push(`frozen (only used in printed/logged figures, cannot change training): ${reporting.join(', ')}`);
  const frozen = [...fixed, ...reporting];
  const secondary = ['peak_vram_mb', 'training_seconds', 'num_steps'].filter((s) => source.includes(s)).map((name) => ({ name }));

  return {
    notes,
    config: {
      goal: `Get the lowest ${metric.name} within the fixed time budget.`.replace('lowest', metric.goal === 'minimize' ? 'lowest' : 'highest'),
      editable: [found.file],
      parameters: { file: found.file, frozen },
      run: { command, timeBudgetSeconds, hardTimeoutSeconds: Math.ceil(timeBudgetSeconds * 2 + 60) },
      metric: {
        name: metric.name,
        goal: metric.goal,
        ...(secondary.length ? { secondary } : {}),
        ...(secondary.some((s) => s.name === 'peak_vram_mb') ? { memory: { name: 'peak_vram_mb', unit: 'MB' } } : {}),
      },
      proposer: { kind: 'heuristic' },
    },
  };
}
