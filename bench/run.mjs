// The benchmark: sizes (Node), then one headless Chromium (Debian's, through playwright-core)
// for start-up, per-event cost, latency and memory. Prints tables and writes
// bench/results/latest.json. Run through scripts/bench.sh, which builds the package into
// bench/.pkg and installs the peers first.
//
//   node bench/run.mjs [--quick] [--profile] [--out FILE]
//     --quick    2 MB stream, 2 runs: a smoke test of the harness, not numbers to record
//     --profile  also record CPU profiles (CDP) of ours chat.stream and ours SseParser, 1 KB chunks,
//                and print where their time goes
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { launchChromium } from '../tests/e2e/lib/chromium.mjs';

import { startServer } from './server.mjs';
import { COZE_API, ESP, OURS, toText } from './report.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const PKG = path.join(HERE, '.pkg');
const DIST = path.join(HERE, 'dist');
const args = new Set(process.argv.slice(2));
const outArg = process.argv.indexOf('--out');
const OUT = outArg > 0 ? path.resolve(process.argv[outArg + 1]) : path.join(HERE, 'results', 'latest.json');
const QUICK = args.has('--quick');

const CONFIG = QUICK
  ? { streamBytes: 2e6, chunkSizes: [64, 1024, 16384], runs: 2, runsAt64: 2, warmup: 1, latencyBytes: 200e3, memoryBytes: 10e6,
    startupRounds: 2 }
  // 64 B chunks are 312k reads of the 20 MB stream (seconds per run): 3 runs there keep the whole
  // benchmark within ~5 minutes.
  : { streamBytes: 20e6, chunkSizes: [64, 1024, 16384], runs: 5, runsAt64: 3, warmup: 1, latencyBytes: 1e6, memoryBytes: 100e6,
    startupRounds: 5 };
const STREAM_PIPELINES = [OURS, 'ours SseParser+JSON.parse', COZE_API, ESP];
const SYNC_PIPELINES = ['ours SseParser+JSON.parse (sync loop)', 'TextDecoder+eventsource-parser+JSON.parse (sync loop)'];
const ESBUILD_FLAGS = ['--bundle', '--minify', '--format=esm', '--platform=browser', '--define:process.env.NODE_ENV="production"'];

const log = (...a) => console.error('bench:', ...a);

