/** A line that only reports: prints, logs, writes a summary. */
const REPORTING_LINE = /^\s*(print\s*\(|log(ger|ging)?\.\w+\s*\(|wandb\.log\s*\(|\w+\.write\s*\(|sys\.stdout\.write\s*\()/;
const ASSIGNMENT = /^\s*([A-Za-z_]\w*)\s*(?:[+\-*/]?=)(?!=)/;

const stripComment = (line: string) => line.replace(/#.*$/, '');

/**
 * The constants that can only affect what a script reports (peak-FLOPs figures feeding an MFU
 * line, …): every use is on a print/log line, or assigns a variable whose every use is, in turn.
 * An unused constant is not one (another file may import it). Pure.
 */
export function reportingOnlyConstants(source: string, names: readonly string[]): string[] {
  const lines = source.split('\n').map(stripComment);
  const uses = (name: string) => {
    const word = new RegExp(`\\b${name}\\b`);
    return lines.filter((l) => word.test(l) && !(ASSIGNMENT.exec(l)?.[1] === name));
  };
  const reportingOnly = (name: string, depth: number, seen: Set<string>): boolean => {
    const found = uses(name);
    if (!found.length || depth > 4) return false;
    return found.every((line) => {
      if (REPORTING_LINE.test(line)) return true;
      const target = ASSIGNMENT.exec(line)?.[1];
      if (!target || seen.has(target)) return false;
      seen.add(target);
      return reportingOnly(target, depth + 1, seen);
    });
  };
  return names.filter((n) => reportingOnly(n, 0, new Set([n])));
}
