// Runs tests/boundary/cases.mjs in two lanes against the Coze emulator:
//   node    — the package's Node entry (node.js), in this process;
//   browser — headless Chromium (playwright-core) loading a tiny page that imports index.js,
//             awaits init() and runs the same module.
// Prints what each lane exercised and every failure; exit status 0 only when both lanes passed.
//
//   node tests/boundary/run.mjs [--lane node|browser]
//
// The package comes from $COZE_WASM_PKG_DIR (default pkg/; build it with scripts/build.py). The
// emulator is $EMULATOR_URL, or target/debug/coze-emulator started here.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launchChromium } from '../e2e/lib/chromium.mjs';
import { useEmulator } from '../e2e/lib/emulator.mjs';
import { startStaticServer } from '../../scripts/static-server.mjs';
import { runBoundary } from './cases.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const PKG = path.resolve(ROOT, process.env.COZE_WASM_PKG_DIR || 'pkg');
const VERBOSE = !!process.env.BOUNDARY_VERBOSE;

/** The stable codes the README documents (its "Errors" table): the only codes a call may carry. */
function documentedCodes() {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Errors'));
  const codes = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
  if (codes.length < 10) throw new Error(`found only ${codes.length} error codes in README.md's Errors table`);
  return codes;
}

async function nodeLane(env) {
  const api = await import(pathToFileURL(path.join(PKG, 'node.js')).href);
  // A Rust panic or an exception escaping wasm inside a promise job surfaces here, not at the call.
  const stray = [];
  let current = null;
  const currentCase = () => (current ? current.current : 'setup');
  const onError = (kind) => (err) => {
    let what;
    try { what = err && err.stack || String(err); } catch (_) { what = '<a value that cannot be printed, e.g. a revoked Proxy>'; }
    stray.push(`${kind} (during ${currentCase()}): ${what}`);
  };
  const onException = onError('uncaught exception');
  const onRejection = onError('unhandled rejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  try {
    const report = await runBoundary(api, { ...env, lane: 'node', onSuite: (suite) => { current = suite; } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const s of stray) report.failures.push(s);
    for (const f of await beforeInit()) report.failures.push(f);
    report.ok = report.failures.length === 0;
    return report;
  } finally {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  }
}

/** index.js is its own instance (the pages' bundle), not initialised here: every entry point that
 *  needs the wasm must say so — sync calls throw, async ones reject — not fail deep inside. */
async function beforeInit() {
  const api = await import(pathToFileURL(path.join(PKG, 'index.js')).href);
  const calls = {
    generateState: () => api.generateState(),
    'new SseParser': () => new api.SseParser(),
    'new TokenManager': () => new api.TokenManager({ clientId: 'c' }).getToken(),
    getPKCEAuthenticationUrl: () => api.getPKCEAuthenticationUrl({ clientId: 'c', redirectUrl: 'https://a.example/cb' }),
    'chat.stream': () => new api.CozeAPI({ token: 't' }).chat.stream({ bot_id: 'b' })[Symbol.asyncIterator]().next(),
  };
  const failures = [];
  for (const [name, call] of Object.entries(calls)) {
    let error;
    try {
      await call();
    } catch (err) {
      error = err;
    }
    if (!/await init\(\) first/.test(String(error && error.message))) {
      failures.push(`before init(): ${name} gave ${error ? `${error.name}: ${error.message}` : 'no error'}, not "await init() first"`);
    }
  }
  return failures;
}

async function browserLane(env) {
  const site = await startStaticServer([['/pkg/', PKG], ['/boundary/', HERE]]);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const stray = [];
    page.on('pageerror', (err) => stray.push(`uncaught page error: ${err && err.stack || err}`));
    page.on('console', (msg) => {
      const text = msg.text();
      if (/^Unhandled rejection/.test(text)) stray.push(text);
      if (VERBOSE || /^FAIL /.test(text)) console.log(`      [browser] ${text}`);
    });
    await page.goto(`${site.url}/boundary/page.html`);
    await page.waitForFunction(() => window.boundaryReady === true);
    const { log, ...plain } = env;
    const report = await page.evaluate((e) => window.runBoundaryPage(e), { ...plain, lane: 'browser', verbose: VERBOSE });
    for (const s of stray) report.failures.push(s);
    report.ok = report.failures.length === 0;
    return report;
  } finally {
    await browser.close();
    await site.close();
  }
}

function summarize(report) {
  const c = report.counts;
  console.log(`${report.ok ? 'PASS' : 'FAIL'}  ${report.lane}: ${report.calls} calls — ${c.malformed} malformed, ` +
    `${c.edge} edge cases, ${c.valid} valid, ${c.receiver} wrong-receiver/after-free; ${c.health} health checks; ` +
    `${Object.keys(report.covered).length} exports and members covered (${report.exports.length} exports)`);
  if (report.glueUncoded.length) {
    console.log(`      note: ${report.glueUncoded.length} wrong-receiver calls threw wasm-bindgen's own uncoded Error ` +
      `(e.g. ${report.glueUncoded[0]})`);
  }
  for (const f of report.failures.slice(0, 60)) console.log(`      ${f}`);
  if (report.failures.length > 60) console.log(`      … and ${report.failures.length - 60} more`);
}

async function main() {
  const laneArg = process.argv.indexOf('--lane');
  const lanes = laneArg > 0 ? [process.argv[laneArg + 1]] : ['node', 'browser'];
  for (const file of ['node.js', 'index.js', 'web/coze_wasm_bg.wasm']) {
    if (!existsSync(path.join(PKG, file))) {
      console.error(`boundary: ${path.join(PKG, file)} is missing (build the package: python3 scripts/build.py)`);
      return 2;
    }
  }
  const emulator = await useEmulator(ROOT);
  try {
    const env = {
      emulatorURL: emulator.url,
      documentedCodes: documentedCodes(),
      log: (line) => { if (VERBOSE || line.startsWith('FAIL ')) console.log(`      ${line}`); },
    };
    console.log(`boundary: package ${path.relative(ROOT, PKG) || PKG}, emulator ${emulator.url}${emulator.owned ? ' (started here)' : ''}`);
    const reports = [];
    for (const lane of lanes) {
      const started = Date.now();
      const report = lane === 'node' ? await nodeLane(env) : await browserLane(env);
      summarize(report);
      console.log(`      (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      reports.push(report);
    }
    const ok = reports.every((r) => r.ok);
    const total = reports.reduce((n, r) => n + r.calls, 0);
    console.log(`\nboundary: ${ok ? 'all passed' : 'FAILED'} — ${total} calls in ${reports.length} lane(s)`);
    return ok ? 0 : 1;
  } finally {
    await emulator.stop();
  }
}

main().then(
  (code) => { process.exitCode = code; },
  (err) => {
    console.error(`boundary: ${err && err.stack || err}`);
    process.exitCode = 1;
  },
);
