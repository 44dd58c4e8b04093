import { estimateTokens, LlmError, type ChatModel, type LlmCallListener, type ChatMessage, type ChatOptions, type ChatResult } from '../../core';
import * as vscode from 'vscode';
import { languageModelTurns } from './languageModelTurns';

/**
 * The engine's ChatModel over a VS Code language model (`vscode.lm`): a chat model provider the
 * person has installed answers, with no API key in this extension. Calls and their token counts
 * (the model's own tokenizer) are reported like LlmClient's; failures are LlmErrors, so the loop
 * records them and goes on. JSON schemas are not supported by this API: the prompt asks for JSON
 * and the engine's repair round does the rest.
 */
export class LanguageModelChat implements ChatModel {
  constructor(
    private readonly model: vscode.LanguageModelChat,
    private readonly onCall?: LlmCallListener,
  ) {}

  /** `vendor/id`, as recorded in the trace's llm.called events. */
  get modelName(): string {
    return `${this.model.vendor}/${this.model.id}`;
  }

  async chat(purpose: string, messages: ChatMessage[], opts: ChatOptions = {}): Promise<ChatResult> {
    const started = Date.now();
    const cancel = new vscode.CancellationTokenSource();
    const onAbort = () => cancel.cancel();
    opts.signal?.addEventListener('abort', onAbort);
    const turns = languageModelTurns(messages).map((t) => (t.role === 'user' ? vscode.LanguageModelChatMessage.User(t.content) : vscode.LanguageModelChatMessage.Assistant(t.content)));
    try {
      const response = await this.model.sendRequest(turns, { justification: 'Autoresearch asks the model for the next experiment to run.' }, cancel.token);
      let text = '';
      for await (const chunk of response.text) text += chunk;
      if (opts.signal?.aborted) throw new LlmError('LLM request aborted');
      const usage = { purpose, model: this.modelName, ...(await this.countTokens(turns, text)), ms: Date.now() - started };
      const result = { text, usage };
      const answerError = opts.check?.(result);
      this.onCall?.({ usage, ok: true, ...(answerError !== undefined ? { answerError } : {}) });
      return result;
    } catch (e) {
      const message = e instanceof LlmError ? e.message : `VS Code language model ${this.modelName} failed: ${describe(e)}`;
      this.onCall?.({ usage: { purpose, model: this.modelName, promptTokens: 0, completionTokens: 0, ms: Date.now() - started }, ok: false, error: message });
      throw e instanceof LlmError ? e : new LlmError(message);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      cancel.dispose();
    }
  }

  /** The model's own counts; character estimates when the provider cannot count. */
  private async countTokens(turns: vscode.LanguageModelChatMessage[], answer: string): Promise<{ promptTokens: number; completionTokens: number; estimated?: boolean }> {
    try {
      const prompt = await Promise.all(turns.map((t) => this.model.countTokens(t)));
      return { promptTokens: prompt.reduce((a, b) => a + b, 0), completionTokens: await this.model.countTokens(answer) };
    } catch {
      const chars = turns.reduce((sum, t) => sum + t.content.length, 0);
      return { promptTokens: estimateTokens(chars), completionTokens: estimateTokens(answer.length), estimated: true };
    }
  }
}

function describe(e: unknown): string {
  if (e instanceof vscode.LanguageModelError) return `${e.code || 'error'}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}
