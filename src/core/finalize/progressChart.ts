import type { ChartLayout } from './chartLayout';
import { CHART_COLORS as C } from './chartLayout';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (v: number) => Number(v.toFixed(2)).toString();

/**
 * The progress chart as a standalone SVG (white background, so it reads in light and dark
 * markdown), with a title, axis labels, a legend and a tooltip per point. Pure.
 */
export function progressChartSvg(l: ChartLayout): string {
  const { plot: p, width: W, height: H } = l;
  const parts: string[] = [`<rect width="${W}" height="${H}" fill="${C.background}"/>`];
  parts.push(`<text x="${p.left}" y="22" font-size="14" font-weight="bold">${esc(l.title)}</text>`);
  for (const t of l.yTicks) {
    parts.push(`<line x1="${p.left}" x2="${p.right}" y1="${num(t.y)}" y2="${num(t.y)}" stroke="${C.grid}"/>`);
    parts.push(`<text x="${p.left - 6}" y="${num(t.y + 4)}" font-size="11" text-anchor="end">${t.label}</text>`);
  }
  for (const t of l.xTicks) parts.push(`<text x="${num(t.x)}" y="${p.bottom + 16}" font-size="11" text-anchor="middle">${t.label}</text>`);
  parts.push(`<text x="${p.right}" y="${H - 8}" font-size="12" text-anchor="end">experiment</text>`);
  parts.push(`<rect x="${p.left}" y="${p.top}" width="${p.right - p.left}" height="${p.bottom - p.top}" fill="none" stroke="${C.frame}"/>`);
  if (l.bestLine.length) parts.push(`<polyline points="${l.bestLine.map(([x, y]) => `${num(x)},${num(y)}`).join(' ')}" fill="none" stroke="${C.kept}" stroke-width="2"/>`);
  for (const pt of l.points) {
    parts.push(`<circle cx="${num(pt.x)}" cy="${num(pt.y)}" r="${pt.kept ? 5 : 3.5}" fill="${pt.kept ? C.kept : C.discarded}"><title>${esc(pt.title)}</title></circle>`);
  }
  for (const c of l.crashes) parts.push(`<path d="M${num(c.x - 4)},${p.top + 4} l8,8 m0,-8 l-8,8" stroke="${C.crash}" stroke-width="2"><title>${esc(c.title)}</title></path>`);
  [
    [C.kept, 'kept'],
    [C.discarded, 'discarded'],
    [C.crash, 'crashed (no metric)'],
  ].forEach(([color, label], i) => {
    const lx = p.left + i * 90;
    parts.push(`<circle cx="${lx}" cy="${H - 12}" r="4" fill="${color}"/><text x="${lx + 8}" y="${H - 8}" font-size="11">${label}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">\n${parts.join('\n')}\n</svg>\n`;
}