async function main() {
  for (const [file, hint] of [
    [path.join(PKG, 'index.js'), 'build it: COZE_WASM_PKG_DIR=bench/.pkg python3 scripts/build.py'],
    [path.join(HERE, 'node_modules', '@coze', 'api', 'package.json'), 'install the peers: (cd bench && npm ci)'],
  ]) {
    if (!existsSync(file)) {
      console.error(`bench: ${path.relative(ROOT, file)} is missing; ${hint} (scripts/bench.sh does both)`);
      return 2;
    }
  }
  const started = Date.now();
  const results = { date: new Date().toISOString(), config: CONFIG, machine: machine() };
  results.machine.loadavgAtStart = loadavg();

  bundlePeers();
  results.size = sizes();
  results.sizeNotes = {
    cozeApiEntry: 'bench/peers/coze-api.js imports getPKCEAuthenticationUrl, getPKCEOAuthToken, refreshOAuthToken and CozeAPI (chat.stream) from @coze/api',
    esbuild: `esbuild ${ESBUILD_FLAGS.join(' ')}`,
  };

  const server = await startServer({ '/pkg/': PKG, '/dist/': DIST, '/': path.join(HERE, 'page') });
  const browser = await launchChromium(['--enable-precise-memory-info', '--js-flags=--expose-gc']);
  results.machine.chromium = `Chromium ${browser.version()}`;
  try {
    results.startup = await startup(browser, server.url);
    const context = await browser.newContext();
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(String(e?.stack || e)));
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') log(`[page ${m.type()}] ${m.text()}`); });
    await page.goto(`${server.url}/bench.html`);
    await page.waitForFunction(() => window.benchReady === true || null, null, { timeout: 30_000 }).catch((e) => {
      throw new Error(`bench page did not load: ${pageErrors.join('\n') || e.message}`);
    });
    results.page = await page.evaluate(() => window.bench.info());
    if (!results.page.crossOriginIsolated) log('warning: page is not cross-origin isolated (100 µs timer resolution)');
    results.stream = await page.evaluate((n) => window.bench.prepare(n), CONFIG.streamBytes);
    log(`stream: ${(results.stream.bytes / 1e6).toFixed(1)} MB, ${results.stream.events} events`);

    results.throughput = [];
    for (const chunkSize of CONFIG.chunkSizes) {
      for (const pipeline of [...STREAM_PIPELINES, ...SYNC_PIPELINES]) {
        const runs = chunkSize === 64 ? CONFIG.runsAt64 : CONFIG.runs;
        const t = await page.evaluate((o) => window.bench.throughput(o), {
          pipeline, targetBytes: CONFIG.streamBytes, chunkSize, runs, warmup: CONFIG.warmup,
        });
        // Every stream pipeline fetches its body through the page's fetch override, once per run.
        const expected = STREAM_PIPELINES.includes(pipeline) ? runs + CONFIG.warmup : 0;
        if (t.fetchCalls !== expected) {
          throw new Error(`${pipeline}: the fetch override saw ${t.fetchCalls} calls for ${expected} streams`);
        }
        results.throughput.push(t);
        log(`${String(chunkSize).padStart(5)} B  ${pipeline.padEnd(54)} ${t.usPerEvent.toFixed(3)} µs/event  ` +
          `(runs ${t.timesMs.map((x) => x.toFixed(0)).join(', ')} ms)`);
      }
    }
    results.jsonParseFloor = await page.evaluate((o) => window.bench.jsonParseFloor(o),
      { targetBytes: CONFIG.streamBytes, runs: CONFIG.runs, warmup: CONFIG.warmup });

    results.latency = [];
    for (const chunkSize of CONFIG.chunkSizes) {
      for (const pipeline of STREAM_PIPELINES) {
        const l = await page.evaluate((o) => window.bench.latency(o), {
          pipeline, targetBytes: CONFIG.latencyBytes, chunkSize, warmup: 1,
        });
        results.latency.push(l);
        log(`latency ${String(chunkSize).padStart(5)} B  ${pipeline.padEnd(42)} p50 ${l.p50Us.toFixed(0)} µs  p99 ${l.p99Us.toFixed(0)} µs`);
      }
    }

    if (args.has('--profile')) {
      results.profiles = [];
      for (const pipeline of [OURS, 'ours SseParser+JSON.parse (sync loop)']) results.profiles.push(await profile(context, page, pipeline));
    }
    if (pageErrors.length) throw new Error(`page errors:\n${pageErrors.join('\n')}`);
    await context.close();

    // Ours, then the same through eventsource-parser as a control for what the harness and the
    // browser's stream machinery hold while a stream is open. Each in a fresh page.
    results.memory = await memory(browser, server.url, OURS);
    results.memoryControl = await memory(browser, server.url, ESP);
    for (const m of [results.memory, results.memoryControl]) {
      log(`memory ${m.pipeline}: heap ${[m.before, ...m.checkpoints, m.after].map((p) => (p.jsHeap / 1048576).toFixed(1)).join(' → ')} MiB, ` +
        `wasm ${m.before.wasm} → ${m.after.wasm} bytes`);
    }
  } finally {
    await browser.close();
    await server.close();
  }
  results.elapsedS = (Date.now() - started) / 1000;
  results.machine.loadavgAtEnd = loadavg();

  console.log(toText(results));
  for (const p of results.profiles || []) {
    console.log(`CPU profile of ${p.pipeline}, 1 KB chunks (${p.file}); self time by place:`);
    for (const f of p.places) console.log(`  ${f.selfPct.toFixed(1).padStart(5)}%  ${f.name}`);
    console.log('  top functions by self time:');
    for (const f of p.top.slice(0, 15)) console.log(`  ${f.selfPct.toFixed(1).padStart(5)}%  ${f.name}`);
    console.log('');
  }
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, JSON.stringify(results, null, 2) + '\n');
  console.log(`results: ${path.relative(process.cwd(), OUT)} (${results.elapsedS.toFixed(0)} s)`);
  return 0;
}

