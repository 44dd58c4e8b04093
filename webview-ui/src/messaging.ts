import { isToWebview, type FromWebview, type ToWebview } from '../../src/shared/protocol';

/**
 * The webview's only line to the extension. Inside VS Code it is acquireVsCodeApi(); on a page
 * without it (the standalone test page, a browser preview) a stub channel: what the dashboard
 * posts is dispatched on window as a `bilevel-dashboard:post` CustomEvent (and exported charts
 * are downloaded), and state lives in sessionStorage.
 */

export interface Channel {
  post(msg: FromWebview): void;
  /** Messages from the extension, shape-checked; returns an unsubscribe. */
  onMessage(handler: (msg: ToWebview) => void): () => void;
  getState<T>(): T | undefined;
  setState<T>(state: T): void;
}

interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare global {
  interface Window {
    acquireVsCodeApi?: () => VsCodeApi;
  }
}

export const STUB_POST_EVENT = 'bilevel-dashboard:post';

export function createChannel(win: Window = window): Channel {
  const api = typeof win.acquireVsCodeApi === 'function' ? win.acquireVsCodeApi() : stubApi(win);
  return {
    post: (msg) => api.postMessage(msg),
    onMessage(handler) {
      const listener = (ev: MessageEvent) => {
        if (isToWebview(ev.data)) handler(ev.data);
      };
      win.addEventListener('message', listener);
      return () => win.removeEventListener('message', listener);
    },
    getState: <T>() => (api.getState() ?? undefined) as T | undefined,
    setState: (state) => api.setState(state),
  };
}

function stubApi(win: Window): VsCodeApi {
  const KEY = 'bilevel-dashboard-state';
  return {
    postMessage(msg) {
      win.dispatchEvent(new CustomEvent(STUB_POST_EVENT, { detail: msg }));
      const m = msg as FromWebview;
      if (m.type === 'exportChart') download(win, m.fileName, m.format === 'png' ? m.data : `data:image/svg+xml;charset=utf-8,${encodeURIComponent(m.data)}`);
    },
    getState() {
      try {
        const s = win.sessionStorage.getItem(KEY);
        return s ? JSON.parse(s) : undefined;
      } catch {
        return undefined;
      }
    },
    setState(state) {
      try {
        win.sessionStorage.setItem(KEY, JSON.stringify(state));
      } catch {
        /* storage unavailable (opaque origin): state is not kept */
      }
    },
  };
}

function download(win: Window, fileName: string, href: string): void {
  const a = win.document.createElement('a');
  a.href = href;
  a.download = fileName;
  a.hidden = true;
  win.document.body.append(a);
  a.click();
  a.remove();
}
