// Debian's Firefox ESR through geckodriver (selenium-webdriver for the session, WebDriver BiDi for
// scripts, navigation, console, screenshots and request interception), behind the part of
// Playwright's API that tests/e2e/*.mjs use, so the same test bodies run here and in Chromium.
// (Playwright's own Firefox is a patched build it downloads; its BiDi mode needs a newer Firefox
// than ESR.) Subset: browser.newContext/close; context.newPage/addInitScript/route;
// page.goto/reload/url/content/evaluate/waitForFunction/waitForURL/locator/fill/selectOption/inputValue/
// screenshot/setViewportSize/setDefaultTimeout/addInitScript/route/unroute/mainFrame/on('console'|'pageerror'|
// 'framenavigated'); locator.click/fill/textContent/isVisible/isHidden/waitFor/count/last/
// boundingBox/evaluate/getAttribute/locator. Locator, RESOLVE and poll serve lib/webkit.mjs as well.
import { EventEmitter } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import webdriver from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';
import BiDi from 'selenium-webdriver/bidi/index.js';

export const FIREFOX = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';

function geckodriverPath() {
  if (process.env.GECKODRIVER_PATH) return process.env.GECKODRIVER_PATH;
  // An explicit path: without one selenium asks Selenium Manager, which would try to download.
  return execFileSync('sh', ['-c', 'command -v geckodriver'], { encoding: 'utf8' }).trim();
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until truthy (Playwright's auto-waiting, simplified). */
export async function poll(probe, what, timeout) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(50);
  }
}

export async function launchFirefox() {
  const options = new firefox.Options()
    .setBinary(FIREFOX)
    .addArguments('-headless')
    .setPreference('intl.accept_languages', 'en-US')
    .setPreference('intl.locale.requested', 'en-US')
    .enableBidi();
  const service = new firefox.ServiceBuilder(geckodriverPath());
  const driver = await new webdriver.Builder().forBrowser('firefox').setFirefoxOptions(options)
    .setFirefoxService(service).build();
  const bidi = new BiDi((await driver.getCapabilities()).get('webSocketUrl'));
  const call = async (method, params) => {
    const reply = await bidi.send({ method, params });
    if (reply.error) throw new Error(`${method}: ${reply.error}: ${reply.message}`);
    return reply.result;
  };
  await call('session.subscribe', {
    events: ['log.entryAdded', 'network.beforeRequestSent', 'browsingContext.navigationStarted',
      'browsingContext.domContentLoaded', 'browsingContext.load'],
  });
  const pages = new Map(); // BiDi context id (= window handle) → Page
  bidi.on('log.entryAdded', (e) => pages.get(e.source && e.source.context)?.onLog(e));
  for (const event of ['navigationStarted', 'domContentLoaded', 'load']) {
    bidi.on(`browsingContext.${event}`, (e) => pages.get(e.context)?.navigated(e.url));
  }
  // Intercepted requests: the first route whose pattern matches handles it, else it continues.
  const routes = [];
  bidi.on('network.beforeRequestSent', (e) => {
    if (!e.isBlocked) return;
    const url = new URL(e.request.url);
    const route = routes.find((r) => (!r.context || r.context === e.context) && r.matches(url));
    const request = e.request.request;
    const handle = route ? route.handler(new Route(call, e)) : call('network.continueRequest', { request });
    Promise.resolve(handle).catch((err) => console.error(`e2e: route handler failed: ${err.message}`));
  });
  let current = await driver.getWindowHandle();
  const api = {
    driver, call, pages, routes,
    /** Classic commands act on the current window: switch to `page` first. */
    async focus(page) {
      if (current !== page.id) {
        await driver.switchTo().window(page.id);
        current = page.id;
      }
    },
  };
  let first = true;
  // One context per launch (the session's profile), which is all these tests ask for.
  const browser = {
    async newContext({ viewport } = {}) {
      return {
        async newPage() {
          // The session's first window serves as the first page; later pages get windows of their
          // own, as Playwright's do: a background tab's timers are throttled to 1 s.
          const id = first ? current : (await call('browsingContext.create', { type: 'window' })).context;
          first = false;
          const page = new Page(api, id);
          pages.set(id, page);
          await page.setViewportSize(viewport || { width: 1280, height: 720 });
          return page;
        },
        async addInitScript(fn) {
          await call('script.addPreloadScript', { functionDeclaration: String(fn) });
        },
        route: (pattern, handler) => addRoute(api, null, pattern, handler),
      };
    },
    async close() {
      bidi.close();
      await driver.quit();
    },
  };
  return browser;
}

