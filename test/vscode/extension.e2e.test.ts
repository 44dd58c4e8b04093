/**
 * The extension in real VS Code: code-server 4.139 (VS Code 1.139) driven through Debian's
 * Chromium with playwright-core. Builds and packs the .vsix, installs it into a fresh profile,
 * opens a tiny-gpt repo whose proposer and mechanism research talk to the scripted
 * OpenAI-compatible server (real HTTP, the real openai client in the extension host), and:
 * starts a run in stepping mode, edits the candidate at the gate and runs it, watches training in
 * the experiment's terminal and the dashboard update live, opens the experiment's diff (from the
 * dashboard and the Experiments view), runs mechanism research under the `review` policy, reviews
 * the mechanism's diff, clicks Accept on it and checks the run branch in git; Steps one more
 * iteration and Skips it at the gate (the accepted mechanism's hook ran on it); then reloads the
 * window and sees everything rebuilt from the trace; Pauses after a step, reloads the window during
 * a run and takes the offer to resume it. An API key set through Set API Key reaches the endpoint and
 * is nowhere on disk afterwards.
 *
 * Screenshots of the key moments go to test-artifacts/vscode/. code-server comes from
 * scripts/test-hosts/code-server.sh (installed on first use, ~3 min) or $CODE_SERVER.
 *
 *   node --import tsx --test test/vscode/extension.e2e.test.ts
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import type { RunEvent } from '../../src/shared/trace/events';
import { startScriptedLlmServer, type ScriptedLlmServer } from '../support/scriptedLlmServer';
import { git, onlyRunTag, readTraceEvents, tinyGptRepo } from '../support/tinyGptRepo';
import { codeServerBinary, createProfile, installExtension, ROOT, startCodeServer, type RunningCodeServer } from './support/codeServer';
import { buildAndPackage } from './support/packageExtension';
import { eventually, Workbench } from './support/workbench';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = join(ROOT, 'test-artifacts/vscode');
const EXTENSION_ID = 'bilevel-autoresearch.bilevel-autoresearch';
/**
 * What the .vsix must carry, and what it may; nothing else. The dashboard's folder dist/webview/ is
 * its owner's to shape (.vscodeignore's `!dist/webview/**` lets its source maps in too for now).
 */
const REQUIRED_VSIX_FILES = ['README.md', 'dist/extension.js', 'dist/mechanisms/tabu-search.mjs', 'dist/sandbox/sandboxChild.js', 'dist/sandbox/sandboxRealm.js', 'dist/remote/sshRun.sh', 'dist/remote/sshPreflight.sh', 'media/activity-bar.svg', 'media/icon.png', 'media/walkthrough/run.png', 'package.json', 'schemas/autoresearch.config.schema.json'];
const ALLOWED_VSIX_FILE = /^(README\.md|LICENSE|package\.json|dist\/extension\.js|dist\/mechanisms\/[^/]+\.mjs|dist\/sandbox\/[^/]+\.js|dist\/remote\/[^/]+\.sh|dist\/webview\/.+|schemas\/[^/]+\.json|media\/([^/]+\.(svg|png)|walkthrough\/[^/]+\.(md|png)))$/;

/** The mechanism the scripted model writes in research step 4: it vetoes changes of DEPTH. */
const MECHANISM = `export function reviewCandidate(ctx, cand) {
  const bad = Object.keys(cand.changed).filter((k) => k === 'DEPTH');
  return bad.length ? { state: ctx.state, verdict: 'reject', reason: 'DEPTH stays put' } : { state: ctx.state, verdict: 'accept' };
}
`;
const MECHANISM_NAME = 'tabu-on-depth';
const API_KEY = 'sk-e2e-secret-4242-never-written';
/** What the scripted model proposes, in turn (a different configuration each time, so none is a cache hit). */
const PROPOSALS: [string, Record<string, number>][] = [
  ['N_EMBD 64 -> 96', { N_EMBD: 96 }],
  ['N_HEAD 4 -> 8', { N_HEAD: 8 }],
  ['LEARNING_RATE 0.001 -> 0.002', { LEARNING_RATE: 0.002 }],
  ['WEIGHT_DECAY 0.1 -> 0.05', { WEIGHT_DECAY: 0.05 }],
  ['WARMUP_STEPS 10 -> 20', { WARMUP_STEPS: 20 }],
  ['DROPOUT 0.0 -> 0.1', { DROPOUT: 0.1 }],
  ['SEQ_LEN 64 -> 32', { SEQ_LEN: 32 }],
];
/** The edit made at the stepping gate, on top of the proposed candidate. */
const EDITED_LINE = 'DROPOUT = 0.05            # edited at the stepping gate';