function bundlePeers() {
  mkdirSync(DIST, { recursive: true });
  const esbuild = path.join(ROOT, 'node_modules', '.bin', 'esbuild');
  for (const entry of ['coze-api', 'eventsource-parser']) {
    const res = spawnSync(esbuild, [`peers/${entry}.js`, ...ESBUILD_FLAGS, `--outfile=dist/${entry}.js`, '--log-level=warning'],
      { cwd: HERE, stdio: ['ignore', 'inherit', 'inherit'] });
    if (res.status !== 0) throw new Error(`esbuild failed for ${entry} (${res.error?.message || `exit ${res.status}`})`);
  }
}

function sizes() {
  const measure = (name, files) => {
    const buf = Buffer.concat(files.map((f) => readFileSync(f)));
    // `gzip -9` of each file separately (how they are served), summed.
    const gz = files.reduce((sum, f) => sum + gzip9(f), 0);
    return { name, raw: buf.length, gz, files: files.map((f) => path.relative(ROOT, f)) };
  };
  const web = path.join(PKG, 'web');
  const snippet = findSnippet(path.join(web, 'snippets'));
  const parts = [
    measure('ours: .wasm', [path.join(web, 'coze_wasm_bg.wasm')]),
    measure('ours: JS glue', [path.join(web, 'coze_wasm.js')]),
    measure('ours: snippet (support.js)', [snippet]),
  ];
  const total = measure('ours: total (.wasm + glue + snippet)', parts.flatMap((p) => p.files.map((f) => path.join(ROOT, f))));
  return [
    ...parts,
    total,
    measure('@coze/api 1.3.9 browser subset + axios 1.21.1 (esbuild, minified)', [path.join(DIST, 'coze-api.js')]),
    measure('eventsource-parser 4.1.3 (esbuild, minified)', [path.join(DIST, 'eventsource-parser.js')]),
  ];
}

/** Size of `gzip -9` output (GNU gzip; Node's zlib, a Chromium fork, would give slightly different numbers). */
function gzip9(file) {
  try {
    return execFileSync('gzip', ['-9c', file], { maxBuffer: 1 << 28 }).length;
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
    return gzipSync(readFileSync(file), { level: 9 }).length;
  }
}

function findSnippet(dir) {
  const found = readdirSync(dir, { recursive: true }).filter((f) => path.basename(f) === 'support.js');
  if (found.length !== 1) throw new Error(`expected one support.js snippet under ${dir}, found ${found.length}`);
  return path.join(dir, found[0]);
}

async function startup(browser, url) {
  const fresh = async (fn, arg) => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${url}/`);
      return await page.evaluate(fn, arg);
    } finally {
      await context.close();
    }
  };
  const cold = [];
  const cozeApi = [];
  for (let i = 0; i < CONFIG.startupRounds; i++) {
    cold.push(await fresh(async () => (await import('/startup.js')).cold()));
    cozeApi.push(await fresh(async () => (await import('/startup.js')).cozeApiCold()));
  }
  const cached = await fresh(async (n) => (await import('/startup.js')).cached(n), CONFIG.startupRounds);
  // Navigation → first chat event, each page in its own fresh context (bench/page/first-event.js):
  // as served from 127.0.0.1, and with 50 ms added to every request (CDP network emulation), where
  // each round trip a page waits for in turn shows.
  const firstEvent = { ours: [], oursPreload: [], cozeApi: [], rtt50: { ours: [], oursPreload: [], cozeApi: [] } };
  const pages = { ours: 'first-event.html?who=ours', oursPreload: 'first-event-preload.html?who=ours', cozeApi: 'first-event.html?who=cozeapi' };
  for (let i = 0; i < CONFIG.startupRounds; i++) {
    for (const latency of [0, 50]) for (const [who, pagePath] of Object.entries(pages)) {
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        if (latency) {
          const cdp = await context.newCDPSession(page);
          await cdp.send('Network.enable');
          await cdp.send('Network.emulateNetworkConditions', { offline: false, latency, downloadThroughput: -1, uploadThroughput: -1 });
        }
        await page.goto(`${url}/${pagePath}`);
        const result = await (await page.waitForFunction(() => window.result, null, { timeout: 30_000 })).jsonValue();
        if (result.error) throw new Error(`first event (${who}): ${result.error}`);
        (latency ? firstEvent.rtt50 : firstEvent)[who].push(result);
      } finally {
        await context.close();
      }
    }
  }
  log(`startup: cold init ${cold.map((c) => c.initMs.toFixed(1)).join(', ')} ms; cached ${cached.rounds.map((c) => c.initMs.toFixed(2)).join(', ')} ms`);
  return { cold, cached, cozeApi, firstEvent };
}

async function memory(browser, url, pipeline) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${url}/bench.html`);
    await page.waitForFunction(() => window.benchReady === true || null, null, { timeout: 30_000 });
    return await page.evaluate((o) => window.bench.memory(o), {
      pipeline, targetBytes: CONFIG.memoryBytes, warmupBytes: 2e6, chunkSize: 16384, checkpointBytes: CONFIG.memoryBytes / 4,
    });
  } finally {
    await context.close();
  }
}

