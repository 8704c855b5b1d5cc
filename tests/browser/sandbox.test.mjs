// The sandbox page in a real browser: starts the real `vigil serve` in sandbox mode (no Slack
// tokens, page on a free port), opens the page in Debian's headless chromium and goes through the
// demo as a person would: fire the demo alert, open its thread, read the findings, click Approve
// and confirm, then watch the card change in place, the remediation output, the verification and
// the resolved alert arrive — all without reloading the page. Then a slash command typed in the
// composer, and a Deny with its reason typed into the modal Vigil opens.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const vigilBinary = process.env.VIGIL_BINARY;
const chromiumPath = process.env.VIGIL_CHROMIUM || '/usr/bin/chromium';
const WAIT = 90_000;

function startVigil(dir) {
  fs.mkdirSync(path.join(dir, 'state'), { recursive: true });
  const config = path.join(dir, 'vigil.yaml');
  fs.writeFileSync(config, [
    'skills:',
    `  dirs: [${path.join(repo, 'skills', 'runbooks')}]`,
    'storage:',
    `  database: ${path.join(dir, 'state', 'vigil.db')}`,
    'agent:',
    `  workspace_root: ${path.join(dir, 'workspaces')}`,
    '  grace: 1s',
    'logging:',
    '  level: info',
    '',
  ].join('\n'));
  fs.mkdirSync(path.join(dir, 'workspaces'), { mode: 0o700 });
  // The test's own Slack and Vigil settings stay out: no tokens means the sandbox.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SLACK_') && !k.startsWith('VIGIL_')));
  env.VIGIL_HTTP_ADDR = '127.0.0.1:0';
  const log = fs.openSync(path.join(dir, 'vigil.log'), 'a');
  const child = spawn(vigilBinary, ['--config', config, 'serve', '--sandbox=127.0.0.1:0'], { env, stdio: ['ignore', 'pipe', log] });
  const url = new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no "Sandbox: open" line within 30 s; stdout: ${out}`)), 30_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/Sandbox: open (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`vigil exited with ${code} before the sandbox was up`)); });
  });
  return { child, url };
}

function stopVigil(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) { resolve(child.exitCode); return; }
    const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code, signal) => { clearTimeout(kill); resolve(code ?? signal); });
    child.kill('SIGTERM');
  });
}

describe('the sandbox page', { timeout: 400_000 }, () => {
  let dir;
  let vigil;
  let browser;
  let page;
  let address;
  let navigations = 0;
  const errors = [];
  let failed = false;

  before(async () => {
    assert.ok(vigilBinary && fs.existsSync(vigilBinary), `VIGIL_BINARY=${vigilBinary} must be the built vigil`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-browser-'));
    vigil = startVigil(dir);
    address = await vigil.url;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 950 } });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations += 1; });
    await page.goto(address);
    await page.getByTestId('status').filter({ hasText: 'Vigil connected' }).waitFor({ timeout: WAIT });
  });

  after(async () => {
    if (failed && page) {
      const shot = path.join(dir, 'failure.png');
      await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
      fs.writeFileSync(path.join(dir, 'failure.html'), await page.content().catch(() => ''));
      console.log(`screenshot of the failure: ${shot}`);
    } else if (page && process.env.VIGIL_BROWSER_SCREENSHOT) {
      await page.screenshot({ path: process.env.VIGIL_BROWSER_SCREENSHOT, fullPage: true });
    }
    if (browser) await browser.close();
    const code = vigil ? await stopVigil(vigil.child) : 0;
    if (failed) {
      console.log(`vigil's log (${path.join(dir, 'vigil.log')}):\n${fs.readFileSync(path.join(dir, 'vigil.log'), 'utf8').slice(-6000)}`);
    } else {
      assert.equal(code, 0, 'vigil stops cleanly on SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // Marks the suite failed (keeping the screenshot and the log) when a step throws.
  const step = (name, fn) => test(name, async () => {
    try { await fn(); } catch (e) { failed = true; throw e; }
  });

  step('demo alert → findings → approve → remediation → resolved, live', async () => {
    const loadedAt = await page.evaluate(() => window.sandbox.loadedAt);
    // What is demo says so.
    assert.match(await page.getByTestId('banner').innerText(), /DEMO/);
    assert.match(await page.getByTestId('channel-header').innerText(), /#incidents/);

    // 1. The demo alert, posted by the demo Alertmanager in #incidents.
    await page.getByTestId('action-demo-alert').click();
    const alert = page.getByTestId('messages').getByTestId('message').filter({ hasText: '[FIRING:1] KubePodCrashLooping' });
    await alert.waitFor({ timeout: WAIT });
    assert.match(await alert.innerText(), /DEMO BOT/);

    // 2. Vigil's run lives in the alert's thread: open it.
    await alert.getByTestId('replies').waitFor({ timeout: WAIT });
    await alert.getByTestId('replies').click();
    const thread = page.getByTestId('thread-messages');
    await thread.waitFor({ timeout: WAIT });

    // 3. The runbook, its diagnostics against the demo cluster, then the approval card.
    const card = thread.getByTestId('message').filter({ has: page.getByRole('button', { name: 'Approve' }) });
    await card.waitFor({ timeout: WAIT });
    const threadText = await thread.innerText();
    assert.match(threadText, /runbook: Pod crash-looping/);
    assert.match(threadText, /previous_logs: succeeded/);
    // The evidence and the diagnosis are in the thread before the card, and the card says why.
    assert.match(threadText, /refusing to start with a corrupt flag cache/);
    assert.match(threadText, /Diagnosis: the container exits 1 \(Error\)/);
    assert.match(await card.innerText(), /Why this fix/);
    assert.match(await card.innerText(), /the container exits 1 \(Error\)/);
    assert.match(await card.innerText(), /rollout restart deployment\/checkout -n demo/);
    assert.match(await card.innerText(), /server dry run/);
    const approve = card.getByRole('button', { name: 'Approve' });
    const deny = card.getByRole('button', { name: 'Deny' });
    assert.match(await approve.getAttribute('class'), /btn-primary/);
    assert.match(await deny.getAttribute('class'), /btn-danger/);
    const cardKey = await card.getAttribute('data-key');
    const repliesBefore = await thread.getByTestId('message').count();

    // 4. Approve, and confirm in the dialog the button asks for.
    await approve.click();
    const dialog = page.getByTestId('confirm');
    await dialog.waitFor({ timeout: WAIT });
    assert.match(await dialog.innerText(), /Run this step\?/);
    await dialog.getByTestId('confirm-ok').click();

    // 5. The same card changes in place (chat.update): approved by the page's user.
    const sameCard = thread.locator(`[data-key="${cardKey}"]`);
    // A regex, not the string 'Approved': Playwright matches strings case-insensitively against
    // textContent, where the buttons read "ApproveDeny" and so already contain "approved".
    await sameCard.filter({ hasText: /Approved by @/ }).waitFor({ timeout: WAIT });
    assert.match(await sameCard.innerText(), /Approved by @alex/);
    assert.match(await sameCard.innerText(), /\(edited\)/);
    assert.equal(await sameCard.getByRole('button', { name: 'Approve' }).count(), 0, 'no buttons after the decision');

    // 6. The findings, the remediation's output, the verification and the resolved alert arrive
    //    as thread replies.
    // The step's own reply (the root above lists the steps' states too).
    const changeOutput = thread.getByTestId('message').filter({ hasText: 'deployment.apps/checkout restarted' })
      .filter({ hasText: 'restart_deployment: succeeded' }).last();
    await changeOutput.waitFor({ timeout: WAIT });
    assert.match(await changeOutput.innerText(), /deployment\.apps\/checkout restarted(?! \(server dry run\))/);
    await thread.getByText('corrupt flag cache', { exact: false }).first().waitFor({ timeout: WAIT });
    await thread.getByText('successfully rolled out', { exact: false }).first().waitFor({ timeout: WAIT });
    await thread.getByText('incident marked resolved', { exact: false }).first().waitFor({ timeout: WAIT });
    await page.getByTestId('messages').getByTestId('message').filter({ hasText: '[RESOLVED] KubePodCrashLooping' })
      .waitFor({ timeout: WAIT });
    await thread.getByTestId('message').filter({ hasText: /Fixed\s+·\s+incident/ }).first().waitFor({ timeout: WAIT });
    assert.ok(await thread.getByTestId('message').count() > repliesBefore, 'new thread replies appeared');

    // 7. All of it live: one page load, updates applied from the long-poll.
    assert.equal(await page.evaluate(() => window.sandbox.loadedAt), loadedAt, 'the page was not reloaded');
    assert.equal(navigations, 1, 'no navigation after the first load');
    assert.ok(await page.evaluate(() => window.sandbox.updates) > 5);
    assert.deepEqual(errors, [], 'no script errors');
  });

  step('a slash command typed in the composer is answered privately', async () => {
    await page.getByTestId('thread').getByTitle('Close the thread').click();
    const composer = page.locator('#composer-text');
    await composer.fill('/runbook list');
    await composer.press('Enter');
    const reply = page.getByTestId('messages').getByTestId('ephemeral').filter({ hasText: 'pod-crashloop' });
    await reply.waitFor({ timeout: WAIT });
    assert.match(await reply.innerText(), /Only visible to you/);
    await reply.getByRole('button', { name: 'Dismiss' }).click();
    await reply.waitFor({ state: 'detached', timeout: WAIT });
  });

  step('Deny opens a modal; its reason is submitted and shown on the card', async () => {
    await page.getByTestId('action-demo-alert').click();
    const alerts = page.getByTestId('messages').getByTestId('message').filter({ hasText: '[FIRING:1] KubePodCrashLooping' });
    await alerts.nth(1).getByTestId('replies').waitFor({ timeout: WAIT });
    await alerts.nth(1).getByTestId('replies').click();
    const thread = page.getByTestId('thread-messages');
    const card = thread.getByTestId('message').filter({ has: page.getByRole('button', { name: 'Deny' }) });
    await card.waitFor({ timeout: WAIT });
    const cardKey = await card.getAttribute('data-key');
    await card.getByRole('button', { name: 'Deny' }).click();
    const modal = page.getByTestId('modal');
    await modal.waitFor({ timeout: WAIT });
    assert.match(await modal.innerText(), /Deny this step/);
    await modal.locator('textarea').fill('not during the demo, checkout is frozen');
    await modal.getByTestId('modal-submit').click();
    await modal.waitFor({ state: 'detached', timeout: WAIT });
    const sameCard = thread.locator(`[data-key="${cardKey}"]`);
    await sameCard.filter({ hasText: /Denied by @/ }).waitFor({ timeout: WAIT });
    // The alert run's root (the thread's first message) carries the alert buttons.
    const root = thread.getByTestId('message').first();
    for (const name of ['Acknowledge', 'Snooze 1h', 'Resolve']) {
      assert.equal(await root.getByRole('button', { name }).count(), 1, `${name} on the alert run's root`);
    }
    assert.match(await sameCard.innerText(), /Denied by @alex/);
    await thread.getByText('not during the demo, checkout is frozen', { exact: false }).first().waitFor({ timeout: WAIT });
    // An honest outcome: the summary and the root say the fix was denied, never "succeeded".
    await thread.getByText('Fix denied, no change made', { exact: false }).first().waitFor({ timeout: WAIT });
    assert.deepEqual(errors, [], 'no script errors');
  });

  step('a parameter is asked for in the thread and given in a modal', async () => {
    const composer = page.locator('#composer-text');
    await composer.fill('/triage checkout crash looping in namespace demo');
    await composer.press('Enter');
    const root = page.getByTestId('messages').getByTestId('message').filter({ hasText: 'checkout crash looping in namespace demo' });
    await root.getByTestId('replies').waitFor({ timeout: WAIT });
    await root.getByTestId('replies').click();
    const thread = page.getByTestId('thread-messages');
    // The run ends needing input (its summary says so) and the ask, with its button, follows.
    await thread.getByTestId('message').filter({ hasText: 'Needs parameters' }).first().waitFor({ timeout: WAIT });
    const ask = thread.getByTestId('message').filter({ has: page.getByRole('button', { name: 'Give parameters' }) });
    await ask.waitFor({ timeout: WAIT });
    assert.match(await ask.innerText(), /pod-crashloop needs pod/);
    assert.match(await ask.innerText(), /checkout-7d9f8b6c5-x2x9k/);
    await ask.getByRole('button', { name: 'Give parameters' }).click();
    const modal = page.getByTestId('modal');
    await modal.waitFor({ timeout: WAIT });
    const inputs = modal.locator('input');
    assert.equal(await inputs.nth(0).inputValue(), 'demo', 'pre-filled with what was found');
    await inputs.nth(1).fill('Bad_Pod');
    await modal.getByTestId('modal-submit').click();
    await modal.getByTestId('field-error').filter({ hasText: 'is not a pod name' }).waitFor({ timeout: WAIT });
    await inputs.nth(1).fill('checkout-7d9f8b6c5-x2x9k');
    await modal.getByTestId('modal-submit').click();
    await modal.waitFor({ state: 'detached', timeout: WAIT });
    await thread.getByText('runbook: Pod crash-looping (requested)', { exact: false }).first().waitFor({ timeout: WAIT });
    assert.deepEqual(errors, [], 'no script errors');
  });
});