let work: string;
let llm: ScriptedLlmServer;
let server: RunningCodeServer | undefined;
let browser: Browser | undefined;
let wb: Workbench;
let repo: string;
let profileDir: string;
let vsixFiles: string[] = [];

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
type Ev<T extends RunEvent['type']> = Extract<RunEvent, { type: T }>;
const ofType = <T extends RunEvent['type']>(events: RunEvent[], t: T) => events.filter((e): e is Ev<T> => e.type === t);
// Looked up once: Create Branch from Best adds autoresearch/<tag>-best beside the run branch.
let runTag: string | undefined;
const tag = () => (runTag ??= onlyRunTag(repo));
const events = () => readTraceEvents(repo, tag());

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'vscode-e2e-'));
  rmSync(SCREENSHOTS, { recursive: true, force: true });

  let t = Date.now();
  const bin = codeServerBinary();
  console.log(`# code-server ready in ${seconds(Date.now() - t)}: ${bin}`);

  t = Date.now();
  const packed = buildAndPackage(work);
  vsixFiles = packed.files;
  console.log(`# built and packed in ${seconds(Date.now() - t)}: ${packed.vsix} (${(packed.bytes / 1024).toFixed(1)} KiB; ${packed.files.join(', ')})`);

  profileDir = join(work, 'profile');
  const profile = createProfile(profileDir, {
    'bilevelAutoresearch.iterations': 1,
    // Always show the terminal tabs, so each experiment's terminal name is on screen.
    'terminal.integrated.tabs.hideCondition': 'never',
  });
  t = Date.now();
  installExtension(bin, profile, packed.vsix);
  assert.ok(readdirSync(profile.extensionsDir).some((d) => d.startsWith(`${EXTENSION_ID}-`)), 'the .vsix installed into the extensions dir');
  console.log(`# installed the .vsix in ${seconds(Date.now() - t)}`);

  // The model: proposals, and the four steps of mechanism research (see test/e2e/levels.test.ts).
  let proposals = 0;
  llm = await startScriptedLlmServer((req) => {
    const text = req.messages.map((m) => m.content).join('\n');
    if (/Step 1 of 4/.test(text)) return { content: JSON.stringify({ diagnosis: 'DEPTH changes crash or waste the budget', candidates: [{ name: 'tabu on depth', field: 'combinatorial optimisation', idea: 'veto DEPTH moves' }] }) };
    if (/Step 2 of 4/.test(text)) return { content: JSON.stringify({ choice: 'tabu on depth', why: 'it answers the diagnosis' }) };
    if (/Step 3 of 4/.test(text)) return { content: JSON.stringify({ name: 'Tabu On Depth', description: 'vetoes moves of DEPTH', hooks: ['reviewCandidate'], state: 'none', behaviour: 'reject any candidate changing DEPTH' }) };
    if (/Step 4 of 4/.test(text)) return { content: 'Here it is:\n```javascript\n' + MECHANISM + '```\n' };
    const [description, params] = PROPOSALS[Math.min(proposals++, PROPOSALS.length - 1)];
    return { content: JSON.stringify({ description, hypothesis: 'worth a try in the budget', params }) };
  });
  repo = tinyGptRepo({
    timeBudget: 4,
    config: (c) => {
      c.proposer = { ...c.proposer, kind: 'llm' };
      c.llm = { ...c.llm, baseURL: llm.url, model: 'scripted', maxRetries: 0 };
      c.levels = { strategy: { enabled: false }, mechanisms: { policy: 'review', research: 'llm' } };
    },
  });
  server = await startCodeServer(bin, profile);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  wb = new Workbench(page, SCREENSHOTS);
  await page.goto(`${server.url}/?folder=${encodeURIComponent(repo)}`);
  await wb.waitUntilLoaded();
});

after(async () => {
  // What the screen showed when the last test ended (a failure's context).
  if (process.exitCode) await wb?.screenshot('zz-last-screen').catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await server?.stop();
  await llm?.close();
  if (process.exitCode === undefined || process.exitCode === 0) {
    rmSync(work, { recursive: true, force: true });
    if (repo) rmSync(repo, { recursive: true, force: true });
  } else {
    console.log(`# kept for inspection: ${work} ${repo}`);
  }
});

test('the .vsix carries the bundles, the mechanism library, the schema, media, the manifest and the README only', () => {
  for (const f of REQUIRED_VSIX_FILES) assert.ok(vsixFiles.includes(f), `${f} is in the .vsix`);
  assert.deepEqual(vsixFiles.filter((f) => !ALLOWED_VSIX_FILE.test(f)), [], 'nothing else is in the .vsix');
});

test('the extension activates on a repo with autoresearch.config.json and reports its activation time', async () => {
  // The extension's log output channel is a file under the profile's logs.
  const logFile = await eventually('the extension log with activation timing', () => findExtensionLog(profileDir, /activation timing/), 60_000);
  const line = readFileSync(logFile, 'utf8').split('\n').find((l) => l.includes('activation timing'))!;
  const m = /activation timing: (bundle evaluation .*)$/.exec(line);
  assert.ok(m, line);
  assert.match(line, /total [\d.]+ ms \(cpu [\d.]+ ms\)/);
  console.log(`# activation: ${m[1]}`);
  await wb.runStatusItem().waitFor({ timeout: 30_000 });

  await wb.openViewContainer('Autoresearch');
  await wb.page.getByRole('button', { name: 'Start Run' }).first().waitFor({ timeout: 30_000 });
  await wb.widenSideBar(140);
  await wb.screenshot('01-experiments-view-before-run');
});

