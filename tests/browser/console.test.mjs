// The console in a real browser (Debian's headless Chromium, driven by playwright-core) against the
// real escalation-desk binary running `sandbox --demo`: the board fills live as the demo cases
// arrive, the wrong person is refused, the owner decides with a rationale, and the board and the
// agent API agree. Prints the page load times and the delay from a decision to the board.
//
// Usage: node console.test.mjs ESCALATION_DESK CONFIG [SCREENSHOT_DIR]
// Exit 77 (CTest: skipped) when the browser or playwright-core is missing, except under CI=true.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [binary, config, screenshots] = process.argv.slice(2);
const browserPath = process.env.DESK_BROWSER || '/usr/bin/chromium-headless-shell';

function missing(what) {
  const text = `browser test: ${what} (bash scripts/install-deps.sh --tests installs it)`;
  if (process.env.CI) { console.error(text); process.exit(1); }
  console.log(`SKIP ${text}`);
  process.exit(77);
}
if (!binary || !config) { console.error('usage: node console.test.mjs ESCALATION_DESK CONFIG [SCREENSHOT_DIR]'); process.exit(2); }
if (!existsSync(browserPath)) missing(`no browser at ${browserPath}`);
let chromium;
try { ({ chromium } = await import('playwright-core')); } catch { missing('playwright-core is not installed'); }

// An admin token: the demo cases come in with the sandbox's own token, and an agent's reads only its own.
const token = 'browser-test-admin-token';
const scratch = mkdtempSync(join(tmpdir(), 'desk-browser-'));
const desk = spawn(binary, ['sandbox', '--config', config, '--demo', '--speed', '10', '--listen', '127.0.0.1:0',
                            '--database', join(scratch, 'sandbox.db')],
                   { env: { ...process.env, DESK_ADMIN_TOKENS: token, DESK_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
let stderr = '';
desk.stderr.on('data', (d) => { stderr += d; });
const base = await new Promise((resolve, reject) => {
  let out = '';
  const timer = setTimeout(() => reject(new Error(`the sandbox printed no URL in 20 s; stderr:\n${stderr}`)), 20000);
  desk.stdout.on('data', (d) => {
    out += d;
    const m = out.match(/open (http:\/\/[^ ]+\/) in a browser/);
    if (m) { clearTimeout(timer); resolve(m[1]); }
  });
  desk.on('exit', (code) => reject(new Error(`the sandbox exited (${code}) before printing its URL; stderr:\n${stderr}`)));
});

async function api(path) {
  const res = await fetch(new URL(path, base), { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, `GET ${path}`);
  return res.json();
}

const browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const board = await context.newPage();
  await board.goto(base);
  const boardLoad = await board.evaluate(() => performance.getEntriesByType('navigation')[0].duration);
  await board.evaluate(() => { window.__sameDocument = true; });
  // The demo cases arrive one by one, 1.5 s apart: the board must show all four without a reload.
  const openRows = board.locator('table.board tbody tr[data-state="open"]');
  await board.waitForFunction(() => document.body.dataset.liveConnected === 'true', null, { timeout: 10000 });
  await openRows.nth(3).waitFor({ timeout: 20000 });
  assert.equal(await board.evaluate(() => window.__sameDocument), true, 'the board updated itself, without a reload');
  assert.equal(await openRows.count(), 4);
  const before = await board.locator('time.clock').last().textContent();
  await assert.doesNotReject(
      board.waitForFunction((b) => [...document.querySelectorAll('time.clock')].pop().textContent !== b, before,
                            { timeout: 5000 }),
      'the clocks count down');

  // The fee concession went to sales: find it and its owner through the agent API.
  const listed = await api('/v1/escalations?status=open');
  const fee = listed.escalations.find((e) => e.hits.some((h) => h.category === 'fee_concessions'));
  assert.ok(fee, 'the fee-concession case is open');
  const ownerId = fee.owner.person.id;
  const ownerName = fee.owner.person.name;
  const someoneElse = ownerId === 'chen' ? 'Bob Okafor' : 'Chen Wei';

  const channel = await context.newPage();
  await channel.goto(new URL('/channel', base).href);
  const post = channel.locator(`article[data-escalation="${fee.id}"]`);
  await channel.getByLabel('Acting as').selectOption({ label: someoneElse });
  await channel.waitForURL(/\/channel$/);
  await post.getByRole('button', { name: 'Accept', exact: true }).click();
  await assert.doesNotReject(channel.getByRole('alert').filter({ hasText: 'may act on' }).waitFor({ timeout: 5000 }),
                             'the wrong person is refused, saying who may act');
  assert.equal((await api(`/v1/escalations/${fee.id}`)).status, 'open', 'a refusal changes nothing');

  await channel.getByLabel('Acting as').selectOption({ label: ownerName });
  await channel.waitForURL(/\/channel$/);
  await post.getByRole('button', { name: 'Reject', exact: true }).click();
  await channel.getByLabel('Rationale').fill('too short');
  await channel.getByRole('button', { name: 'Decide' }).click();
  await channel.getByRole('alert').filter({ hasText: 'too short' }).waitFor({ timeout: 5000 });

  const rationale = 'Fee waivers need a sales quote first; sales will reply to the customer.';
  await channel.getByLabel('Rationale').fill(rationale);
  const decided = channel.waitForResponse((r) => r.url().endsWith('/sandbox/decide'));
  await channel.getByRole('button', { name: 'Decide' }).click();
  const decidedAt = Date.now();
  await decided;
  await board.locator(`tr[data-escalation="${fee.id}"][data-state="rejected"]`).waitFor({ timeout: 10000 });
  const boardDelay = Date.now() - decidedAt;
  assert.equal(await board.locator(`tr[data-escalation="${fee.id}"][data-state="open"]`).count(), 0);
  await channel.locator(`article[data-escalation="${fee.id}"][data-state="rejected"]`).waitFor({ timeout: 5000 });

  const stored = await api(`/v1/escalations/${fee.id}`);
  assert.equal(stored.status, 'rejected');
  assert.equal(stored.decision.by.id, ownerId);
  assert.equal(stored.decision.rationale, rationale);

  const page = await context.newPage();
  await page.goto(new URL(`/escalations/${fee.id}`, base).href);
  const pageLoad = await page.evaluate(() => performance.getEntriesByType('navigation')[0].duration);
  await page.getByText(rationale).first().waitFor();
  if (screenshots) {
    await board.waitForTimeout(1200);  // past the highlight of the last update
    await board.screenshot({ path: join(screenshots, 'console-board.png'), fullPage: true });
    await page.screenshot({ path: join(screenshots, 'console-escalation.png'), fullPage: true });
    await channel.goto(new URL('/channel', base).href);
    await channel.screenshot({ path: join(screenshots, 'console-channel.png') });
  }
  console.log(`board load ${boardLoad.toFixed(1)} ms; escalation page load ${pageLoad.toFixed(1)} ms; ` +
              `decision to board ${boardDelay} ms`);
} catch (e) {
  failed = true;
  console.error(e);
  console.error(`desk stderr:\n${stderr}`);
} finally {
  await browser.close();
  desk.kill('SIGINT');
  const code = await new Promise((resolve) => desk.on('exit', (c) => resolve(c)));
  rmSync(scratch, { recursive: true, force: true });
  if (!failed && code !== 0) { console.error(`the sandbox exited with ${code} after SIGINT`); failed = true; }
}
process.exit(failed ? 1 : 0);
