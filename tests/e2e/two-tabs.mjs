// Two tabs, one refresh: two pages of one browser context (same origin, so one localStorage and
// one Web Locks scope), each with a TokenManager on `storage: 'local'` and the same storage key,
// ask for a token at the same moment. Refresh tokens rotate and the emulator revokes the whole
// login when a spent one is presented again, so two network refreshes would log the user out.
// Asserts from the emulator's own stats that exactly one refresh reached it, none failed, and both
// tabs end with the same new token.
//
// Run after building the package:  node tests/e2e/two-tabs.mjs [chromium|firefox|webkit]...
// The package comes from $COZE_WASM_PKG_DIR (default pkg/); the emulator from $EMULATOR_URL, else
// target/debug/coze-emulator is started here. The test page is tests/e2e/pages/tabs.html.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { browserNames, launch } from './lib/browsers.mjs';

import { startStaticServer } from '../../scripts/static-server.mjs';
import { useEmulator } from './lib/emulator.mjs';
import { assert, assertEqual, createRunner, sleep } from './lib/harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const PKG = path.resolve(process.env.COZE_WASM_PKG_DIR || path.join(ROOT, 'pkg'));
const REDIRECT = 'http://127.0.0.1:9/callback';
/** How long the browser holds each token request: the first refresh is surely still running
 *  when the other tab asks, so the other tab has read the old token and must wait for the lock. */
const TOKEN_DELAY_MS = 300;
/** Races per case. Whether the waiting tab reads stale localStorage is up to Chromium's timing
 *  (a few races in ten here), so each case races several times. */
const ROUNDS = Number(process.env.TWO_TABS_ROUNDS || 8);

async function main() {
  let code = 0;
  for (const name of browserNames()) code = Math.max(code, await suite(name));
  return code;
}