test('stepping: the run stops before training #1, shows its diff, the candidate is edited and run; training shows in its terminal and the dashboard live', async () => {
  await wb.runCommand('Autoresearch: Start Run (Stepping)');

  await wb.treeRow('#0 baseline').waitFor({ timeout: 60_000 });
  await wb.terminalTab('Autoresearch #0: baseline').waitFor({ timeout: 60_000 });
  await eventually('training output in the baseline terminal', async () => /step\s+\d+ \| loss/.test(await wb.activeTerminalText()), 60_000);
  await wb.screenshot('02-baseline-training');

  // The gate: the candidate's diff opens by itself, and a notice asks Run / Edit / Skip; the badge counts it.
  await wb.notification('Autoresearch #1 at the gate').waitFor({ timeout: 120_000 });
  // The badge is painted by the workbench a moment after the extension sets it (seen empty under load).
  await eventually('the badge counts the gate', async () => (await wb.activityBadge('Autoresearch').innerText()) === '1', 15_000);
  assert.equal(await wb.activityBadge('Autoresearch').innerText(), '1', 'the gate waits for the person');
  await wb.page.locator('.tab', { hasText: 'train.py (#1' }).waitFor({ timeout: 30_000 });
  await wb.editorAction('Run This Candidate').waitFor({ timeout: 15_000 });
  assert.equal(ofType(events(), 'training.started').filter((e) => e.n === 1).length, 0, 'nothing trains while the gate waits');
  // The gate view: what the candidate is, its hypothesis, who proposed it, what it changes, and labelled buttons.
  const gate = wb.gateView();
  await gate.locator('[data-testid=gate-title]', { hasText: '#1 N_EMBD 64 -> 96' }).waitFor({ timeout: 30_000 });
  assert.equal(await gate.locator('[data-testid=gate-proposer]').innerText(), 'the LLM');
  assert.match(await gate.locator('[data-testid=gate-hypothesis]').innerText(), /worth a try in the budget/);
  assert.match(await gate.locator('[data-testid=gate-changes]').innerText(), /- N_EMBD = 64\s+\+ N_EMBD = 96/);
  await wb.screenshot('03-stepping-gate');
  // Edit (the gate view's button): the candidate's file opens as it is in the checkout, the cursor on the change.
  await gate.getByRole('button', { name: 'Edit' }).click();
  // The file itself (its tab is plain "train.py"), not the diff ("train.py (#1 …)").
  await wb.page.locator('.tab.active', { hasText: /^\s*train\.py\s*$/ }).waitFor({ timeout: 30_000 });
  const embdLine = readFileSync(join(repo, 'train.py'), 'utf8').split('\n').findIndex((l) => l.startsWith('N_EMBD = ')) + 1;
  await wb.statusBarItem(`Ln ${embdLine}, Col 1`).waitFor({ timeout: 15_000 });
  const dropoutLine = readFileSync(join(repo, 'train.py'), 'utf8').split('\n').findIndex((l) => l.startsWith('DROPOUT = ')) + 1;
  assert.ok(dropoutLine > 0);
  await wb.page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await wb.goToLine(dropoutLine);
  await wb.page.keyboard.press('Home');
  await wb.page.keyboard.press('Shift+End');
  await wb.page.keyboard.type(EDITED_LINE);
  await wb.screenshot('04-editing-the-candidate');
  await eventually('the edit in the editor', async () => (await wb.page.locator('.editor-group-container.active .monaco-editor .view-lines').first().innerText()).replace(/\u00a0/g, ' ').includes(EDITED_LINE), 15_000);

  // The dashboard, opened while the run waits: it says the run is going on.
  await wb.runCommand('Autoresearch: Open Dashboard');
  const dash = wb.dashboard();
  await dash.locator('[data-testid=run-summary] [data-state=running]').waitFor({ timeout: 60_000 });
  assert.equal(await dash.locator('[data-testid=experiments-table]').getAttribute('data-total'), '2');

  // Run (from the editor title): the edit is saved, committed, and that commit trains.
  await wb.editorAction('Run This Candidate').click();
  // Answered from the editor title: the gate's notice closes itself, the badge goes.
  await wb.notification('Autoresearch #1 at the gate').waitFor({ state: 'detached', timeout: 15_000 });
  await wb.activityBadge('Autoresearch').waitFor({ state: 'hidden', timeout: 15_000 });
  await wb.terminalTab('Autoresearch #1:').waitFor({ timeout: 60_000 });
  await wb.widenTerminalTabs(260);
  await eventually('training output of #1 in its terminal', async () => /step\s+\d+ \| loss/.test(await wb.activeTerminalText()), 60_000);
  await wb.screenshot('05-experiment-training');

  const stopped = await eventually('run.stopped in the trace', () => ofType(events(), 'run.stopped')[0], 180_000);
  assert.equal(stopped.reason, 'completed');
  // The dashboard, open since the gate, got the rest live: the run's end and #1's result.
  await dash.locator('[data-testid=run-summary] [data-state=completed]').waitFor({ timeout: 30_000 });
  const decided1 = ofType(events(), 'experiment.decided').find((e) => e.n === 1)!;
  await dash.locator('[data-testid=experiments-table] .vt-row[data-n="1"]', { hasText: decided1.metric!.toFixed(6).replace(/\.?0+$/, '') }).waitFor({ timeout: 30_000 });
  await wb.screenshot('06-dashboard-live');

  const all = events();
  const decided = ofType(all, 'experiment.decided');
  assert.deepEqual(decided.map((e) => e.n), [0, 1]);
  const edited = ofType(all, 'candidate.edited')[0];
  assert.equal(edited?.n, 1, 'the edit at the gate is recorded');
  assert.deepEqual(edited.changed, { N_EMBD: { from: 64, to: 96 }, DROPOUT: { from: 0, to: 0.05 } });
  assert.equal(decided[1].commit, edited.commit, 'the edited commit is what trained');
  assert.match(git(repo, 'show', `${edited.commit}:train.py`), new RegExp(`^${EDITED_LINE}$`, 'm'));
  assert.equal(git(repo, 'rev-parse', `${edited.commit}^`), decided[0].commit, 'one commit on the baseline');
  // The view shows each result with its metric; the terminal its log's end and the decision.
  for (const e of decided) {
    const row = wb.treeRow(`#${e.n} `);
    await eventually(`row #${e.n} showing ${e.metric}`, async () => ((await row.getAttribute('aria-label')) ?? '').includes(e.metric!.toFixed(6)), 15_000);
  }
  const terminalText = await wb.activeTerminalText();
  assert.match(terminalText, /val_bpb:\s+\d/);
  assert.match(terminalText, new RegExp(`${decided[1].status} ${decided[1].metric!.toFixed(6)}`));
  await wb.statusBarItem('best').waitFor({ timeout: 15_000 });
  assert.equal(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD'), `autoresearch/${tag()}`);
  assert.equal(git(repo, 'status', '--porcelain', '--untracked-files=no'), '');
  assert.equal(git(repo, 'rev-parse', `refs/autoresearch/${tag()}/tried/1`), edited.commit);
});

test('an experiment opens its diff against its parent, read-only: from the dashboard (typed message) and from the Experiments view', async () => {
  // The dashboard's row asks for the diff through the typed openDiff message.
  await wb.dashboard().locator('[data-testid=experiments-table] .vt-row[data-n="1"]').click();
  await wb.page.locator('.tab.active', { hasText: 'train.py (#1' }).waitFor({ timeout: 30_000 });
  await wb.runCommand('View: Close All Editors');

  await wb.treeRow('#1 ').click();
  const diff = wb.page.locator('.monaco-diff-editor').first();
  await diff.waitFor({ timeout: 30_000 });
  await wb.page.locator('.tab.active', { hasText: 'train.py (#1' }).waitFor({ timeout: 15_000 });
  const original = diff.locator('.editor.original .view-lines');
  const modified = diff.locator('.editor.modified .view-lines');
  const line = (text: string, name: string) => text.split('\n').map((l) => l.replace(/\u00a0/g, ' ')).find((l) => new RegExp(`^${name}\\s*=`).test(l));
  await eventually('N_EMBD in both sides of the diff', async () => line(await original.innerText(), 'N_EMBD') && line(await modified.innerText(), 'N_EMBD'), 15_000);
  assert.match(line(await original.innerText(), 'N_EMBD')!, /= 64/);
  assert.match(line(await modified.innerText(), 'N_EMBD')!, /= 96/);
  // Read-only: typing into the modified side changes nothing.
  const before = await modified.innerText();
  await modified.click();
  await wb.page.keyboard.type('XYZ');
  assert.equal(await modified.innerText(), before);
  await wb.screenshot('07-experiment-diff');
  await wb.runCommand('View: Close All Editors');
});

test('level 2 under the review policy: the mechanism waits in the Mechanisms view; its diff has Accept, which puts it on the run branch', async () => {
  const stopsBefore = ofType(events(), 'run.stopped').length;
  await wb.runCommand('Autoresearch: Run Mechanism Research Now');
  const validated = await eventually('the mechanism validated', () => ofType(events(), 'mechanism.validated')[0], 120_000);
  assert.ok(validated.ok, JSON.stringify(validated.checks));
  await eventually('the research run ended', () => ofType(events(), 'run.stopped').length > stopsBefore, 60_000);
  const proposed = ofType(events(), 'mechanism.proposed')[0];
  assert.equal(proposed.name, MECHANISM_NAME);
  assert.deepEqual(ofType(events(), 'mechanism.research.step').map((s) => s.step), ['explore', 'critique', 'specify', 'generate']);
  assert.equal(ofType(events(), 'mechanism.activated').length, 0, 'the review policy waits for a person');

  const row = wb.treeRow(`${MECHANISM_NAME}, awaiting your review`);
  await row.waitFor({ timeout: 30_000 });
  // What waits is announced: the badge on the view container and a notice with Review.
  const notice = `Autoresearch mechanism ${MECHANISM_NAME}:`;
  await wb.notification(notice).waitFor({ timeout: 30_000 });
  assert.equal(await wb.activityBadge('Autoresearch').innerText(), '1');
  await wb.screenshot('08-mechanism-awaiting-review');

  // Review (the notice's action): the review panel, like a pull request: diagnosis, rationale, checks, replay, code.
  const branchBefore = git(repo, 'rev-parse', `autoresearch/${tag()}`);
  await wb.notificationLink(notice, 'Review').click();
  await wb.page.locator('.tab.active', { hasText: `Review: ${MECHANISM_NAME}` }).waitFor({ timeout: 30_000 });
  let review = await wb.webviewWith('[data-testid=review-status]');
  assert.equal(await review.locator('[data-testid=review-status]').innerText(), 'awaiting your review');
  assert.match(await review.locator('[data-testid=review-diagnosis]').innerText(), /DEPTH changes crash or waste the budget/);
  assert.match(await review.locator('[data-testid=review-rationale]').innerText(), /it answers the diagnosis/);
  assert.match(await review.locator('[data-testid=review-checks]').innerText(), /replay/);
  assert.match(await review.locator('[data-testid=review-replay]').innerText(), /✓/);
  assert.match((await review.locator('[data-testid=review-code]').innerText()).replace(/\u00a0/g, ' '), /DEPTH stays put/);
  assert.equal(await review.getByRole('button', { name: 'Accept' }).count(), 1, 'a labelled Accept button');
  assert.equal(await review.getByRole('button', { name: 'Reject…' }).count(), 1, 'a labelled Reject button');
  await wb.screenshot('09a-mechanism-review-panel');

  // The module's diff, branch against run branch, is one click away, with Accept on it too.
  await review.getByText('Open the diff in the editor').click();
  await wb.page.locator('.tab.active', { hasText: `${MECHANISM_NAME}.mjs (mechanism ${MECHANISM_NAME}` }).waitFor({ timeout: 30_000 });
  const diff = wb.page.locator('.monaco-diff-editor').first();
  await eventually('the module in the proposed side', async () => /DEPTH stays put/.test((await diff.locator('.editor.modified .view-lines').innerText()).replace(/\u00a0/g, ' ')), 15_000);
  // Accept in the diff's title bar (a CodeLens says the same where diffEditor.codeLens is on).
  const accept = wb.editorAction('Accept Mechanism');
  await accept.waitFor({ timeout: 30_000 });
  await wb.editorAction('Reject Mechanism').waitFor({ timeout: 15_000 });
  await wb.screenshot('09-mechanism-diff-with-accept');

  // Accept from the review panel.
  await wb.page.locator('.tab', { hasText: `Review: ${MECHANISM_NAME}` }).click();
  review = await wb.webviewWith('[data-testid=review-status]');
  await review.getByRole('button', { name: 'Accept' }).click();
  await wb.treeRow(`${MECHANISM_NAME}, active`).waitFor({ timeout: 60_000 });
  await eventually('the review panel says active', async () => (await (await wb.webviewWith('[data-testid=review-status]')).locator('[data-testid=review-status]').innerText()) === 'active', 15_000);
  // Resolved: the notice closed itself and nothing is left on the badge.
  await wb.notification(notice).waitFor({ state: 'detached', timeout: 15_000 });
  await wb.activityBadge('Autoresearch').waitFor({ state: 'hidden', timeout: 15_000 });
  await wb.notification(`mechanism ${MECHANISM_NAME} is active`).waitFor({ timeout: 30_000 });
  await wb.screenshot('10-mechanism-accepted');

  const activated = ofType(events(), 'mechanism.activated')[0];
  assert.equal(activated.by, 'user');
  const branch = `autoresearch/${tag()}`;
  assert.equal(git(repo, 'rev-parse', branch), activated.commit, 'the run branch moved to the activation commit');
  assert.equal(git(repo, 'rev-parse', `${branch}^`), branchBefore, 'one commit on top of the best');
  assert.equal(git(repo, 'show', `${branch}:.autoresearch/mechanisms/${MECHANISM_NAME}.mjs`), git(repo, 'show', `${proposed.commit}:${proposed.file}`));
  assert.match(git(repo, 'show', `${branch}:.autoresearch/mechanisms.json`), new RegExp(MECHANISM_NAME));
  assert.equal(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD'), branch);
  assert.equal(git(repo, 'status', '--porcelain', '--untracked-files=no'), '');
  // Nothing left to accept: the action is gone from the diff's title bar.
  await wb.page.locator('.tab', { hasText: `${MECHANISM_NAME}.mjs (mechanism` }).click();
  await eventually('no Accept action once accepted', async () => (await accept.count()) === 0, 15_000);
});

test('Step runs one more iteration in stepping mode; Skip at the gate records it as rejected by you, after the accepted mechanism reviewed it', async () => {
  // An API key set now (secret storage) goes to the endpoint with the next proposal, and nowhere else.
  await wb.runCommand('Autoresearch: Set API Key');
  const keyInput = wb.page.locator('.quick-input-widget input[type="password"]');
  await keyInput.waitFor({ timeout: 15_000 });
  await keyInput.fill(API_KEY);
  await wb.page.keyboard.press('Enter');
  await wb.notification('API key stored in secret storage').waitFor({ timeout: 15_000 });
  const requestsBefore = llm.requests.length;

  const stopsBefore = ofType(events(), 'run.stopped').length;
  await wb.runCommand('Autoresearch: Step (One Inner Iteration)');
  await wb.notification('Autoresearch #2 at the gate').waitFor({ timeout: 120_000 });
  const sent = llm.requests.slice(requestsBefore).filter((r) => r.path === '/v1/chat/completions');
  assert.ok(sent.length >= 1 && sent.every((r) => r.authorization === `Bearer ${API_KEY}`), 'the proposal request carried the stored key');
  await wb.treeRow('#2 N_HEAD 4 -> 8, Run, Edit or Skip?').waitFor({ timeout: 15_000 });
  // The status bar item opens the gate (not the dashboard) while it waits, from another view container too.
  await wb.runCommand('View: Show Explorer');
  await wb.runStatusItem().click();
  await wb.page.locator('.pane-header', { hasText: 'Candidate at the Gate' }).waitFor({ state: 'visible', timeout: 15_000 });
  await wb.gateView().locator('[data-testid=gate-title]', { hasText: '#2 N_HEAD 4 -> 8' }).waitFor({ timeout: 15_000 });
  // Skip with its keybinding, focus in the candidate's diff (where the gate puts you).
  await wb.page.locator('.tab.active', { hasText: 'train.py (#2' }).waitFor({ timeout: 30_000 });
  await wb.page.locator('.editor-group-container.active .monaco-diff-editor .editor.modified .view-lines').first().click();
  await wb.page.keyboard.press('Control+Alt+Backspace');
  // Answered: no gate notice is left on screen with live-looking actions.
  await wb.notification('Autoresearch #2 at the gate').waitFor({ state: 'detached', timeout: 15_000 });
  await eventually('the step ended', () => ofType(events(), 'run.stopped').length > stopsBefore, 60_000);
  const all = events();
  const skipped = ofType(all, 'candidate.rejected').find((e) => e.n === 2);
  assert.equal(skipped?.by, 'user');
  assert.equal(ofType(all, 'training.started').filter((e) => e.n === 2).length, 0, 'a skipped candidate never trains');
  assert.equal(ofType(all, 'run.stopped').at(-1)!.reason, 'completed');
  // Provenance: the mechanism accepted in review ran on this iteration's candidate.
  const hooks = ofType(all, 'mechanism.hooks').find((e) => e.n === 2);
  assert.ok(hooks?.ran.some((r) => r.mechanism === MECHANISM_NAME && r.hook === 'reviewCandidate'), JSON.stringify(hooks));
  await wb.treeRow('#2 N_HEAD 4 -> 8, rejected').waitFor({ timeout: 30_000 });
  await wb.screenshot('11-step-skipped');
});

function findExtensionLog(profile: string, content: RegExp): string | null {
  const logs = join(profile, 'user-data', 'logs');
  if (!existsSync(logs)) return null;
  const stack = [logs];
  while (stack.length) {
    const dir = stack.pop()!;
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) stack.push(p);
      else if (p.includes(EXTENSION_ID) && f.endsWith('.log') && content.test(readFileSync(p, 'utf8'))) return p;
    }
  }
  return null;
}

