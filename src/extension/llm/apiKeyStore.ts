import * as vscode from 'vscode';

const SECRET_KEY = 'bilevelAutoresearch.llm.apiKey';

/**
 * The LLM endpoint's API key, kept in VS Code's SecretStorage (the OS keychain on desktop). It is
 * handed to the proposer when a run starts and nowhere else: never to settings, logs or the trace.
 */
export class ApiKeyStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  get(): Thenable<string | undefined> {
    return this.secrets.get(SECRET_KEY);
  }

  /** Asks for the key (masked input); an empty answer removes the stored one. */
  async promptAndStore(): Promise<void> {
    const value = await vscode.window.showInputBox({
      title: 'Autoresearch: LLM API key',
      prompt: 'The key for the OpenAI-compatible endpoint the LLM proposer calls. Stored in VS Code’s secret storage; leave empty to remove it.',
      password: true,
      ignoreFocusOut: true,
    });
    if (value === undefined) return;
    if (value.trim()) {
      await this.secrets.store(SECRET_KEY, value.trim());
      void vscode.window.showInformationMessage('Autoresearch: API key stored in secret storage.');
    } else {
      await this.secrets.delete(SECRET_KEY);
      void vscode.window.showInformationMessage('Autoresearch: API key removed.');
    }
  }
}
