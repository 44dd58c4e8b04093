import { displayBlock, displayLine } from '../../shared/text/displayLine';

/** A subject git's tools show whole; a body that keeps `git log` readable (a model may write 200 KB). */
export const SUBJECT_MAX = 120;
export const BODY_MAX = 8 * 1024;

/**
 * An experiment's commit message: its description as the subject (one line, bounded), its
 * hypothesis as the body (bounded, no control characters). Pure. Both stay whole in the trace.
 */
export function experimentCommitMessage(description: string, hypothesis: string): string {
  const subject = displayLine(description, SUBJECT_MAX) || '(no description)';
  const body = displayBlock(hypothesis.trim(), BODY_MAX, "the whole hypothesis is in the run's trace");
  return body ? `${subject}\n\n${body}\n` : `${subject}\n`;
}
