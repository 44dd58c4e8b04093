/**
 * The words of the CLI's progress: the status line a terminal shows in place while a run works, and
 * the note plain output adds to each result. Pure, so what a user reads is tested as text.
 */

/** Where the run stands at one moment. */
export interface ProgressView {
  /** Iterations counted toward the budget so far (the baseline and interrupted ones not counted). */
  done: number;
  /** The budget: `bilevel run -n`. */
  total: number;
  /** The experiment the line is about (the latest one started), or null between experiments. */
  n: number | null;
  baseline: boolean;
  /** How long it has been training, or null when it is not training yet (proposing, committing). */
  trainingMs: number | null;
  /** Since this process started the run. */
  elapsedMs: number;
  /** Till the budget is spent, at the pace of this session so far; null before anything finished. */
  etaMs: number | null;
  /** The latest line its training printed. */
  line: string | null;
}

/** 0:07, 12:34, 1:02:03. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const two = (v: number) => String(v).padStart(2, '0');
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

/**
 * Time left: the iterations still to do at the pace of those finished in this session (wall clock
 * per finished iteration, so parallel workers and proposal time are in it), less what the one in
 * progress has already taken (`currentMs`, at most one pace). Null before one finished.
 */
export function etaMs(elapsedMs: number, finished: number, remaining: number, currentMs = 0): number | null {
  if (finished <= 0) return null;
  const pace = elapsedMs / finished;
  return Math.max(0, pace * Math.max(0, remaining) - (remaining > 0 ? Math.min(currentMs, pace) : 0));
}

/**
 * A training line as one terminal line: what a progress bar redrew last (the text after its final
 * \r), without colour codes or other control characters.
 */
export function cleanTrainingLine(line: string): string {
  const lastFrame = line.split('\r').filter((part) => part.trim()).pop() ?? '';
  return lastFrame.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/[\x00-\x1f\x7f]/g, ' ').trim();
}

/** "3/10 · elapsed 1:05 · ETA 2:10": where the budget stands. */
export function progressNote(v: Pick<ProgressView, 'done' | 'total' | 'elapsedMs' | 'etaMs'>): string {
  return [`${Math.min(v.done, v.total)}/${v.total}`, `elapsed ${formatDuration(v.elapsedMs)}`, `ETA ${v.etaMs === null ? '—' : formatDuration(v.etaMs)}`].join(' · ');
}

/**
 * The one line a terminal rewrites in place: which experiment (#n, its place in the budget), how long
 * it has trained, the run's elapsed time and ETA, and the latest training line, cut to `width`
 * characters so that it never wraps (a wrapped line cannot be rewritten with \r).
 */
export function statusLine(v: ProgressView, width: number): string {
  const which = v.n === null ? 'between experiments' : v.baseline ? `#${v.n} baseline` : `#${v.n} (${Math.min(v.done + 1, v.total)}/${v.total})`;
  const doing = v.n === null ? null : v.trainingMs === null ? 'preparing' : `training ${formatDuration(v.trainingMs)}`;
  const head = [which, doing, `elapsed ${formatDuration(v.elapsedMs)}`, `ETA ${v.etaMs === null ? '—' : formatDuration(v.etaMs)}`].filter(Boolean).join(' · ');
  const text = v.line && v.trainingMs !== null ? `${head} │ ${cleanTrainingLine(v.line)}` : head;
  const max = Math.max(10, width - 1);
  return [...text].length > max ? [...text].slice(0, max - 1).join('') + '…' : text;
}
