import { activeMechanisms, type RunState } from '../../shared/trace/runState';

export const MECHANISMS_DIR = '.autoresearch/mechanisms';
export const MECHANISMS_MANIFEST = '.autoresearch/mechanisms.json';

/** .autoresearch/mechanisms.json: what the run branch carries, a record for people (the trace is the truth). Pure. */
export function manifest(state: RunState, name: string, description: string, status: 'proposed' | 'active'): string {
  const entries = activeMechanisms(state).map((m) => ({ name: m.name, file: m.file, description: m.description, status: 'active' }));
  entries.push({ name, file: `${MECHANISMS_DIR}/${name}.mjs`, description, status });
  return JSON.stringify({ mechanisms: entries }, null, 2) + '\n';
}
