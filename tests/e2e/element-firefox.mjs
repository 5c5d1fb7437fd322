// <coze-chat> in Firefox ESR (geckodriver, selenium-webdriver), or with `webkit` as the argument in
// WebKitGTK (WebKitWebDriver, under xvfb-run: scripts/webkit.sh): www/embed.html, the one-script-tag
// page, logs in, streams a reply, sends an attached file the bot hashes, and logs out. WebDriver
// reaches into the element's shadow root with getShadowRoot(); Chromium runs the full case list
// (tests/e2e/element.mjs). Run after `python3 scripts/build.py`:  node tests/e2e/element-firefox.mjs [webkit]
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import webdriver from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';
import { FIREFOX } from './lib/firefox.mjs';
import { startWebKitDriver, webkitSession } from './lib/webkit.mjs';
import { startStaticServer } from '../../scripts/static-server.mjs';
import { useEmulator } from './lib/emulator.mjs';
import { assert, assertEqual, createRunner, waitUntil } from './lib/harness.mjs';

const { By, Key } = webdriver;
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
// `webkit` runs the same cases in WebKitGTK's MiniBrowser (WebKitWebDriver; under xvfb-run).
const BROWSER = process.argv[2] || 'firefox';
const NAME = { firefox: 'Firefox', webkit: 'WebKit' }[BROWSER];

async function main() {
  for (const file of ['pkg/coze-chat.js', 'pkg/web/coze_wasm_bg.wasm', 'www/embed.html']) {
    if (!existsSync(path.join(ROOT, file))) {
      console.error(`e2e element (${BROWSER}): ${file} is missing (build the package first: python3 scripts/build.py)`);
      return 2;
    }
  }
  const cleanups = [];
  const runner = createRunner({ label: `element (${BROWSER})` });
  try {
    const emulator = await useEmulator(ROOT);
    cleanups.push(emulator.stop);
    const site = await startStaticServer([['/pkg/', path.join(ROOT, 'pkg')], ['/', path.join(ROOT, 'www')]]);
    cleanups.push(site.close);
    const EMU = emulator.url;
    const PAGE = `${site.url}/embed.html`;
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'coze-element-ff-'));
    cleanups.push(() => rm(scratch, { recursive: true, force: true }));
    console.log(`\ne2e element (${BROWSER}): ${PAGE}  emulator ${EMU}${emulator.owned ? ' (started here)' : ''}`);

    let driver;
    if (BROWSER === 'webkit') {
      const service = await startWebKitDriver();
      cleanups.push(service.stop);
      driver = await webkitSession(service.url);
    } else {
      const options = new firefox.Options().setBinary(FIREFOX).addArguments('-headless')
        .setPreference('intl.accept_languages', 'en-US');
      // An explicit geckodriver: without one selenium asks Selenium Manager, which would download.
      const service = new firefox.ServiceBuilder(execFileSync('sh', ['-c', 'command -v geckodriver'], { encoding: 'utf8' }).trim());
      driver = await new webdriver.Builder().forBrowser('firefox').setFirefoxOptions(options).setFirefoxService(service).build();
    }
    cleanups.push(() => driver.quit());

    // The element's shadow root, found again after each page load.
    const host = () => driver.findElement(By.css('coze-chat'));
    const state = () => host().then((h) => h.getAttribute('data-state')).catch(() => null);
    const part = async (css) => (await (await host()).getShadowRoot()).findElement(By.css(css));
    const parts = async (css) => (await (await host()).getShadowRoot()).findElements(By.css(css));
    const lastBotText = async () => {
      const bubbles = await parts('div.msg.bot .bubble');
      return bubbles.length ? bubbles[bubbles.length - 1].getText() : '';
    };
    const botIdle = async () => !(await (await part('#stop')).isDisplayed()) && (await (await parts('div.msg.bot .bubble[aria-busy]')).length) === 0;

    await runner.test('a. login through the launcher (PKCE redirect, callback completed, address bar clean)', async () => {
      await driver.get(`${PAGE}?emulator=${encodeURIComponent(EMU)}`);
      await waitUntil(async () => (await state()) === 'out', 'the element to boot signed out');
      await (await part('#launcher')).click();
      await waitUntil(async () => (await part('#login')).isDisplayed(), 'the login button');
      await (await part('#login')).click();
      await waitUntil(async () => (await driver.getCurrentUrl()).startsWith(`${EMU}/oauth/consent`), 'the consent page');
      await driver.findElement(By.css('#allow')).click();
      await waitUntil(async () => (await state()) === 'in', 'signed in after the callback');
      assertEqual(new URL(await driver.getCurrentUrl()).search, '', 'the address bar is clean');
    });

    await runner.test('b. a streamed reply', async () => {
      await (await part('#input')).sendKeys(`hello from ${NAME}`, Key.ENTER);
      await waitUntil(async () => (await lastBotText()) === `You said: hello from ${NAME}` && (await botIdle()), 'the echo reply', { timeout: 15_000 });
    });

    await runner.test('c. an attached file reaches the bot byte-exact (file input, upload, object_string)', async () => {
      const text = `${NAME} 附件 ✓\n`;
      const file = path.join(scratch, `${BROWSER}-notes.txt`);
      await writeFile(file, text);
      await waitUntil(async () => (await (await part('#attach')).isEnabled()), 'the attach button to be ready');
      await (await part('#files')).sendKeys(file); // WebDriver's way to pick a file
      await waitUntil(async () => (await parts('#tray .attachment')).length === 1, 'the file in the tray');
      await (await part('#input')).sendKeys('what is this?', Key.ENTER);
      const hash = createHash('sha256').update(text).digest('hex');
      const want = `[file ${BROWSER}-notes.txt, ${Buffer.byteLength(text)} bytes, sha256 ${hash}]`;
      await waitUntil(async () => (await lastBotText()).includes(want) && (await botIdle()), `the reply naming ${want}`, { timeout: 15_000 });
      assertEqual((await parts('div.msg.user figure.bubble-attachment')).length, 1, 'the file in the user\'s message');
    });

    await runner.test('d. log out', async () => {
      await (await part('#logout')).click();
      await waitUntil(async () => (await state()) === 'left', 'logged out');
      assert(await (await part('#login')).isDisplayed(), 'the login button is back');
    });
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await Promise.resolve().then(cleanup).catch((err) => console.error(`e2e element (${BROWSER}): cleanup failed: ${err.message}`));
    }
  }
  return runner.summary() ? 0 : 1;
}

main().then(
  (code) => { process.exitCode = code; },
  (err) => {
    console.error(`e2e element (${BROWSER}): ${(err && err.stack) || err}`);
    process.exitCode = 1;
  },
);
