import type { Experiment } from '../../shared/trace/runState';

/**
 * How the inner proposer and the active mechanisms with a `propose` hook share proposing: a bandit
 * over proposers, credited by keeps. Each proposer is an arm; over the last SHARE_WINDOW finished
 * iterations (trainings, and iterations its proposals wasted: all rejected, or a cached configuration) an arm scores its keep rate under a uniform prior, (keeps + 1) / (pulls + 2), plus an exploration bonus
 * SHARE_EXPLORATION · sqrt(ln(trainings + 1) / (pulls + 1)). The highest score proposes; a mechanism that
 * passes (returns no candidate) hands on to the next. So a mechanism that does not pay loses its share
 * to the inner proposer and to mechanisms that do, one that pays takes over, and none is starved for
 * good (the bonus grows while an arm waits; the window forgets old credit). Ties go to mechanisms
 * before the inner proposer (Level 2 takes over, as in the paper, until the trace says otherwise),
 * among mechanisms round-robin by iteration (proposingOrder). Pure.
 */

export const SHARE_WINDOW = 16;
export const SHARE_EXPLORATION = 0.5;
/** The arm of the inner proposer (Level 1) among the mechanisms' names. */
export const INNER_PROPOSER = '(proposer)';

export interface ArmCredit {
  pulls: number;
  keeps: number;
}

/** Mechanisms in turn order at iteration n: the one whose turn it is (n mod k) first. */
export function proposingOrder(mechanisms: readonly string[], n: number): string[] {
  const k = mechanisms.length;
  if (!k) return [];
  const turn = ((n % k) + k) % k;
  return [...mechanisms.slice(turn), ...mechanisms.slice(0, turn)];
}

/**
 * Whose pull a finished iteration is: a mechanism's name or INNER_PROPOSER (its latest proposal's),
 * null for the baseline, re-runs, and iterations that ended otherwise (a failed proposal, an interrupt).
 */
export function armOf(x: Pick<Experiment, 'baseline' | 'proposer' | 'level' | 'proposedBy' | 'status' | 'result'>): string | null {
  const pulled = !!x.status || x.result === 'rejected' || x.result === 'cached';
  if (x.baseline || !pulled || !x.proposer || x.proposer === 'rerun') return null;
  return x.level === 2 && x.proposedBy ? x.proposedBy : INNER_PROPOSER;
}

/** Pulls and keeps per arm over the last SHARE_WINDOW pulls. */
export function proposerCredit(experiments: readonly Experiment[]): Map<string, ArmCredit> {
  const credit = new Map<string, ArmCredit>();
  // From the end: a long run costs the window, not its length.
  let pulls = 0;
  for (let i = experiments.length - 1; i >= 0 && pulls < SHARE_WINDOW; i--) {
    const x = experiments[i];
    const arm = armOf(x);
    if (arm === null) continue;
    pulls++;
    const c = credit.get(arm) ?? { pulls: 0, keeps: 0 };
    c.pulls++;
    if (x.status === 'keep') c.keeps++;
    credit.set(arm, c);
  }
  return credit;
}

export function armScore(c: ArmCredit | undefined, trainings: number): number {
  const { pulls, keeps } = c ?? { pulls: 0, keeps: 0 };
  return (keeps + 1) / (pulls + 2) + SHARE_EXPLORATION * Math.sqrt(Math.log(trainings + 1) / (pulls + 1));
}

/**
 * The order in which to ask at iteration n: the proposing mechanisms and INNER_PROPOSER, best score
 * first. Asking stops at INNER_PROPOSER (it always proposes), so what follows it is never asked.
 */
export function proposingTurn(mechanisms: readonly string[], credit: ReadonlyMap<string, ArmCredit>, n: number): string[] {
  if (!mechanisms.length) return [INNER_PROPOSER];
  const trainings = [...credit.values()].reduce((a, c) => a + c.pulls, 0);
  const tieOrder = [...proposingOrder(mechanisms, n), INNER_PROPOSER];
  const score = new Map(tieOrder.map((arm) => [arm, armScore(credit.get(arm), trainings)]));
  // Scores within 1e-9 are a tie: floating noise must not decide who proposes.
  return tieOrder.map((arm, i) => ({ arm, i })).sort((a, b) => (Math.abs(score.get(b.arm)! - score.get(a.arm)!) > 1e-9 ? score.get(b.arm)! - score.get(a.arm)! : a.i - b.i)).map((x) => x.arm);
}
