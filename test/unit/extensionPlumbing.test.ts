/**
 * The extension's pure plumbing: git-show URIs, settings, the dashboard's message routing and live
 * feed, the model picker's entries, vscode.lm turns, the Select Model listing over real HTTP (the
 * scripted OpenAI-compatible server), and reading runs for the dashboard from a trace on disk.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent } from '../../src/shared/trace/events';
import { listModels } from '../../src/core/llm/listModels';
import { CONFIG_FILE } from '../../src/core/target/targetConfig';
import { CONFIG_FILE_NAME, readConfigFrozen } from '../../src/extension/settings/configFile';
import { DashboardFeed, lastSeq } from '../../src/extension/dashboard/dashboardFeed';
import { chartFileBytes, routeDashboardMessage, safeFileName, type DashboardHandlers } from '../../src/extension/dashboard/dashboardMessages';
import { gitShowUriParts, parseGitShowUri } from '../../src/extension/git/gitShowUri';
import { languageModelTurns } from '../../src/extension/llm/languageModelTurns';
import { modelChoices } from '../../src/extension/llm/modelChoices';
import { missingKeyMessageFrom, settingsScopeChoices } from '../../src/extension/llm/llmSettingsTarget';
import { MissingApiKeyError } from '../../src/core/llm/llmClient';
import { applyRunSettings, PROPOSER_KINDS, readRunSettings } from '../../src/extension/settings/runSettings';
import { readRunPayloads } from '../../src/extension/run/runTraceReader';
import { dashboardHtml } from '../../src/shared/dashboardHtml';
import { startScriptedLlmServer } from '../support/scriptedLlmServer';

const ev = (seq: number, type = 'iteration.finished'): RunEvent => ({ seq, at: 't', type, n: seq, result: 'keep' }) as unknown as RunEvent;

test('git-show URIs round-trip repo, revision, path and the mechanism under review; bad ones are refused', () => {
  const t = { repo: '/tmp/a b', ref: 'abc123^', path: 'src/train.py', mechanism: { tag: 'nov23', name: 'tabu' } };
  const parts = gitShowUriParts(t);
  assert.equal(parts.scheme, 'autoresearch-git');
  assert.equal(parts.path, '/src/train.py');
  assert.deepEqual(parseGitShowUri(parts.path, parts.query), t);
  const plain = gitShowUriParts({ repo: '/r', ref: 'c1', path: 'train.py' });
  assert.deepEqual(parseGitShowUri(plain.path, plain.query), { repo: '/r', ref: 'c1', path: 'train.py' });
  assert.throws(() => parseGitShowUri('/train.py', '{"repo":"/r","ref":"--output=/etc/x"}'), /invalid revision/);
  assert.throws(() => parseGitShowUri('/train.py', 'repo=/r'), /not an autoresearch-git URI query/);
  assert.throws(() => parseGitShowUri('/', '{"repo":"/r","ref":"c1"}'), /no file path/);
});

test('settings: defaults, bad values fall back, overrides land on a copy of the config', () => {
  const values: Record<string, unknown> = { iterations: -3, proposer: 'llm', 'llm.backend': 'vscode', 'llm.model': ' gpt-x ', stepping: true };
  const s = readRunSettings((k, d) => (k in values ? (values[k] as typeof d) : d));
  assert.equal(s.iterations, 10, 'a negative count falls back to the default');
  assert.equal(s.llmBackend, 'vscode');
  assert.equal(s.llmModel, 'gpt-x');
  assert.equal(s.stepping, true);
  assert.equal(readRunSettings((_k, d) => d).llmBackend, 'openai');
  const config = { proposer: { kind: 'heuristic', seed: 1, historyLength: 5 }, llm: { model: 'a', baseURL: 'http://x/v1' } } as never;
  const applied = applyRunSettings(config, s);
  assert.equal(applied.proposer.kind, 'llm');
  assert.deepEqual(applied.llm, { model: 'gpt-x', baseURL: 'http://x/v1' });
  assert.equal((config as { llm: { model: string } }).llm.model, 'a', 'the loaded config is left as it was');
});

test('settings: the proposer setting offers tpe (with a description) and passes it on as proposer.kind', () => {
  const s = readRunSettings((k, d) => (k === 'proposer' ? ('tpe' as typeof d) : d));
  assert.equal(s.proposer, 'tpe');
  const config = { proposer: { kind: 'heuristic', seed: 1, historyLength: 5 }, llm: {} } as never;
  assert.equal(applyRunSettings(config, s).proposer.kind, 'tpe');
  assert.equal(readRunSettings((k, d) => (k === 'proposer' ? ('bogus' as typeof d) : d)).proposer, 'config', 'an unknown kind falls back');
  const pkg = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8'));
  const setting = pkg.contributes.configuration.properties['bilevelAutoresearch.proposer'];
  assert.deepEqual(setting.enum, ['config', ...PROPOSER_KINDS], 'package.json offers exactly the kinds the reader accepts');
  assert.equal(setting.enumDescriptions.length, setting.enum.length, 'one description per kind');
  assert.match(setting.enumDescriptions[setting.enum.indexOf('tpe')], /TPE/);
});

test('the config file name matches the engine, and parameters.frozen is read without the engine', () => {
  assert.equal(CONFIG_FILE_NAME, CONFIG_FILE);
  const dir = mkdtempSync(join(tmpdir(), 'ext-cfg-'));
  try {
    assert.deepEqual(readConfigFrozen(dir), [], 'no config: nothing frozen');
    writeFileSync(join(dir, CONFIG_FILE_NAME), JSON.stringify({ parameters: { frozen: ['SEED', 3, 'TIME_BUDGET'] } }));
    assert.deepEqual(readConfigFrozen(dir), ['SEED', 'TIME_BUDGET']);
    writeFileSync(join(dir, CONFIG_FILE_NAME), '{ not json');
    assert.deepEqual(readConfigFrozen(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dashboard messages: each kind reaches its handler; malformed ones and bad exports are reported, not acted on', async () => {
  const calls: string[] = [];
  const h: DashboardHandlers = {
    ready: () => void calls.push('ready'),
    openDiff: (r) => void calls.push(`diff ${r.tag}#${r.n}`),
    openLog: (r) => void calls.push(`log ${r.tag}#${r.n}`),
    exportChart: (f) => void calls.push(`export ${f.fileName} ${f.bytes.length}`),
    error: (m) => void calls.push(`error ${m}`),
  };
  await routeDashboardMessage({ type: 'ready' }, h);
  await routeDashboardMessage({ type: 'openDiff', tag: 'nov23', n: 3 }, h);
  await routeDashboardMessage({ type: 'openLog', tag: 'nov23', n: 0 }, h);
  await routeDashboardMessage({ type: 'openDiff', tag: 'nov23', n: -1 }, h);
  await routeDashboardMessage({ type: 'exportChart', format: 'png', data: `data:image/png;base64,${Buffer.from('PNG!').toString('base64')}`, fileName: '../../etc/passwd' }, h);
  await routeDashboardMessage({ type: 'exportChart', format: 'svg', data: '<script>alert(1)</script>', fileName: 'x.svg' }, h);
  await routeDashboardMessage({ type: 'error', message: 'boom' }, h);
  assert.deepEqual(calls, [
    'ready',
    'diff nov23#3',
    'log nov23#0',
    'error ignored a malformed dashboard message: {"type":"openDiff","tag":"nov23","n":-1}',
    'export passwd.png 4',
    'error the exported svg chart is not what the dashboard should send',
    'error boom',
  ]);
  assert.equal(chartFileBytes('svg', '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>')?.toString(), '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>');
  assert.equal(chartFileBytes('png', 'data:image/jpeg;base64,AAAA'), null);
  assert.equal(safeFileName('progress nov23.svg', 'png'), 'progress nov23.png');
  assert.equal(safeFileName('...', 'svg'), 'autoresearch-progress.svg');
});

test('the live feed batches per run, drops what init already carried, and never sends training output', () => {
  const feed = new DashboardFeed();
  feed.add('a', ev(1));
  feed.add('a', ev(2));
  feed.add('a', { seq: 3, at: 't', type: 'training.output', n: 1, line: 'step 1', stream: 'stdout' } as RunEvent);
  feed.initialized('a', 1);
  feed.add('b', ev(7));
  assert.ok(feed.pending);
  assert.deepEqual(feed.take().map((m) => (m.type === 'events' ? [m.tag, m.events.map((e) => e.seq)] : m.type)), [['a', [2]], ['b', [7]]]);
  assert.ok(!feed.pending);
  feed.add('a', ev(2));
  feed.add('a', ev(3));
  assert.deepEqual(feed.take().map((m) => (m.type === 'events' ? m.events.map((e) => e.seq) : [])), [[3]], 'an event sent once is not sent again');
  feed.reset();
  feed.add('a', ev(2));
  assert.equal(feed.take().length, 1, 'after a reset (the webview started over) everything goes again');
});

test('lastSeq reads the last complete line of a trace being appended to', () => {
  assert.equal(lastSeq(''), 0);
  assert.equal(lastSeq('{"seq":1}\n{"seq":2}\n'), 2);
  assert.equal(lastSeq('{"seq":1}\n{"seq":2}\n{"seq":3,"ty'), 2, 'a torn last line does not count');
});

test('runs for the dashboard: every run with a trace, oldest first, with the config-frozen parameters', () => {
  const repo = mkdtempSync(join(tmpdir(), 'ext-runs-'));
  try {
    assert.deepEqual(readRunPayloads(repo, []), []);
    for (const [tag, age] of [['new', 0], ['old', 100]] as const) {
      const dir = join(repo, '.autoresearch/runs', tag);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'trace.jsonl'), `{"seq":1,"tag":"${tag}"}\n`);
      const t = Date.now() / 1000 - age;
      utimesSync(join(dir, 'trace.jsonl'), t, t);
    }
    mkdirSync(join(repo, '.autoresearch/runs/empty'));
    const runs = readRunPayloads(repo, ['SEED']);
    assert.deepEqual(runs.map((r) => r.tag), ['old', 'new']);
    assert.deepEqual(runs[1], { tag: 'new', traceJsonl: '{"seq":1,"tag":"new"}\n', frozen: ['SEED'] });
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test('Select Model entries: endpoint models and VS Code models under separators, the one in use marked', () => {
  const entries = modelChoices({
    endpoint: { url: 'http://127.0.0.1:1/v1', models: ['a', 'b'] },
    languageModels: [{ id: 'copilot-gpt', name: 'GPT', vendor: 'copilot', family: 'gpt' }],
    current: { backend: 'openai', model: 'c', languageModel: '' },
  });
  assert.deepEqual(entries.map((e) => (e.separator ? `-- ${e.label}` : `${e.label}${e.picked ? ' *' : ''}`)), [
    '-- OpenAI-compatible endpoint http://127.0.0.1:1/v1',
    'a',
    'b',
    'c *',
    '$(edit) Enter a model id…',
    '$(globe) Change the endpoint URL…',
    '-- VS Code language models (no API key)',
    'GPT',
  ]);
  assert.equal(entries.find((e) => e.label === 'c')?.detail, 'configured, but the endpoint does not list it');
  assert.deepEqual(entries.find((e) => e.label === 'GPT')?.choice, { backend: 'vscode', id: 'copilot-gpt' });
  const failing = modelChoices({ endpoint: { url: 'u', error: 'HTTP 401' }, languageModels: [], current: { backend: 'vscode', model: '', languageModel: '' } });
  assert.deepEqual(failing.filter((e) => !e.separator).map((e) => e.detail ?? e.label), ['HTTP 401', '$(edit) Enter a model id…', 'Any OpenAI-compatible server: a local one, a proxy, another provider.', 'A chat model provider extension (e.g. GitHub Copilot Chat) adds them.']);
  const noKey = modelChoices({ endpoint: { url: 'u', error: missingKeyMessageFrom(new MissingApiKeyError('https://api.openai.com/v1').message), missingKey: true }, languageModels: [], current: { backend: 'openai', model: '', languageModel: '' } });
  assert.match(noKey.find((e) => e.label.includes('Could not list'))!.detail!, /^No API key for the LLM endpoint https:\/\/api\.openai\.com\/v1: run "Autoresearch: Set API Key"/);
  assert.deepEqual(noKey.find((e) => e.label === '$(key) Set API Key…')?.choice, { backend: 'openai', setKey: true }, 'a missing key offers Set API Key right there');
  assert.deepEqual(settingsScopeChoices(false).map((e) => e.scope), ['user', 'workspace'], 'user settings first: nothing written into the repo unless picked');
  assert.deepEqual(settingsScopeChoices(true).map((e) => e.scope), ['workspace', 'user'], 'where the repo already sets it (it would win over user settings)');
});

test('vscode.lm turns: system text opens the first user turn; turns of one role are joined', () => {
  assert.deepEqual(
    languageModelTurns([
      { role: 'system', content: 'S' },
      { role: 'user', content: 'U1' },
      { role: 'user', content: 'U2' },
      { role: 'assistant', content: 'A' },
      { role: 'user', content: 'U3' },
    ]),
    [
      { role: 'user', content: 'S\n\nU1\n\nU2' },
      { role: 'assistant', content: 'A' },
      { role: 'user', content: 'U3' },
    ],
  );
  assert.deepEqual(languageModelTurns([{ role: 'system', content: 'S' }, { role: 'assistant', content: 'A' }]), [
    { role: 'user', content: 'S' },
    { role: 'assistant', content: 'A' },
  ]);
});

test('listModels asks the endpoint through the openai client and fails with a key-free message', async () => {
  const server = await startScriptedLlmServer([]);
  try {
    const models = await listModels({ baseURL: server.url, apiKey: 'sk-secret-123456' });
    assert.ok(models.length >= 1);
    assert.equal(server.requests.at(-1)?.path, '/v1/models');
    assert.equal(server.requests.at(-1)?.authorization, 'Bearer sk-secret-123456');
    await assert.rejects(listModels({ baseURL: server.url.replace('/v1', '/nope'), apiKey: 'sk-secret-123456' }), (e: Error) => /HTTP 404/.test(e.message) && !e.message.includes('sk-secret'));
    const envKey = process.env.OPENAI_API_KEY;
    delete process.env.OPENAI_API_KEY;
    await assert.rejects(listModels({ baseURL: 'https://models.example.invalid/v1', apiKey: '' }), /No API key/).finally(() => {
      if (envKey !== undefined) process.env.OPENAI_API_KEY = envKey;
    });
  } finally {
    await server.close();
  }
});

test("the dashboard's HTML takes webview.cspSource as VS Code gives it: several sources, 'self' among them (code-server)", () => {
  const nonce = 'abcdefghijklmnopqrstuvwxyz012345';
  const html = dashboardHtml({ scriptUri: 'a', styleUri: 'b', cspSource: "'self' https://*.vscode-cdn.net", nonce });
  assert.match(html, /style-src 'self' https:\/\/\*\.vscode-cdn\.net;/);
  for (const bad of ["'unsafe-inline'", "https://x 'unsafe-eval'", 'x; script-src *', 'a  b']) {
    assert.throws(() => dashboardHtml({ scriptUri: 'a', styleUri: 'b', cspSource: bad, nonce }), /not a CSP source/, bad);
  }
});
