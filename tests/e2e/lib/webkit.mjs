// WebKitGTK's MiniBrowser through WebKitWebDriver (Debian's webkit2gtk-driver), behind the same
// Playwright API subset as lib/firefox.mjs, so the same test bodies run here. Needs an X display:
// run under `xvfb-run -a` (scripts/webkit.sh does).
//
// WebKitWebDriver 2.50 speaks classic WebDriver only: asking for BiDi (`webSocketUrl: true`) fails
// session creation with "Failed to match capabilities". So, compared with the Firefox adapter:
// - scripts run after a page has loaded (execute/async), never before its own: no init scripts
//   (`lacks.initScript`; tests skip what depends on one and say so);
// - console output and page errors come from a listener this adapter adds to each page after it
//   loads, so what a page logs while loading is not seen (`lacks.loadConsole`);
// - requests are intercepted by an HTTP proxy in this process, which the session routes all
//   traffic through (WebDriver's standard `proxy` capability, which WebKitGTK honours for loopback
//   too): route()/unroute() work on real browser requests, and document requests seen there are
//   the pages' `framenavigated` events.
import { spawn, execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import webdriver from 'selenium-webdriver';
import { Executor, HttpClient } from 'selenium-webdriver/http/index.js';
import { Locator, RESOLVE, WebDriverPage, poll } from './firefox.mjs';

export const MINIBROWSER = process.env.MINIBROWSER_PATH || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

/** What WebKitWebDriver cannot do, with the reason tests print when they skip because of it. */
export const WEBKIT_LACKS = {
  initScript: 'WebKitWebDriver has no WebDriver BiDi (a session with webSocketUrl: true is refused: ' +
    '"Failed to match capabilities"), so there is no script.addPreloadScript; classic WebDriver only runs ' +
    'scripts after the page\'s own have run',
  narrowViewport: 'MiniBrowser\'s window keeps its GTK toolbar, whose minimum width (447 px here) WebDriver\'s ' +
    'Set Window Rect cannot go under, so the page cannot get a 375 px wide viewport',
  loadConsole: 'no BiDi log.entryAdded: console output is read by a listener injected after each load, ' +
    'so messages logged while a page loads are not seen',
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort(preferred) {
  if (preferred) return Promise.resolve(Number(preferred));
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts WebKitWebDriver on $WEBKIT_DRIVER_PORT (else a free port); resolves once it answers. */
export async function startWebKitDriver() {
  if (!process.env.DISPLAY) throw new Error('WebKitGTK needs an X display: run under `xvfb-run -a` (scripts/webkit.sh)');
  const bin = process.env.WEBKIT_DRIVER_PATH || execFileSync('sh', ['-c', 'command -v WebKitWebDriver'], { encoding: 'utf8' }).trim();
  const port = await freePort(process.env.WEBKIT_DRIVER_PORT);
  const child = spawn(bin, [`--port=${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`WebKitWebDriver exited with ${child.exitCode}: ${stderr}`);
    const ok = await fetch(`${url}/status`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`WebKitWebDriver did not answer on ${url} within 10 s: ${stderr}`);
    await sleep(100);
  }
  return {
    url,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.once('exit', () => { clearTimeout(timer); resolve(); });
      child.kill('SIGTERM');
    }),
  };
}

/** A classic WebDriver session in MiniBrowser, its traffic sent through `proxyPort` when given. */
export async function webkitSession(driverUrl, { proxyPort } = {}) {
  const caps = new webdriver.Capabilities({
    'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
  });
  if (proxyPort) caps.set('proxy', { proxyType: 'manual', httpProxy: `127.0.0.1:${proxyPort}`, noProxy: [] });
  return webdriver.WebDriver.createSession(new Executor(new HttpClient(driverUrl)), caps);
}

/** The proxy: each request goes to the first matching route's handler, else straight on. */
function startProxy(onRequest) {
  const server = http.createServer((req, res) => {
    let target;
    try {
      target = new URL(req.url);
    } catch {
      res.writeHead(400).end('absolute URL expected\n');
      return;
    }
    Promise.resolve(onRequest(new ProxiedRequest(req, res, target))).catch((err) => {
      console.error(`e2e webkit proxy: ${req.method} ${req.url}: ${err.message}`);
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
  });
  server.on('connect', (req, socket) => socket.end('HTTP/1.1 501 Not Implemented\r\n\r\n')); // no TLS here
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    freePort(process.env.WEBKIT_PROXY_PORT).then((port) => server.listen(port, '127.0.0.1', () => resolve({
      port,
      close: () => new Promise((done) => { server.closeAllConnections(); server.close(() => done()); }),
    })), reject);
  });
}

class ProxiedRequest {
  constructor(req, res, url) {
    this.req = req;
    this.res = res;
    this.url = url;
  }
  /** Sends it on unchanged and streams the answer back; an aborted download aborts upstream too. */
  forward() {
    const { req, res, url } = this;
    return new Promise((resolve) => {
      const headers = { ...req.headers };
      delete headers['proxy-connection'];
      const upstream = http.request(url, { method: req.method, headers }, (answer) => {
        res.writeHead(answer.statusCode, answer.statusMessage, answer.rawHeaders);
        answer.pipe(res);
        answer.on('end', resolve);
        answer.on('error', resolve);
      });
      upstream.on('error', (err) => {
        if (!res.headersSent) res.writeHead(502).end(String(err.message));
        else res.destroy();
        resolve();
      });
      res.on('close', () => { if (!res.writableFinished) upstream.destroy(); });
      req.pipe(upstream);
    });
  }
}

class Route {
  constructor(proxied) {
    this.proxied = proxied;
  }
  request() {
    const { req, url } = this.proxied;
    return { method: () => req.method, url: () => url.href };
  }
  continue() {
    return this.proxied.forward();
  }
  async fulfill({ status = 200, contentType, headers = {}, body = '' }) {
    const { req, res } = this.proxied;
    req.resume();
    const all = { ...headers, ...(contentType ? { 'content-type': contentType } : {}) };
    res.writeHead(status, all);
    res.end(body);
  }
}

/** Runs in the page (installed once per document): console calls, errors and CSP reports, queued. */
const HOOK = `if (!window.__e2eLog) {
  const log = window.__e2eLog = [];
  const show = (v) => { if (typeof v === 'string') return v; try { return v instanceof Error ? String(v) : JSON.stringify(v) ?? String(v); } catch { return String(v); } };
  for (const type of ['log', 'info', 'warn', 'error', 'debug']) {
    const real = console[type].bind(console);
    console[type] = (...args) => { log.push({ kind: 'console', type: type === 'warn' ? 'warning' : type, text: args.map(show).join(' ') }); return real(...args); };
  }
  addEventListener('error', (e) => log.push({ kind: 'pageerror', text: e.error ? String(e.error.stack ? e.error + '\\n' + e.error.stack : e.error) : e.message }));
  addEventListener('unhandledrejection', (e) => log.push({ kind: 'pageerror', text: 'Unhandled Promise Rejection: ' + show(e.reason) }));
  document.addEventListener('securitypolicyviolation', (e) => log.push({ kind: 'console', type: 'error', text: 'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI }));
}`;

export async function launchWebKit() {
  const driverProcess = await startWebKitDriver();
  const routes = [];
  const pages = new Map(); // window handle → Page
  let current = null;
  const proxy = await startProxy(async (proxied) => {
    const { req, url } = proxied;
    if (process.env.E2E_WEBKIT_TRACE) console.log(`      [proxy] ${req.method} ${url.href}`);
    // A top-level document load: that page navigated (WebKit sends fetch metadata on each request).
    if (req.headers['sec-fetch-dest'] === 'document' && req.method === 'GET') pages.get(current)?.navigated(url.href);
    const route = routes.find((r) => r.matches(url));
    if (route) return route.handler(new Route(proxied));
    return proxied.forward();
  });
  let driver;
  try {
    driver = await webkitSession(driverProcess.url, { proxyPort: proxy.port });
  } catch (err) {
    await proxy.close();
    await driverProcess.stop();
    throw err;
  }
  current = await driver.getWindowHandle();
  // Classic commands act on the session's current window, one at a time: each page's commands
  // switch to its window and run without another page's in between.
  let queue = Promise.resolve();
  const api = {
    driver, pages, routes,
    exclusive(page, fn) {
      const run = queue.then(async () => {
        if (page && current !== page.id) {
          await driver.switchTo().window(page.id);
          current = page.id;
        }
        return fn(driver);
      });
      queue = run.catch(() => {});
      return run;
    },
    focus: (page) => api.exclusive(page, () => {}),
  };
  let first = true;
  const browser = {
    lacks: WEBKIT_LACKS,
    async newContext({ viewport } = {}) {
      return {
        async newPage() {
          const id = first ? current : await api.exclusive(null, async () => {
            await driver.switchTo().newWindow('window');
            return (current = await driver.getWindowHandle());
          });
          first = false;
          const page = new Page(api, id);
          pages.set(id, page);
          await page.setViewportSize(viewport || { width: 1280, height: 720 });
          return page;
        },
        async addInitScript() {
          throw new Error(`addInitScript in WebKit: ${WEBKIT_LACKS.initScript}`);
        },
        route: (pattern, handler) => addRoute(routes, pattern, handler),
      };
    },
    async close() {
      await driver.quit().catch(() => {});
      await proxy.close();
      await driverProcess.stop();
    },
  };
  return browser;
}

function addRoute(routes, pattern, handler) {
  const matches = typeof pattern === 'function' ? pattern : (url) => url.href === pattern;
  routes.push({ pattern, matches, handler });
}

class Page extends WebDriverPage {
  constructor(api, id) {
    super(api, id, WebKitLocator);
  }
  /** Hands what the page's listener queued to this page's 'console' and 'pageerror' listeners. */
  deliver(entries) {
    for (const e of entries || []) {
      if (e.kind === 'pageerror') {
        const err = new Error(e.text);
        err.stack = e.text;
        this.emit('pageerror', err);
      } else {
        this.emit('console', { type: () => e.type, text: () => e.text });
      }
    }
  }
  /** Runs `fn(driver)` with this page's window current (see api.exclusive). */
  command(fn) {
    return this.api.exclusive(this, fn);
  }
  async goto(url) {
    await this.command((d) => d.get(url));
    await this.evaluate(() => true); // installs the console listener
  }
  async reload() {
    await this.evaluate(() => true); // what the old document queued
    await this.command((d) => d.navigate().refresh());
    await this.evaluate(() => true);
  }
  /** `fn(arg)` in the page; arguments and results travel as JSON, as with Playwright. A promise
   *  result is awaited in the page and polled for, so pages in other windows can run meanwhile. */
  async evaluate(fn, arg) {
    const start = `${HOOK}
      const take = () => window.__e2eLog.splice(0);
      const settle = (r) => Object.assign(r, { log: take() });
      const fail = (e) => settle({ ok: false, error: String(e && e.stack ? e + '\\n' + e.stack : e) });
      let value;
      try { value = (${fn})(arguments[0] === null ? undefined : JSON.parse(arguments[0])); } catch (e) { return fail(e); }
      if (!(value instanceof Promise)) return settle({ ok: true, value: JSON.stringify(value) });
      const id = String(Math.random()).slice(2);
      const results = window.__e2eResults || (window.__e2eResults = {});
      value.then((v) => { results[id] = { ok: true, value: JSON.stringify(v) }; }, (e) => { results[id] = { ok: false, error: String(e && e.stack ? e + '\\n' + e.stack : e) }; });
      return settle({ pending: id });`;
    const read = `${HOOK}
      const results = window.__e2eResults || {};
      const r = results[arguments[0]];
      delete results[arguments[0]];
      return Object.assign(r || { pending: arguments[0], lost: !window.__e2eResults }, { log: window.__e2eLog.splice(0) });`;
    let r = await this.command((d) => d.executeScript(start, arg === undefined ? null : JSON.stringify(arg)));
    for (;;) {
      this.deliver(r && r.log);
      if (!r || !r.pending) break;
      if (r.lost) throw new Error('evaluate: the page navigated away before the result came');
      await sleep(15);
      r = await this.command((d) => d.executeScript(read, r.pending));
    }
    this.href = await this.currentUrl();
    if (!r || !r.ok) throw new Error(`evaluate: ${r ? r.error : 'no result'}`);
    return r.value === undefined ? undefined : JSON.parse(r.value);
  }
  currentUrl() {
    return this.command((d) => d.getCurrentUrl());
  }
  /** Sizes the window so the page's viewport is `width`×`height` (window chrome measured). */
  async setViewportSize({ width, height }) {
    const inner = () => this.command((d) => d.executeScript('return [window.innerWidth, window.innerHeight]'));
    const rect = await this.command((d) => d.manage().window().getRect());
    const [w, h] = await inner();
    await this.command((d) => d.manage().window().setRect({ width: width + (rect.width - w), height: height + (rect.height - h) }));
    await poll(async () => {
      const [w2, h2] = await inner();
      return w2 === width && h2 === height;
    }, `a ${width}×${height} viewport`, 2000).catch(async () => {
      const [w2, h2] = await inner();
      throw new Error(`setViewportSize: asked for ${width}×${height}, MiniBrowser gives ${w2}×${h2}`);
    });
  }
  async screenshot({ path, fullPage } = {}) {
    const data = await this.command((d) => (fullPage ? d.findElement(webdriver.By.css('html')).takeScreenshot() : d.takeScreenshot()));
    await writeFile(path, Buffer.from(data, 'base64'));
  }
  async addInitScript() {
    throw new Error(`addInitScript in WebKit: ${WEBKIT_LACKS.initScript}`);
  }
  route(pattern, handler) {
    addRoute(this.api.routes, pattern, handler);
  }
  async unroute(pattern) {
    const { routes } = this.api;
    for (let i = routes.length - 1; i >= 0; i--) if (routes[i].pattern === pattern) routes.splice(i, 1);
  }
}

/** Clicks and key presses as classic WebDriver element commands, in the page's own window. */
class WebKitLocator extends Locator {
  locator(selector) {
    return new WebKitLocator(this.page, [...this.steps, [selector, null]]);
  }
  last() {
    return new WebKitLocator(this.page, [...this.steps.slice(0, -1), [this.steps.at(-1)[0], -1]]);
  }
  async withElement(fn) {
    await this.waitFor({ state: 'visible' });
    return this.page.command(async (d) => fn(await d.executeScript(`${RESOLVE}; return resolve(arguments[0])[0];`, this.steps)));
  }
  element() {
    return this.withElement((el) => el);
  }
  click() {
    return this.withElement((el) => el.click());
  }
  fill(value) {
    return this.withElement(async (el) => {
      await el.clear();
      await el.sendKeys(value);
    });
  }
}
