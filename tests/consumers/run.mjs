// Consumer tests: the packed coze-wasm tarball installed into scratch copies of the projects next to
// this file (a Vite app, an esbuild bundle, a plain <script type=module> page, a Node script, a
// module Web Worker), each built the way a user would and run against the Coze emulator — pages and
// workers in Debian's Chromium through playwright-core, Node directly. Every consumer builds a PKCE
// URL, exchanges a code, checks the error class and the PAT guard, and streams a chat from the Echo
// bot; the exact values are asserted here.
//
//   node tests/consumers/run.mjs path/to/coze-wasm-X.Y.Z.tgz [--only vite,node] [--keep]
//
// Uses $EMULATOR_URL when set, else starts target/debug/coze-emulator. Bundlers come from the
// repository's node_modules (no registry access at test time: the tarball has no dependencies).
// Exit status 0 only when every consumer passed. scripts/consumers.sh packs, lints and runs this.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../e2e/lib/chromium.mjs';

import { useEmulator } from '../e2e/lib/emulator.mjs';
import { startStaticServer } from '../../scripts/static-server.mjs';
import { assert, assertEqual, createRunner } from '../e2e/lib/harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const BIN = path.join(ROOT, 'node_modules', '.bin');
const CLIENT_ID = 'demo-client.app.coze';
const WASM = 'web/coze_wasm_bg.wasm';

/** How each consumer is built and where it runs. `serve`: the directory a static server serves. */
const CONSUMERS = {
  vite: {
    about: 'Vite app (vite build, production) + a Vite-bundled module worker',
    build: (dir) => run(path.join(BIN, 'vite'), ['build'], dir),
    serve: 'dist',
    expect: { page: 'window', worker: 'worker' },
  },
  esbuild: {
    about: 'esbuild --bundle --format=esm, .wasm copied to web/ beside the bundle',
    build: async (dir) => {
      await run(path.join(BIN, 'esbuild'), ['main.js', '--bundle', '--format=esm', '--outdir=dist', '--log-level=warning'], dir);
      // The recipe: esbuild keeps `new URL('./web/coze_wasm_bg.wasm', import.meta.url)` as it is,
      // and import.meta.url is now the bundle's URL, so the .wasm goes to web/ beside the bundle.
      await mkdir(path.join(dir, 'dist', 'web'), { recursive: true });
      await cp(path.join(dir, 'node_modules', 'coze-wasm', WASM), path.join(dir, 'dist', 'web', 'coze_wasm_bg.wasm'));
      await cp(path.join(dir, 'index.html'), path.join(dir, 'dist', 'index.html'));
    },
    serve: 'dist',
    expect: { page: 'window' },
  },
  plain: {
    about: 'plain <script type=module> + import map into node_modules, no bundler',
    serve: '.',
    expect: { page: 'window' },
  },
  node: {
    about: 'Node script, bare import (the "node" condition), Node\'s fetch',
    node: 'main.js',
    expect: { main: 'node' },
  },
  worker: {
    about: 'module Web Worker importing node_modules/coze-wasm/auto.js, no bundler',
    serve: '.',
    expect: { worker: 'worker' },
  },
};

function run(cmd, args, cwd, { env = {}, capture = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) return resolve(stdout);
      const out = `${capture ? '' : stdout}${stderr}`.trim();
      reject(new Error(`${path.basename(cmd)} ${args.join(' ')} (in ${cwd}) exited with ${code ?? signal}${out ? `\n${out}` : ''}`));
    });
  });
}

