import type uPlot from 'uplot';
import type { Palette } from '../theme';

/** A uPlot axis in the editor's theme; `palette` is read at draw time, so a theme change repaints it. */
export function themedAxis(palette: () => Palette, label: string, size?: number): uPlot.Axis {
  return {
    label,
    // An explicit undefined would override uPlot's default size and hide the axis.
    ...(size === undefined ? {} : { size }),
    stroke: () => palette().muted,
    font: palette().font,
    labelFont: palette().font,
    labelSize: 20,
    grid: { stroke: () => palette().grid, width: 0.5 },
    ticks: { stroke: () => palette().grid, width: 0.5, size: 4 },
  };
}
