// Runs examples/jwt-server.mjs and examples/maker-setup.mjs against the emulator with the built
// package (pkg/), as a user would after `npm install coze-wasm`: the examples are copied next to a
// node_modules/coze-wasm that points at pkg/. Needs EMULATOR_URL (scripts/test.sh sets it).
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import assert from 'node:assert/strict';

const root = resolve(import.meta.dirname, '../..');
const emulator = process.env.EMULATOR_URL ?? process.env.COZE_EMULATOR_URL;
assert.ok(emulator, 'set EMULATOR_URL to a running emulator');

const dir = mkdtempSync(join(tmpdir(), 'coze-wasm-examples-'));
// On every way out (a failed setup step too): the directory holds a private key.
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'node_modules'));
symlinkSync(join(root, 'pkg'), join(dir, 'node_modules/coze-wasm'), 'dir');
cpSync(join(root, 'examples'), join(dir, 'examples'), { recursive: true });
// The maker's key pair, made per run (no private key is tracked in git): the examples read the
// PKCS#1 file `openssl genrsa` would give; public.pem is also the wrong-key case.
const keys = generateKeyPairSync('rsa', { modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
const pkcs1 = join(dir, 'pkcs1.pem');
writeFileSync(pkcs1, keys.privateKey, { mode: 0o600 });
writeFileSync(join(dir, 'public.pem'), keys.publicKey);

async function admin(path, body) {
  const res = await fetch(emulator + path, { method: 'POST', body: JSON.stringify(body) });
  assert.equal(res.status, 200, await res.clone().text());
  return res.json();
}

/** Runs a script to its end → {code, out}. */
function run(script, args, env = {}) {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(dir, 'examples', script), ...args], { env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => done({ code, out }));
  });
}

let failures = 0;
async function check(name, body) {
  const started = Date.now();
  try {
    await body();
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (err) {
    failures++;
    console.log(`FAIL ${name}\n${err.stack ?? err}`);
  }
}

const { app_id: appId, key_id: keyId } = await admin('/_emulator/jwt_apps', {
  public_key: keys.publicKey, name: 'Maker',
});
const maker = (extra) => run('maker-setup.mjs', ['--app-id', appId, '--key-id', keyId, '--private-key-file', pkcs1,
  '--base-url', emulator, ...extra]);

let botId;
await check('maker-setup: token → create → publish → streamed chat', async () => {
  const { code, out } = await maker([]);
  assert.equal(code, 0, out);
  assert.match(out, /OK published version 1 to the API channel/);
  assert.match(out, /OK chat: "You said: Hello from the maker setup"/);
  botId = out.match(/READY .* bot id (\d+)/)[1];
});

await check('maker-setup as a config checker: a good configuration passes', async () => {
  const { code, out } = await maker(['--bot-id', botId]);
  assert.equal(code, 0, out);
  assert.match(out, /OK bot: "Device assistant" version 1/);
});

await check('maker-setup as a config checker: names the wrong input', async () => {
  const cases = [
    [['--key-id', 'not-this-apps-key'], /WRONG key id: key_not_of_app/],
    [['--private-key-file', join(dir, 'public.pem')], /WRONG private key: public_key/],
    [['--app-id', '1234'], /WRONG app id: unknown_app/],
    [['--aud', 'api.coze.cn'], /WRONG base URL \/ aud: aud_mismatch/],
    [['--bot-id', '42'], /WRONG bot id/],
  ];
  for (const [args, expected] of cases) {
    // A later flag wins in node:util parseArgs, so each case overrides one input.
    const { code, out } = await maker(args);
    assert.equal(code, 1, out);
    assert.match(out, expected);
    assert.doesNotMatch(out, /MII/, 'no key material in the output');
  }
});

await check('jwt-server: mints tokens for a static page', async () => {
  const child = spawn(process.execPath, [join(dir, 'examples/jwt-server.mjs')], {
    env: { ...process.env, COZE_APP_ID: appId, COZE_KEY_ID: keyId, COZE_PRIVATE_KEY: readFileSync(pkcs1, 'utf8').replaceAll('\n', '\\n'),
      COZE_BASE_URL: emulator, PORT: '0', ALLOW_ORIGIN: 'http://127.0.0.1:5173' },
  });
  try {
    const url = await new Promise((found, failed) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = out.match(/JWT_SERVER_URL=(\S+)/);
        if (m) found(m[1]);
      });
      child.on('exit', (code) => failed(new Error(`jwt-server exited (${code}): ${out}`)));
    });
    const res = await fetch(`${url}/token?session=visitor-1`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://127.0.0.1:5173');
    const token = await res.json();
    assert.match(token.access_token, /^czs_/);
    assert.ok(token.expires_in > Date.now() / 1000);
    const me = await (await fetch(`${emulator}/v1/users/me`, { headers: { authorization: `Bearer ${token.access_token}` } })).json();
    assert.equal(me.code, 0, JSON.stringify(me));
    assert.equal((await fetch(`${url}/other`)).status, 404);
  } finally {
    child.kill('SIGTERM');
  }
});

// The two .wasm builds: pages get the one without the JWT and web flows (web/, what the size gate
// counts); Node's entry and coze-wasm/server get the server build with them, and the JWT flow's
// driver (server/flows.js), which the page snippet leaves out.
await check('the page build has no JWT or web flow and says where they are; coze-wasm/server has them', async () => {
  // One process each: a module instance binds one .wasm.
  const attempt = (entry, init) => new Promise((done) => {
    const code = `import * as m from ${JSON.stringify(join(root, 'pkg', entry))};
      import { readFileSync } from 'node:fs';
      ${init}
      const e = await m.getJWTToken({ appId: '1', keyid: 'k', aud: 'api.coze.cn', privateKey: 'not a key' }).catch((e) => e);
      let web;
      try {
        web = m.getWebAuthenticationUrl({ clientId: 'c', redirectUrl: 'https://app.example/cb' }).url;
      } catch (w) {
        web = { code: w.code, message: w.message };
      }
      console.log(JSON.stringify({ code: e.code, reason: e.reason, message: e.message, web }));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code]);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', () => done(JSON.parse(out)));
  });
  const wasm = (dir) => JSON.stringify(join(root, 'pkg', dir, 'coze_wasm_bg.wasm'));
  const page = await attempt('index.js', `m.initSync({ module: readFileSync(${wasm('web')}) });`);
  assert.equal(page.code, 'JWT_IN_BROWSER');
  assert.match(page.message, /page build.*coze-wasm\/server/);
  assert.equal(page.web.code, 'SECRET_IN_BROWSER');
  assert.match(page.web.message, /page build.*coze-wasm\/server/);
  const server = await attempt('server.js', `await m.default({ module_or_path: readFileSync(${wasm('server')}) });`);
  assert.deepEqual([server.code, server.reason], ['INVALID_ARGUMENT', 'key_not_pem']); // it reads the key
  assert.match(server.web, /^https:\/\/www\.coze\.com\/api\/permission\/oauth2\/authorize\?/);
  const node = await attempt('node.js', '');
  assert.deepEqual([node.code, node.reason], ['INVALID_ARGUMENT', 'key_not_pem']);
  assert.match(node.web, /^https:\/\/www\.coze\.com\//);
});

if (failures) {
  console.log(`${failures} example check(s) failed`);
  process.exit(1);
}
console.log('examples: all checks passed');
