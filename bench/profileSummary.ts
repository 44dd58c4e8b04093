/**
 * Top self-time functions of a V8 CPU profile (node --cpu-prof), and self time by source file.
 *
 *   node --import tsx bench/profileSummary.ts <file.cpuprofile> [--top 20]
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const ROOT = resolve(__dirname, '..');

function where(url: string): string {
  if (!url) return '(native)';
  const path = url.replace(/^file:\/\//, '');
  return path.startsWith(ROOT) ? relative(ROOT, path) : path.startsWith('node:') ? path : path.replace(/.*node_modules\//, 'node_modules/');
}

/** Self time in ms per function and per file, biggest first. Pure. */
export function summariseProfile(profile: Profile, top = 20) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const f = where(url);
    const name = `${functionName || '(anonymous)'} ${url ? `${f}:${lineNumber + 1}` : ''}`.trim();
    fn.set(name, (fn.get(name) ?? 0) + us);
    const bucket = url ? f.replace(/^(node_modules\/(?:@[^/]+\/)?[^/]+).*/, '$1') : functionName;
    file.set(bucket, (file.get(bucket) ?? 0) + us);
  }
  const rows = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, us]) => ({ name, ms: Math.round(us / 1000), pct: Number(((100 * us) / total).toFixed(1)) }));
  return { totalMs: Math.round(total / 1000), functions: rows(fn), files: rows(file) };
}

if (require.main === module) {
  const [path] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const i = process.argv.indexOf('--top');
  const top = i > 0 ? Number(process.argv[i + 1]) : 20;
  console.log(JSON.stringify(summariseProfile(JSON.parse(readFileSync(path, 'utf8')) as Profile, top), null, 2));
}