test('after a window reload the views are rebuilt from the trace on activation', async () => {
  const decided = ofType(events(), 'experiment.decided');
  await wb.runCommand('Developer: Reload Window');
  await wb.waitUntilLoaded();
  const logFile = await eventually('activation after the reload', () => findExtensionLog(profileDir, /activation timing.*run \S+, 3 experiments/), 60_000);
  const line = readFileSync(logFile, 'utf8').split('\n').find((l) => /activation timing.*3 experiments/.test(l))!;
  console.log(`# activation with a 3-experiment trace: ${/activation timing: (.*)$/.exec(line)![1]}`);
  await wb.openViewContainer('Autoresearch');
  for (const e of decided) {
    const row = wb.treeRow(`#${e.n} `);
    await eventually(`row #${e.n} from the trace`, async () => ((await row.getAttribute('aria-label')) ?? '').includes(e.metric!.toFixed(6)), 30_000);
  }
  await wb.treeRow(`${MECHANISM_NAME}, active`).waitFor({ timeout: 30_000 });
  await wb.statusBarItem(`best ${decided.filter((e) => e.status === 'keep').pop()!.metric!.toFixed(6)}`).waitFor({ timeout: 15_000 });
  await wb.screenshot('12-after-reload-from-trace');
});

test('Pause stops after the current step; a window reload during a run stops it cleanly and, on activation, Resume picks it up', async () => {
  const count = (t: RunEvent['type']) => events().filter((e) => e.type === t).length;
  const stops = count('run.stopped');
  await wb.runCommand('Autoresearch: Step (One Inner Iteration)');
  await wb.notification('Autoresearch #3 at the gate').waitFor({ timeout: 120_000 });
  await wb.runCommand('Autoresearch: Pause (After the Current Step)');
  // Run with its keybinding, focus in the candidate's diff.
  await wb.page.locator('.tab.active', { hasText: 'train.py (#3' }).waitFor({ timeout: 30_000 });
  await wb.page.locator('.editor-group-container.active .monaco-diff-editor .editor.modified .view-lines').first().click();
  await wb.page.keyboard.press('Control+Alt+Enter');
  const paused = await eventually('run.paused', () => ofType(events(), 'run.paused')[0], 120_000);
  assert.ok(paused);
  assert.equal(count('run.stopped'), stops, 'paused, not stopped');
  assert.ok(ofType(events(), 'experiment.decided').some((e) => e.n === 3), '#3 trained before the pause');
  await wb.statusBarItem('(paused)').waitFor({ timeout: 30_000 });
  await wb.screenshot('13-paused');

  // A run going on (waiting at the gate of #4) when the window reloads.
  await wb.runCommand('Autoresearch: Step (One Inner Iteration)');
  await wb.notification('Autoresearch #4 at the gate').waitFor({ timeout: 120_000 });
  await wb.runCommand('Developer: Reload Window');
  await wb.waitUntilLoaded();
  const interrupted = await eventually('the run stopped by the reload', () => ofType(events(), 'run.stopped').at(-1)?.reason === 'interrupted', 60_000);
  assert.ok(interrupted);
  await wb.notification(`Autoresearch run ${tag()} was interrupted`).waitFor({ timeout: 60_000 });
  await wb.screenshot('14-resume-offer');
  const resumedBefore = count('run.resumed');
  await wb.notificationButton(`Autoresearch run ${tag()} was interrupted`, 'Resume').click();
  await eventually('the run resumed', () => count('run.resumed') > resumedBefore, 60_000);
  assert.ok(ofType(events(), 'experiment.interrupted').some((e) => e.n === 4), '#4, left at the gate, is closed as interrupted');
});

