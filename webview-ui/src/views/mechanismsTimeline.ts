import { h } from '../dom';
import { OUTCOME_WORD } from '../../../src/shared/trace/mechanismOutcome';
import type { MechanismView } from '../model/dashboardModel';
import { afterX, type ChartMarker, type MechanismStep } from '../model/levelEvents';

/**
 * Level 2 at a glance: per mechanism its outcome (the shared mechanismOutcome: failed validation, rejected by you, …), its path proposed → validated
 * → active → deactivated/reverted (with the experiment each step happened at), a lane on the run's experiment axis showing where
 * it was active, the validation checks, and the provenance counts: how often each hook really ran.
 * Below it, the research sessions (also the ones that produced no mechanism) and the level 1.5
 * strategy reviews.
 */

const STEPS: { key: 'proposed' | 'validated' | 'active' | 'ended'; label: string }[] = [
  { key: 'proposed', label: 'proposed' },
  { key: 'validated', label: 'validated' },
  { key: 'active', label: 'active' },
  { key: 'ended', label: 'deactivated / reverted' },
];

const MAX_LISTED = 8;

const STEP_LABEL: Record<MechanismStep, string> = {
  proposed: 'proposed',
  validated: 'validated',
  'validation-failed': 'validation failed',
  active: 'active',
  deactivated: 'deactivated',
  reverted: 'reverted',
};

export class MechanismsTimeline {
  readonly el: HTMLElement;

  constructor() {
    this.el = h('div', { class: 'mechanisms', 'data-testid': 'mechanisms-timeline' });
  }

  update(mechs: readonly MechanismView[], markers: readonly ChartMarker[], lastX: number, spanColor: (name: string) => number): void {
    const cards = mechs.map((m) => this.card(m, lastX, spanColor(m.name)));
    const research = markers.filter((m) => m.kind === 'mechanism');
    const reviews = markers.filter((m) => m.kind === 'strategy');
    this.el.replaceChildren(
      ...(cards.length ? cards : [h('p', { class: 'panel-summary' }, research.length ? 'Mechanism research has proposed nothing yet.' : 'No mechanism research in this run yet.')]),
      ...[markerList('research-sessions', 'Mechanism research', 'sessions', research), markerList('strategy-reviews', 'Strategy reviews', 'reviews', reviews)].filter((x): x is HTMLElement => x !== null),
    );
  }