async function addRoute(api, context, pattern, handler) {
  const matches = typeof pattern === 'function' ? pattern : (url) => url.href === pattern;
  const params = { phases: ['beforeRequestSent'] };
  if (typeof pattern === 'string') params.urlPatterns = [{ type: 'string', pattern }];
  if (context) params.contexts = [context];
  const { intercept } = await api.call('network.addIntercept', params);
  api.routes.push({ context, pattern, matches, handler, intercept });
}

class Route {
  constructor(call, event) {
    this.call = call;
    this.event = event;
  }
  request() {
    const r = this.event.request;
    return { method: () => r.method, url: () => r.url };
  }
  continue() {
    return this.call('network.continueRequest', { request: this.event.request.request });
  }
  fulfill({ status = 200, contentType, headers = {}, body = '' }) {
    const all = { ...headers, ...(contentType ? { 'content-type': contentType } : {}) };
    return this.call('network.provideResponse', {
      request: this.event.request.request,
      statusCode: status,
      reasonPhrase: 'OK',
      headers: Object.entries(all).map(([name, value]) => ({ name, value: { type: 'string', value: String(value) } })),
      body: { type: 'string', value: body },
    });
  }
}

/** Runs in the page: the elements a locator's steps select. */
export const RESOLVE = `function resolve(steps) {
  let found = [document];
  for (const [selector, nth] of steps) {
    found = found.flatMap((root) => Array.from(root.querySelectorAll(selector)));
    if (nth !== null) found = found.length ? [found[nth < 0 ? found.length + nth : nth]] : [];
  }
  return found;
}
function visible(el) {
  return !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
}`;

/**
 * What both WebDriver adapters' pages share (this one over BiDi, lib/webkit.mjs over classic
 * WebDriver): a page knows `evaluate` and `currentUrl`; its locators are `this.Locator`.
 */
export class WebDriverPage extends EventEmitter {
  constructor(api, id, LocatorClass) {
    super();
    this.api = api;
    this.id = id;
    this.Locator = LocatorClass;
    this.timeout = 30_000;
    this.href = 'about:blank';
    this.main = { url: () => this.href };
  }
  navigated(url) {
    this.href = url;
    this.emit('framenavigated', this.main);
  }
  mainFrame() {
    return this.main;
  }
  setDefaultTimeout(ms) {
    this.timeout = ms;
  }
  url() {
    return this.href;
  }
  content() {
    return this.evaluate(() => document.documentElement.outerHTML);
  }
  async waitForFunction(fn, arg, { timeout } = {}) {
    return poll(() => this.evaluate(fn, arg).catch(() => false), `${fn}`, timeout ?? this.timeout);
  }
  async waitForURL(predicate) {
    await poll(async () => {
      this.href = await this.currentUrl();
      return predicate(new URL(this.href));
    }, 'the URL', this.timeout);
    await this.waitForFunction(() => document.readyState === 'complete');
  }
  locator(selector) {
    return new this.Locator(this, [[selector, null]]);
  }
  fill(selector, value) {
    return this.locator(selector).fill(value);
  }
  inputValue(selector) {
    return this.locator(selector).evaluate((el) => el.value);
  }
  async selectOption(selector, value) {
    await this.locator(selector).waitFor({ state: 'attached' });
    await this.locator(selector).evaluate((el, v) => {
      el.value = v;
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    }, value);
  }
}