test('the API key is nowhere on disk: not in the trace, the repo, git, the settings or the logs', () => {
  const leaks = filesContaining([repo, join(profileDir, 'user-data', 'User'), join(profileDir, 'user-data', 'logs')], API_KEY);
  assert.deepEqual(leaks, []);
  assert.equal(git(repo, 'log', '--all', '-p', `-S${API_KEY}`, '--oneline'), '', 'never committed');
});

test('Reject from the review panel asks why; the Mechanisms view and the panel say "rejected by you"', async () => {
  // The run resumed by the previous test ends first (a verdict would otherwise wait for its step).
  await eventually('no run going on', () => {
    const all = events();
    return ofType(all, 'run.stopped').length + ofType(all, 'run.paused').length === 1 + ofType(all, 'run.resumed').length;
  }, 120_000);
  await wb.runCommand('Autoresearch: Review Mechanism');
  await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: MECHANISM_NAME }).first().click();
  const review = await wb.webviewWith('[data-testid=review-status]');
  await review.getByRole('button', { name: 'Reject…' }).click();
  const reason = wb.page.locator('.quick-input-widget input[type="text"]');
  await reason.waitFor({ timeout: 15_000 });
  await reason.fill('too strict for this search');
  await wb.page.keyboard.press('Enter');
  await wb.treeRow(`${MECHANISM_NAME}, rejected by you, too strict for this search`).waitFor({ timeout: 60_000 });
  await eventually('the review panel says rejected by you', async () => (await (await wb.webviewWith('[data-testid=review-status]')).locator('[data-testid=review-status]').innerText()) === 'rejected by you', 15_000);
  const reverted = ofType(events(), 'mechanism.reverted').at(-1)!;
  assert.deepEqual([reverted.name, reverted.by, reverted.reason], [MECHANISM_NAME, 'user', 'too strict for this search']);
  await wb.screenshot('15-mechanism-rejected');
});

