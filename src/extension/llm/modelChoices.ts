/**
 * The entries of "Autoresearch: Select Model": the endpoint's models (from `GET /models`) and VS
 * Code's language models, each group under a separator, the one in use marked. Plain data, no
 * `vscode` import, so it is tested without an editor.
 */
export type ModelChoice =
  | { backend: 'openai'; model: string }
  | { backend: 'vscode'; id: string }
  | { backend: 'openai'; enterId: true }
  /** Point Select Model (and the proposer) at another OpenAI-compatible endpoint. */
  | { backend: 'openai'; changeUrl: true }
  /** The endpoint wants a key and none is stored: Set API Key, then list again. */
  | { backend: 'openai'; setKey: true };

export interface ModelPickEntry {
  separator?: boolean;
  label: string;
  description?: string;
  detail?: string;
  choice?: ModelChoice;
  picked?: boolean;
}

export interface LanguageModelInfo {
  id: string;
  name: string;
  vendor: string;
  family: string;
}

export interface ModelChoicesInput {
  endpoint: { url: string; models: string[] } | { url: string; error: string; missingKey?: boolean };
  languageModels: LanguageModelInfo[];
  current: { backend: 'openai' | 'vscode'; model: string; languageModel: string };
}

export function modelChoices({ endpoint, languageModels, current }: ModelChoicesInput): ModelPickEntry[] {
  const out: ModelPickEntry[] = [{ separator: true, label: `OpenAI-compatible endpoint ${endpoint.url}` }];
  const inUse = (yes: boolean) => (yes ? { description: 'in use', picked: true } : {});
  if ('error' in endpoint) {
    out.push({ label: '$(warning) Could not list its models', detail: endpoint.error });
    if (endpoint.missingKey) out.push({ label: '$(key) Set API Key…', detail: 'Stored in VS Code’s secret storage; the models are listed again after.', choice: { backend: 'openai', setKey: true } });
  } else {
    for (const model of endpoint.models) out.push({ label: model, choice: { backend: 'openai', model }, ...inUse(current.backend === 'openai' && current.model === model) });
    if (current.model && !endpoint.models.includes(current.model)) {
      out.push({ label: current.model, detail: 'configured, but the endpoint does not list it', choice: { backend: 'openai', model: current.model }, ...inUse(current.backend === 'openai') });
    }
  }
  out.push({ label: '$(edit) Enter a model id…', choice: { backend: 'openai', enterId: true } });
  out.push({ label: '$(globe) Change the endpoint URL…', detail: 'Any OpenAI-compatible server: a local one, a proxy, another provider.', choice: { backend: 'openai', changeUrl: true } });
  out.push({ separator: true, label: 'VS Code language models (no API key)' });
  if (!languageModels.length) out.push({ label: '$(info) None installed', detail: 'A chat model provider extension (e.g. GitHub Copilot Chat) adds them.' });
  for (const m of languageModels) {
    const isCurrent = current.backend === 'vscode' && (current.languageModel ? current.languageModel === m.id : m === languageModels[0]);
    out.push({ label: m.name, description: [`${m.vendor} · ${m.family}`, isCurrent ? 'in use' : ''].filter(Boolean).join(' · '), choice: { backend: 'vscode', id: m.id }, ...(isCurrent ? { picked: true } : {}) });
  }
  return out;
}
