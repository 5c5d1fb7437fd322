// Copied next to every consumer's entry as ./checks.js: uses the package the way an app does and
// returns what happened. tests/consumers/run.mjs asserts the exact values — nothing is judged here,
// so a consumer cannot pass by swallowing an error. Runs in pages, workers and Node alike.

export const CLIENT_ID = 'demo-client.app.coze';
export const PAT = 'pat_emulator_demo';
export const ECHO_BOT = '7000000000000000001';

/**
 * lib: the named imports the consumer took from coze-wasm (named, so bundlers tree-shake as in an app).
 * env: {emulatorUrl, message, redirectUrl}.
 */
export async function runChecks(lib, { emulatorUrl, message, redirectUrl }) {
  const {
    getPKCEAuthenticationUrl, calculatePKCECodeChallenge, parseAuthorizationCallback, getPKCEOAuthToken,
    CozeAPI, CozeError, ChatEventType, COZE_CN_BASE_URL, getWebAuthenticationUrl,
  } = lib;
  const out = { constants: { COZE_CN_BASE_URL, DELTA: ChatEventType.CONVERSATION_MESSAGE_DELTA } };

  // 1. The PKCE authorize URL, pointed at the emulator's www role.
  const auth = await getPKCEAuthenticationUrl({ clientId: CLIENT_ID, redirectUrl, baseURL: emulatorUrl, wwwURL: emulatorUrl });
  out.auth = { url: auth.url, state: auth.state, codeVerifier: auth.codeVerifier, challenge: calculatePKCECodeChallenge(auth.codeVerifier) };

  // 2. The emulator approves it (as the consent page would) and the code is exchanged with the verifier.
  const approved = await fetch(`${emulatorUrl}/_emulator/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url: auth.url, decision: 'allow' }),
  }).then((r) => r.json());
  const callback = parseAuthorizationCallback(approved.location, auth.state);
  const token = await getPKCEOAuthToken(
    { code: callback.code, clientId: CLIENT_ID, redirectUrl, codeVerifier: auth.codeVerifier, baseURL: emulatorUrl }, {});
  out.token = { accessPrefix: String(token.access_token).slice(0, 4), refreshType: typeof token.refresh_token, expiresIn: token.expires_in };

  // 3. Errors are the exported CozeError class (one snippet module, not two copies).
  try {
    calculatePKCECodeChallenge('too-short');
    out.error = { thrown: false };
  } catch (err) {
    out.error = { thrown: true, isCozeError: err instanceof CozeError, isError: err instanceof Error, code: err.code };
  }

  // 4. The PAT guard: refused in a page or a worker unless opted in.
  try {
    new CozeAPI({ token: PAT, baseURL: emulatorUrl });
    out.patWithoutOptIn = 'allowed';
  } catch (err) {
    out.patWithoutOptIn = err.code || String(err);
  }

  // 4b. The web flow holds a client secret: for servers only, refused in a page or a worker.
  try {
    getWebAuthenticationUrl({ clientId: CLIENT_ID, redirectUrl, baseURL: emulatorUrl });
    out.webFlow = 'allowed';
  } catch (err) {
    out.webFlow = err.code || String(err);
  }

  // 4c. The JWT flow (given by the worker and Node consumers): refused in a page or worker, before
  // any request; in Node its driver (server/flows.js, loaded by the node entry) reads the key.
  if (lib.getJWTToken) {
    try {
      await lib.getJWTToken({ appId: '1', keyid: 'k', aud: 'api.coze.cn', privateKey: 'x', baseURL: emulatorUrl });
      out.jwtHere = 'allowed';
    } catch (err) {
      out.jwtHere = err.reason ? `${err.code}/${err.reason}` : err.code || String(err);
    }
  }

  // 5. A streamed chat with the Echo bot.
  const client = new CozeAPI({ token: PAT, baseURL: emulatorUrl, allowPersonalAccessTokenInBrowser: true });
  const events = [];
  let deltas = '';
  let deltaCount = 0;
  let answer = null;
  let done = null;
  for await (const part of client.chat.stream({
    bot_id: ECHO_BOT,
    additional_messages: [{ role: 'user', content: message, content_type: 'text' }],
  })) {
    if (events[events.length - 1] !== part.event) events.push(part.event);
    if (part.event === ChatEventType.CONVERSATION_MESSAGE_DELTA) {
      deltas += part.data.content;
      deltaCount += 1;
    } else if (part.event === ChatEventType.CONVERSATION_MESSAGE_COMPLETED && part.data.type === 'answer') {
      answer = part.data.content;
    } else if (part.event === ChatEventType.DONE) {
      done = part.data;
    }
  }
  out.chat = { events, deltas, deltaCount, answer, done };
  return out;
}

/**
 * Runs the checks and never throws: {ok: true, result} or {ok: false, error}. `lib` may be a function
 * resolving the named imports (e.g. after `await init()`), so a failing init is reported too.
 */
export async function settle(lib, env) {
  try {
    return { ok: true, result: await runChecks(typeof lib === 'function' ? await lib() : lib, env) };
  } catch (err) {
    return { ok: false, error: `${err && err.name}: ${err && err.message}${err && err.code ? ` [${err.code}]` : ''}` };
  }
}

/** In a page: the environment from the query string (?emulator=&message=). */
export function pageEnv() {
  const q = new URLSearchParams(location.search);
  return { emulatorUrl: q.get('emulator'), message: q.get('message'), redirectUrl: `${location.origin}/` };
}

/** In a page: hands {name: outcome} to the runner (window.__consumerResult) and shows it. */
export function publish(outcomes) {
  globalThis.__consumerResult = outcomes;
  if (globalThis.document) document.getElementById('result').textContent = JSON.stringify(outcomes, null, 2);
}

/**
 * In a page: runs the checks in `worker` and resolves its outcome. The worker says when it is ready
 * first: a module worker whose imports use top-level await (coze-wasm/auto does) sets its onmessage
 * only after the wasm is instantiated, and a message posted before that is dropped.
 */
export function runInWorker(worker, env) {
  return new Promise((resolve) => {
    worker.onmessage = (e) => {
      if (e.data && e.data.ready) worker.postMessage(env);
      else resolve(e.data);
    };
    worker.onerror = (e) => resolve({ ok: false, error: `worker error: ${e.message || 'failed to load'}` });
  });
}

/** In a worker: answers one {emulatorUrl, message, redirectUrl} message with the outcome. */
export function serveChecks(lib) {
  self.onmessage = async (e) => self.postMessage(await settle(lib, e.data));
  self.postMessage({ ready: true });
}
