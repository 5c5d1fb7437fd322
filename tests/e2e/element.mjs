// End-to-end test of <coze-chat> on www/embed.html (one <script type="module"> tag, launcher mode,
// a strict CSP) against the Coze emulator, in Debian's Chromium through playwright-core. Run after
// `python3 scripts/build.py`:  node tests/e2e/element.mjs
// Uses $EMULATOR_URL when set, else starts target/debug/coze-emulator itself. Screenshots go to
// $SCREENS_DIR (default tests/e2e/artifacts/element/). Exit status 0 only when every case passed.
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './lib/chromium.mjs';
import { startStaticServer } from '../../scripts/static-server.mjs';
import { useEmulator } from './lib/emulator.mjs';
import { assert, assertEqual, createRunner, sleep, waitUntil } from './lib/harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const SCREENS = process.env.SCREENS_DIR || path.join(HERE, 'artifacts', 'element');
const CLIENT_ID = 'demo-client.app.coze';
const TOKEN_KEY = `coze-wasm:token:${CLIENT_ID}`;
const ECHO_BOT = '7000000000000000001';
const SLOW_BOT = '7000000000000000002';

async function main() {
  for (const file of ['pkg/coze-chat.js', 'pkg/element.js', 'pkg/web/coze_wasm_bg.wasm', 'www/embed.html']) {
    if (!existsSync(path.join(ROOT, file))) {
      console.error(`e2e element: ${file} is missing (build the package first: python3 scripts/build.py)`);
      return 2;
    }
  }
  await mkdir(SCREENS, { recursive: true });
  const axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  const cleanups = [];
  let page;
  const runner = createRunner({
    label: 'element (chromium)',
    onFailure: async (name) => {
      if (page) await page.screenshot({ path: path.join(SCREENS, `fail-${name.split('.')[0]}.png`) });
    },
  });
  try {
    const emulator = await useEmulator(ROOT);
    cleanups.push(emulator.stop);
    const site = await startStaticServer([['/pkg/', path.join(ROOT, 'pkg')], ['/', path.join(ROOT, 'www')],
      ['/callback', path.join(HERE, 'pages', 'callback')]]);
    cleanups.push(site.close);
    const EMU = emulator.url;
    const SITE = site.url;
    const PAGE = `${SITE}/embed.html`;
    console.log(`\ne2e element: ${PAGE}  emulator ${EMU}${emulator.owned ? ' (started here)' : ''}`);

    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    // Every CSP violation and every coze-* event, from each page load on.
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation',
        (e) => console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`));
      window.cozeEvents = [];
      for (const type of ['coze-login', 'coze-logout', 'coze-message', 'coze-error']) {
        document.addEventListener(type, (e) => window.cozeEvents.push({
          type, id: e.target.id, detail: { ...e.detail, error: e.detail.error && { code: e.detail.error.code, logid: e.detail.error.logid } },
        }));
      }
    });
    page = await context.newPage();
    page.setDefaultTimeout(8000);
    const consoleLines = [];
    const pageErrors = [];
    page.on('console', (msg) => consoleLines.push(`[${msg.type()}] ${msg.text()}`));
    page.on('pageerror', (err) => pageErrors.push(String((err && err.stack) || err)));
    const shot = (name) => page.screenshot({ path: path.join(SCREENS, name), animations: 'disabled' });

    const emu = (p, body) => fetch(`${EMU}${p}`, body === undefined ? {} : {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    }).then((r) => r.json());
    const storedToken = async () => {
      const raw = await page.evaluate((key) => sessionStorage.getItem(key), TOKEN_KEY);
      return raw ? JSON.parse(raw) : null;
    };
    // The element's shadow parts (Playwright's CSS locators pierce open shadow roots).
    const chat = page.locator('coze-chat');
    const part = (id) => chat.locator(`#${id}`);
    const state = () => chat.getAttribute('data-state');
    const lastBot = () => chat.locator('div.msg.bot .bubble').last();
    const events = (type) => page.evaluate((t) => window.cozeEvents.filter((e) => e.type === t), type);
    /** The element inside the shadow root that has the keyboard focus, as `#id`, or the tag. */
    const focused = () => page.evaluate(() => {
      const host = document.activeElement;
      const inner = host && host.shadowRoot && host.shadowRoot.activeElement;
      const el = inner || host;
      return el ? (el.id ? `#${el.id}` : el.tagName.toLowerCase()) : null;
    });
    async function tabTo(id, max = 20) {
      for (let i = 0; i < max; i++) {
        if ((await focused()) === `#${id}`) return;
        await page.keyboard.press('Tab');
      }
      throw new Error(`#${id} was not reached with Tab (focus on ${await focused()})`);
    }
    async function typeAndSend(text) {
      const before = await chat.locator('div.msg.bot').count();
      await part('input').focus();
      const lines = text.split('\n');
      for (let i = 0; i < lines.length; i++) {
        if (i) await page.keyboard.press('Shift+Enter');
        await page.keyboard.insertText(lines[i]);
      }
      await page.keyboard.press('Enter');
      await waitUntil(async () => (await chat.locator('div.msg.bot').count()) > before, 'the bot reply row');
    }
    const replyDone = () => waitUntil(async () => (await part('stop').isHidden()) &&
      (await lastBot().getAttribute('aria-busy')) === null, 'the reply to finish', { timeout: 15_000 });
    async function axeCheck(label) {
      if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
      const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
      const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      assertEqual(bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('; '),
        '', `serious/critical axe violations ${label}`);
      return result.violations.length;
    }
    async function consent(decision = 'allow') {
      await page.waitForURL((u) => u.href.startsWith(`${EMU}/oauth/consent`));
      await page.locator(`#${decision}`).focus();
      await page.keyboard.press('Enter');
      await page.waitForURL((u) => u.href.startsWith(PAGE));
      await waitUntil(async () => !['boot', null].includes(await state()), 'the element to settle');
    }

    await page.goto(`${PAGE}?emulator=${encodeURIComponent(EMU)}`);
    await waitUntil(async () => (await state()) === 'out', 'the element to boot signed out');

    await runner.test('0. the page\'s own ?state=&code= are not a login: left alone, no error', async () => {
      // (embed.js keeps the emulator choice for the tab: this load has only the site's params.)
      await page.goto(`${PAGE}?state=site-own&code=42&page=2`);
      await waitUntil(async () => (await state()) === 'out', 'the element to boot signed out');
      await sleep(300);
      assert(await part('error').isHidden(), 'no error shown');
      assertEqual(JSON.stringify(await events('coze-error')), '[]', 'no coze-error');
      assertEqual(new URL(page.url()).search, '?state=site-own&code=42&page=2', 'the page\'s query is untouched');
      assertEqual(await chat.getAttribute('open'), null, 'the panel stays closed');
      await page.goto(PAGE);
      await waitUntil(async () => (await state()) === 'out', 'the element to boot signed out');
    });

    await runner.test('a. launcher, keyboard-only login (PKCE redirect, callback completed, address bar clean)', async () => {
      assert(await part('launcher').isVisible(), 'the launcher bubble shows');
      assert(await part('panel').isHidden(), 'the panel starts closed');
      assertEqual(await part('launcher').getAttribute('aria-expanded'), 'false', 'aria-expanded closed');
      await shot('desktop-launcher-closed.png');
      await tabTo('launcher');
      await page.keyboard.press('Enter');
      await part('panel').waitFor({ state: 'visible' });
      assertEqual(await part('launcher').getAttribute('aria-expanded'), 'true', 'aria-expanded open');
      await waitUntil(async () => (await focused()) === '#login', 'focus on the login button');
      assertEqual((await part('login').textContent()).trim(), 'Log in with Coze', 'login label (en)');
      await axeCheck('(signed out, open)');
      await shot('desktop-open-signed-out.png');
      await page.keyboard.press('Escape');
      await part('panel').waitFor({ state: 'hidden' });
      assertEqual(await focused(), '#launcher', 'Escape closes and returns focus to the launcher');
      await page.keyboard.press('Enter');
      await waitUntil(async () => (await focused()) === '#login', 'focus on the login button again');
      await page.keyboard.press('Enter');
      await consent('allow');
      assertEqual(await state(), 'in', 'signed in after the callback');
      const url = new URL(page.url());
      assert(!url.search, `the address bar is clean: ${url}`);
      assert(await part('panel').isVisible(), 'the panel is open after the login');
      assert((await storedToken()).access_token.startsWith('czu_'), 'the token is in sessionStorage (storage="session")');
      const logins = await events('coze-login');
      assertEqual(JSON.stringify(logins.map((e) => e.detail)), '[{"restored":false}]', 'one coze-login event');
    });

    await runner.test('b. streamed Markdown reply with a typing effect', async () => {
      const markdown = 'see **bold**, *em* and `code()`\n\n- one\n- two *x*\n\n1. first\n2. second\n\n```js\nlet a = "<b>x</b>";\n```\n\n[docs](https://www.coze.cn/docs) and https://example.com/p.';
      await typeAndSend(markdown);
      const seen = [];
      let marked = false;
      const deadline = Date.now() + 4000;
      while (Date.now() < deadline) {
        const t = await lastBot().textContent();
        if (t !== seen[seen.length - 1]) seen.push(t);
        // Mid-stream, tag the first finished block: a re-render must keep that node.
        if (!marked) marked = await lastBot().evaluate((el) => el.children.length >= 2 && (el.firstElementChild.dataset.e2e = 'kept'));
        if ((await lastBot().getAttribute('aria-busy')) === null) break;
        await sleep(15);
      }
      await replyDone();
      const values = seen.filter(Boolean);
      assert(values.length >= 3, `the reply appeared in steps (saw ${values.length} distinct values)`);
      assert(marked, 'the first block was finished while the reply still streamed');
      assertEqual(await lastBot().evaluate((el) => el.firstElementChild.dataset.e2e), 'kept', 'finished blocks keep their nodes (incremental rendering)');
      const bubble = lastBot();
      assertEqual(await bubble.locator('strong').first().textContent(), 'bold', '**bold**');
      assertEqual(await bubble.locator('em').first().textContent(), 'em', '*em*');
      assertEqual(await bubble.locator('p code').first().textContent(), 'code()', 'inline code');
      assertEqual(await bubble.locator('ul > li').count(), 2, 'bullet items');
      assertEqual(await bubble.locator('ol > li').count(), 2, 'numbered items');
      assertEqual(await bubble.locator('pre code').textContent(), 'let a = "<b>x</b>";', 'code block text');
      assertEqual(await bubble.locator('pre b').count(), 0, 'HTML in a code block stays text');
      const links = await bubble.locator('a').evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.rel, a.target, a.textContent]));
      assertEqual(JSON.stringify(links), JSON.stringify([
        ['https://www.coze.cn/docs', 'noopener noreferrer', '_blank', 'docs'],
        ['https://example.com/p', 'noopener noreferrer', '_blank', 'https://example.com/p'],
      ]), 'links');
      assert((await bubble.textContent()).startsWith('You said: see bold'), 'the echo reply');
      const messages = await events('coze-message');
      assertEqual(messages.length, 1, 'one coze-message');
      assert(messages[0].detail.content.startsWith('You said: see **bold**'), 'coze-message carries the raw reply');
      await axeCheck('(signed in, with messages)');
      await shot('desktop-chat.png');
    });

    await runner.test('c. a hostile reply is rendered inert', async () => {
      await typeAndSend('<img src=x onerror="window.pwned=1"> [a](javascript:window.pwned=2) [b](JAVASCRIPT:alert(1)) ' +
        '![c](http://127.0.0.1:1/x.png) ![d](javascript:alert(3)) <a href="javascript:alert(4)">e</a> [f](data:text/html,hi)\n\n' +
        '```\n<script>window.pwned=3</script><img src=x onerror=alert(5)>\n```\n\n`<b onmouseover=alert(6)>`');
      await replyDone();
      await sleep(300);
      const bubble = lastBot();
      assertEqual(await bubble.locator('img, script, b, iframe').count(), 0, 'no element from the reply text');
      assertEqual(await bubble.locator('a').count(), 0, 'no link (javascript:, data: are refused)');
      const text = await bubble.textContent();
      assert(text.includes('<img src=x onerror="window.pwned=1">'), 'the raw HTML shows as text');
      assert(text.includes('<script>window.pwned=3</script>'), 'the code block shows its HTML as text');
      assertEqual(await page.evaluate(() => window.pwned), undefined, 'nothing ran');
    });

    await runner.test('d. Stop: the stream is aborted and the chat cancelled on the server', async () => {
      await chat.evaluate((el, bot) => el.setAttribute('bot-id', bot), SLOW_BOT);
      assertEqual(await chat.locator('div.msg').count(), 0, 'a new bot starts a new conversation');
      await typeAndSend('Tell me a long story');
      await waitUntil(async () => (await lastBot().textContent()).length >= 30, 'some streamed text');
      assert(await part('stop').isVisible(), 'Stop shows while streaming');
      const chatId = await chat.locator('div.msg.bot').last().getAttribute('data-chat-id');
      assert(chatId, 'the chat id is known');
      await page.keyboard.press('Tab'); // from the input to Stop: keyboard only
      assertEqual(await focused(), '#stop', 'Tab reaches Stop');
      await page.keyboard.press('Enter');
      await part('send').waitFor({ state: 'visible' });
      const stoppedAt = await lastBot().textContent();
      await sleep(800);
      assertEqual(await lastBot().textContent(), stoppedAt, 'the text 0.8 s after Stop');
      assertEqual(await chat.locator('div.msg.bot .note').last().textContent(), 'Stopped', 'a Stopped note');
      const cancels = await waitUntil(async () => {
        const c = await emu(`/_emulator/cancels?chat_id=${chatId}`);
        return c.count > 0 && c;
      }, 'the cancel request at the emulator');
      assertEqual(cancels.calls[0].code, 0, 'the emulator cancelled the chat');
      const record = await emu(`/_emulator/chats/${chatId}`);
      assertEqual(record.status, 'canceled', 'chat status');
      assert(record.stream && !record.stream.open, 'the stream is closed');
      assert(await part('error').isHidden(), 'no error after Stop');
    });

    await runner.test('e. an expired access token is refreshed on the fly', async () => {
      await chat.evaluate((el, bot) => el.setAttribute('bot-id', bot), ECHO_BOT);
      const before = await storedToken();
      const refreshes = (await emu(`/_emulator/stats?client_id=${CLIENT_ID}`)).token_requests.refresh_token;
      assertEqual((await emu('/_emulator/expire', { access_token: before.access_token })).expired, 1, 'expired at the emulator');
      await typeAndSend('after expiry');
      await replyDone();
      assertEqual(await lastBot().textContent(), 'You said: after expiry', 'the reply after a refresh');
      assertEqual((await emu(`/_emulator/stats?client_id=${CLIENT_ID}`)).token_requests.refresh_token, refreshes + 1, 'one refresh');
      assert((await storedToken()).access_token !== before.access_token, 'a new access token is stored');
      assert(await part('error').isHidden(), 'no error');
    });

    await runner.test('e2. avatars: the image when it loads, else the initial', async () => {
      await chat.evaluate((el, url) => el.setAttribute('bot-icon', url), `${EMU}/_emulator/icon/echo.svg`);
      await typeAndSend('icons load');
      await replyDone();
      const faces = () => chat.locator('div.msg').evaluateAll((rows) => rows.slice(-2).map((r) => {
        const face = r.querySelector('.avatar');
        return face.querySelector('img') ? 'img' : face.textContent;
      }));
      await waitUntil(async () => JSON.stringify(await faces()) === '["img","img"]', 'both avatars as images');
      const dead = (url) => url.href.startsWith(`${EMU}/_emulator/icon/`);
      await page.route(dead, (route) => route.fulfill({ status: 404, contentType: 'text/plain', body: 'gone' }));
      try {
        await typeAndSend('icons fail');
        await replyDone();
        await sleep(200);
        const shown = await faces();
        assert(shown[0].length === 1 && shown[1] === 'N', `initials instead of broken images (got ${JSON.stringify(shown)})`);
      } finally {
        await page.unroute(dead);
        await chat.evaluate((el) => el.removeAttribute('bot-icon'));
      }
    });

    await runner.test('e3. attachments: picker by keyboard, drop, thumbnails, remove, upload, bytes verified by the bot', async () => {
      const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
      const notes = 'Lamp notes: 800 lm, USB-C. 护眼台灯\n';
      const sha256 = (data) => createHash('sha256').update(data).digest('hex');
      const tray = chat.locator('#tray .attachment');
      const drop = (name, text) => part('panel').evaluate((panel, [n, t]) => {
        const files = new DataTransfer();
        files.items.add(new File([t], n, { type: 'text/plain' }));
        for (const type of ['dragover', 'drop']) {
          panel.dispatchEvent(new DragEvent(type, { dataTransfer: files, bubbles: true, cancelable: true, composed: true }));
        }
      }, [name, text]);
      await waitUntil(async () => !(await part('attach').isDisabled()), 'the attach button to be ready');
      // Keyboard only: Shift+Tab from the input to the paperclip, Enter opens the file picker.
      await part('input').focus();
      await page.keyboard.press('Shift+Tab');
      assertEqual(await focused(), '#attach', 'Shift+Tab from the input reaches the attach button');
      assertEqual(await part('attach').getAttribute('aria-label'), 'Attach an image or file', 'the button is labelled');
      const picked = page.waitForEvent('filechooser');
      await sleep(200); // Playwright turns on its file-chooser interception with the listener, asynchronously
      await page.keyboard.press('Enter');
      const chooser = await picked;
      await chooser.setFiles({ name: 'lamp.png', mimeType: 'image/png', buffer: png });
      await waitUntil(async () => (await tray.count()) === 1, 'the picked image in the tray');
      assert(await chat.locator('#tray img.attachment-thumb').isVisible(), 'a thumbnail of the image');
      await drop('notes.txt', notes);
      await drop('oops.txt', 'not this one');
      await waitUntil(async () => (await tray.count()) === 3, 'the dropped files in the tray');
      // Removed before sending, by keyboard.
      const remove = chat.locator('#tray .attachment[data-name="oops.txt"] button');
      assertEqual(await remove.getAttribute('aria-label'), 'Remove oops.txt', 'the remove button is labelled');
      await remove.focus();
      await page.keyboard.press('Enter');
      await waitUntil(async () => (await tray.count()) === 2, 'oops.txt removed');
      // An empty file is refused with a visible INVALID_ARGUMENT.
      await drop('empty.txt', '');
      await part('error').waitFor({ state: 'visible' });
      assert((await part('error-meta').textContent()).includes('INVALID_ARGUMENT') && (await part('error-text').textContent()).includes('empty.txt is empty'), 'the empty file is refused');
      assertEqual(await tray.count(), 2, 'and not attached');
      await part('error-close').click();
      await axeCheck('(attachments in the tray)');
      await chat.evaluate((el) => el.setAttribute('lang', 'zh'));
      try {
        assertEqual(await part('attach').getAttribute('aria-label'), '添加图片或文件', 'the zh label');
        const removeNotes = chat.locator('#tray .attachment[data-name="notes.txt"] button');
        assertEqual(await removeNotes.getAttribute('aria-label'), '移除 notes.txt', 'a file added before the switch is relabelled');
        await drop('说明.txt', '中文');
        const removeZh = chat.locator('#tray .attachment[data-name="说明.txt"] button');
        assertEqual(await removeZh.getAttribute('aria-label'), '移除 说明.txt', 'the zh remove label');
        await removeZh.click();
        await waitUntil(async () => (await tray.count()) === 2, '说明.txt removed');
      } finally {
        await chat.evaluate((el) => el.removeAttribute('lang'));
      }
      await shot('attachments-tray.png');
      await typeAndSend('What do you see?');
      assertEqual(await tray.count(), 0, 'the tray is emptied on send');
      const sent = chat.locator('div.msg.user').last();
      assertEqual(await sent.locator('figure.bubble-attachment').count(), 2, 'both files in the user\'s message');
      assert(await sent.locator('figure img.attachment-thumb').isVisible(), 'the image\'s thumbnail in the user\'s message');
      await replyDone();
      const reply = await lastBot().textContent();
      const image = `[image lamp.png, ${png.length} bytes, sha256 ${sha256(png)}]`;
      const file = `[file notes.txt, ${Buffer.byteLength(notes)} bytes, sha256 ${sha256(notes)}]`;
      assert(reply.includes('What do you see?') && reply.includes(image) && reply.includes(file), `the bot names both files' hashes: ${reply}`);
      const bars = await sent.locator('progress').evaluateAll((list) => list.map((b) => `${b.value}/${b.max} ${b.className}`));
      assertEqual(JSON.stringify(bars), JSON.stringify([`${png.length}/${png.length} upload-progress done`, `${Buffer.byteLength(notes)}/${Buffer.byteLength(notes)} upload-progress done`]), 'the upload bars ran full');
      assert(await sent.locator('figure[data-file-id]').count() === 2, 'each figure knows its file id');
      assert(await part('error').isHidden(), 'no error');
      await shot('attachments-sent.png');
    });

    await runner.test('e4. upload progress shows as it goes, and Stop aborts the upload', async () => {
      // The emulator reads this client's uploads slowly: 8 MB at 1 MB/s (past what the sockets buffer).
      await emu('/_emulator/uploads', { client_id: CLIENT_ID, read_bytes_per_second: 1_000_000 });
      try {
        const before = await emu(`/_emulator/uploads?client_id=${CLIENT_ID}`);
        await chat.locator('#files').setInputFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(8 * 1024 * 1024, 7) });
        await typeAndSend('a big file');
        const bar = chat.locator('div.msg.user').last().locator('progress');
        await waitUntil(async () => bar.evaluate((b) => b.value > 0 && b.value < b.max), 'the bar part-way', { timeout: 6000 });
        await part('stop').click();
        await emu('/_emulator/uploads', { client_id: CLIENT_ID }); // the server drains what was buffered quickly
        await waitUntil(async () => (await chat.locator('div.msg.bot .note').last().textContent()) === 'Stopped', 'the Stopped note');
        assert(await bar.evaluate((b) => b.value < b.max && !b.classList.contains('done')), 'the bar stops short');
        const after = await waitUntil(async () => {
          const u = await emu(`/_emulator/uploads?client_id=${CLIENT_ID}`);
          return u.interrupted > before.interrupted && u;
        }, 'the emulator to see the upload cut off');
        assertEqual(after.completed, before.completed, 'no upload completed');
        assert(await part('error').isHidden(), 'Stop is not an error');
      } finally {
        await emu('/_emulator/uploads', { client_id: CLIENT_ID });
      }
    });

    await runner.test('f. errors show their message and logid, and reach the page as coze-error', async () => {
      const { bot_id: failing } = await emu('/_emulator/bots', { fault: 'http_500', name: 'Failing Bot' });
      await chat.evaluate((el, bot) => el.setAttribute('bot-id', bot), failing);
      const earlier = (await events('coze-error')).length; // e3's refused empty file
      await typeAndSend('this fails');
      await part('error').waitFor({ state: 'visible' });
      const meta = await part('error-meta').textContent();
      assert(/^COZE_API_ERROR · HTTP 500 · .*logid \S+/.test(meta), `code, status and logid shown (got "${meta}")`);
      assert((await part('error-text').textContent()).length > 0, 'a message');
      const errors = (await events('coze-error')).slice(earlier);
      assert(errors.length === 1 && errors[0].detail.code === 'COZE_API_ERROR' && errors[0].detail.logid, `one coze-error with code and logid: ${JSON.stringify(errors)}`);
      assert(meta.includes(errors[0].detail.logid), 'the logid shown is the error\'s');
      assert(/Failed/.test(await chat.locator('div.msg.bot .note').last().textContent()), 'the reply is marked failed');
      await part('error-close').click();
      assert(await part('error').isHidden(), 'the error can be dismissed');
      await chat.evaluate((el, bot) => el.setAttribute('bot-id', bot), ECHO_BOT);
    });

    await runner.test('g. a refused refresh signs out visibly', async () => {
      const token = await storedToken();
      await emu('/_emulator/expire', { access_token: token.access_token, refresh_token: token.refresh_token });
      // (No wait for the reply row: the sign-out may empty the log before a poll sees it.)
      await part('input').fill('will my session survive?');
      await part('input').press('Enter');
      await waitUntil(async () => (await state()) === 'ended', 'the element to sign out');
      await part('error').waitFor({ state: 'visible' });
      assert((await part('error-meta').textContent()).includes('OAUTH_TOKEN_ERROR'), 'the refused refresh is the error shown');
      assertEqual((await part('intro').textContent()).trim(), 'Your session ended. Log in again to go on.', 'the ended notice');
      assert(await part('login').isVisible(), 'the login button is back');
      assertEqual(await storedToken(), null, 'the dead token is gone');
      const logouts = await events('coze-logout');
      assertEqual(JSON.stringify(logouts.map((e) => e.detail)), '[{"reason":"expired"}]', 'coze-logout (expired)');
    });

    await runner.test('h. a denied login is shown; log in again, new conversation, log out', async () => {
      await part('login').click();
      await consent('deny');
      assertEqual(new URL(page.url()).search, '', 'the address bar is clean after a denied login');
      assert((await part('error-meta').textContent()).includes('OAUTH_CALLBACK_ERROR'), 'the denial is shown');
      assert((await part('error-text').textContent()).length > 0, 'with its message');
      assertEqual(await state(), 'out', 'still signed out');
      await part('login').click();
      await consent('allow');
      assertEqual(await state(), 'in', 'signed in again');
      await typeAndSend('hello again');
      await replyDone();
      await part('fresh').click();
      assertEqual(await chat.locator('div.msg').count(), 0, 'New conversation empties the log');
      assertEqual(await focused(), '#input', 'focus back in the input');
      await part('logout').click();
      await waitUntil(async () => (await state()) === 'left', 'logged out');
      assertEqual(await storedToken(), null, 'the token is forgotten');
      assertEqual(JSON.stringify((await events('coze-logout')).map((e) => e.detail)), '[{"reason":"user"}]', 'coze-logout (user)');
      assertEqual(await focused(), '#login', 'focus on the login button');
    });

    await runner.test('i. mobile layout (375×812) and Chinese strings', async () => {
      await page.setViewportSize({ width: 375, height: 812 });
      await part('close').click();
      await part('panel').waitFor({ state: 'hidden' });
      await shot('mobile-launcher-closed.png');
      const bubble = await part('launcher').boundingBox();
      assert(bubble.x + bubble.width <= 375 && bubble.y + bubble.height <= 812, 'the launcher is on screen');
      await part('launcher').click();
      const panel = await part('panel').boundingBox();
      assert(panel.x === 0 && panel.y === 0 && panel.width === 375 && panel.height === 812, `the panel fills the screen: ${JSON.stringify(panel)}`);
      assert(await part('launcher').isHidden(), 'the launcher hides behind the full-screen panel');
      assert(await part('close').isVisible(), 'a close button');
      assert(await page.evaluate(() => document.documentElement.scrollWidth <= 375), 'no horizontal scrolling');
      await chat.evaluate((el) => el.setAttribute('lang', 'zh'));
      assertEqual((await part('login').textContent()).trim(), '使用扣子登录', 'login label (zh)');
      await shot('mobile-open-zh.png');
      await axeCheck('(mobile, zh)');
      await chat.evaluate((el) => el.removeAttribute('lang'));
      await page.setViewportSize({ width: 1280, height: 800 });
    });

    await runner.test('j. missing required attributes and a plain-http base URL are a visible INVALID_ARGUMENT', async () => {
      await page.evaluate(() => {
        const el = document.createElement('coze-chat');
        el.id = 'broken';
        el.setAttribute('client-id', 'x');
        document.body.append(el);
      });
      const broken = page.locator('#broken');
      await broken.locator('#error').waitFor({ state: 'visible' });
      assert((await broken.locator('#error-text').textContent()).includes('bot-id, base-url'), 'names the missing attributes');
      assert((await broken.locator('#error-meta').textContent()).includes('INVALID_ARGUMENT'), 'INVALID_ARGUMENT');
      await page.evaluate(() => document.getElementById('broken').remove());
      // Plain http off loopback only with allow-insecure-http (as the API's allowInsecureHttp).
      const boot = (insecure) => page.evaluate((flag) => {
        const el = document.createElement('coze-chat');
        el.className = 'insecure';
        for (const [k, v] of [['client-id', 'x'], ['bot-id', '1'], ['base-url', 'http://coze.internal.test']]) el.setAttribute(k, v);
        if (flag) el.setAttribute('allow-insecure-http', '');
        document.body.append(el);
      }, insecure);
      const insecureState = () => page.locator('coze-chat.insecure').getAttribute('data-state');
      await boot(false);
      await waitUntil(async () => (await insecureState()) === 'broken', 'the http base URL to be refused');
      assert((await page.locator('coze-chat.insecure #error-meta').textContent()).includes('INVALID_ARGUMENT'), 'http off loopback is INVALID_ARGUMENT');
      await page.evaluate(() => document.querySelector('coze-chat.insecure').remove());
      await boot(true);
      await waitUntil(async () => (await insecureState()) === 'out', 'allowed with allow-insecure-http');
      await page.evaluate(() => document.querySelector('coze-chat.insecure').remove());
    });

    await runner.test('j2. two elements on one page: only the one that started the login completes it', async () => {
      // tests/e2e/pages/callback/: #first (token in sessionStorage) and a second element without
      // an id (its place in the page names it), token in memory, same client.
      const TWO = `${SITE}/callback`;
      await page.goto(TWO);
      const first = page.locator('#first');
      const second = page.locator('coze-chat').nth(1);
      const states = async () => `${await first.getAttribute('data-state')} ${await second.getAttribute('data-state')}`;
      await waitUntil(async () => (await states()) === 'out out', 'both elements signed out');
      const loginWith = async (who, want) => {
        await who.locator('#login').click();
        await page.waitForURL((u) => u.href.startsWith(`${EMU}/oauth/consent`));
        await page.locator('#allow').click();
        await page.waitForURL((u) => u.href.startsWith(TWO));
        await waitUntil(async () => (await states()) === want, `the elements to settle as "${want}"`);
        await sleep(300);
        assertEqual(await states(), want, 'the elements after the callback');
        assertEqual(JSON.stringify(await events('coze-error')), '[]', 'no coze-error from either element');
        assert(await first.locator('#error').isHidden() && await second.locator('#error').isHidden(), 'no error shown');
        assertEqual(new URL(page.url()).search, '', 'the callback left the address bar');
        return JSON.stringify((await events('coze-login')).map((e) => e.id));
      };
      // The second (later in the page) logs in: the first stays quiet, and the other way round.
      assertEqual(await loginWith(second, 'out in'), '[""]', 'coze-login from the second only');
      assertEqual(await storedToken(), null, 'the first element stored no token');
      // No title attribute: the header names the bot as Coze does (bots.retrieve), with its icon.
      const info = await fetch(`${EMU}/v1/bot/get_online_info?bot_id=${ECHO_BOT}`, { headers: { authorization: 'Bearer pat_emulator_demo' } }).then((r) => r.json());
      assert(info.code === 0 && info.data.name && info.data.icon_url, `the emulator's bot info: ${JSON.stringify(info)}`);
      await waitUntil(async () => (await second.locator('#title').textContent()) === info.data.name, `the title "${info.data.name}"`);
      await waitUntil(async () => (await second.locator('#bot-avatar img').getAttribute('src').catch(() => null)) === info.data.icon_url, 'the bot\'s icon in the header');
      assertEqual(await first.locator('#title').textContent(), 'First', 'a title attribute wins');
      assertEqual(await loginWith(first, 'in out'), '["first"]', 'coze-login from the first only');
      assert((await storedToken()).access_token.startsWith('czu_'), 'the first element holds the token');
      await first.locator('#logout').click();
      await waitUntil(async () => (await first.getAttribute('data-state')) === 'left', 'logged out');
      await page.goto(PAGE);
    });

    await runner.test('k. strict CSP and console: no violations, no page errors', async () => {
      const res = await fetch(PAGE);
      assert((res.headers.get('content-security-policy') || '').includes("script-src 'self' 'wasm-unsafe-eval'"), 'served with the strict policy');
      const csp = consoleLines.filter((line) => /Content Security Policy/i.test(line));
      assertEqual(csp.length, 0, `CSP violations: ${csp.join('\n')}`);
      assertEqual(pageErrors.length, 0, `uncaught page errors: ${pageErrors.join('\n')}`);
      const scripts = await page.evaluate(() => [...document.scripts].filter((s) => s.type === 'module').map((s) => s.getAttribute('src')));
      assertEqual(JSON.stringify(scripts), '["pkg/coze-chat.js"]', 'one module script');
      const loaded = site.requests.filter((p) => p.startsWith('/pkg/'));
      assertEqual(JSON.stringify([...new Set(loaded)].sort()), '["/pkg/coze-chat.js","/pkg/web/coze_wasm_bg.wasm"]', 'the bundle and its wasm, nothing else from pkg/');
    });
    await runner.test('l. the Markdown renderer, case by case (DOM read back as HTML; after k: it loads /pkg/markdown.js)', async () => {
      const cases = [
        ['plain', '<p>plain</p>'],
        ['a\nb\n\nc', '<p>a<br>b</p><p>c</p>'],
        ['**b** *i* __b__ _i_ snake_case_name 2*3*4', '<p><strong>b</strong> <em>i</em> <strong>b</strong> <em>i</em> snake_case_name 2<em>3</em>4</p>'],
        ['**unclosed and * lone', '<p>**unclosed and * lone</p>'],
        ['`a <b>` and ``x ` y``', '<p><code>a &lt;b&gt;</code> and <code>x ` y</code></p>'],
        ['\\*not em\\*', '<p>*not em*</p>'],
        ['# Title\n## Sub', '<h3>Title</h3><h4>Sub</h4>'],
        ['- a\n- b\n  - c\n- d', '<ul><li>a</li><li><p>b</p><ul><li>c</li></ul></li><li>d</li></ul>'],
        ['3. x\n4. y', '<ol start="3"><li>x</li><li>y</li></ol>'],
        ['> quoted\n> more', '<blockquote><p>quoted<br>more</p></blockquote>'],
        ['```\nopen fence, still streaming', '<pre><code>open fence, still streaming</code></pre>'],
        ['~~~py\nx = 1\n~~~', '<pre><code data-lang="py">x = 1</code></pre>'],
        ['[a](http://x.test/p?q=1) [b](ftp://x) [c](//x.test) [d](javascript:alert(1))', '<p><a href="http://x.test/p?q=1" target="_blank" rel="noopener noreferrer">a</a> b c d</p>'],
        ['![a](https://x.test/i.png) ![b](http://x.test/i.png) ![c](data:image/png;base64,AA)', '<p><img src="https://x.test/i.png" alt="a" loading="lazy" referrerpolicy="no-referrer"> b c</p>'],
        ['see https://x.test/a_b). or HTTPS://X.TEST', '<p>see <a href="https://x.test/a_b" target="_blank" rel="noopener noreferrer">https://x.test/a_b</a>). or <a href="https://x.test/" target="_blank" rel="noopener noreferrer">HTTPS://X.TEST</a></p>'],
        ['<script>alert(1)</script> &amp; 你好 😀', '<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp;amp; 你好 😀</p>'],
      ];
      const got = await page.evaluate(async (list) => {
        const { renderMarkdown } = await import('/pkg/markdown.js');
        return list.map(([source]) => {
          const box = document.createElement('div');
          renderMarkdown(box, source);
          return box.innerHTML;
        });
      }, cases);
      const wrong = cases.flatMap(([source, want], i) => (got[i] === want ? [] : [`${JSON.stringify(source)}\n        want ${want}\n        got  ${got[i]}`]));
      assertEqual(wrong.join('\n      '), '', 'renderings that differ');
    });

  } finally {
    for (const cleanup of cleanups.reverse()) {
      await Promise.resolve().then(cleanup).catch((err) => console.error(`e2e element: cleanup failed: ${err.message}`));
    }
  }
  return runner.summary() ? 0 : 1;
}

main().then(
  (code) => { process.exitCode = code; },
  (err) => {
    console.error(`e2e element: ${(err && err.stack) || err}`);
    process.exitCode = 1;
  },
);
