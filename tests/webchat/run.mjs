// webChatAuth(tokenManager) against a stand-in for Coze's Web Chat SDK (the official one loads from
// Coze's CDN, unreachable here). The stand-in follows the SDK's documented `auth` contract:
// `{type: 'token', token, onRefreshToken}` — it sends `token` as the bearer, and when the API
// refuses it (HTTP 401 or code 4100) it calls `onRefreshToken()` once and retries with the result.
// Node, the built package (pkg/node.js), the emulator ($EMULATOR_URL or started here).
//   node tests/webchat/run.mjs
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { useEmulator } from '../e2e/lib/emulator.mjs';
import { assert, assertEqual, createRunner } from '../e2e/lib/harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PKG = path.resolve(ROOT, process.env.COZE_WASM_PKG_DIR || 'pkg');
const CLIENT_ID = 'demo-client.app.coze';
const REDIRECT = 'http://127.0.0.1:1/callback';
const ECHO_BOT = '7000000000000000001';

/** What the SDK does with `auth`, reduced to one chat call. */
class StandInWebChatClient {
  constructor({ config, auth }, baseURL) {
    if (!auth || auth.type !== 'token' || typeof auth.token !== 'string' || typeof auth.onRefreshToken !== 'function') {
      throw new Error('auth must be {type: "token", token: string, onRefreshToken: function}');
    }
    this.config = config;
    this.auth = auth;
    this.token = auth.token;
    this.baseURL = baseURL;
    this.refreshCalls = 0;
  }

  async ask(text) {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${this.baseURL}/v3/chat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          bot_id: this.config.bot_id, user_id: 'web-chat-user', stream: false,
          additional_messages: [{ role: 'user', content: text, content_type: 'text' }],
        }),
      });
      const body = await res.json();
      if ((res.status === 401 || body.code === 4100) && attempt === 0) {
        this.refreshCalls++;
        this.token = await this.auth.onRefreshToken();
        continue;
      }
      return { status: res.status, code: body.code };
    }
  }
}

async function main() {
  const api = await import(pathToFileURL(path.join(PKG, 'node.js')).href);
  const emulator = await useEmulator(ROOT);
  const EMU = emulator.url;
  const runner = createRunner({ label: 'webChatAuth' });
  const post = (p, body) => fetch(`${EMU}${p}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  }).then((r) => r.json());
  const refreshes = async () => (await fetch(`${EMU}/_emulator/stats?client_id=${CLIENT_ID}`).then((r) => r.json())).token_requests.refresh_token;
  const login = async () => {
    const { url, codeVerifier } = await api.getPKCEAuthenticationUrl({ clientId: CLIENT_ID, redirectUrl: REDIRECT, baseURL: EMU, wwwURL: EMU });
    const { location } = await post('/_emulator/authorize', { url, decision: 'allow' });
    const code = new URL(location).searchParams.get('code');
    return api.getPKCEOAuthToken({ code, clientId: CLIENT_ID, redirectUrl: REDIRECT, codeVerifier, baseURL: EMU });
  };
  const rejects = async (promise) => {
    try {
      await promise;
    } catch (err) {
      return err;
    }
    throw new Error('expected a rejection');
  };
  const manager = new api.TokenManager({ clientId: CLIENT_ID, baseURL: EMU });
  try {
    await runner.test('refuses what is not a TokenManager, and a manager with no login', async () => {
      for (const bad of [undefined, null, {}, 'czu_token', { getAccessToken: () => 'x' }]) {
        assertEqual((await rejects(api.webChatAuth(bad))).code, 'INVALID_ARGUMENT', `webChatAuth(${JSON.stringify(bad)})`);
      }
      assertEqual((await rejects(api.webChatAuth(manager))).code, 'NOT_LOGGED_IN', 'no token yet');
    });

    let auth;
    let sdk;
    await runner.test('the initial token: the SDK chats with the logged-in user\'s access token', async () => {
      const token = await login();
      await manager.setToken(token);
      auth = await api.webChatAuth(manager);
      assertEqual(auth.type, 'token', 'auth.type');
      assertEqual(auth.token, token.access_token, 'auth.token is the current access token');
      sdk = new StandInWebChatClient({ config: { bot_id: ECHO_BOT }, auth }, EMU);
      const before = await refreshes();
      assertEqual(JSON.stringify(await sdk.ask('hello')), '{"status":200,"code":0}', 'the chat call');
      assertEqual(sdk.refreshCalls, 0, 'no refresh needed');
      assertEqual(await refreshes(), before, 'no token request');
    });

    await runner.test('onRefreshToken on expiry: one refresh, the new token, the SDK goes on', async () => {
      const old = (await manager.getToken()).access_token;
      assertEqual((await post('/_emulator/expire', { access_token: old })).expired, 1, 'expired at the emulator');
      const before = await refreshes();
      assertEqual(JSON.stringify(await sdk.ask('after expiry')), '{"status":200,"code":0}', 'the chat call after the refresh');
      assertEqual(sdk.refreshCalls, 1, 'onRefreshToken called once');
      assertEqual(await refreshes(), before + 1, 'one refresh at the server');
      const now = (await manager.getToken()).access_token;
      assert(now !== old, 'a new access token');
      assertEqual(sdk.token, now, 'the SDK got the manager\'s new token');
      assertEqual(auth.token, now, 'auth.token follows');
      // Two calls at once (e.g. two widgets) share one refresh; a later call with no expiry in
      // between still refreshes (the SDK only asks when its token was refused).
      const [a, b] = await Promise.all([auth.onRefreshToken(), auth.onRefreshToken()]);
      assertEqual(a, b, 'both calls resolve the same token');
      assertEqual(await refreshes(), before + 2, 'one refresh for the two calls');
      sdk.token = a; // what the SDK holds after asking
    });

    await runner.test('a refused refresh: onRefreshToken rejects with the CozeError and the manager signs out', async () => {
      const t = await manager.getToken();
      await post('/_emulator/expire', { access_token: t.access_token, refresh_token: t.refresh_token });
      const err = await rejects(sdk.ask('after the session ended'));
      assertEqual(err.code, 'OAUTH_TOKEN_ERROR', 'the SDK sees the refusal');
      assert(err instanceof api.CozeError, 'a CozeError');
      assertEqual(await manager.getToken(), null, 'the manager forgot the dead login');
      assertEqual((await rejects(auth.onRefreshToken())).code, 'NOT_LOGGED_IN', 'and says so afterwards');
    });
  } finally {
    await emulator.stop();
  }
  return runner.summary() ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (err) => {
  console.error(`webchat: ${(err && err.stack) || err}`);
  process.exitCode = 1;
});