test('Start Run on a finished run says so and offers "Run N More" (and "New Run"); Run 1 More trains one more experiment', async () => {
  const before = ofType(events(), 'experiment.decided').length;
  const resumes = ofType(events(), 'run.resumed').length;
  await wb.runCommand('Autoresearch: Start Run');
  const offer = `Autoresearch run ${tag()} is complete`;
  await wb.notification(offer).waitFor({ timeout: 30_000 });
  await wb.notificationButton(offer, 'New Run').waitFor({ timeout: 5_000 });
  await wb.screenshot('16-finished-run-offer');
  await wb.notificationButton(offer, 'Run 1 More').click();
  await eventually('the run resumed', () => ofType(events(), 'run.resumed').length > resumes, 60_000);
  await eventually('one more experiment decided', () => ofType(events(), 'experiment.decided').length === before + 1, 180_000);
  await eventually('the run completed again', () => ofType(events(), 'run.stopped').at(-1)?.reason === 'completed' && ofType(events(), 'run.stopped').length + ofType(events(), 'run.paused').length === 1 + ofType(events(), 'run.resumed').length, 60_000);
});

test('one terminal per worker, reused: three experiments in this window train in the same terminal, each with a header line', async () => {
  const before = ofType(events(), 'training.started').length;
  const stops = ofType(events(), 'run.stopped').length;
  await wb.runCommand('Autoresearch: Run More Iterations…');
  // The input box, not the palette it replaces.
  await wb.page.locator('.quick-input-widget', { hasText: 'How many more iterations' }).waitFor({ timeout: 15_000 });
  const count = wb.page.locator('.quick-input-widget input[type="text"]');
  await count.fill('2');
  await wb.page.keyboard.press('Enter');
  await eventually('the two more iterations ran', () => ofType(events(), 'run.stopped').length > stops, 240_000);
  assert.equal(ofType(events(), 'training.started').length, before + 2, 'two more trainings');
  const trained = ofType(events(), 'training.started').slice(-3);
  // Three trainings since the last reload, one terminal: named after the latest, its header on screen.
  assert.equal(await wb.page.locator('.terminal-tabs-entry', { hasText: 'Autoresearch' }).count(), 1, 'one terminal, not one per experiment');
  const last = trained[2];
  await wb.terminalTab(`Autoresearch #${last.n}:`).waitFor({ timeout: 15_000 });
  // The panel maximized, so that more than the last experiment's lines are on screen: each one starts with its header
  // (which may wrap: rows are joined before matching).
  await wb.runCommand('View: Toggle Maximized Panel');
  for (const t of trained.slice(1)) {
    await eventually(`the header of #${t.n} in the terminal`, async () => new RegExp(`── #${t.n} .* · local · pid \\d+ · commit ${t.commit.slice(0, 7)} ──`).test((await wb.activeTerminalText()).replace(/\u00a0/g, ' ').replace(/\n/g, '')), 30_000);
  }
  await wb.screenshot('17-one-terminal-reused');
  await wb.runCommand('View: Toggle Maximized Panel');
  // Out of sight (another panel tab), it comes back on request only.
  await wb.page.locator('.part.panel .composite-bar a.action-label[aria-label^="Problems"]').click();
  await wb.terminalTab(`Autoresearch #${last.n}:`).waitFor({ state: 'hidden', timeout: 15_000 });
  await wb.runCommand('Autoresearch: Show Training Terminal');
  await wb.terminalTab(`Autoresearch #${last.n}:`).waitFor({ state: 'visible', timeout: 15_000 });
});

