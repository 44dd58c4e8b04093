/**
 * Text from a model or a person, made fit for one line of display (a commit subject, a results.tsv
 * cell, a table row): control characters (NUL, tabs, newlines, escapes) become spaces, runs of
 * whitespace one space, and it is cut at `max` characters with an ellipsis. Pure. The whole text
 * stays where it is recorded (the trace).
 */
export function displayLine(text: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const line = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1).trimEnd()}…` : line;
}

/**
 * Text for a multi-line display (a commit body): newlines and tabs kept, other control characters
 * (NUL among them, which git refuses) made U+FFFD, cut at `max` characters with a note. Pure.
 */
export function displayBlock(text: string, max: number, whole = 'the whole text is in the trace'): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '\uFFFD');
  return clean.length > max ? `${clean.slice(0, max)}\n… (${clean.length - max} more characters; ${whole})` : clean;
}
