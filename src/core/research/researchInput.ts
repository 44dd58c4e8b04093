import type { TraceSummary } from './traceSummary';

// What a Level 2 research session reads: the trace summary, the mechanisms running, what became of
// earlier ones. The researcher (mechanismResearch) and its prompts (llm/prompts) both import it.

export interface LibraryEntry {
  name: string;
  description: string;
  source: string;
}

export interface ResearchInput {
  summary: TraceSummary;
  /** Mechanisms active now, with their code (the "specify" step must know what already runs). */
  active: LibraryEntry[];
  /** Mechanisms proposed earlier in this run and what became of them. */
  earlier: { name: string; status: string; reason?: string }[];
  interfaceText: string;
}
