/**
 * The dashboard webview's HTML, shared by the extension (webview.html) and the standalone test page.
 * Pure: no `vscode`, no DOM. The only script is the bundle, loaded with a nonce; the CSP allows
 * nothing inline (no inline script, no inline style element or attribute) and no network beyond
 * the webview's own resources.
 */

export interface DashboardHtmlOptions {
  /** URI of dist/webview/dashboard.js as the webview sees it (webview.asWebviewUri). */
  scriptUri: string;
  /** URI of dist/webview/dashboard.css. */
  styleUri: string;
  /** webview.cspSource: the origin resources are served from. */
  cspSource: string;
  /** A fresh random nonce per HTML (see makeNonce). */
  nonce: string;
  title?: string;
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The Content-Security-Policy of the dashboard. */
export function dashboardCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `img-src ${cspSource} data: blob:`,
    `font-src ${cspSource}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

export function dashboardHtml(o: DashboardHtmlOptions): string {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(o.nonce)) throw new Error('dashboardHtml: the nonce must be at least 16 base64/hex characters');
  // webview.cspSource may be several sources, e.g. code-server's `'self' https://*.vscode-cdn.net`;
  // each must be a host source or 'self', so nothing can add a directive or a keyword like 'unsafe-inline'.
  if (!o.cspSource.split(' ').every((t) => t === "'self'" || /^[A-Za-z0-9*+.:/_-]+$/.test(t))) throw new Error(`dashboardHtml: not a CSP source: ${o.cspSource}`);
  const a = escapeAttr;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${a(dashboardCsp(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${a(o.styleUri)}">
<title>${a(o.title ?? 'Bilevel Autoresearch')}</title>
</head>
<body>
<div id="app" class="app" aria-busy="true"><p class="app-loading">Waiting for the run…</p></div>
<script nonce="${a(o.nonce)}" src="${a(o.scriptUri)}"></script>
</body>
</html>
`;
}

/** 32 random alphanumerics from the platform's CSPRNG (Node ≥ 19 and browsers have globalThis.crypto). */
export function makeNonce(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = new Uint8Array(32);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => chars[b % chars.length]).join('');
}
