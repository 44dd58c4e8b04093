import type { ChatMessage, ChatOptions, ChatResult } from './llmClient';

/**
 * What the levels need from a language model: one chat call that reports its usage and fails with
 * an LlmError. LlmClient (any OpenAI-compatible endpoint) is one; the extension adapts VS Code's
 * language-model API (`vscode.lm`) to it, so people with a chat model provider need no key.
 * `jsonSchema` is a hint a backend may ignore: answers are parsed and repaired either way.
 */
export interface ChatModel {
  chat(purpose: string, messages: ChatMessage[], opts?: ChatOptions): Promise<ChatResult>;
}
