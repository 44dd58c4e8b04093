/**
 * Where Select Model puts what was chosen. Workspace settings of a folder are .vscode/settings.json
 * inside the training repo (an untracked file there), so they are used only when the person picks
 * them; user settings are the default. Plain data, no `vscode` import.
 */
export type SettingsScope = 'user' | 'workspace';

export interface SettingsScopeEntry {
  scope: SettingsScope;
  label: string;
  detail: string;
}

/** The two places, the default first: user settings, unless the workspace already sets these keys (they would win). */
export function settingsScopeChoices(workspaceHasValue: boolean): SettingsScopeEntry[] {
  const user: SettingsScopeEntry = { scope: 'user', label: 'User settings', detail: 'For every workspace; nothing is written into this repo.' };
  const workspace: SettingsScopeEntry = {
    scope: 'workspace',
    label: 'Workspace settings',
    detail: workspaceHasValue ? 'Where this repo sets it now (.vscode/settings.json, which overrides user settings).' : 'Writes .vscode/settings.json into this repo (an untracked file unless you commit it).',
  };
  return workspaceHasValue ? [workspace, user] : [user, workspace];
}

/** What a missing key means in the editor: Set API Key first, the environment second (as the key's own command says). */
export function missingKeyMessage(url: string): string {
  return `No API key for the LLM endpoint ${url}: run "Autoresearch: Set API Key" (kept in VS Code's secret storage), or set OPENAI_API_KEY in the environment VS Code starts from. A local OpenAI-compatible server (e.g. http://localhost:11434/v1) needs none.`;
}

/** missingKeyMessage for core's MissingApiKeyError, whose message names the endpoint but says only "set OPENAI_API_KEY". */
export function missingKeyMessageFrom(coreMessage: string): string {
  return missingKeyMessage(/endpoint (\S+?)\.? Set /.exec(coreMessage)?.[1] ?? 'in use');
}
