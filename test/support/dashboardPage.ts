import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { RunEvent } from '../../src/shared/trace/events';
import { dashboardHtml, makeNonce } from '../../src/shared/dashboardHtml';
import type { FromWebview } from '../../src/shared/protocol';
import type { RenderInfo } from '../../webview-ui/src/app';
import { buildDashboard } from '../../webview-ui/build.mjs';
import { applyThemeInPage, THEMES, type TestTheme } from './webviewThemes';

/**
 * The dashboard bundle hosted the way the extension hosts it, for the webview test and the render
 * bench: built into a temp folder, served from 127.0.0.1 behind the extension's own HTML
 * (dashboardHtml, strict CSP), in headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core; installed by scripts/test-hosts/chromium.sh when missing).
 */

export const CHROMIUM = '/usr/bin/chromium';
const RENDERED = 'bilevel-dashboard:rendered';

declare global {
  interface Window {
    __posted: FromWebview[];
    __stubPosted?: FromWebview[];
    __csp: string[];
    __renders: number;
    __lastRender: RenderInfo | null;
    __payload?: { traceJsonl: string } | { events: RunEvent[] };
    __inlineRan?: boolean;
  }
}


/**
 * Installed before any page script: CSP violations, renders and stub-channel posts are recorded;
 * with stubVsCode, acquireVsCodeApi is a stub that records what the webview posts.
 */
const initScript = (stubVsCode: boolean) => `
  globalThis.__name = globalThis.__name || ((f) => f);
  window.__posted = [];
  window.__csp = [];
  window.__renders = 0;
  window.__lastRender = null;
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));
  document.addEventListener('${RENDERED}', (e) => { window.__renders++; window.__lastRender = e.detail; });
  window.addEventListener('bilevel-dashboard:post', (e) => window.__stubPosted = (window.__stubPosted || []).concat([e.detail]));
  ${stubVsCode ? `let state; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))), getState: () => state, setState: (s) => { state = s; } });` : ''}
`;

export class DashboardHost {
  /** Console errors and warnings, failed requests and page errors of every page opened. */
  readonly problems: string[] = [];
  private constructor(
    private readonly server: Server,
    private readonly origin: string,
    readonly ctx: BrowserContext,
    private readonly dirs: string[],
  ) {}

