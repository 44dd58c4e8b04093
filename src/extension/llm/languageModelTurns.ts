import type { ChatMessage } from '../../core';

export interface LanguageModelTurn {
  role: 'user' | 'assistant';
  content: string;
}

/**
 * VS Code's language-model API knows only user and assistant messages: system text goes first in
 * the first user turn, and consecutive turns of one role are joined (some providers reject two
 * user messages in a row). Pure, so it is tested without an editor.
 */
export function languageModelTurns(messages: readonly ChatMessage[]): LanguageModelTurn[] {
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content);
  const turns: LanguageModelTurn[] = [];
  for (const m of messages) {
    if (m.role === 'system') continue;
    const last = turns[turns.length - 1];
    if (last?.role === m.role) last.content += `\n\n${m.content}`;
    else turns.push({ role: m.role, content: m.content });
  }
  if (system.length) {
    const preamble = system.join('\n\n');
    if (turns[0]?.role === 'user') turns[0].content = `${preamble}\n\n${turns[0].content}`;
    else turns.unshift({ role: 'user', content: preamble });
  }
  return turns;
}

