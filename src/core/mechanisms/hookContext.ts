import type { RunState } from '../../shared/trace/runState';
import type { ContextParam, ContextWithoutState } from './mechanism';
import { mechanismContext } from './replayContexts';

/** What every hook receives about iteration n. `extraFrozen`/`extraFocus`: what mechanisms added this iteration. Pure. */
export function hookContext(state: RunState, params: ContextParam[], n: number, extraFrozen: string[] = [], extraFocus: string[] = []): ContextWithoutState {
  return mechanismContext(state, {
    iteration: n,
    space: params.map((p) => ({ name: p.name, kind: p.kind, choices: p.choices })),
    incumbentParams: Object.fromEntries(params.map((p) => [p.name, p.value])),
    frozen: [...new Set([...params.filter((p) => p.frozen).map((p) => p.name), ...extraFrozen])],
    focus: [...new Set([...state.strategy.focus, ...extraFocus])],
  });
}