  static async start(viewport = { width: 1400, height: 1000 }): Promise<DashboardHost> {
    // A fresh CI machine has no browser: install Debian's.
    if (!existsSync(CHROMIUM)) execFileSync('bash', ['scripts/test-hosts/chromium.sh'], { stdio: 'inherit', timeout: 15 * 60_000 });
    const outdir = mkdtempSync(join(tmpdir(), 'dashboard-build-'));
    await buildDashboard({ outdir, sourcemap: false });
    let origin = '';
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', origin);
      if (url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(dashboardHtml({ scriptUri: `${origin}/dist/dashboard.js`, styleUri: `${origin}/dist/dashboard.css`, cspSource: origin, nonce: makeNonce() }));
        return;
      }
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204).end();
        return;
      }
      const file = url.pathname.startsWith('/dist/') ? join(outdir, url.pathname.slice('/dist/'.length)) : '';
      if (!file || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      const type = { '.js': 'text/javascript', '.css': 'text/css' }[extname(file)] ?? 'application/octet-stream';
      res.writeHead(200, { 'content-type': type }).end(readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    origin = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const userDataDir = mkdtempSync(join(tmpdir(), 'dashboard-chromium-'));
    const ctx = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
      viewport,
      deviceScaleFactor: 1,
    });
    return new DashboardHost(server, origin, ctx, [outdir, userDataDir]);
  }

  /** A fresh dashboard page; stubVsCode: as inside VS Code (acquireVsCodeApi), else the standalone stub channel. */
  async openPage(stubVsCode: boolean): Promise<Page> {
    const p = await this.ctx.newPage();
    await p.addInitScript({ content: initScript(stubVsCode) });
    p.on('console', (m) => {
      // The one warning our own pixel readback causes is not the dashboard's.
      if ((m.type() === 'error' || m.type() === 'warning') && !m.text().includes('willReadFrequently')) this.problems.push(`${m.type()}: ${m.text()} ${m.location().url}`);
    });
    p.on('requestfailed', (r) => this.problems.push(`request failed: ${r.url()}`));
    p.on('response', (r) => {
      if (r.status() >= 400) this.problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    p.on('pageerror', (e) => this.problems.push(`pageerror: ${e.message}`));
    await p.goto(`${this.origin}/`);
    return p;
  }

  async close(): Promise<void> {
    await this.ctx.close();
    await new Promise((r) => this.server.close(r));
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** Does what VS Code does on a theme switch and waits for the charts to redraw. */
export async function setTheme(p: Page, kind: TestTheme): Promise<void> {
  await p.evaluate(applyThemeInPage, [kind, THEMES[kind]] as [string, Record<string, string>]);
  // The charts re-read colors on the next frame; give them two.
  await p.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

export interface FirstRender {
  /** From postMessage to the end of the render it caused. */
  toRender: number;
  /** … to two frames later (painted). */
  toPaint: number;
  /** The app's own account: from message arrival (parse and fold included) and the render alone. */
  app: RenderInfo;
}

/**
 * Posts an init with one run to a fresh standalone page and measures it in the page. The payload
 * (the trace text, or the events as objects) is put in the page first, unmeasured.
 */
export async function measureFirstRender(p: Page, tag: string, events: readonly RunEvent[], mode: 'jsonl' | 'objects'): Promise<FirstRender> {
  await p.waitForFunction(() => (window.__stubPosted ?? []).some((m) => m.type === 'ready'));
  const jsonl = events.map((e) => JSON.stringify(e)).join('\n') + '\n';
  await p.evaluate(
    ([text, m]) => {
      window.__payload = m === 'jsonl' ? { traceJsonl: text } : { events: text.split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
    },
    [jsonl, mode] as const,
  );
  return p.evaluate(async (t) => {
    const t0 = performance.now();
    const done = new Promise((r) => document.addEventListener('bilevel-dashboard:rendered', r, { once: true }));
    window.postMessage({ type: 'init', runs: [{ tag: t, frozen: ['TIME_BUDGET', 'SEED'], ...window.__payload }] }, '*');
    await done;
    const rendered = performance.now();
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return { toRender: rendered - t0, toPaint: performance.now() - t0, app: window.__lastRender! };
  }, tag);
}

/** Sets a filter select as a user's choice would and measures until the render is painted. */
export async function measureFilterChange(p: Page, key: string, value: string): Promise<{ toRender: number; toPaint: number; shown: number }> {
  return p.evaluate(
    async ([k, v]) => {
      const el = document.querySelector(`[data-filter="${k}"]`) as HTMLElement & { value: string };
      const t0 = performance.now();
      const done = new Promise((r) => document.addEventListener('bilevel-dashboard:rendered', r, { once: true }));
      el.value = v;
      el.dispatchEvent(new Event('change'));
      await done;
      const rendered = performance.now();
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return { toRender: rendered - t0, toPaint: performance.now() - t0, shown: Number((document.querySelector('[data-testid=filter-count]') as HTMLElement).dataset.shown) };
    },
    [key, value],
  );
}

/** Appends one finished experiment n as live events and measures until its render ends. */
export async function measureLiveAppend(p: Page, tag: string, n: number): Promise<number> {
  return p.evaluate(
    async ([t, k]) => {
      const t0 = performance.now();
      const done = new Promise((r) => document.addEventListener('bilevel-dashboard:rendered', r, { once: true }));
      const at = new Date().toISOString();
      window.postMessage(
        {
          type: 'events',
          tag: t,
          events: [
            { seq: 1e9 + 3 * k, at, type: 'iteration.started', n: k, baseCommit: 'x', baseline: false },
            { seq: 1e9 + 3 * k + 1, at, type: 'experiment.decided', n: k, status: 'discard', commit: 'y', metric: 2, previousBest: 1, delta: 1, description: 'live', memoryGb: null },
            { seq: 1e9 + 3 * k + 2, at, type: 'iteration.finished', n: k, result: 'discard' },
          ],
        },
        '*',
      );
      await done;
      return performance.now() - t0;
    },
    [tag, n] as const,
  );
}
