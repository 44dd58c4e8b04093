import type { ChartLayout } from './chartLayout';
import { CHART_COLORS as C } from './chartLayout';
import { encodePng } from './png';

/** 5×7 glyphs for the axis numbers (the only text the PNG carries; the report says the rest), drawn side by side in FONT_KEYS' order. */
const FONT_KEYS = '0123456789.-';
const FONT_SHEET = `
.###. ..#.. .###. ####. ...#. ##### ..##. ##### .###. .###. ..... .....
#...# .##.. #...# ....# ..##. #.... .#... ....# #...# #...# ..... .....
#..## ..#.. ....# ....# .#.#. ####. #.... ...#. #...# #...# ..... .....
#.#.# ..#.. ...#. .###. #..#. ....# ####. ..#.. .###. .#### ..... #####
##..# ..#.. ..#.. ....# ##### ....# #...# .#... #...# ....# ..... .....
#...# ..#.. .#... ....# ...#. #...# #...# .#... #...# ...#. .##.. .....
.###. .###. ##### ####. ...#. .###. .###. .#... .###. .##.. .##.. .....
`;
const GLYPHS: Record<string, string[]> = Object.fromEntries(
  [...FONT_KEYS].map((key, i) => [key, FONT_SHEET.trim().split('\n').map((row) => row.split(' ')[i])]),
);

const rgbOf = (hex: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];

/** A white canvas to draw on, in the layout's coordinates times `scale`. */
class Canvas {
  readonly pixels: Buffer;
  constructor(
    readonly width: number,
    readonly height: number,
    private readonly scale: number,
  ) {
    this.pixels = Buffer.alloc(width * height * 3, 0xff);
  }

  private set(px: number, py: number, [r, g, b]: [number, number, number]): void {
    if (px < 0 || py < 0 || px >= this.width || py >= this.height) return;
    const i = (py * this.width + px) * 3;
    this.pixels[i] = r;
    this.pixels[i + 1] = g;
    this.pixels[i + 2] = b;
  }

  /** A filled rectangle, in layout coordinates. */
  rect(x: number, y: number, w: number, h: number, color: string): void {
    const c = rgbOf(color);
    const s = this.scale;
    for (let py = Math.round(y * s); py < Math.round((y + h) * s); py++) for (let px = Math.round(x * s); px < Math.round((x + w) * s); px++) this.set(px, py, c);
  }

  /** A line `thickness` layout units wide, drawn as a square brush along it. */
  line(x1: number, y1: number, x2: number, y2: number, color: string, thickness = 1): void {
    const steps = Math.max(1, Math.ceil(Math.hypot(x2 - x1, y2 - y1) * this.scale));
    for (let i = 0; i <= steps; i++) {
      const t = i / steps;
      this.rect(x1 + (x2 - x1) * t - thickness / 2, y1 + (y2 - y1) * t - thickness / 2, thickness, thickness, color);
    }
  }

  disc(cx: number, cy: number, r: number, color: string): void {
    const c = rgbOf(color);
    const s = this.scale;
    for (let py = Math.floor((cy - r) * s); py <= Math.ceil((cy + r) * s); py++) {
      for (let px = Math.floor((cx - r) * s); px <= Math.ceil((cx + r) * s); px++) if (Math.hypot(px / s - cx, py / s - cy) <= r) this.set(px, py, c);
    }
  }

  /** Numbers in the 5×7 font, 1.4 layout units a font pixel (about 11px text), anchored at the baseline. */
  text(s: string, x: number, baseline: number, anchor: 'start' | 'middle' | 'end', color: string): void {
    const unit = 1.4;
    const w = s.length * 6 * unit - unit;
    let left = anchor === 'start' ? x : anchor === 'middle' ? x - w / 2 : x - w;
    for (const ch of s) {
      (GLYPHS[ch] ?? []).forEach((row, r) => [...row].forEach((on, c) => on === '#' && this.rect(left + c * unit, baseline - 7 * unit + r * unit, unit, unit, color)));
      left += 6 * unit;
    }
  }
}

/**
 * The progress chart as a PNG, drawn without a browser or an image library: the same layout as the
 * SVG, at twice its size, with the axis numbers but no words (title and legend are the report's).
 * Pure.
 */
export function progressChartPng(l: ChartLayout, scale = 2): Buffer {
  const canvas = new Canvas(l.width * scale, l.height * scale, scale);
  const { plot: p } = l;
  for (const t of l.yTicks) {
    canvas.line(p.left, t.y, p.right, t.y, C.grid, 1);
    canvas.text(t.label, p.left - 6, t.y + 4, 'end', C.text);
  }
  for (const t of l.xTicks) canvas.text(t.label, t.x, p.bottom + 18, 'middle', C.text);
  canvas.line(p.left, p.top, p.right, p.top, C.frame);
  canvas.line(p.left, p.bottom, p.right, p.bottom, C.frame);
  canvas.line(p.left, p.top, p.left, p.bottom, C.frame);
  canvas.line(p.right, p.top, p.right, p.bottom, C.frame);
  for (let i = 1; i < l.bestLine.length; i++) canvas.line(...l.bestLine[i - 1], ...l.bestLine[i], C.kept, 2);
  for (const pt of l.points.filter((q) => !q.kept)) canvas.disc(pt.x, pt.y, 3.5, C.discarded);
  for (const pt of l.points.filter((q) => q.kept)) canvas.disc(pt.x, pt.y, 5, C.kept);
  for (const c of l.crashes) {
    canvas.line(c.x - 4, p.top + 4, c.x + 4, p.top + 12, C.crash, 2);
    canvas.line(c.x + 4, p.top + 4, c.x - 4, p.top + 12, C.crash, 2);
  }
  return encodePng(canvas.width, canvas.height, canvas.pixels);
}