  private card(m: MechanismView, lastX: number, color: number): HTMLElement {
    const at = (stages: MechanismStep[]) => m.history.filter((s) => stages.includes(s.stage)).pop();
    const stepState = (key: (typeof STEPS)[number]['key']) => {
      const e =
        key === 'proposed' ? at(['proposed']) : key === 'validated' ? at(['validated', 'validation-failed']) : key === 'active' ? at(['active']) : at(['deactivated', 'reverted']);
      if (!e) return { cls: 'pending', label: '', text: '' };
      const failed = e.stage === 'validation-failed';
      // The last step names what actually happened: deactivated, or reverted.
      return { cls: failed ? 'failed' : key === 'ended' ? e.stage : 'done', label: key === 'ended' ? e.stage : failed ? 'validation failed' : '', text: `after #${e.after}` };
    };
    const steps = h(
      'ol',
      { class: 'stepper' },
      ...STEPS.map((s) => {
        const st = stepState(s.key);
        return h('li', { class: `step ${st.cls}`, 'data-step': s.key }, h('span', { class: 'step-label' }, st.label || s.label), st.text && h('span', { class: 'step-at' }, st.text));
      }),
    );
    const lane = h('div', { class: 'lane', title: 'where it was active, on the run’s experiment axis' });
    const extent = Math.max(1, lastX);
    for (const s of m.spans) {
      const seg = h('span', { class: `lane-span mech-${color % 6}${s.to === null ? ' open' : ''}` });
      const from = Math.max(0, s.from);
      const to = s.to ?? lastX;
      seg.style.left = `${(100 * from) / extent}%`;
      seg.style.width = `${Math.max(0.5, (100 * (to - from)) / extent)}%`;
      lane.append(seg);
    }
    for (const e of m.history) {
      const tick = h('span', { class: `lane-tick ${e.stage}`, title: `${STEP_LABEL[e.stage]} after #${e.after}` });
      tick.style.left = `${(100 * afterX(e.after)) / extent}%`;
      lane.append(tick);
    }
    const checks = m.validation
      ? h(
          'ul',
          { class: 'checks' },
          ...m.validation.checks.map((c) =>
            h('li', { class: c.ok ? 'ok' : 'fail', 'data-check': c.name }, h('span', { class: 'check-mark', 'aria-label': c.ok ? 'passed' : 'failed' }, c.ok ? '✓' : '✗'), h('span', { class: 'mono' }, c.name), c.detail && ` — ${c.detail}`),
          ),
        )
      : h('p', { class: 'muted' }, 'not validated yet');
    const hooks = m.hooks.length
      ? h(
          'table',
          { class: 'grid-table hooks' },
          h('thead', null, h('tr', null, h('th', null, 'hook'), h('th', { class: 'num' }, 'ran'), h('th', { class: 'num', title: 'mean time per call' }, 'ms'), h('th', null, 'results'))),
          h(
            'tbody',
            null,
            ...m.hooks.map((k) =>
              h(
                'tr',
                { 'data-hook': k.hook },
                h('td', { class: 'mono' }, k.hook),
                h('td', { class: 'num', 'data-col': 'runs' }, String(k.runs)),
                h('td', { class: 'num', 'data-col': 'ms' }, (k.ms / k.runs).toFixed(k.ms / k.runs < 10 ? 1 : 0)),
                h('td', null, Object.entries(k.results).map(([r, c]) => `${r} ${c}`).join(', ')),
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, m.declaredHooks.length ? `no hook has run (declares ${m.declaredHooks.join(', ')})` : 'no hook has run');
    const ended = m.history.filter((s) => s.stage === 'reverted' || s.stage === 'deactivated').pop();
    return h(
      'section',
      { class: `mech-card stage-${m.stage}`, 'data-mechanism': m.name, 'data-stage': m.stage, 'data-outcome': m.outcome },
      h('header', null, h('span', { class: `swatch mech-${color % 6}` }), h('span', { class: 'mech-name mono' }, m.name), h('span', { class: `badge outcome-${m.outcome}` }, OUTCOME_WORD[m.outcome])),
      m.description ? h('p', { class: 'mech-desc' }, m.description) : null,
      steps,
      lane,
      h(
        'div',
        { class: 'mech-details' },
        h('div', null, h('h4', null, 'validation'), checks),
        h('div', null, h('h4', null, `provenance: ${m.hookRuns} hook run${m.hookRuns === 1 ? '' : 's'} over ${m.experiments} experiment${m.experiments === 1 ? '' : 's'}`), hooks),
      ),
      ended?.detail ? h('p', { class: 'muted' }, `${STEP_LABEL[ended.stage]}: ${ended.detail}`) : null,
    );
  }
}

/** The last MAX_LISTED markers of one kind as a numbered list (the rest are on the chart). */
function markerList(testid: string, title: string, noun: string, markers: readonly ChartMarker[]): HTMLElement | null {
  if (!markers.length) return null;
  const shown = markers.slice(-MAX_LISTED);
  return h(
    'div',
    { class: 'reviews', 'data-testid': testid },
    h('h3', null, `${title} (${markers.length})`),
    markers.length > shown.length ? h('p', { class: 'muted' }, `${markers.length - shown.length} earlier ${noun} are markers on the chart; the last ${shown.length}:`) : null,
    h('ol', { start: markers.length - shown.length + 1 }, ...shown.map((r) => h('li', null, h('span', { class: 'mono' }, `after #${Math.floor(r.x)}`), ' ', r.detail || 'no change'))),
  );
}