/** A CPU profile (CDP Profiler) of two runs of `pipeline` on 1 KB chunks, summarised by self time. */
async function profile(context, page, pipeline) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
  await page.evaluate((o) => window.bench.throughput(o), {
    pipeline, targetBytes: CONFIG.streamBytes, chunkSize: 1024, runs: 2, warmup: 0,
  });
  const { profile: prof } = await cdp.send('Profiler.stop');
  await cdp.detach();
  const file = path.join(path.dirname(OUT), `${pipeline.replace(/[^a-zA-Z0-9]+/g, '-').replace(/-+$/, '')}.cpuprofile`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(prof));
  // Self time per function from the sample counts.
  const hits = new Map();
  for (const id of prof.samples) hits.set(id, (hits.get(id) || 0) + 1);
  const byName = new Map();
  let total = 0;
  for (const node of prof.nodes) {
    const n = hits.get(node.id) || 0;
    total += n;
    const f = node.callFrame;
    const where = f.url ? `${f.url.replace(/^https?:\/\/[^/]+/, '')}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'}${where ? `  ${where}` : ''}`;
    byName.set(key, (byName.get(key) || 0) + n);
  }
  const top = [...byName].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([name, n]) => ({ name, selfPct: (100 * n) / total }));
  // Self time by where the code lives.
  const byPlace = new Map();
  for (const node of prof.nodes) {
    const n = hits.get(node.id) || 0;
    const { url, functionName } = node.callFrame;
    const place = url.endsWith('.wasm') ? 'wasm (our .wasm, all functions)'
      : url.includes('/snippets/') ? 'our snippet (support.js; JSON.parse runs inside parsedPart)'
        : url.includes('/pkg/web/') ? 'our JS glue (string decoding, imports, closures)'
          : url.includes('/bench.js') || url.includes('/coze-stream.js') ? 'the page (stream replay, loop)'
            : functionName === '(garbage collector)' ? 'garbage collector'
              : functionName === '(program)' || functionName === '(idle)' || functionName === '(root)' ? 'other (program/idle)'
                : 'browser built-ins (TextDecoder, streams, promises, microtasks)';
    byPlace.set(place, (byPlace.get(place) || 0) + n);
  }
  const places = [...byPlace].sort((a, b) => b[1] - a[1]).map(([name, n]) => ({ name, selfPct: (100 * n) / total }));
  return { pipeline, file: path.relative(ROOT, file), top, places };
}

function machine() {
  const git = (...a) => {
    try {
      return execFileSync('git', ['-C', ROOT, ...a], { encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  let cpu = cpus()[0]?.model || 'unknown';
  try {
    cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] || cpu;
  } catch { /* not Linux */ }
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch { /* no nproc */ }
  const playwright = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'playwright-core', 'package.json'), 'utf8')).version;
  return {
    nproc, cpu, memBytes: totalmem(), node: process.version, playwright,
    commit: git('rev-parse', '--short=12', 'HEAD') || 'unknown',
    dirty: git('status', '--porcelain', '--untracked-files=no', '--', 'src', 'Cargo.toml', 'Cargo.lock') !== '',
  };
}

main().then((code) => process.exit(code), (err) => {
  console.error(err?.stack || err);
  process.exit(1);
});
