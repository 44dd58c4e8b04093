import { isFromWebview, type ExportFormat, type FromWebview } from '../../shared/protocol';
import type { ExperimentRef } from '../views/experimentRef';

/** What the extension does for each message of the dashboard. */
export interface DashboardHandlers {
  ready(): void | Promise<void>;
  openDiff(ref: ExperimentRef): void | Promise<void>;
  openLog(ref: ExperimentRef): void | Promise<void>;
  exportChart(file: { format: ExportFormat; bytes: Buffer; fileName: string }): void | Promise<void>;
  error(message: string): void;
}

/**
 * Dispatches one message from the webview. Anything that is not a FromWebview (a compromised or
 * buggy page) is reported through `error` and otherwise ignored. Pure apart from the handlers.
 */
export async function routeDashboardMessage(raw: unknown, h: DashboardHandlers): Promise<void> {
  if (!isFromWebview(raw)) {
    h.error(`ignored a malformed dashboard message: ${preview(raw)}`);
    return;
  }
  const m: FromWebview = raw;
  switch (m.type) {
    case 'ready':
      return h.ready();
    case 'openDiff':
      return h.openDiff({ tag: m.tag, n: m.n });
    case 'openLog':
      return h.openLog({ tag: m.tag, n: m.n });
    case 'exportChart': {
      const bytes = chartFileBytes(m.format, m.data);
      if (!bytes) return h.error(`the exported ${m.format} chart is not what the dashboard should send`);
      return h.exportChart({ format: m.format, bytes, fileName: safeFileName(m.fileName, m.format) });
    }
    case 'error':
      return h.error(m.message);
  }
}

/** png: a `data:image/png;base64,` URL; svg: the document's text. Null for anything else. */
export function chartFileBytes(format: ExportFormat, data: string): Buffer | null {
  if (format === 'svg') return /^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(data) ? Buffer.from(data, 'utf8') : null;
  const m = /^data:image\/png;base64,([A-Za-z0-9+/=]+)$/.exec(data);
  return m ? Buffer.from(m[1], 'base64') : null;
}

/** The suggested name, reduced to a plain file name with the right extension. */
export function safeFileName(name: string, format: ExportFormat): string {
  const base = (name.split(/[\\/]/).pop() ?? '').replace(/[^\w.\- ]+/g, '_').replace(/^\.+/, '').replace(/\.(png|svg)$/i, '') || 'autoresearch-progress';
  return `${base}.${format}`;
}

function preview(x: unknown): string {
  try {
    const s = JSON.stringify(x) ?? String(x);
    return s.length > 120 ? `${s.slice(0, 119)}…` : s;
  } catch {
    return String(x);
  }
}