async function suite(browserName) {
  for (const file of [path.join(PKG, 'index.js'), path.join(PKG, 'web', 'coze_wasm_bg.wasm')]) {
    if (!existsSync(file)) {
      console.error(`two-tabs: ${file} is missing (build the package first: python3 scripts/build.py)`);
      return 2;
    }
  }
  const cleanups = [];
  const runner = createRunner({ label: browserName });
  try {
    const emulator = await useEmulator(ROOT);
    cleanups.push(emulator.stop);
    const site = await startStaticServer([['/pkg/', PKG], ['/', path.join(HERE, 'pages')]]);
    cleanups.push(site.close);
    const EMU = emulator.url;
    console.log(`\ntwo-tabs (${browserName}): pages ${site.url}/tabs.html  package ${PKG}  emulator ${EMU}${emulator.owned ? ' (started here)' : ''}`);

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
    const stats = (clientId) => admin('GET', `/_emulator/stats?client_id=${encodeURIComponent(clientId)}`);

    const browser = await launch(browserName);
    cleanups.push(() => browser.close());
    const context = await browser.newContext();
    // Record each page's Web Lock traffic: exclusive requests (the refresh lock: proves the tab
    // went for a refresh) and queries (the library looks for another tab's rotation marker only
    // when its storage still shows the refresh token it was about to spend).
    const countLocks = () => {
      window.exclusiveLocks = 0;
      window.lockQueries = 0;
      const locks = navigator.locks;
      // Held from window: WebKit may collect a DOM wrapper nothing else holds, and the next
      // navigator.locks would be a fresh one without these overrides.
      window.lockManager = locks;
      if (locks) {
        const request = locks.request.bind(locks);
        locks.request = (name, ...rest) => {
          const options = typeof rest[0] === 'object' ? rest[0] : {};
          if (options.mode !== 'shared') window.exclusiveLocks++;
          return request(name, ...rest);
        };
        const query = locks.query.bind(locks);
        window.heldSeen = [];
        locks.query = () => {
          window.lockQueries++;
          return query().then((r) => { window.heldSeen.push((r.held || []).map((l) => l.name)); return r; });
        };
      }
    };
    // WebKitWebDriver has no init scripts (lib/webkit.mjs): there the counters go in once each tab
    // has loaded, still before any TokenManager exists (setup() makes them), which is all they need.
    const lateLockCounters = Boolean(browser.lacks && browser.lacks.initScript);
    if (!lateLockCounters) await context.addInitScript(countLocks);
    // Hold every token request for TOKEN_DELAY_MS, and count what the browser sends.
    let tokenPosts = 0;
    await context.route(`${EMU}/api/permission/oauth2/token`, async (route) => {
      if (route.request().method() === 'POST') {
        tokenPosts++;
        await sleep(TOKEN_DELAY_MS);
      }
      await route.continue();
    });

    const pages = [];
    for (let i = 0; i < 2; i++) {
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      const errors = [];
      page.on('pageerror', (err) => errors.push(String(err)));
      await page.goto(`${site.url}/tabs.html`);
      await page.waitForFunction(() => document.body.dataset.ready !== '0');
      if (lateLockCounters) await page.evaluate(countLocks);
      assertEqual(await page.evaluate(() => document.body.dataset.ready), '1', `tab ${i} loaded the package`);
      pages.push({ page, errors });
    }
    const [A, B] = pages.map((p) => p.page);

    /** A fresh OAuth client and a login done in tab A; both tabs get a TokenManager on the same key. */
    async function setup({ ttl, key }) {
      const { client_id: clientId } = await admin('POST', '/_emulator/clients', {
        redirect_uris: [REDIRECT], ...(ttl ? { access_token_ttl: ttl } : {}),
      });
      const started = await A.evaluate(({ clientId, EMU, REDIRECT }) => window.coze.getPKCEAuthenticationUrl({
        clientId, redirectUrl: REDIRECT, baseURL: EMU, wwwURL: EMU,
      }), { clientId, EMU, REDIRECT });
      const { location } = await admin('POST', '/_emulator/authorize', { url: started.url, decision: 'allow' });
      const token = await A.evaluate(async ({ clientId, EMU, REDIRECT, started, location }) => {
        const { code } = window.coze.parseAuthorizationCallback(location, started.state);
        return window.coze.getPKCEOAuthToken({ code, clientId, redirectUrl: REDIRECT, codeVerifier: started.codeVerifier, baseURL: EMU });
      }, { clientId, EMU, REDIRECT, started, location });
      for (const page of [A, B]) {
        await page.evaluate(({ clientId, EMU, key }) => {
          localStorage.clear();
          window.m = new window.coze.TokenManager({ clientId, baseURL: EMU, storage: 'local', storageKey: key });
        }, { clientId, EMU, key });
      }
      return { clientId, token };
    }

    /** Both tabs run `op` ('getAccessToken' | 'refresh') at the same wall-clock moment. */
    async function race(op) {
      const at = Date.now() + 200;
      const run = (page) => page.evaluate(async ({ at, op }) => {
        window.exclusiveLocks = 0;
        window.lockQueries = 0;
        window.heldSeen = [];
        await new Promise((resolve) => setTimeout(resolve, at - Date.now()));
        try {
          const value = await window.m[op]();
          return { ok: true, access: typeof value === 'string' ? value : value.access_token };
        } catch (e) {
          return { ok: false, code: e.code, message: e.message };
        }
      }, { at, op });
      return Promise.all([run(A), run(B)]);
    }

    /** What each tab ends with: its manager's token, localStorage, and its Web Lock traffic. */
    const endState = (key) => Promise.all([A, B].map((page) => page.evaluate(async (key) => ({
      token: await window.m.getToken(),
      stored: localStorage.getItem(key),
      exclusive: window.exclusiveLocks,
      queries: window.lockQueries,
      held: window.heldSeen,
    }), key)));

    /** The name of the lock a tab holds after rotating `refreshToken` (TokenManager's rotation
     *  marker: the refresh lock's name + a SHA-256 prefix of the spent token). */
    const markerName = (key, refreshToken) => A.evaluate(async ({ key, refreshToken }) => {
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(refreshToken)));
      const b64 = btoa(String.fromCharCode(...digest.slice(0, 12))).replace(/\+/g, '-').replace(/\//g, '_');
      return `coze-wasm:refresh:${key}:rotated:${b64}`;
    }, { key, refreshToken });

    /** f. and g.: tab A (`window[manager]`) rotates the refresh token while `copy` holds its own
     *  copy of the login; the copy's refresh must be refused locally, never sent. */
    async function rotateWhileACopyWaits({ clientId, token, copy, manager }) {
      const rotated = await A.evaluate((manager) => window[manager].refresh(), manager);
      assert(rotated.refresh_token !== token.refresh_token, 'A rotated the refresh token');
      await sleep(300); // A's spent list reaches the copy's localStorage and channel
      const outcome = await copy.evaluate((manager) => window[manager].refresh().then(() => ({ ok: true }), (e) => ({ ok: false, code: e.code })), manager);
      assertEqual(outcome.code, 'OAUTH_TOKEN_ERROR', "the copy's refresh is refused locally");
      const s = await stats(clientId);
      assertEqual(s.token_requests.refresh_token, 1, 'refresh requests at the emulator (only A\'s)');
      assertEqual(s.refresh_failures, 0, 'no reused refresh token reached the emulator');
      assertEqual(await A.evaluate((manager) => window[manager].getToken().then((t) => t.access_token), manager), rotated.access_token, "A's login is intact");
    }

    let staleReads = 0;

    /** `rounds` races; each must cost exactly one network refresh and leave both tabs in agreement. */
    async function raceRounds({ clientId, key, op, rounds, before, lagging = false }) {
      let refreshes = 0;
      for (let round = 0; round < rounds; round++) {
        const [{ token }] = await endState(key);
        if (before) await before(token);
        const results = await race(op);
        refreshes++;
        for (const [i, r] of results.entries()) {
          assert(r.ok, `round ${round}: tab ${i ? 'B' : 'A'} failed: ${r.code} ${r.message}`);
        }
        const s = await stats(clientId);
        assertEqual(s.refresh_failures, 0, `round ${round}: refused refreshes (a reused refresh token is one)`);
        assertEqual(s.token_requests.refresh_token, refreshes, `round ${round}: refresh requests at the emulator`);
        assertEqual(results[0].access, results[1].access, `round ${round}: both tabs got the same access token`);
        assert(results[0].access !== token.access_token, `round ${round}: the access token is a new one`);
        const [a, b] = await endState(key);
        assertEqual(a.stored, b.stored, `round ${round}: localStorage as seen by both tabs`);
        assertEqual(a.token.access_token, results[0].access, `round ${round}: tab A's manager holds the new token`);
        assertEqual(b.token.access_token, results[0].access, `round ${round}: tab B's manager holds the new token`);
        assert(a.token.refresh_token !== token.refresh_token, `round ${round}: the refresh token rotated`);
        assertEqual(a.exclusive + b.exclusive, 2, `round ${round}: refresh-lock requests (each tab went for a refresh)`);
        // One query by the tab that refreshed; one more when the other tab's storage was stale.
        staleReads += a.queries + b.queries - 1;
        if (lagging) {
          // The losing tab read the spent refresh token, looked for the winner's marker, found it
          // and waited for the new token instead of sending the spent one.
          assertEqual(a.queries + b.queries, 2, `round ${round}: rotation-marker lookups`);
          const marker = await markerName(key, token.refresh_token);
          const found = [a, b].filter((t) => t.held.some((names) => names.includes(marker)));
          assertEqual(found.length, 1, `round ${round}: tabs whose lookup found the rotation marker`);
        }
      }
      const after = await stats(clientId);
      assertEqual(after.token_requests.refresh_token, rounds, 'one refresh per round');
      console.log(`      ${rounds} rounds: ${after.token_requests.refresh_token} network refreshes, ` +
        `${after.refresh_failures} refused; ${tokenPosts} token POSTs from the browser; ` +
        `stale storage reads caught by the rotation marker so far: ${staleReads}`);
      // The shared token works from either tab.
      for (const page of [A, B]) {
        const me = await page.evaluate(({ EMU }) => new window.coze.CozeAPI({ token: window.m, baseURL: EMU }).users.me(), { EMU });
        assert(me.user_id, 'users.me with the shared token');
      }
      assertEqual((await stats(clientId)).api_requests.ok, 2, 'API calls accepted');
    }

    await runner.test('a. both tabs at expiry call getAccessToken → one network refresh', async () => {
      const key = 'two-tabs:a';
      const { clientId, token } = await setup({ key });
      await A.evaluate((t) => window.m.setToken(t), token);
      tokenPosts = 0;
      await raceRounds({
        clientId, key, op: 'getAccessToken', rounds: ROUNDS,
        // Expired as far as the tabs know, and at the server too.
        before: async (current) => {
          await A.evaluate((t) => window.m.setToken(t), { ...current, expires_in: Math.floor(Date.now() / 1000) - 5 });
          await admin('POST', '/_emulator/expire', { access_token: current.access_token });
        },
      });
    }, { timeout: 60_000 });

    await runner.test('b. both tabs call refresh() at once → one network refresh', async () => {
      const key = 'two-tabs:b';
      const { clientId, token } = await setup({ key });
      await A.evaluate((t) => window.m.setToken(t), token);
      tokenPosts = 0;
      await raceRounds({ clientId, key, op: 'refresh', rounds: ROUNDS });
    }, { timeout: 60_000 });

    await runner.test('c. short-lived tokens (TTL < refreshAheadSeconds): both tabs → one network refresh', async () => {
      // A 30 s token is always inside the default 60 s refresh-ahead window, the new one too.
      const key = 'two-tabs:c';
      const { clientId, token } = await setup({ ttl: 30, key });
      await A.evaluate((t) => window.m.setToken(t), token);
      tokenPosts = 0;
      await raceRounds({ clientId, key, op: 'getAccessToken', rounds: ROUNDS });
    }, { timeout: 60_000 });

    /** Tabs whose storage shows the other tab's writes LAG_MS late (see d), with `hide` run first. */
    async function laggingTabs(key, hide) {
      const LAG_MS = 600;
      const { clientId, token } = await setup({ key });
      for (const page of [A, B]) {
        await page.evaluate(({ clientId, EMU, key, LAG_MS, hide }) => {
          // eslint-disable-next-line no-new-func
          new Function(hide)();
          const view = new Map();
          addEventListener('storage', (e) => {
            if (e.storageArea !== localStorage || e.key !== key) return; // not setup's clear()
            setTimeout(() => (e.newValue === null ? view.delete(key) : view.set(key, e.newValue)), LAG_MS);
          });
          const storage = {
            getItem: (k) => (view.has(k) ? view.get(k) : null),
            setItem: (k, v) => { view.set(k, String(v)); localStorage.setItem(k, v); },
            removeItem: (k) => { view.delete(k); localStorage.removeItem(k); },
          };
          window.m = new window.coze.TokenManager({ clientId, baseURL: EMU, storage, storageKey: key });
        }, { clientId, EMU, key, LAG_MS, hide });
      }
      await A.evaluate((t) => window.m.setToken(t), token);
      const deadline = Date.now() + 5000;
      while (!(await B.evaluate(() => window.m.getToken())) && Date.now() < deadline) await sleep(50);
      tokenPosts = 0;
      return clientId;
    }

    await runner.test('d. a tab whose storage lags sees the rotation marker and waits → one network refresh', async () => {
      // Chromium propagates localStorage to other tabs asynchronously, unordered with Web Locks;
      // in a–c that stale read happens only now and then. Here each tab's storage shows the
      // other tab's writes LAG_MS late, so the tab that gets the lock second always reads the
      // spent refresh token and must take the rotation-marker path. The spent-token list (the
      // other guard, see f) is kept from these tabs so that the marker alone is tested.
      const key = 'two-tabs:d';
      const clientId = await laggingTabs(key, `
        const post = BroadcastChannel.prototype.postMessage;
        const set = Storage.prototype.setItem;
        BroadcastChannel.prototype.postMessage = () => {};
        Storage.prototype.setItem = function (k, v) { if (k !== 'coze-wasm:spent') set.call(this, k, v); };
        window.restoreSpentList = () => {
          BroadcastChannel.prototype.postMessage = post;
          Storage.prototype.setItem = set;
        };`);
      try {
        await raceRounds({ clientId, key, op: 'refresh', rounds: 4, lagging: true });
      } finally {
        for (const page of [A, B]) await page.evaluate(() => window.restoreSpentList());
      }
    }, { timeout: 60_000 });

    await runner.test('f. a duplicated tab whose copy of the login was rotated elsewhere never sends the spent token', async () => {
      // Like a tab duplicated with `storage: 'session'`: B holds its own copy of the login, which
      // never sees A's rotation, and A's rotation marker is long gone (hidden here). A's spent-token
      // list (localStorage + BroadcastChannel) must stop B from sending the spent refresh token.
      const key = 'two-tabs:f';
      const { clientId, token } = await setup({ key });
      for (const page of [A, B]) {
        await page.evaluate(({ clientId, EMU, key, token }) => {
          const query = navigator.locks.query;
          navigator.locks.query = async () => ({ held: [], pending: [] });
          window.restoreQuery = () => { navigator.locks.query = query; };
          const copy = new Map(); // this tab's own storage, as a duplicated sessionStorage is
          const storage = { getItem: (k) => copy.get(k) ?? null, setItem: (k, v) => { copy.set(k, v); }, removeItem: (k) => { copy.delete(k); } };
          window.m = new window.coze.TokenManager({ clientId, baseURL: EMU, storage, storageKey: key });
          return window.m.setToken(token);
        }, { clientId, EMU, key, token });
      }
      await rotateWhileACopyWaits({ clientId, token, copy: B, manager: 'm' });
      for (const page of [A, B]) await page.evaluate(() => window.restoreQuery());
    }, { timeout: 60_000 });

    await runner.test('g. a tab duplicated for real (window.open copies sessionStorage) never sends the spent token', async () => {
      // f. with the browser's own copy: a tab opened from A starts with a copy of A's
      // sessionStorage (HTML's "copy the session storage"), so both hold the same login with
      // `storage: 'session'`, and A's rotation never reaches the copy.
      if (typeof context.waitForEvent !== 'function') {
        console.log(`      skipped in ${browserName}: this adapter cannot follow a window the page opens (Playwright's context 'page' event); f. covers the same path with a stand-in storage`);
        return;
      }
      const key = 'two-tabs:g';
      const { clientId, token } = await setup({ key });
      await A.evaluate(({ clientId, EMU, key, token }) => {
        sessionStorage.clear();
        window.s = new window.coze.TokenManager({ clientId, baseURL: EMU, storage: 'session', storageKey: key });
        return window.s.setToken(token);
      }, { clientId, EMU, key, token });
      const opened = context.waitForEvent('page');
      await A.evaluate(() => { window.open(location.href); });
      const C = await opened;
      const errors = [];
      C.on('pageerror', (err) => errors.push(String(err)));
      try {
        await C.waitForFunction(() => document.body && document.body.dataset.ready === '1');
        const copy = await C.evaluate(({ clientId, EMU, key }) => {
          window.s = new window.coze.TokenManager({ clientId, baseURL: EMU, storage: 'session', storageKey: key });
          return window.s.getToken();
        }, { clientId, EMU, key });
        assertEqual(copy && copy.refresh_token, token.refresh_token, 'the opened tab starts with a copy of the login');
        await rotateWhileACopyWaits({ clientId, token, copy: C, manager: 's' });
        assertEqual(errors.length, 0, `page errors in the opened tab: ${errors.join('; ')}`);
      } finally {
        await C.close();
      }
    }, { timeout: 60_000 });

    await runner.test('e. no page errors', async () => {
      for (const [i, { errors }] of pages.entries()) {
        assertEqual(errors.length, 0, `tab ${i} page errors: ${errors.join('\n')}`);
      }
    });
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await Promise.resolve().then(cleanup).catch((err) => console.error(`two-tabs: cleanup failed: ${err.message}`));
    }
  }
  return runner.summary() ? 0 : 1;
}

main().then(
  (code) => { process.exitCode = code; },
  (err) => {
    console.error(`two-tabs: ${err && err.stack || err}`);
    process.exitCode = 1;
  },
);
