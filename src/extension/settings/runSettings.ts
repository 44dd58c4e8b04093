import type { TargetConfig } from '../../core';

/**
 * The contributed `bilevelAutoresearch.*` settings that shape a run started from VS Code. Empty
 * strings and `"config"` mean "what autoresearch.config.json says".
 */
export interface RunSettings {
  /** Total iterations for the run, baseline not counted (like `bilevel run --iterations`). */
  iterations: number;
  proposer: 'config' | ProposerKind;
  /** Resume the latest run in the repo (true) or start a fresh one on every Start (false). */
  resumeLatestRun: boolean;
  /** Who answers the LLM proposer: the OpenAI-compatible endpoint, or a VS Code language model (`vscode.lm`). */
  llmBackend: 'openai' | 'vscode';
  llmBaseURL: string;
  llmModel: string;
  /** The VS Code language model's id (`vscode` backend); empty: the first one VS Code offers. */
  languageModel: string;
  showTrainingTerminal: boolean;
  /** Stop before each training run to show the candidate (Run / Edit / Skip). */
  stepping: boolean;
}

type ProposerKind = TargetConfig['proposer']['kind'];

/** The proposers the setting offers besides `config` (core's `proposer.kind`; package.json's enum lists the same). */
export const PROPOSER_KINDS: readonly ProposerKind[] = ['heuristic', 'tpe', 'llm'];

export const DEFAULT_RUN_SETTINGS: RunSettings = {
  iterations: 10,
  proposer: 'config',
  resumeLatestRun: true,
  llmBackend: 'openai',
  llmBaseURL: '',
  llmModel: '',
  languageModel: '',
  showTrainingTerminal: true,
  stepping: false,
};

/** Reads the settings through a `get(key, default)` accessor (vscode's WorkspaceConfiguration fits). */
export function readRunSettings(get: <T>(key: string, fallback: T) => T): RunSettings {
  const d = DEFAULT_RUN_SETTINGS;
  const iterations = get<number>('iterations', d.iterations);
  const proposer = get<string>('proposer', d.proposer);
  return {
    iterations: Number.isInteger(iterations) && iterations >= 0 ? iterations : d.iterations,
    proposer: PROPOSER_KINDS.find((k) => k === proposer) ?? 'config',
    resumeLatestRun: get<boolean>('resumeLatestRun', d.resumeLatestRun) !== false,
    llmBackend: get<string>('llm.backend', d.llmBackend) === 'vscode' ? 'vscode' : 'openai',
    llmBaseURL: String(get<string>('llm.baseURL', d.llmBaseURL) ?? '').trim(),
    llmModel: String(get<string>('llm.model', d.llmModel) ?? '').trim(),
    languageModel: String(get<string>('llm.languageModel', d.languageModel) ?? '').trim(),
    showTrainingTerminal: get<boolean>('showTrainingTerminal', d.showTrainingTerminal) !== false,
    stepping: get<boolean>('stepping', d.stepping) === true,
  };
}

/** The config with the settings' overrides applied (a copy; the loaded config is left as it was). */
export function applyRunSettings(config: TargetConfig, settings: RunSettings): TargetConfig {
  return {
    ...config,
    proposer: { ...config.proposer, ...(settings.proposer !== 'config' ? { kind: settings.proposer } : {}) },
    llm: {
      ...config.llm,
      ...(settings.llmBaseURL ? { baseURL: settings.llmBaseURL } : {}),
      ...(settings.llmModel ? { model: settings.llmModel } : {}),
    },
  };
}

