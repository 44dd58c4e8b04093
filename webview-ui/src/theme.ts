/**
 * Colors for what is drawn on canvas (CSS handles everything else through the --vscode-* variables
 * directly). Read from the variables VS Code injects on <html> and the body class it sets
 * (vscode-light / vscode-dark / vscode-high-contrast[-light]), re-read when either changes.
 */

export type ThemeClass = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';

export interface Palette {
  kind: ThemeClass;
  background: string;
  foreground: string;
  muted: string;
  grid: string;
  border: string;
  keep: string;
  discard: string;
  crash: string;
  cached: string;
  best: string;
  strategy: string;
  mechanism: string;
  /** One color per mechanism span, cycled; matches the .mech-<i> classes in dashboard.css. */
  spans: string[];
  /** One color per run in the comparison, cycled; matches the .run-<i> classes. */
  runs: string[];
  font: string;
  fontFamily: string;
  fontSize: number;
}

const FALLBACK: Record<'light' | 'dark', Record<string, string>> = {
  dark: {
    'editor-background': '#1f1f1f',
    foreground: '#cccccc',
    descriptionForeground: '#9d9d9d',
    'charts-lines': 'rgba(204, 204, 204, 0.5)',
    'panel-border': '#2b2b2b',
    'charts-green': '#89d185',
    'charts-red': '#f14c4c',
    'charts-blue': '#3794ff',
    'charts-yellow': '#cca700',
    'charts-orange': '#d18616',
    'charts-purple': '#b180d7',
    'charts-foreground': '#cccccc',
  },
  light: {
    'editor-background': '#ffffff',
    foreground: '#3b3b3b',
    descriptionForeground: '#717171',
    'charts-lines': 'rgba(97, 97, 97, 0.5)',
    'panel-border': '#e5e5e5',
    'charts-green': '#388a34',
    'charts-red': '#e51400',
    'charts-blue': '#1a85ff',
    'charts-yellow': '#bf8803',
    'charts-orange': '#d18616',
    'charts-purple': '#652d90',
    'charts-foreground': '#616161',
  },
};

export function themeClass(body: HTMLElement = document.body): ThemeClass {
  const c = body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  if (c.contains('vscode-light')) return 'light';
  if (c.contains('vscode-dark')) return 'dark';
  return window.matchMedia?.('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

export function readPalette(): Palette {
  const kind = themeClass();
  const style = getComputedStyle(document.body);
  const fallback = FALLBACK[kind === 'light' || kind === 'high-contrast-light' ? 'light' : 'dark'];
  const v = (name: string, alt?: string) => style.getPropertyValue(`--vscode-${name}`).trim() || (alt ? style.getPropertyValue(`--vscode-${alt}`).trim() : '') || fallback[name] || fallback[alt ?? ''] || '';
  const hc = kind.startsWith('high-contrast');
  const fontFamily = v('font-family') || 'system-ui, sans-serif';
  const fontSize = parseFloat(v('font-size')) || 13;
  const foreground = v('foreground');
  return {
    kind,
    background: v('editor-background'),
    foreground,
    muted: v('descriptionForeground'),
    grid: hc ? v('contrastBorder', 'charts-lines') : v('charts-lines'),
    border: hc ? v('contrastBorder', 'panel-border') : v('panel-border'),
    keep: v('charts-green'),
    // descriptionForeground is made to be read on the editor background in every theme; charts-foreground is not.
    discard: hc ? foreground : v('descriptionForeground', 'charts-foreground'),
    crash: v('charts-red'),
    cached: v('charts-blue'),
    best: v('charts-green'),
    strategy: v('charts-purple'),
    mechanism: v('charts-orange'),
    spans: [v('charts-yellow'), v('charts-blue'), v('charts-purple'), v('charts-orange'), v('charts-green'), v('charts-red')],
    runs: [v('charts-blue'), v('charts-orange'), v('charts-green'), v('charts-purple'), v('charts-red'), v('charts-yellow')],
    font: `${Math.max(10, fontSize - 2)}px ${fontFamily}`,
    fontFamily,
    fontSize,
  };
}

/** Calls back (once per frame at most) when VS Code switches the theme. */
export function watchTheme(onChange: () => void): () => void {
  let pending = 0;
  const fire = () => {
    if (pending) return;
    pending = requestAnimationFrame(() => {
      pending = 0;
      onChange();
    });
  };
  const mo = new MutationObserver(fire);
  mo.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
  mo.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  return () => mo.disconnect();
}