class Page extends WebDriverPage {
  constructor(api, id) {
    super(api, id, Locator);
  }
  onLog(e) {
    // Firefox files a failed cross-origin request (a fetch the page catches) under 'javascript'
    // too; like Chromium's failed loads it is console output, not an uncaught page error.
    if (e.type === 'javascript' && !/^Cross-Origin Request Blocked/.test(e.text)) {
      this.emit('pageerror', new PageError(e.text));
    } else {
      const type = e.level === 'warn' ? 'warning' : (e.method || e.level);
      this.emit('console', { type: () => type, text: () => e.text });
    }
  }
  async goto(url) {
    await this.api.call('browsingContext.navigate', { context: this.id, url, wait: 'complete' });
    this.href = await this.currentUrl();
  }
  async reload() {
    await this.api.call('browsingContext.reload', { context: this.id, wait: 'complete' });
  }
  /** `fn(arg)` in the page; arguments and results travel as JSON, as with Playwright. */
  async evaluate(fn, arg) {
    const result = await this.api.call('script.callFunction', {
      functionDeclaration: `async (json) => JSON.stringify(await (${fn})(json === undefined ? undefined : JSON.parse(json)))`,
      arguments: [arg === undefined ? { type: 'undefined' } : { type: 'string', value: JSON.stringify(arg) }],
      target: { context: this.id },
      awaitPromise: true,
    });
    if (result.type === 'exception') {
      throw new Error(`evaluate: ${result.exceptionDetails.text}`);
    }
    this.href = await this.currentUrl();
    return result.result.type === 'string' ? JSON.parse(result.result.value) : undefined;
  }
  async currentUrl() {
    const { contexts } = await this.api.call('browsingContext.getTree', { root: this.id, maxDepth: 0 });
    return contexts[0].url;
  }
  async setViewportSize({ width, height }) {
    await this.api.call('browsingContext.setViewport', { context: this.id, viewport: { width, height } });
  }
  async screenshot({ path, fullPage } = {}) {
    const { data } = await this.api.call('browsingContext.captureScreenshot', {
      context: this.id, origin: fullPage ? 'document' : 'viewport',
    });
    await writeFile(path, Buffer.from(data, 'base64'));
  }
  async addInitScript(fn) {
    await this.api.call('script.addPreloadScript', { functionDeclaration: String(fn), contexts: [this.id] });
  }
  route(pattern, handler) {
    return addRoute(this.api, this.id, pattern, handler);
  }
  async unroute(pattern) {
    const { routes } = this.api;
    for (let i = routes.length - 1; i >= 0; i--) {
      if (routes[i].pattern === pattern && routes[i].context === this.id) {
        await this.api.call('network.removeIntercept', { intercept: routes[i].intercept });
        routes.splice(i, 1);
      }
    }
  }
}

class PageError extends Error {
  constructor(text) {
    super(text);
    this.stack = text; // Firefox's text already names the error: "TypeError: …"
  }
}

export class Locator {
  constructor(page, steps) {
    this.page = page;
    this.steps = steps;
  }
  locator(selector) {
    return new Locator(this.page, [...this.steps, [selector, null]]);
  }
  last() {
    const steps = this.steps.slice(0, -1);
    return new Locator(this.page, [...steps, [this.steps.at(-1)[0], -1]]);
  }
  /** `fn(element, arg)` on the first match, once there is one. */
  async evaluate(fn, arg) {
    const src = `({ steps, arg }) => { ${RESOLVE}; const el = resolve(steps)[0];
      return el ? { ok: true, value: (${fn})(el, arg) } : { ok: false }; }`;
    // A page that is navigating answers with an error: try again.
    const run = () => this.page.evaluate(src, { steps: this.steps, arg }).catch(() => ({ ok: false }));
    const r = await poll(async () => {
      const r = await run();
      return r.ok && r;
    }, `${this.steps.map((s) => s[0]).join(' ')} to exist`, this.page.timeout);
    return r.value;
  }
  async state() {
    return this.page.evaluate(`(steps) => { ${RESOLVE}; const found = resolve(steps);
      return { count: found.length, visible: visible(found[0]) }; }`, this.steps);
  }
  async count() {
    return (await this.state()).count;
  }
  async isVisible() {
    return (await this.state()).visible;
  }
  async isHidden() {
    return !(await this.state()).visible;
  }
  async waitFor({ state = 'visible', timeout } = {}) {
    const ok = { attached: (s) => s.count > 0, visible: (s) => s.visible, hidden: (s) => !s.visible }[state];
    await poll(async () => ok(await this.state().catch(() => ({ count: 0, visible: false }))), `${this.steps.map((s) => s[0]).join(' ')} ${state}`,
      timeout ?? this.page.timeout);
  }
  textContent() {
    return this.evaluate((el) => el.textContent);
  }
  getAttribute(name) {
    return this.evaluate((el, n) => el.getAttribute(n), name);
  }
  boundingBox() {
    return this.evaluate((el) => {
      const r = el.getBoundingClientRect();
      return r.width || r.height ? { x: r.x, y: r.y, width: r.width, height: r.height } : null;
    });
  }
  /** The element as a classic WebDriver element (real clicks and key presses). */
  async element() {
    await this.waitFor({ state: 'visible' });
    await this.page.api.focus(this.page);
    return this.page.api.driver.executeScript(`${RESOLVE}; return resolve(arguments[0])[0];`, this.steps);
  }
  async click() {
    await (await this.element()).click();
  }
  async fill(value) {
    const el = await this.element();
    await el.clear();
    await el.sendKeys(value);
  }
}
