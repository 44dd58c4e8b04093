import type { RunEvent } from '../../shared/trace/events';
import type { LoopCommits } from './runRepo';
import { experimentCommitMessage } from './commitMessage';

/** The subject git gives a message: its first paragraph on one line (what `%s` prints). */
export function commitSubject(message: string): string {
  const paragraph = message.replace(/\0/g, '\uFFFD').trim().split(/\n[ \t]*\n/)[0] ?? '';
  return paragraph
    .split('\n')
    .map((l) => l.trim())
    .join(' ');
}

/**
 * Which commits on the run branch the trace says are the loop's. Pure. Besides every commit it names,
 * a kill between making a commit and recording it leaves one the trace cannot name: for a candidate
 * (applied, not yet recorded as committed, or committed and then amended with a person's edits) its
 * tree or subject is known; for a mechanism's activation its subject is.
 */
export function loopCommits(events: readonly RunEvent[]): LoopCommits {
  const known = new Set<string>();
  const unrecordedTrees = new Set<string>();
  const unrecordedSubjects = new Set<string>();
  const applied = new Map<number, string>();
  const proposed = new Map<number, string>();
  const activating = new Set<string>();
  for (const e of events) {
    for (const key of ['commit', 'baseCommit', 'bestCommit'] as const) {
      const v = (e as Partial<Record<typeof key, unknown>>)[key];
      if (typeof v === 'string') known.add(v);
    }
    if (e.type === 'candidate.proposed') proposed.set(e.n, commitSubject(experimentCommitMessage(e.candidate.description, e.candidate.hypothesis ?? '')));
    if (e.type === 'candidate.applied') applied.set(e.n, e.tree);
    if (e.type === 'iteration.finished') {
      applied.delete(e.n);
      proposed.delete(e.n);
    }
    if (e.type === 'mechanism.proposed') activating.add(e.name);
    if (e.type === 'mechanism.activated' || e.type === 'mechanism.reverted') activating.delete(e.name);
  }
  // Experiments still open when the trace ends: their commit may be on the branch unrecorded.
  for (const tree of applied.values()) unrecordedTrees.add(tree);
  for (const subject of proposed.values()) unrecordedSubjects.add(subject);
  for (const name of activating) unrecordedSubjects.add(`mechanism: activate ${name}`);
  return { known, unrecordedTrees, unrecordedSubjects };
}
