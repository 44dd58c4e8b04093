/**
 * A value a module-level Python constant can hold (see target/pythonParams). Lists and tuples are
 * both arrays here; the rewriter keeps the brackets the source file used.
 */
export type ParamValue = number | string | boolean | null | ParamValue[];

/** A search/replace block on one editable file. `search` must match exactly once. */
export interface EditBlock {
  file: string;
  search: string;
  replace: string;
}

/**
 * One proposed experiment: parameter changes, free-form edits, or both.
 * `description` is the one line that ends up in results.tsv.
 */
export interface Candidate {
  description: string;
  hypothesis: string;
  params?: Record<string, ParamValue>;
  edits?: EditBlock[];
}
