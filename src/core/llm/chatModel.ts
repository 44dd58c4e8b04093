import type { LlmUsage, RunEventBody } from '../../shared/trace/events';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatResult {
  text: string;
  usage: LlmUsage;
  /** As the server gave it; 'length' means the answer was cut off at maxTokens. */
  finishReason?: string;
}

export interface ChatOptions {
  jsonSchema?: { name: string; schema: object };
  /** Ends the call, and any wait in it, at once. */
  signal?: AbortSignal;
  /** Why the answer cannot be used (a parse or validation error), if it cannot: recorded with the call, before any repair round. */
  check?: (answer: ChatResult) => string | undefined;
}

/**
 * What the levels need from a language model: one chat call that reports its usage and fails with
 * an LlmError. LlmClient (any OpenAI-compatible endpoint) is one; the extension adapts VS Code's
 * language-model API (`vscode.lm`) to it, so people with a chat model provider need no key.
 * `jsonSchema` is a hint a backend may ignore: answers are parsed and repaired either way. A backend
 * runs `check` on the answer and reports its verdict with the call.
 */
export interface ChatModel {
  chat(purpose: string, messages: ChatMessage[], opts?: ChatOptions): Promise<ChatResult>;
}

/** One chat call as the trace records it (an llm.called event). */
export type LlmCall = Omit<Extract<RunEventBody, { type: 'llm.called' }>, 'type'>;

/** Chat models report each call here, so the loop can put it in the trace. */
export type LlmCallListener = (call: LlmCall) => void;
