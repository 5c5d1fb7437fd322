// The device code flow end to end, on the demo's "TV screen" (www/device.html): the TV page shows a
// user code, the verification link and a QR code; a second page (the phone) opens the link from
// the QR code and presses Allow or Deny on the emulator's verification page; the TV logs in and
// gets a streamed bot reply, or says access was denied.
//
// Run after building the package:  node tests/e2e/device.mjs [chromium|firefox|webkit]...
// The emulator is $EMULATOR_URL, else target/debug/coze-emulator started here.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import jsQR from 'jsqr';
import { browserNames, launch } from './lib/browsers.mjs';
import { startStaticServer } from '../../scripts/static-server.mjs';
import { useEmulator } from './lib/emulator.mjs';
import { assert, assertEqual, createRunner, waitUntil } from './lib/harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const PKG = path.resolve(process.env.COZE_WASM_PKG_DIR || path.join(ROOT, 'pkg'));

async function main() {
  let code = 0;
  for (const name of browserNames()) code = Math.max(code, await suite(name));
  return code;
}

async function suite(browserName) {
  if (!existsSync(path.join(PKG, 'index.js'))) {
    console.error(`device: ${PKG}/index.js is missing (build the package first: python3 scripts/build.py)`);
    return 2;
  }
  const cleanups = [];
  const runner = createRunner({ label: browserName });
  try {
    const emulator = await useEmulator(ROOT);
    cleanups.push(emulator.stop);
    const site = await startStaticServer([['/pkg/', PKG], ['/', path.join(ROOT, 'www')]]);
    cleanups.push(site.close);
    const EMU = emulator.url;
    console.log(`\ndevice (${browserName}): ${site.url}/device.html  emulator ${EMU}${emulator.owned ? ' (started here)' : ''}`);
    const admin = async (method, p, body) => {
      const res = await fetch(`${EMU}${p}`, {
        method,
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
      const json = await res.json();
      if (!res.ok) throw new Error(`admin ${method} ${p} -> ${res.status}: ${JSON.stringify(json)}`);
      return json;
    };
    // Its own app, polled every second (the default 5 s would only slow the test down).
    const { client_id: clientId } = await admin('POST', '/_emulator/clients', {
      redirect_uris: ['http://127.0.0.1:9/cb'], name: 'Living-room TV', device_interval: 1,
    });

    const browser = await launch(browserName);
    cleanups.push(() => browser.close());
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    // (WebKit has no init scripts: lib/webkit.mjs adds the same listener once each page has loaded.)
    if (!(browser.lacks && browser.lacks.initScript)) {
      await context.addInitScript(() => document.addEventListener('securitypolicyviolation',
        (e) => console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`)));
    }
    const tv = await context.newPage();
    tv.setDefaultTimeout(10_000);
    const problems = [];
    // Each pending poll is an HTTP 400 (Coze's `authorization_pending`), which Chromium logs.
    const expected = (text) => /status of 400 \(Bad Request\)/.test(text);
    tv.on('console', (msg) => { if (msg.type() === 'error' && !expected(msg.text())) problems.push(msg.text()); });
    tv.on('pageerror', (err) => problems.push(String(err)));
    const tvUrl = `${site.url}/device.html?emulator=${encodeURIComponent(EMU)}&client_id=${encodeURIComponent(clientId)}`;

    /** Opens the TV page → {userCode, link}; checks the QR code decodes to the link. */
    async function showCode() {
      await tv.goto(tvUrl);
      await tv.waitForFunction(() => document.body.dataset.state !== 'loading');
      const state = await tv.evaluate(() => document.body.dataset.state);
      assertEqual(state, 'waiting', `the TV's state (status: ${await tv.locator('#status').textContent()})`);
      const userCode = (await tv.locator('#user-code').textContent()).trim();
      const link = await tv.locator('#verification-link').getAttribute('href');
      assert(/^[A-Z]{4}-[A-Z]{4}$/.test(userCode), `a user code is shown (got ${userCode})`);
      assertEqual(link, `${EMU}/oauth/device?user_code=${userCode}`, 'the verification link');
      const image = await tv.evaluate(() => {
        const canvas = document.getElementById('qr');
        const { data, width, height } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
        return { data: Array.from(data), width, height };
      });
      const decoded = jsQR(Uint8ClampedArray.from(image.data), image.width, image.height);
      assert(decoded, 'the QR code can be read');
      assertEqual(decoded.data, link, 'the QR code holds the verification link');
      return { userCode, link };
    }

    /** The phone: opens the link, sees the code on the verification page, presses `decision`. */
    async function decideOnPhone(link, userCode, decision) {
      const phone = await context.newPage();
      try {
        await phone.goto(link);
        const page = await phone.content();
        assert(page.includes(userCode), 'the verification page shows the code');
        await phone.locator(`#${decision}`).click();
        await phone.waitForFunction((d) => {
          const result = document.getElementById('device-result');
          return result && result.dataset.decision === d;
        }, decision);
      } finally {
        if (typeof phone.close === "function") await phone.close(); // the Firefox driver keeps its tabs
      }
    }

    await runner.test('a. the TV shows a code and a QR code; Allow on the phone logs it in; streamed reply', async () => {
      const { userCode, link } = await showCode();
      const before = (await admin('GET', `/_emulator/stats?client_id=${encodeURIComponent(clientId)}`)).token_requests.device_code;
      await decideOnPhone(link, userCode, 'allow');
      await tv.waitForFunction(() => document.body.dataset.state === 'in');
      await tv.waitForFunction(() => {
        const bot = document.querySelector('#messages .msg.bot');
        return bot && !bot.classList.contains('streaming') && bot.textContent.length > 0;
      });
      assertEqual(await tv.locator('#messages .msg.bot').textContent(), 'You said: Hello from the living-room TV', 'the bot reply');
      const stats = await admin('GET', `/_emulator/stats?client_id=${encodeURIComponent(clientId)}`);
      assert(stats.token_requests.device_code > before, 'the TV polled until allowed');
      assertEqual(stats.api_by_path['/v3/chat'], 1, 'one chat with the device token');
      // A second question through the TV's own form, with the same token.
      await tv.fill('#question', 'and again');
      await tv.locator('#send').click();
      await waitUntil(async () => (await tv.locator('#messages .msg.bot').count()) === 2, 'a second reply');
      await tv.waitForFunction(() => !document.querySelector('#messages .msg.bot:last-child').classList.contains('streaming'));
      assertEqual(await tv.locator('#messages .msg.bot').last().textContent(), 'You said: and again', 'the second reply');
    }, { timeout: 30_000 });

    await runner.test('b. Deny on the phone: the TV says so and offers a new code', async () => {
      const { userCode, link } = await showCode();
      await decideOnPhone(link, userCode, 'deny');
      await tv.waitForFunction(() => document.body.dataset.state === 'denied');
      assert(/denied/i.test(await tv.locator('#status').textContent()), 'the status names the denial');
      assert(await tv.locator('#restart').isVisible(), 'a new code can be requested');
      await tv.locator('#restart').click();
      await tv.waitForFunction(() => document.body.dataset.state === 'waiting');
      assert((await tv.locator('#user-code').textContent()).trim() !== userCode, 'a new user code');
    }, { timeout: 30_000 });

    await runner.test('c. no page errors, console errors or CSP violations', async () => {
      assertEqual(problems.length, 0, `problems: ${JSON.stringify(problems)}`);
    });
  } catch (err) {
    console.error(`device (${browserName}): ${err && err.stack || err}`);
    runner.results.push({ name: 'setup', ok: false, ms: 0, error: err });
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await Promise.resolve().then(cleanup).catch((err) => console.error(`device: cleanup failed: ${err.message}`));
    }
  }
  return runner.summary() ? 0 : 1;
}

main().then((code) => process.exit(code), (err) => { console.error(err); process.exit(1); });