/** A scratch copy of the consumer with the tarball installed and the shared checks beside its entry. */
async function prepare(name, scratch, tarball) {
  const dir = path.join(scratch, name);
  await cp(path.join(HERE, name), dir, {
    recursive: true,
    filter: (src) => !/[\\/](node_modules|dist)$/.test(src),
  });
  await cp(path.join(HERE, 'lib', 'checks.js'), path.join(dir, 'checks.js'));
  await run('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], dir);
  const installed = await readdir(path.join(dir, 'node_modules', 'coze-wasm'));
  assert(installed.includes('package.json'), `${name}: coze-wasm was not installed`);
  if (CONSUMERS[name].build) await CONSUMERS[name].build(dir);
  return dir;
}

const base64url = (buf) => buf.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** The exact-value assertions, shared by every consumer. `context`: 'window' | 'worker' | 'node'. */
function checkOutcome(outcome, { context, emulator, redirectUrl, message }) {
  assert(outcome && typeof outcome === 'object', `no outcome: ${JSON.stringify(outcome)}`);
  assert(outcome.ok, `the consumer threw: ${outcome.error}`);
  const r = outcome.result;

  assertEqual(r.constants.COZE_CN_BASE_URL, 'https://api.coze.cn', 'COZE_CN_BASE_URL');
  assertEqual(r.constants.DELTA, 'conversation.message.delta', 'ChatEventType.CONVERSATION_MESSAGE_DELTA');

  // The authorize URL: the emulator's www role, S256, the returned state, the challenge of the verifier.
  const url = new URL(r.auth.url);
  assertEqual(url.origin, new URL(emulator).origin, 'authorize URL origin (wwwURL)');
  assertEqual(url.pathname, '/api/permission/oauth2/authorize', 'authorize URL path');
  const q = url.searchParams;
  assertEqual(q.get('response_type'), 'code', 'response_type');
  assertEqual(q.get('client_id'), CLIENT_ID, 'client_id');
  assertEqual(q.get('redirect_uri'), redirectUrl, 'redirect_uri');
  assertEqual(q.get('code_challenge_method'), 'S256', 'code_challenge_method');
  assert(/^[A-Za-z0-9_-]{22,}$/.test(r.auth.state), `state is base64url of >= 16 bytes: ${r.auth.state}`);
  assertEqual(q.get('state'), r.auth.state, 'state in the URL = the returned state');
  assert(/^[A-Za-z0-9_-]{43}$/.test(r.auth.codeVerifier), `code verifier is 43 base64url chars: ${r.auth.codeVerifier}`);
  const challenge = base64url(createHash('sha256').update(r.auth.codeVerifier).digest());
  assertEqual(q.get('code_challenge'), challenge, 'code_challenge = base64url(sha256(verifier))');
  assertEqual(r.auth.challenge, challenge, 'calculatePKCECodeChallenge(verifier)');
  for (const key of q.keys()) {
    assert(['response_type', 'client_id', 'redirect_uri', 'state', 'code_challenge', 'code_challenge_method'].includes(key),
      `unexpected authorize parameter ${key}`);
  }

  // The emulator accepted the verifier for the code.
  assertEqual(r.token.accessPrefix, 'czu_', 'access token prefix');
  assertEqual(r.token.refreshType, 'string', 'refresh token type');
  assert(r.token.expiresIn > Date.now() / 1000, `expires_in is an absolute future time: ${r.token.expiresIn}`);

  assertEqual(JSON.stringify(r.error),
    JSON.stringify({ thrown: true, isCozeError: true, isError: true, code: 'INVALID_ARGUMENT' }),
    'calculatePKCECodeChallenge("too-short") throws a CozeError');
  if (context === 'window' || context === 'worker') assertEqual(r.patWithoutOptIn, 'PAT_IN_BROWSER', `PAT without opt-in in a ${context}`);
  if (context === 'node') assertEqual(r.patWithoutOptIn, 'allowed', 'PAT in Node');
  assertEqual(r.webFlow, context === 'node' ? 'allowed' : 'SECRET_IN_BROWSER', `the web flow in a ${context}`);
  if (context === 'worker') assertEqual(r.jwtHere, 'JWT_IN_BROWSER', 'getJWTToken in a worker');
  if (context === 'node') assertEqual(r.jwtHere, 'INVALID_ARGUMENT/key_not_pem', 'getJWTToken in Node reads the key');

  const reply = `You said: ${message}`;
  assertEqual(r.chat.answer, reply, 'the completed answer');
  assertEqual(r.chat.deltas, reply, 'the deltas joined');
  assert(r.chat.deltaCount > 1, `the reply came in several deltas (${r.chat.deltaCount})`);
  assertEqual(r.chat.done, '[DONE]', 'done data');
  assertEqual(r.chat.events.join(' > '), [
    'conversation.chat.created', 'conversation.chat.in_progress', 'conversation.message.delta',
    'conversation.message.completed', 'conversation.chat.completed', 'done',
  ].join(' > '), 'event sequence (repeats collapsed)');
  return r;
}

function parseArgs(argv) {
  const args = { tarball: null, only: null, keep: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--only') args.only = argv[++i].split(',');
    else if (argv[i] === '--keep') args.keep = true;
    else args.tarball = path.resolve(argv[i]);
  }
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!args.tarball || !existsSync(args.tarball)) {
    console.error('usage: node tests/consumers/run.mjs path/to/coze-wasm-X.Y.Z.tgz [--only a,b] [--keep]');
    return 2;
  }
  const names = args.only || Object.keys(CONSUMERS);
  for (const name of names) {
    if (!CONSUMERS[name]) {
      console.error(`consumers: unknown consumer ${name} (have ${Object.keys(CONSUMERS).join(', ')})`);
      return 2;
    }
  }

  const runner = createRunner();
  const cleanups = [];
  try {
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'coze-wasm-consumers-'));
    if (args.keep) console.log(`consumers: scratch projects in ${scratch}`);
    else cleanups.push(() => rm(scratch, { recursive: true, force: true }));
    const emulator = await useEmulator(ROOT);
    cleanups.push(emulator.stop);
    console.log(`consumers: ${path.basename(args.tarball)} against the emulator at ${emulator.url}`);

    // Install and build all at once; each case below waits for its own.
    const ready = Object.fromEntries(names.map((name) => {
      const p = prepare(name, scratch, args.tarball);
      p.catch(() => {});
      return [name, p];
    }));

    let browser;
    const getBrowser = async () => {
      if (!browser) {
        browser = await launchChromium();
        cleanups.push(() => browser.close());
      }
      return browser;
    };

    for (const name of names) {
      const spec = CONSUMERS[name];
      const message = `Hello from the ${name} consumer: 扣子 🚀`;
      console.log(`-- ${name}: ${spec.about}`);
      let redirectUrl;

      // One run per consumer; each named outcome (page, worker, main) is its own PASS/FAIL line.
      const runOnce = async () => {
        const dir = await ready[name];
        if (spec.node) {
          const stdout = await run(process.execPath, [spec.node], dir,
            { env: { EMULATOR_URL: emulator.url, CONSUMER_MESSAGE: message }, capture: true });
          redirectUrl = 'http://127.0.0.1:5173/';
          const result = JSON.parse(stdout.trim().split('\n').pop());
          assertEqual(result.main.resolved,
            new URL(`file://${path.join(dir, 'node_modules', 'coze-wasm', 'node.js')}`).href, 'Node resolved coze-wasm to');
          return result;
        }
        const site = await startStaticServer([['/', path.join(dir, spec.serve)]]);
        const context = await (await getBrowser()).newContext();
        const errors = [];
        try {
          const page = await context.newPage();
          page.on('pageerror', (err) => errors.push(String(err && err.message || err)));
          page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
          page.on('response', (res) => { if (res.status() >= 400) errors.push(`HTTP ${res.status()} ${res.url()}`); });
          redirectUrl = `${site.url}/`;
          const target = `${site.url}/index.html?emulator=${encodeURIComponent(emulator.url)}&message=${encodeURIComponent(message)}`;
          await page.goto(target);
          const keys = Object.keys(spec.expect);
          try {
            await page.waitForFunction((want) => want.every((k) => globalThis.__consumerResult?.[k]), keys, { timeout: 15_000 });
          } catch {
            const partial = await page.evaluate(() => globalThis.__consumerResult).catch(() => undefined);
            if (partial) return partial; // the missing outcome fails its own case
            throw new Error(`the page published no result within 15 s${errors.length ? `; page errors:\n${errors.join('\n')}` : ''}`);
          }
          const result = await page.evaluate(() => globalThis.__consumerResult);
          const wasm = site.requests.filter((p) => p.endsWith('.wasm'));
          assert(wasm.length > 0, `no .wasm was requested from the consumer's server (requests: ${site.requests.join(', ')})`);
          assert(errors.length === 0, `the page logged errors:\n${errors.join('\n')}`);
          return result;
        } finally {
          await context.close();
          await site.close();
        }
      };
      let once;
      const outcomeOf = async (key) => {
        once ||= runOnce();
        const result = await once;
        return result[key];
      };

      for (const [key, context] of Object.entries(spec.expect)) {
        const label = Object.keys(spec.expect).length > 1 ? `${name} (${key})` : name;
        await runner.test(label, async () => {
          const outcome = await outcomeOf(key);
          checkOutcome(outcome, { context, emulator: emulator.url, redirectUrl, message });
        }, { timeout: 90_000 });
      }
    }
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await Promise.resolve().then(cleanup).catch((err) => console.error(`consumers: cleanup failed: ${err.message}`));
    }
  }
  return runner.summary() ? 0 : 1;
}

main().then(
  (code) => { process.exitCode = code; },
  (err) => {
    console.error(`consumers: ${err && err.stack || err}`);
    process.exitCode = 1;
  },
);
