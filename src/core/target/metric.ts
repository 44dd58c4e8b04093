/**
 * Reading the metric a training script prints. Pure: the executor feeds lines in as they arrive.
 */

export interface MetricSpec {
  name: string;
  /** Custom pattern with exactly one capture group around the number. Default: `<name>: <number>` at line start. */
  regex?: string;
  goal: 'minimize' | 'maximize';
  secondary?: { name: string; regex?: string }[];
}

export interface MetricReading {
  /** The last value of the metric, or null when it was never printed or its last value was nan/inf. */
  metric: number | null;
  /** Last finite value of each secondary metric that was printed. */
  secondary: Record<string, number>;
  /** The text of the last metric match when it was not a finite number (e.g. "nan"): why `metric` is null. */
  invalidMetric?: string;
}

const FINITE_NUMBER = String.raw`[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?`;
// Matched (so a final `val_bpb: nan` overrides an earlier finite value) but never accepted as a metric.
const NON_FINITE = String.raw`[-+]?(?:[nN][aA][nN]|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?)`;
const FINITE_NUMBER_EXACT = new RegExp(`^${FINITE_NUMBER}$`);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function captureGroupCount(source: string): number {
  // The empty alternative always matches, and the match array has one slot per capture group.
  return new RegExp(`${source}|`).exec('')!.length - 1;
}

/**
 * The pattern that finds `name` in one line of output; capture group 1 is the number.
 * Throws an Error naming `metric.regex` when a custom regex does not compile or has not exactly one capture group.
 */
export function metricPattern(name: string, regex?: string): RegExp {
  if (regex === undefined) {
    // The trailing look-ahead stops `0.5e` or `1.2.3` from matching as a prefix number.
    return new RegExp(String.raw`^\s*${escapeRegExp(name)}\s*[:=]\s*(${FINITE_NUMBER}|${NON_FINITE})(?![\w.])`);
  }
  let pattern: RegExp;
  try {
    pattern = new RegExp(regex);
  } catch (e) {
    throw new Error(`metric.regex /${regex}/ for "${name}" does not compile: ${(e as Error).message}`);
  }
  const groups = captureGroupCount(regex);
  if (groups !== 1) {
    throw new Error(
      `metric.regex /${regex}/ for "${name}" must have exactly one capture group, around the number (it has ${groups}); use (?:...) for any other group`,
    );
  }
  return pattern;
}

/** A metric value from captured text: finite decimal numbers only; nan, inf and anything else are null. */
export function parseMetricValue(text: string): number | null {
  const trimmed = text.trim();
  if (!FINITE_NUMBER_EXACT.test(trimmed)) return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : null;
}

/** Scans output line by line, remembering only the last match of each metric. */
export class MetricScanner {
  private readonly primary: RegExp;
  private readonly secondaries: { name: string; pattern: RegExp }[];
  private metric: number | null = null;
  private invalidMetric: string | undefined;
  private readonly secondary: Record<string, number> = {};

  constructor(spec: MetricSpec) {
    this.primary = metricPattern(spec.name, spec.regex);
    this.secondaries = (spec.secondary ?? []).map((s) => ({ name: s.name, pattern: metricPattern(s.name, s.regex) }));
  }

  push(line: string): void {
    const text = captured(this.primary, line);
    if (text !== undefined) {
      this.metric = parseMetricValue(text);
      this.invalidMetric = this.metric === null ? text.trim() : undefined;
    }
    for (const { name, pattern } of this.secondaries) {
      const t = captured(pattern, line);
      if (t === undefined) continue;
      const value = parseMetricValue(t);
      if (value === null) delete this.secondary[name];
      else this.secondary[name] = value;
    }
  }

  reading(): MetricReading {
    const reading: MetricReading = { metric: this.metric, secondary: { ...this.secondary } };
    if (this.invalidMetric !== undefined) reading.invalidMetric = this.invalidMetric;
    return reading;
  }
}

function captured(pattern: RegExp, line: string): string | undefined {
  const m = pattern.exec(line);
  return m?.[1] ?? undefined;
}

/** The metrics in a run's output. The last match wins: scripts may print intermediate values before the final one. */
export function readMetrics(lines: Iterable<string>, spec: MetricSpec): MetricReading {
  const scanner = new MetricScanner(spec);
  for (const line of lines) scanner.push(line);
  return scanner.reading();
}
