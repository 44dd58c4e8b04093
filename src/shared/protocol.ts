import type { RunEvent } from './trace/events';

/**
 * The dashboard webview's messages, both ways, defined once. The extension and the webview bundle
 * both import this file; it has no runtime dependency on the engine (RunEvent is a type only), on
 * `vscode`, or on the DOM.
 *
 * Handshake: the webview posts `ready` once it listens; the extension answers with `init` (again
 * after every `ready`: a webview that was hidden and restored starts over), then streams `events`
 * while a run goes on and `runs` when the set of runs changes.
 */

/** One run's whole trace as the webview receives it. */
export interface RunPayload {
  /** The run's tag (its directory under .autoresearch/runs/). */
  tag: string;
  /**
   * The trace so far as its trace.jsonl text, one event per line, as on disk. The cheap way to send
   * a big run (10,000 experiments ≈ 18 MB): the extension need not parse the file, and one string
   * crosses each postMessage hop several times cheaper than the same events as objects; the
   * webview parses it once. A torn or malformed line is skipped.
   */
  traceJsonl?: string;
  /** Events as objects, in seq order, after those of traceJsonl (training.output never needed). */
  events?: RunEvent[];
  /** Parameters frozen by the target's config (`parameters.frozen`); a strategy review may freeze more. */
  frozen?: string[];
  /** Free label, e.g. an ablation group ("no-mechanisms"); shown next to the tag in comparisons. */
  group?: string;
}

export type ThemeKind = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';

/** Extension → webview. */
export type ToWebview =
  /** Everything the dashboard shows, replacing what it had. `selected`: the run to open (default: the last). */
  | { type: 'init'; runs: RunPayload[]; selected?: string; theme?: ThemeKind }
  /** Live append: new events of one run, in seq order. A tag not seen yet starts a new run. */
  | { type: 'events'; tag: string; events: RunEvent[] }
  /** Runs added or replaced wholesale (e.g. another ablation group finished); others are kept. */
  | { type: 'runs'; runs: RunPayload[]; selected?: string }
  /** Open this run in the dashboard (e.g. from a tree view command). */
  | { type: 'select'; tag: string }
  /** Only for hosts that do not set VS Code's body class themselves (the standalone page). */
  | { type: 'theme'; theme: ThemeKind };

export type ExportFormat = 'png' | 'svg';

/** Webview → extension. */
export type FromWebview =
  | { type: 'ready' }
  /** Show experiment n's change: `git diff <base> refs/autoresearch/<tag>/tried/<n>` (or its commit). */
  | { type: 'openDiff'; tag: string; n: number }
  /** Open logs/<n>.log of the run. */
  | { type: 'openLog'; tag: string; n: number }
  /**
   * Save the progress chart. `data` is a `data:image/png;base64,…` URL for png and the SVG
   * document's text for svg; `fileName` is a suggestion for the save dialog.
   */
  | { type: 'exportChart'; format: ExportFormat; data: string; fileName: string }
  /** Something failed inside the webview; the extension logs it. */
  | { type: 'error'; message: string };

export type ToWebviewType = ToWebview['type'];
export type FromWebviewType = FromWebview['type'];

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;
const isRunPayload = (x: unknown): x is RunPayload =>
  isObject(x) &&
  typeof x.tag === 'string' &&
  (x.events === undefined || Array.isArray(x.events)) &&
  (x.traceJsonl === undefined || typeof x.traceJsonl === 'string') &&
  (x.events !== undefined || x.traceJsonl !== undefined);
const isN = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

/** Shape check for messages arriving in the webview (anything else on `window` is ignored). */
export function isToWebview(x: unknown): x is ToWebview {
  if (!isObject(x)) return false;
  switch (x.type) {
    case 'init':
    case 'runs':
      return Array.isArray(x.runs) && x.runs.every(isRunPayload);
    case 'events':
      return typeof x.tag === 'string' && Array.isArray(x.events);
    case 'select':
      return typeof x.tag === 'string';
    case 'theme':
      return typeof x.theme === 'string';
    default:
      return false;
  }
}

/** Shape check for messages arriving in the extension from the webview. */
export function isFromWebview(x: unknown): x is FromWebview {
  if (!isObject(x)) return false;
  switch (x.type) {
    case 'ready':
      return true;
    case 'openDiff':
    case 'openLog':
      return typeof x.tag === 'string' && isN(x.n);
    case 'exportChart':
      return (x.format === 'png' || x.format === 'svg') && typeof x.data === 'string' && typeof x.fileName === 'string';
    case 'error':
      return typeof x.message === 'string';
    default:
      return false;
  }
}