test('Select Model saves to the user settings unless the workspace is picked: nothing is written into the training repo', async () => {
  await wb.runCommand('Autoresearch: Select Model');
  await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'Change the endpoint URL' }).waitFor({ timeout: 30_000 });
  await wb.page.locator('.quick-input-list .monaco-list-row[aria-label^="scripted-model"]').first().click();
  const user = wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'User settings' });
  await user.waitFor({ timeout: 15_000 });
  await wb.screenshot('18-select-model-where');
  await user.click();
  await wb.notification('the LLM proposer uses scripted-model').waitFor({ timeout: 15_000 });
  assert.equal(existsSync(join(repo, '.vscode', 'settings.json')), false, 'no untracked settings file in the repo');
  const userSettings = readFileSync(join(profileDir, 'user-data', 'User', 'settings.json'), 'utf8');
  assert.match(userSettings, /"bilevelAutoresearch\.llm\.model":\s*"scripted-model"/);
});

test('Create Branch from Best: the branch from where the run started holds the best as one commit, without .autoresearch/; the user\'s branches stay; Open Report opens report.md', async () => {
  const branchesBefore = git(repo, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads/');
  const headBefore = git(repo, 'rev-parse', 'HEAD');
  const started = ofType(events(), 'run.started')[0];
  const keptBeyondBaseline = ofType(events(), 'experiment.decided').some((d) => d.status === 'keep' && !ofType(events(), 'iteration.started').find((s) => s.n === d.n)?.baseline);
  await wb.openViewContainer('Autoresearch');
  // View title actions show while the pointer is over the view's header.
  const header = wb.page.locator('.pane-header', { hasText: 'Experiments' });
  await header.hover();
  await header.locator('a.action-label[aria-label^="Create Branch from Best"]').click();
  // The branch name's input box (not the palette it may replace: its prompt says what the branch holds).
  const asked = wb.page.locator('.quick-input-widget', { hasText: 'holding its best result as one commit' });
  const name = asked.locator('input[type="text"]');
  await name.waitFor({ state: 'visible', timeout: 15_000 });
  assert.equal(await name.inputValue(), `autoresearch/${tag()}-best`, 'the default name');
  await wb.page.keyboard.press('Enter');
  if (!keptBeyondBaseline) {
    // Nothing beat the baseline in this run: finalize refuses, and says why.
    await wb.notification('Autoresearch:').filter({ hasText: /baseline|kept/ }).waitFor({ timeout: 30_000 });
    return;
  }
  const done = `created autoresearch/${tag()}-best`;
  await wb.notification(done).waitFor({ timeout: 60_000 });
  await wb.screenshot('19-branch-from-best');
  const branch = `autoresearch/${tag()}-best`;
  assert.equal(git(repo, 'rev-parse', `${branch}^`), started.baseCommit, 'one commit on where the run started');
  assert.equal(git(repo, 'ls-tree', '--name-only', branch, '.autoresearch'), git(repo, 'ls-tree', '--name-only', started.baseCommit, '.autoresearch'), '.autoresearch/ as it was at the start');
  assert.equal(git(repo, 'rev-parse', 'HEAD'), headBefore, 'HEAD stays');
  const after = git(repo, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads/').split('\n').filter((l) => !l.startsWith(`refs/heads/${branch} `));
  assert.deepEqual(after, branchesBefore.split('\n'), 'every other branch as it was');
  await wb.notificationButton(done, 'Open Report').click();
  await wb.page.locator('.tabs-container .tab', { hasText: 'report.md' }).waitFor({ timeout: 15_000 });
  await wb.screenshot('19b-best-branch-report');
  assert.ok(existsSync(join(repo, '.autoresearch/runs', tag(), 'report.md')));
  // Asked again, the branch exists: refused, nothing changes.
  await wb.runCommand('Autoresearch: Create Branch from Best');
  await name.waitFor({ state: 'visible', timeout: 15_000 });
  assert.equal(await name.inputValue(), branch);
  await wb.page.keyboard.press('Enter');
  await wb.notification('Autoresearch:').filter({ hasText: 'exists' }).waitFor({ timeout: 30_000 });
});

test('a commit of the user\'s on the run branch stops the resume; the notice\'s Adopt My Commit restarts it taking that commit as the new baseline', async () => {
  const stops = ofType(events(), 'run.stopped').length;
  assert.equal(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD'), `autoresearch/${tag()}`);
  const train = join(repo, 'train.py');
  writeFileSync(train, readFileSync(train, 'utf8') + '\n# tuned by hand\n');
  git(repo, 'commit', '-qam', 'my own tweak');
  const mine = git(repo, 'rev-parse', 'HEAD');
  await wb.runCommand('Autoresearch: Run More Iterations…');
  await wb.page.locator('.quick-input-widget', { hasText: 'How many more iterations' }).waitFor({ timeout: 15_000 });
  await wb.page.locator('.quick-input-widget input[type="text"]').fill('1');
  await wb.page.keyboard.press('Enter');
  const found = 'the loop did not make';
  await wb.notificationButton(found, 'New Run').waitFor({ timeout: 60_000 });
  await wb.screenshot('20-adopt-offer');
  await wb.notificationButton(found, 'Adopt My Commit').click();
  await eventually('the commit adopted', () => ofType(events(), 'run.adopted').at(-1)?.commit === mine, 60_000);
  await eventually('the run stopped again', () => ofType(events(), 'run.stopped').length > stops, 240_000);
  const adopted = ofType(events(), 'run.adopted').at(-1)!;
  assert.equal(adopted.from, 'run-branch');
  assert.ok(ofType(events(), 'iteration.started').some((x) => x.baseline && x.seq > adopted.seq), 'the adopted commit trained as a new baseline');
});

/** Files under `dirs` whose bytes contain `needle` (the key would be stored as plain text). */
function filesContaining(dirs: string[], needle: string): string[] {
  const found: string[] = [];
  const stack = dirs.filter((d) => existsSync(d));
  while (stack.length) {
    const dir = stack.pop()!;
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      const st = statSync(p);
      if (st.isDirectory()) stack.push(p);
      else if (st.isFile() && st.size < 50_000_000 && readFileSync(p).includes(needle)) found.push(p);
    }
  }
  return found;
}
