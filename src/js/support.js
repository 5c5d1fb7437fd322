// The driver of coze-wasm, pulled in as a wasm-bindgen snippet. The wasm is sans-IO: `core` (a
// wasm Core) decides what to send, how to read each reply, when to refresh and which error it is;
// this performs the fetches, awaits, body reads, storage calls and locks it is told to.

export const COZE_CN_BASE_URL = 'https://api.coze.cn';
export const COZE_COM_BASE_URL = 'https://api.coze.com';

// Same keys and values as @coze/api.
export const ChatEventType = Object.freeze({
  CONVERSATION_CHAT_CREATED: 'conversation.chat.created',
  CONVERSATION_CHAT_IN_PROGRESS: 'conversation.chat.in_progress',
  CONVERSATION_CHAT_COMPLETED: 'conversation.chat.completed',
  CONVERSATION_CHAT_FAILED: 'conversation.chat.failed',
  CONVERSATION_CHAT_REQUIRES_ACTION: 'conversation.chat.requires_action',
  CONVERSATION_MESSAGE_DELTA: 'conversation.message.delta',
  CONVERSATION_MESSAGE_COMPLETED: 'conversation.message.completed',
  CONVERSATION_AUDIO_DELTA: 'conversation.audio.delta',
  DONE: 'done',
  ERROR: 'error',
});

export const ChatStatus = Object.freeze({
  CREATED: 'created',
  IN_PROGRESS: 'in_progress',
  COMPLETED: 'completed',
  FAILED: 'failed',
  REQUIRES_ACTION: 'requires_action',
  CANCELED: 'canceled',
  UNKNOWN: 'unknown',
});

export const RoleType = Object.freeze({ User: 'user', Assistant: 'assistant' });

/** Every error this library throws. `code` is a stable string (see the README's table). */
export class CozeError extends Error {
  constructor(code, message, details) {
    super(message);
    this.name = 'CozeError';
    this.code = code;
    if (details) {
      for (const key of Object.keys(details)) {
        if (details[key] !== undefined) this[key] = details[key];
      }
    }
  }
}
// The class's own name, also where a minifier renames the binding (the package's snippet is).
Object.defineProperty(CozeError, 'name', { value: 'CozeError' });

export function createError(code, message, status, cozeCode, msg, logid, error, errorDescription, raw) {
  return new CozeError(code, message, {
    status, cozeCode, msg, logid, error, error_description: errorDescription, raw,
  });
}

/** The wasm's decisions (a Core): the wasm hands it over when it starts (`start` in src/lib.rs). */
let core;
export const setCore = (c) => { core = c; };
/** The Core; before init() has instantiated the wasm, an error that says so. */
const wasm = () => {
  if (!core) throw new Error('coze-wasm is not initialised: await init() first (or import coze-wasm/auto)');
  return core;
};

/** The wasm's answer to `op` with `input` (JSON text): the value, or the CozeError it decided on. */
function ask(op, input) {
  const out = JSON.parse(wasm().run(op, input));
  if (!out.e) return out.v;
  const e = out.e;
  throw new CozeError(e.code, e.message, {
    status: e.status, cozeCode: e.cozeCode, msg: e.msg, logid: e.logid, error: e.error,
    error_description: e.error_description, raw: e.raw, reason: e.reason,
  });
}

const run = (op, args) => ask(op, JSON.stringify(args));

/** The error the wasm names for a rejected fetch or body read (ABORTED or NETWORK). */
function fetchFailed(signal, err, url) {
  try {
    run('fetchFailed', { aborted: isAborted(signal, err), cause: describeValue(err), url });
  } catch (failure) {
    return failure;
  }
}

const fail = (code, message) => new CozeError(code, message);
/** `instanceof CozeError` that never throws (a revoked Proxy, a getPrototypeOf trap). */
const isCozeError = (value) => {
  try {
    return value instanceof CozeError;
  } catch {
    return false;
  }
};
const invalid = (message) => fail('INVALID_ARGUMENT', message);
const notLoggedIn = () => fail('NOT_LOGGED_IN', 'no token: log in first');

// ------------------------------------------------------------------------------ arguments
// The caller's objects are read defensively: a throwing getter, a Proxy trap or a revoked Proxy is
// INVALID_ARGUMENT, never an exception from deep inside.

const isArray = (value) => {
  try {
    return Array.isArray(value);
  } catch {
    return true; // a revoked Proxy cannot be read as an object either
  }
};

const REQUIRED = 1;
const NOT_BLANK = 2;

/** An options object reader; `optional` reads `undefined` / `null` as `{}`. */
function reader(where, value, optional) {
  if (value == null && optional) value = {};
  else if (typeof value !== 'object' || value === null || isArray(value)) {
    throw invalid(`${where}: expected an options object`);
  }
  const bad = (key, why) => invalid(`${where}: \`${key}\` ${why}`);
  const get = (key) => {
    let v;
    try {
      v = value[key];
    } catch {
      throw bad(key, 'could not be read');
    }
    return v == null ? undefined : v;
  };
  return {
    get,
    bad,
    /** A string; `mode` REQUIRED (and not blank) or NOT_BLANK (when given). */
    text(key, mode) {
      const v = get(key);
      if (v === undefined) {
        if (mode === REQUIRED) throw bad(key, 'is required');
        return undefined;
      }
      if (typeof v !== 'string') throw bad(key, 'must be a string');
      const problem = textProblem(v);
      if (problem) throw bad(key, problem === 1 ? 'is too long' : 'is not valid Unicode');
      if (mode && !v.trim()) throw bad(key, 'must not be empty');
      return v;
    },
    number(key) {
      const v = get(key);
      if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) {
        throw bad(key, 'must be a finite number ≥ 0');
      }
      return v;
    },
    bool(key) {
      const v = get(key);
      if (v !== undefined && typeof v !== 'boolean') throw bad(key, 'must be a boolean');
      return v;
    },
    signal() {
      const v = get('signal');
      if (v !== undefined && !isAbortSignal(v)) throw bad('signal', 'must be an AbortSignal');
      return v;
    },
  };
}

const signalOf = (options) => reader('request options', options, true).signal();

// ------------------------------------------------------------------------------ the request path

const isAborted = (signal, err) => !!(signal && signal.aborted) || (err != null && err.name === 'AbortError');

/** The caller's headers plus the Authorization of this request. */
function requestHeaders(headers, auth) {
  let h;
  try {
    h = new Headers(headers);
  } catch {
    throw invalid('an invalid header name or value in `headers`');
  }
  if (auth) h.set('authorization', auth);
  return h;
}

/** fetch; its rejection becomes ABORTED or NETWORK. */
async function send(req, auth, signal, headers) {
  if (signal && signal.aborted) throw fetchFailed(signal, null, req.url);
  const h = requestHeaders(headers, auth);
  if (req.body !== undefined) h.set('content-type', 'application/json');
  try {
    return await fetch(req.url, { method: req.method, headers: h, body: req.body, signal });
  } catch (err) {
    throw fetchFailed(signal, err, req.url);
  }
}

async function readText(res, url, signal) {
  try {
    return await res.text();
  } catch (err) {
    throw fetchFailed(signal, err, url);
  }
}

const logidOf = (res) => res.headers.get('x-tt-logid') || undefined;

/** A token endpoint call (code exchange, refresh) → the token. */
async function tokenCall(req, signal) {
  const res = await send(req, req.auth, signal); // auth: a web app's `Bearer <client_secret>`
  const body = await readText(res, req.url, signal);
  return run('token', { status: res.status, logid: logidOf(res), body, now: nowSeconds() });
}

/**
 * The one API request path: token → Authorization → fetch → the wasm reads the reply (on a 401 with
 * a refreshable token source: one refresh and one retry) → the envelope's data, or the live
 * response of an event stream.
 */
async function call(client, endpoint, a, b, options, stream, file) {
  const signal = signalOf(options);
  const req = ask('request', paramsJson({ endpoint, baseURL: client.baseURL, userId: client.userId, args: [a, b] }));
  let rejected;
  for (;;) {
    const auth = client.bearer(await client.token(rejected));
    const res = file ? await sendFile(req, auth, signal, client.headers, file) : await send(req, auth, signal, client.headers);
    if (stream && run('streamReady', { status: res.status, type: res.headers.get('content-type') })) return res;
    const body = await readText(res, req.url, signal);
    const canRetry = client.canRefresh && rejected === undefined;
    if (run('reply', { status: res.status, logid: logidOf(res), body, canRetry, stream })) {
      rejected = auth.slice(7); // the refused access token
      continue;
    }
    const reply = JSON.parse(body);
    if (req.pick === 'data') return reply.data;
    const out = {};
    for (const key of req.pick.split(' ')) out[key] = reply[key];
    return out;
  }
}

/** JSON of a value JSON cannot carry faithfully (the wasm refuses it wherever it meets it). */
const NOT_JSON = { '\u0000coze-wasm:not-JSON': 0 };

/**
 * The caller's params as JSON for the wasm. What JSON would silently change — NaN, Infinity, a
 * function, a symbol, a Date, a boxed primitive, a Map, a typed array — becomes NOT_JSON instead,
 * so it is refused (INVALID_ARGUMENT), never sent as something else; a throwing getter, a Proxy
 * trap, a cycle or a BigInt is INVALID_ARGUMENT too.
 */
function paramsJson(value) {
  try {
    return JSON.stringify(value, function (key, v) {
      if (v === undefined) return this[key] === undefined ? v : NOT_JSON; // a toJSON that gave nothing
      if (typeof v === 'number') return Number.isFinite(v) ? v : NOT_JSON;
      if (typeof v === 'function' || typeof v === 'symbol') return NOT_JSON;
      if (typeof v === 'string') return typeof this[key] === 'string' ? v : NOT_JSON; // a Date's toJSON
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
        if (Object.prototype.toString.call(v) !== '[object Object]') return NOT_JSON; // Map, Error, a buffer…
      }
      return v;
    });
  } catch (err) {
    throw invalid(`params are not serializable to JSON (${describeValue(err)})`);
  }
}

// ------------------------------------------------------------------------------ CozeAPI

// Endpoint numbers of the wasm's endpoint table (src/web/endpoints.rs).
const CHAT_STREAM = 0;
const CHAT_CREATE = 1;
const CHAT_RETRIEVE = 2;
const CHAT_MESSAGES = 4;

function newClient(options) {
  const r = reader('new CozeAPI', options);
  const baseURL = run('baseUrl', { baseURL: r.text('baseURL'), insecure: r.bool('allowInsecureHttp') });
  const allowPat = r.bool('allowPersonalAccessTokenInBrowser') || false;
  const token = r.get('token');
  let source;
  let canRefresh = false;
  if (typeof token === 'string') {
    r.text('token', REQUIRED);
    try {
      run('bearer', { token, allowPat, inBrowser: isBrowser() });
    } catch (err) {
      if (err.code === 'PAT_IN_BROWSER') throw err; // refused now, not at first use; the rest per request
    }
    source = () => token;
  } else if (typeof token === 'function') {
    source = () => token();
  } else if (token && typeof reader('token', token).get('getAccessToken') === 'function') {
    canRefresh = true;
    source = (rejected) => (rejected === undefined ? token.getAccessToken() : token.refresh(rejected));
  } else {
    throw r.bad('token', 'must be a string, a function returning a token, or a TokenManager');
  }
  const headers = [];
  const extra = r.get('headers');
  if (extra !== undefined) {
    const hr = reader('new CozeAPI: headers', extra);
    let names;
    try {
      names = Object.keys(extra);
    } catch {
      throw r.bad('headers', 'could not be read');
    }
    for (const name of names) {
      if (hr.get(name) === undefined) throw r.bad('headers', 'must map header names to strings');
      headers.push([name, hr.text(name)]);
    }
  }
  const client = {
    baseURL,
    allowPat,
    canRefresh,
    headers,
    userId: run('userId', {}),
    /** The Authorization header for what the token source gave (checked on every request). */
    bearer(given) {
      let token;
      try {
        token = typeof given === 'string' ? given : given != null ? given.access_token : undefined;
      } catch {} // an unreadable object is no token
      return run('bearer', { token: typeof token === 'string' ? token : undefined, allowPat, inBrowser: isBrowser() });
    },
    async token(rejected) {
      try {
        return await source(rejected);
      } catch (err) {
        throw isCozeError(err) ? err : fail('NOT_LOGGED_IN', `the token source failed: ${describeValue(err)}`);
      }
    },
  };
  // `n` leading arguments go to the endpoint; the next one is `{signal}`.
  const api = (endpoint, n) => (...args) => call(client, endpoint, args[0], n > 1 ? args[1] : undefined, args[n]);
  return {
    baseURL,
    chat: {
      stream(params, options) {
        let signal;
        try {
          signal = signalOf(options);
        } catch {} // reported by the first iteration
        return chatIterable(wasm().engine(), () => call(client, CHAT_STREAM, params, undefined, options, true), signal);
      },
      create: api(CHAT_CREATE, 1),
      async createAndPoll(params, options) {
        const r = reader('chat.createAndPoll', options, true);
        const signal = r.signal();
        const interval = Math.max(r.number('pollIntervalMs') ?? 500, 10);
        const timeout = r.number('timeoutMs') ?? 300000;
        let chat = await call(client, CHAT_CREATE, params, undefined, options);
        const ids = [chat && chat.conversation_id, chat && chat.id];
        const started = Date.now();
        while (!run('terminal', { status: chat && chat.status })) {
          if (Date.now() - started > timeout) run('timeout', { ms: Math.trunc(timeout) });
          try {
            await sleep(interval, signal);
          } catch (err) {
            throw fetchFailed(signal, err, '');
          }
          chat = await call(client, CHAT_RETRIEVE, ids[0], ids[1], options);
        }
        return { chat, messages: await call(client, CHAT_MESSAGES, ids[0], ids[1], options) };
      },
      retrieve: api(CHAT_RETRIEVE, 2),
      cancel: api(3, 2),
      messages: { list: api(CHAT_MESSAGES, 2) },
    },
    conversations: {
      create: api(5, 1),
      retrieve: api(6, 1),
      messages: { list: api(7, 2) },
    },
    bots: {
      list: api(8, 1), listNew: api(9, 1),
      create: api(14, 1), update: api(15, 1), publish: api(16, 1), retrieve: api(17, 1),
    },
    workspaces: { list: api(10, 1) },
    users: { me: api(11, 0) },
    files: {
      upload: (params, options) => uploadFile(client, params, options),
      retrieve: api(FILES_RETRIEVE, 1),
    },
  };
}

// ------------------------------------------------------------------------------ files

const FILES_UPLOAD = 12;
const FILES_RETRIEVE = 13;

/** A brand-checked getter of a platform class (`undefined` where the class is missing). */
const platformGetter = (cls, name) => (typeof cls === 'function' ? Object.getOwnPropertyDescriptor(cls.prototype, name).get : undefined);
const blobSize = platformGetter(globalThis.Blob, 'size');
const fileName = platformGetter(globalThis.File, 'name');

/** `getter.call(value)`, or undefined when `value` is not of the getter's class. */
function branded(getter, value) {
  if (!getter) return undefined;
  try {
    return getter.call(value);
  } catch {
    return undefined;
  }
}

/**
 * `client.files.upload({file, name?}, {signal?, onProgress?})`. `file`: a Blob or File (`name`
 * defaults to the File's name) or a Uint8Array (copied at the call; `name` required). The wasm
 * checks size and name and reads the reply, through the one request path (`call`).
 */
async function uploadFile(client, params, options) {
  const o = reader('files.upload options', options, true);
  const signal = o.signal();
  const onProgress = o.get('onProgress');
  if (onProgress !== undefined && typeof onProgress !== 'function') throw o.bad('onProgress', 'must be a function');
  const r = reader('files.upload', params);
  const given = r.get('file');
  let name = r.text('name');
  let blob;
  if (branded(blobSize, given) !== undefined) {
    blob = given;
    name = name ?? branded(fileName, given);
  } else {
    const length = byteLength(given);
    if (length === -2) throw r.bad('file', 'is a Uint8Array whose buffer was detached (transferred)');
    if (length < 0) throw r.bad('file', 'must be a File, a Blob or a Uint8Array');
    if (typeof Blob !== 'function') throw fail('INVALID_ARGUMENT', 'files.upload needs Blob (Node ≥ 20, any browser)');
    blob = new Blob([new Uint8Array(given)]);
  }
  const file = { blob, name, onProgress };
  return call(client, FILES_UPLOAD, { file_name: name, bytes: blob.size }, undefined, { signal }, false, file);
}

/**
 * Sends `file` as multipart/form-data (field `file`). XMLHttpRequest where there is one (pages,
 * workers) reports upload progress as it goes; fetch (Node) reports only the start and the end.
 * Progress is in bytes of the file: `{loaded, total}`, `total` = its size. Resolves to what
 * `call` reads from a fetch Response: status, headers.get, text().
 */
async function sendFile(req, auth, signal, headers, file) {
  if (signal && signal.aborted) throw fetchFailed(signal, null, req.url);
  const h = requestHeaders(headers, auth);
  const form = new FormData();
  form.append('file', file.blob, file.name);
  const total = file.blob.size;
  let last = -1;
  let settled = false;
  const report = (loaded) => {
    if (!file.onProgress || settled || loaded <= last) return;
    last = loaded;
    try {
      file.onProgress({ loaded, total });
    } catch (err) {
      // The listener's own bug: shown where the platform reports errors, and it breaks no upload.
      if (typeof globalThis.reportError === 'function') globalThis.reportError(err);
    }
  };
  report(0);
  if (typeof XMLHttpRequest !== 'function') {
    let res;
    try {
      res = await fetch(req.url, { method: req.method, headers: h, body: form, signal });
    } catch (err) {
      settled = true;
      throw fetchFailed(signal, err, req.url);
    }
    if (res.ok) report(total);
    settled = true;
    return res;
  }
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const onAbort = () => xhr.abort();
    const finish = (settle, value) => {
      if (settled) return;
      settled = true;
      if (signal) signal.removeEventListener('abort', onAbort);
      settle(value);
    };
    try {
      xhr.open(req.method, req.url);
      h.forEach((value, key) => xhr.setRequestHeader(key, value));
    } catch (err) {
      return finish(reject, invalid(`the upload could not be started: ${describeValue(err)}`));
    }
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) report(Math.min(total, Math.floor((e.loaded / e.total) * total)));
    };
    xhr.upload.onload = () => report(total);
    xhr.onload = () => finish(resolve, {
      status: xhr.status,
      headers: { get: (key) => xhr.getResponseHeader(key) },
      text: async () => xhr.responseText,
    });
    const failed = (why) => () => finish(reject, fetchFailed(signal, why, req.url));
    xhr.onerror = failed(new TypeError('the upload failed (XMLHttpRequest error)'));
    xhr.ontimeout = xhr.onerror;
    xhr.onabort = failed({ name: 'AbortError', message: 'the upload was aborted' });
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
    xhr.send(form);
  });
}

// ------------------------------------------------------------------------------ chat stream

/** A chat event cut out of a batch; chatIterable parses its data when it yields it. */
class Unparsed {
  constructor(event, raw, strict) {
    this.event = event;
    this.raw = raw;
    this.strict = strict;
  }
}

/** The most bytes handed to the wasm per call. The wasm's chunk buffer keeps the size of the
 *  largest chunk, and a read can be several MB (WebKit coalesces what arrived while the page was
 *  busy), so a big read is fed in slices: memory follows the largest event, not the read size. */
const FEED_MAX = 1 << 20;

// The engine's operations: `engine.step(kind, a, b)` (src/web/stream.rs, `step`, same numbers).
const FEED = 0;
const END = 1;
const CHECK = 2;
const OPENED = 3;
const FAIL = 4;
const MALFORMED = 5;
const CANCEL = 6;

/**
 * The async iterable over one chat stream. This pumps the body reader; the wasm engine turns each
 * chunk into finished iterator results in one synchronous call; `next()` serves them from a queue.
 * The request starts on the first iteration; `break` cancels it.
 */
function chatIterable(engine, open, signal) {
  let ready = [];
  let head = 0;
  let reader = null;
  let rest = null; // the part of a read not fed yet (see FEED_MAX)
  let chain = null;
  let closed = false;
  const close = () => {
    closed = true;
    rest = null;
    engine.step(CANCEL);
    if (reader) reader.cancel().catch(() => {}); // rejects after an abort; nobody waits for it
    reader = null;
  };
  // An event's JSON is parsed when it is yielded, so a chunk's first event waits for no other's.
  const take = () => {
    const result = ready[head];
    ready[head++] = undefined;
    if (!(result instanceof Unparsed)) return result;
    let data;
    try {
      data = JSON.parse(result.raw);
    } catch {
      if (!result.strict) return { value: { event: result.event, data: result.raw }, done: false };
      ready = [];
      head = 0;
      guarded(() => engine.step(MALFORMED, result.event, result.raw)); // throws
    }
    return { value: { event: result.event, data }, done: false };
  };
  const guarded = (step) => {
    try {
      return step();
    } catch (err) {
      close();
      throw err;
    }
  };
  const pull = async () => {
    for (;;) {
      if (head < ready.length) return take();
      if (guarded(() => engine.step(CHECK)) || closed) {
        close();
        return { done: true, value: undefined };
      }
      if (!reader) {
        let res;
        try {
          res = await open();
        } catch (err) {
          close();
          throw err;
        }
        guarded(() => engine.step(OPENED, logidOf(res), !!res.body));
        if (closed) {
          res.body.cancel().catch(() => {});
          return { done: true, value: undefined };
        }
        reader = res.body.getReader();
        continue;
      }
      let chunk;
      if (rest) {
        chunk = { done: false, value: rest };
        rest = null;
      } else {
        try {
          chunk = await reader.read();
        } catch (err) {
          guarded(() => engine.step(FAIL, isAborted(signal, err), describeValue(err))); // throws
        }
      }
      if (!chunk.done && chunk.value instanceof Uint8Array && chunk.value.length > FEED_MAX) {
        rest = chunk.value.subarray(FEED_MAX);
        chunk = { done: false, value: chunk.value.subarray(0, FEED_MAX) };
      }
      ready = guarded(() => engine.step(chunk.done ? END : FEED, chunk.value));
      head = 0;
      if (reader && ready.finished) {
        reader.cancel().catch(() => {}); // `done` seen: release the connection now
        reader = null;
      }
    }
  };
  return {
    [Symbol.asyncIterator]() { return this; },
    next() {
      if (!chain && head < ready.length) {
        try {
          return Promise.resolve(take());
        } catch (err) {
          return Promise.reject(err);
        }
      }
      // Calls made before the previous one settled run after it, in order.
      const result = chain ? chain.then(pull, pull) : pull();
      chain = result;
      const settle = () => { if (chain === result) chain = null; };
      result.then(settle, settle);
      return result;
    },
    async return(value) {
      ready = [];
      head = 0;
      close();
      return { done: true, value };
    },
  };
}

/**
 * Hot path, one call per chunk (the chat stream and SseParser.feed): `text` is the chunk's events
 * concatenated; `meta` holds per event the UTF-16 lengths of its type and data, then for a chat
 * event 1 when its data must be JSON, for an SSE event 0 when the last-event-ID is unchanged or
 * its length + 1 when a new one follows the data (an ID crosses once, not once per event).
 * Pushes chat events (parsed when yielded) or `{event, data, id}`; returns the ID after the last.
 */
export function records(text, meta, out, id, chat) {
  let at = 0;
  for (let i = 0; i < meta.length; i += 3) {
    const event = text.substring(at, (at += meta[i]));
    const data = text.substring(at, (at += meta[i + 1]));
    if (chat) {
      out.push(new Unparsed(event, data, meta[i + 2] === 1));
      continue;
    }
    if (meta[i + 2]) id = text.substring(at, (at += meta[i + 2] - 1));
    out.push({ event, data, id });
  }
  return id;
}

export function unparsed(event, raw, strict) {
  return new Unparsed(event, raw, strict);
}

export function part(event, data) {
  return { value: { event, data }, done: false };
}

export function sseEvent(event, data, id) {
  return { event, data, id };
}

// ------------------------------------------------------------------------------ OAuth

/** The PKCE start both getPKCEAuthenticationUrl and startLogin use → [url, state, verifier, pending]. */
function startPkce(r, state, method) {
  return run('pkce', {
    clientId: r.text('clientId', REQUIRED), redirectUrl: r.text('redirectUrl', REQUIRED), baseURL: r.text('baseURL'),
    wwwURL: r.text('wwwURL'), workspaceId: r.text('workspaceId'), state, method, now: nowSeconds(),
    insecure: r.bool('allowInsecureHttp'),
  });
}

export async function getPKCEAuthenticationUrl(params) {
  const r = reader('getPKCEAuthenticationUrl', params);
  const [url, state, codeVerifier] = startPkce(r, r.text('state'), r.text('code_challenge_method'));
  return { url, codeVerifier, state };
}

export async function getPKCEOAuthToken(params, options) {
  const r = reader('getPKCEOAuthToken', params);
  const signal = signalOf(options);
  return tokenCall(run('exchange', {
    baseURL: r.text('baseURL'), code: r.text('code', REQUIRED), clientId: r.text('clientId', REQUIRED),
    redirectUrl: r.text('redirectUrl', REQUIRED), codeVerifier: r.text('codeVerifier', REQUIRED),
    insecure: r.bool('allowInsecureHttp'),
  }), signal);
}

export async function refreshOAuthToken(params, options) {
  const r = reader('refreshOAuthToken', params);
  const signal = signalOf(options);
  return tokenCall(run('refresh', {
    baseURL: r.text('baseURL'), refreshToken: r.text('refreshToken', REQUIRED), clientId: r.text('clientId', REQUIRED),
    clientSecret: r.text('clientSecret'), inBrowser: isBrowser(), insecure: r.bool('allowInsecureHttp'),
  }), signal);
}

const PENDING = 'coze-wasm:pkce:';
/** Pending logins claimed in this page: a second completeLogin for one callback is refused at once. */
const claimed = new Set();

/** sessionStorage by default. Not 'memory': a pending login must outlive the redirect. */
function pendingStore(option) {
  if (option === 'memory') throw invalid("storage 'memory' cannot keep a pending login across the redirect");
  return storeOf(option, 'session');
}

export async function startLogin(options) {
  const r = reader('startLogin', options);
  const [url, state, , pending] = startPkce(r);
  const store = pendingStore(r.get('storage'));
  await store.set(PENDING + state, pending);
  return { url, state };
}

export async function completeLogin(options) {
  const r = reader('completeLogin', options, true);
  let url = r.text('url');
  const signal = r.signal();
  // Checked before the exchange: the code is single-use, so a bad manager found after it would
  // lose the login.
  const manager = r.get('tokenManager');
  let setToken;
  if (manager !== undefined) {
    setToken = reader('tokenManager', manager).get('setToken');
    if (typeof setToken !== 'function') throw r.bad('tokenManager', 'has no setToken()');
  }
  const store = pendingStore(r.get('storage'));
  const current = currentLocation();
  url = url ?? current;
  if (url == null) throw r.bad('url', 'is required here (there is no location)');
  // Whatever happens next, code and state leave the address bar (and so the history and Referer).
  if (current === url) replaceLocation(run('strip', { url }));
  let state;
  try {
    state = run('callbackState', { url });
  } catch (err) {
    // A malformed callback (a repeated parameter) still uses up every pending login it names.
    for (const named of run('callbackStates', { url })) await store.remove(PENDING + named);
    throw err;
  }
  const key = PENDING + state;
  // One-time, even for two calls at once: claimed before the first await.
  const first = !claimed.has(key);
  claimed.add(key);
  const pending = first ? await store.get(key) : null;
  await store.remove(key);
  const token = await tokenCall(run('finishLogin', { url, state, pending, now: nowSeconds() }), signal);
  if (setToken) {
    try {
      await setToken.call(manager, token);
    } catch (err) {
      throw fail('STORAGE', `tokenManager.setToken() failed: ${describeValue(err)}`);
    }
  }
  return token;
}

// ------------------------------------------------------------------------------ device code and web flows

const whole = (n) => (n === undefined ? undefined : Math.trunc(n));

export async function getDeviceCode(params, options) {
  const r = reader('getDeviceCode', params);
  const signal = signalOf(options);
  const req = run('deviceCode', {
    baseURL: r.text('baseURL'), clientId: r.text('clientId', REQUIRED), workspaceId: r.text('workspaceId'),
    insecure: r.bool('allowInsecureHttp'),
  });
  const res = await send(req, undefined, signal);
  const body = await readText(res, req.url, signal);
  return run('deviceCodeReply', { status: res.status, logid: logidOf(res), body });
}

/** Polls the token endpoint until the user allows or denies, the code expires, or `signal` fires;
 *  the wasm reads each answer and says how long to wait. */
export async function getDeviceToken(params, options) {
  const r = reader('getDeviceToken', params);
  const signal = signalOf(options);
  const poll = r.bool('poll') ?? true;
  const expiresIn = r.number('expiresIn');
  let [req, interval] = run('deviceToken', {
    baseURL: r.text('baseURL'), clientId: r.text('clientId', REQUIRED), deviceCode: r.text('deviceCode', REQUIRED),
    interval: whole(r.number('interval')), insecure: r.bool('allowInsecureHttp'),
  });
  const deadline = expiresIn === undefined ? undefined : Date.now() + Math.trunc(Math.min(expiresIn, 1e9) * 1000);
  for (;;) {
    const res = await send(req, undefined, signal);
    const body = await readText(res, req.url, signal);
    const step = run('devicePoll', { status: res.status, logid: logidOf(res), body, now: Date.now(), interval, deadline, poll });
    if (step.token) return step.token;
    interval = step.interval;
    try {
      await sleep(step.wait, signal);
    } catch (err) {
      throw fetchFailed(signal, err, req.url);
    }
  }
}

export function getWebAuthenticationUrl(params) {
  const r = reader('getWebAuthenticationUrl', params);
  const [url, state] = run('webUrl', {
    clientId: r.text('clientId', REQUIRED), redirectUrl: r.text('redirectUrl', REQUIRED), baseURL: r.text('baseURL'),
    wwwURL: r.text('wwwURL'), state: r.text('state'), workspaceId: r.text('workspaceId'), inBrowser: isBrowser(),
    insecure: r.bool('allowInsecureHttp'),
  });
  return { url, state };
}

export async function getWebOAuthToken(params, options) {
  const r = reader('getWebOAuthToken', params);
  const signal = signalOf(options);
  return tokenCall(run('webToken', {
    baseURL: r.text('baseURL'), code: r.text('code', REQUIRED), clientId: r.text('clientId', REQUIRED),
    clientSecret: r.text('clientSecret', REQUIRED), redirectUrl: r.text('redirectUrl', REQUIRED),
    inBrowser: isBrowser(), insecure: r.bool('allowInsecureHttp'),
  }), signal);
}

// ------------------------------------------------------------------------------ TokenManager

/** How long a tab that refreshed keeps the "this refresh token was rotated" marker lock. */
const ROTATION_MARKER_MS = 60000;
/** How long a tab that finds that marker waits for the new token to reach its storage. */
const ROTATION_WAIT_MS = 2000;
/** A token request that hangs must not hold the refresh lock (and so every tab) forever. */
const REFRESH_TIMEOUT_MS = 30000;

// Spent refresh tokens, by fingerprint: a rotated refresh token is never sent again, also after the
// marker lock is gone, without Web Locks, or from a duplicated tab holding an old sessionStorage
// copy. Kept in this page, in localStorage (shared by the origin's tabs) and told to open tabs.
const SPENT_KEY = 'coze-wasm:spent';
const SPENT_KEPT = 32;
const spentHere = new Set();
let rotations = null;

function spentStored() {
  try {
    const list = JSON.parse(globalThis.localStorage.getItem(SPENT_KEY));
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

const isSpent = (fingerprint) => spentHere.has(fingerprint) || spentStored().includes(fingerprint);

function markSpent(fingerprint) {
  spentHere.add(fingerprint);
  try {
    const list = spentStored().filter((f) => f !== fingerprint).concat(fingerprint);
    globalThis.localStorage.setItem(SPENT_KEY, JSON.stringify(list.slice(-SPENT_KEPT)));
  } catch {} // no localStorage (Node, a worker, a sandbox): this page and the channel still know
  if (rotations) rotations.postMessage(fingerprint);
}

/** Hears other tabs' rotations (BroadcastChannel), once per page. */
function listenForRotations() {
  if (rotations || typeof BroadcastChannel !== 'function') return;
  rotations = new BroadcastChannel('coze-wasm:rotations');
  rotations.onmessage = (event) => {
    if (typeof event.data === 'string') spentHere.add(event.data);
  };
  if (typeof rotations.unref === 'function') rotations.unref(); // Node: do not keep the process alive
}

/** A token as given to setToken (or read back from storage) → the stored shape. */
function tokenFrom(value) {
  const r = reader('setToken', value);
  const expires = r.get('expires_in');
  if (typeof expires !== 'number' || !Number.isFinite(expires)) throw r.bad('expires_in', 'must be a number');
  const token = {
    access_token: r.text('access_token', REQUIRED),
    refresh_token: r.text('refresh_token', REQUIRED),
    expires_in: Math.trunc(expires),
  };
  const type = r.text('token_type');
  if (type) token.token_type = type;
  return token;
}

class Manager {
  constructor(r) {
    this.clientId = r.text('clientId', REQUIRED);
    this.insecure = r.bool('allowInsecureHttp');
    this.baseURL = run('baseUrl', { baseURL: r.text('baseURL'), insecure: this.insecure });
    this.store = storeOf(r.get('storage'), 'memory');
    this.ahead = r.number('refreshAheadSeconds') ?? 60;
    this.refreshTimeout = r.number('refreshTimeoutMs') ?? REFRESH_TIMEOUT_MS;
    this.key = r.text('storageKey', NOT_BLANK) ?? `coze-wasm:token:${this.clientId}`;
    this.lock = `coze-wasm:refresh:${this.key}`;
    const onChange = r.get('onChange');
    if (onChange !== undefined && typeof onChange !== 'function') throw r.bad('onChange', 'must be a function');
    this.onChange = onChange;
    this.inflight = null;
    listenForRotations();
  }

  async setToken(token) {
    await this.save(tokenFrom(token));
  }

  async getToken() {
    const token = await this.load();
    return token ? { ...token } : null;
  }

  async getAccessToken() {
    const token = await this.load();
    if (!token) throw notLoggedIn();
    if (!run('needsRefresh', { expires: token.expires_in, now: nowSeconds(), ahead: Math.trunc(this.ahead) })) {
      return token.access_token;
    }
    return (await this.refreshFrom(token.refresh_token)).access_token;
  }

  /**
   * Refreshes now (single-flight; joins a refresh already running here or in another tab). With
   * the access token an API refused, a token that already replaced it is returned instead.
   */
  async refresh(rejected) {
    if (rejected != null && (typeof rejected !== 'string' || textProblem(rejected))) {
      throw invalid('refresh: `rejectedAccessToken` must be the refused access token (a string)');
    }
    const current = await this.load();
    if (!current) throw notLoggedIn();
    if (rejected != null && current.access_token !== rejected) return { ...current };
    return { ...(await this.refreshFrom(current.refresh_token)) };
  }

  /** Logout: forgets the token, and this client's pending logins in sessionStorage. */
  async clear() {
    await this.forget();
    let session = null;
    try {
      session = globalThis.sessionStorage || null;
    } catch {}
    if (!session) return;
    for (let i = session.length - 1; i >= 0; i--) {
      const key = session.key(i);
      if (!key || !key.startsWith(PENDING)) continue;
      try {
        if (JSON.parse(session.getItem(key)).client_id === this.clientId) session.removeItem(key);
      } catch {} // not ours to judge
    }
  }

  async load() {
    const text = await this.store.get(this.key);
    if (text == null) return null;
    try {
      return tokenFrom(JSON.parse(text));
    } catch {
      return null;
    }
  }

  async save(token) {
    await this.store.set(this.key, JSON.stringify(token));
    this.changed({ ...token });
  }

  async forget() {
    await this.store.remove(this.key);
    this.changed(null);
  }

  changed(token) {
    const listener = this.onChange;
    // In a microtask: a throwing listener is reported by the runtime and breaks no refresh.
    if (listener) queueMicrotask(() => listener(token));
  }

  /** Joins the refresh in flight in this page, or starts one under the cross-tab lock. */
  refreshFrom(seen) {
    if (!this.inflight) {
      const flight = withLock(this.lock, () => this.refreshNow(seen));
      this.inflight = flight;
      const done = () => { if (this.inflight === flight) this.inflight = null; };
      flight.then(done, done);
    }
    return this.inflight;
  }

  async refreshNow(seen) {
    const current = await this.load();
    if (!current) throw notLoggedIn();
    // Refreshed (here or in another tab) since the caller looked: that token is as fresh.
    if (current.refresh_token !== seen) return current;
    // Another tab may have rotated this refresh token before its write reached our storage
    // (localStorage propagates unordered with Web Locks). Its marker lock says so: then never
    // send the spent token (the server would revoke the login); wait for the new one.
    const spent = run('fingerprint', { token: current.refresh_token });
    const marker = `${this.lock}:rotated:${spent}`;
    if (isSpent(spent) || (await lockHeld(marker))) return this.replacementOf(current.refresh_token);
    const timeout = typeof AbortSignal.timeout === 'function' ? AbortSignal.timeout(this.refreshTimeout) : undefined;
    let token;
    try {
      const request = run('refresh', {
        baseURL: this.baseURL, refreshToken: current.refresh_token, clientId: this.clientId, insecure: this.insecure,
      });
      token = await tokenCall(request, timeout);
    } catch (err) {
      if (timeout && timeout.aborted) throw fail('TIMEOUT', `the token refresh took over ${this.refreshTimeout} ms`);
      // Only a definite refusal of the refresh token ends the login; a rate limit, a server
      // error or the network leave it for the next try.
      if (isCozeError(err) && run('endsLogin', err)) await this.forget().catch(() => {});
      throw err;
    }
    markSpent(spent);
    // Stored only if the token it replaces is still the stored one: a logout (clear) or another
    // login while the request was in flight is not undone.
    const stored = await this.load();
    if (!stored) throw notLoggedIn();
    if (stored.refresh_token !== current.refresh_token) return stored;
    await this.save(token);
    // Granted before our refresh lock is released, held long enough for any tab that read the
    // old token to see it.
    await holdLock(marker, ROTATION_MARKER_MS);
    return token;
  }

  /** Another tab rotated `spent`: wait until its replacement shows in our storage. */
  async replacementOf(spent) {
    for (let waited = 0; waited < ROTATION_WAIT_MS; waited += 20) {
      const token = await this.load();
      if (!token) throw notLoggedIn(); // the other tab's refresh was refused
      if (token.refresh_token !== spent) return token;
      await sleep(20);
    }
    // E.g. a sessionStorage copied into a new tab: the new token lives in the other tab only.
    await this.forget().catch(() => {});
    throw fail('OAUTH_TOKEN_ERROR', 'another tab used this refresh token; its replacement is not here');
  }
}

// ------------------------------------------------------------------------------ storage

/** `'memory' | 'session' | 'local'` or a `{getItem, setItem, removeItem}` (sync or async). */
function storeOf(option, fallback) {
  if (option === undefined) option = fallback;
  if (typeof option === 'string') {
    if (option === 'memory') {
      const map = new Map();
      return {
        get: async (key) => map.get(key) ?? null,
        set: async (key, value) => { map.set(key, value); },
        remove: async (key) => { map.delete(key); },
      };
    }
    if (option !== 'session' && option !== 'local') {
      throw invalid("storage must be 'memory', 'session', 'local' or an object with getItem/setItem/removeItem");
    }
    const name = `${option}Storage`;
    let storage = null;
    try {
      storage = globalThis[name] || null;
    } catch {} // sandboxed iframes throw on access
    if (typeof storage !== 'object' || storage === null) {
      throw fail('STORAGE', `${name} is not available here; pass a storage object`);
    }
    return webStore(storage);
  }
  const r = reader('storage', option);
  for (const method of ['getItem', 'setItem', 'removeItem']) {
    if (typeof r.get(method) !== 'function') throw invalid(`the storage object has no ${method}() method`);
  }
  return webStore(option);
}

function webStore(storage) {
  const use = async (method, ...args) => {
    try {
      // Web Storage answers synchronously, custom stores may return promises: await either.
      return await storage[method](...args);
    } catch (err) {
      throw fail('STORAGE', `storage.${method}() failed: ${describeValue(err)}`);
    }
  };
  return {
    get: async (key) => {
      const value = await use('getItem', key);
      return typeof value === 'string' ? value : null;
    },
    set: (key, value) => use('setItem', key, value),
    remove: (key) => use('removeItem', key),
  };
}

// ------------------------------------------------------------------------------ entries

/** A string argument of a plain function. */
function arg(name, value) {
  if (typeof value !== 'string') throw invalid(`\`${name}\` must be a string`);
  const problem = textProblem(value);
  if (problem) throw invalid(`\`${name}\` ${problem === 1 ? 'is too long' : 'is not valid Unicode'}`);
  return value;
}

/** The public functions: the wasm-bindgen glue re-exports them (`reexport` in src/lib.rs). */
export const generateCodeVerifier = () => run('random', {});
export const generateState = () => run('random', {});
export const calculatePKCECodeChallenge = (verifier) => run('challenge', { verifier: arg('verifier', verifier) });
export const parseAuthorizationCallback = (url, expectedState) =>
  run('callback', { url: arg('url', url), state: arg('expectedState', expectedState) });
export const getJWTToken = async (params, options) => ENTRIES.getJWTToken(params, options);

/** What serverFlows can replace. */
const ENTRIES = {
  // Replaced by the server entries' driver (src/js/server.js, through serverFlows). Without it the
  // wasm refuses: JWT_IN_BROWSER in a page or worker, and in the page build (which has no JWT flow).
  getJWTToken: () => noJwt(),
  JWTTokenManager: () => noJwt(),
};

/** The driver object behind each public class instance (a client, a manager) until its free(). */
const held = new WeakMap();

/** `self`'s driver object. A wrong or freed receiver throws what wasm-bindgen's classes threw when
 *  these were wasm classes (README, Errors): a plain Error, no code. */
function heldBy(self) {
  const inner = held.get(self);
  if (!inner) throw new Error('null pointer passed to rust');
  return inner;
}

/** The public classes; the wasm-bindgen glue re-exports them (`reexport` in src/lib.rs). */
export class CozeAPI {
  constructor(options) {
    held.set(this, newClient(options));
  }
  get baseURL() { return heldBy(this).baseURL; }
  get chat() { return heldBy(this).chat; }
  get conversations() { return heldBy(this).conversations; }
  get bots() { return heldBy(this).bots; }
  get workspaces() { return heldBy(this).workspaces; }
  get users() { return heldBy(this).users; }
  get files() { return heldBy(this).files; }
  free() { heldBy(this); held.delete(this); }
}

export class TokenManager {
  constructor(options) {
    held.set(this, new Manager(reader('new TokenManager', options)));
  }
  setToken(token) { return heldBy(this).setToken(token); }
  getToken() { return heldBy(this).getToken(); }
  getAccessToken() { return heldBy(this).getAccessToken(); }
  refresh(rejectedAccessToken) { return heldBy(this).refresh(rejectedAccessToken); }
  clear() { return heldBy(this).clear(); }
  free() { heldBy(this); held.delete(this); }
}

export class JWTTokenManager {
  constructor(options) {
    held.set(this, ENTRIES.JWTTokenManager(options));
  }
  getToken() { return heldBy(this).getToken(); }
  getAccessToken() { return heldBy(this).getAccessToken(); }
  refresh(rejectedAccessToken) { return heldBy(this).refresh(rejectedAccessToken); }
  free() { heldBy(this); held.delete(this); }
}

// SseParser's operations: `engine.step(kind, a)` (src/web/parser.rs, `step`, same numbers).
const SSE_NEW = 8;
const SSE_FEED = 9;
const SSE_FINISH = 10;
const SSE_LAST_EVENT_ID = 11;
const SSE_RETRY = 12;

/** Each instance holds a Core whose engine parses (the wasm decides everything, limits and errors). */
export class SseParser {
  constructor(options) {
    const engine = wasm().engine();
    engine.step(SSE_NEW, options);
    held.set(this, engine);
  }
  feed(bytes) { return heldBy(this).step(SSE_FEED, bytes); }
  finish() { return heldBy(this).step(SSE_FINISH); }
  get lastEventId() { return heldBy(this).step(SSE_LAST_EVENT_ID); }
  get retry() { return heldBy(this).step(SSE_RETRY); }
  // Its wasm memory now, not when the collector gets to the Core.
  free() { heldBy(this).free(); held.delete(this); }
}

// `using` frees them, as it did the wasm classes.
for (const cls of [CozeAPI, TokenManager, JWTTokenManager, SseParser]) if (Symbol.dispose) cls.prototype[Symbol.dispose] = cls.prototype.free;

const noJwt = () => run('jwtStart', { inBrowser: isBrowser(), noDriver: true });

/**
 * Adds server-only entries: `install(helpers)` → `{name: implementation}`. The JWT flow's driver is
 * not in this snippet (pages never run it): only the server entries (pkg/server.js, pkg/node.js)
 * load src/js/server.js and register it here. It gets the helpers as an argument rather than
 * importing this file, so it acts on whichever instance of this module the wasm's glue uses — the
 * package entries import this file by its path; the wasm-bindgen tests, which load no entry,
 * register it through the wasm (web::js::server_flows) — and stays self-contained.
 */
export function serverFlows(install) {
  Object.assign(ENTRIES, install({
    run, ask, reader, REQUIRED, NOT_BLANK, paramsJson, signalOf, send, readText, logidOf, nowSeconds, fail,
    invalid, textProblem, isBrowser,
  }));
}

// ------------------------------------------------------------------------------ Web Chat SDK auth

/**
 * The `auth` object of Coze's Web Chat SDK (`new CozeWebSDK.WebChatClient({auth})`) backed by a
 * TokenManager: the current access token now, and `onRefreshToken` that hands the SDK the token
 * that replaced the one it last got (refreshing once, single-flight, when none has yet).
 */
export async function webChatAuth(manager) {
  let usable = false;
  try {
    usable = typeof manager.getAccessToken === 'function' && typeof manager.refresh === 'function';
  } catch {} // null, undefined, a revoked Proxy: not a manager
  if (!usable) throw invalid('webChatAuth: `tokenManager` must be a TokenManager (getAccessToken and refresh)');
  const auth = { type: 'token', token: await manager.getAccessToken() };
  // The SDK calls it when its token was refused or ran out; what it passes is not documented.
  auth.onRefreshToken = async () => {
    auth.token = (await manager.refresh(auth.token)).access_token;
    return auth.token;
  };
  return auth;
}

// ------------------------------------------------------------------------------ platform

const locks = () => {
  const l = globalThis.navigator && globalThis.navigator.locks;
  return l && typeof l.request === 'function' ? l : null;
};

/** Runs `task` under an exclusive Web Lock (one refresh across tabs); without Web Locks, directly. */
async function withLock(name, task) {
  const l = locks();
  if (!l) return task();
  try {
    return await l.request(name, { mode: 'exclusive' }, () => task());
  } catch (err) {
    throw isCozeError(err) ? err : fail('OAUTH_TOKEN_ERROR', `the refresh lock failed: ${describeValue(err)}`);
  }
}

/** Is a Web Lock of this name held by any context of this origin? */
async function lockHeld(name) {
  const l = locks();
  if (!l || typeof l.query !== 'function') return false;
  const { held = [] } = await l.query();
  return held.some((lock) => lock.name === name);
}

/** Holds a shared Web Lock of this name for `ms`; resolves once it is granted. */
function holdLock(name, ms) {
  const l = locks();
  if (!l) return Promise.resolve();
  return new Promise((granted) => {
    l.request(name, { mode: 'shared' }, () => {
      granted();
      return new Promise((release) => setTimeout(release, ms));
    }).catch(() => granted());
  });
}

function currentLocation() {
  return globalThis.location ? String(globalThis.location.href) : null;
}

function replaceLocation(url) {
  const history = globalThis.history;
  if (history && typeof history.replaceState === 'function') history.replaceState(history.state, '', url);
}

/** A page or a Web Worker: anywhere a token in JS memory is reachable by the page's scripts. */
function isBrowser() {
  if (typeof globalThis.window !== 'undefined' && typeof globalThis.document !== 'undefined') return true;
  const Worker = globalThis.WorkerGlobalScope;
  return typeof Worker === 'function' && globalThis instanceof Worker && !isServerWorker();
}

/** Cloudflare's workerd has a WorkerGlobalScope too, but it is a server; its user agent says so. */
function isServerWorker() {
  try {
    return globalThis.navigator.userAgent === 'Cloudflare-Workers';
  } catch {
    return false;
  }
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) return reject(signal.reason);
    // Timers fire at once beyond 2^31 - 1 ms: clamp rather than poll in a tight loop.
    const timer = setTimeout(resolve, Math.min(ms, 2147483647));
    if (signal) signal.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason); }, { once: true });
  });
}

/** String(value) that never throws and stays short (it ends up in an error message). */
function describeValue(value) {
  let text;
  try {
    text = value instanceof Error || (value && typeof value.name === 'string' && 'message' in value)
      ? `${value.name}: ${value.message}`
      : String(value);
  } catch {
    try {
      text = Object.prototype.toString.call(value);
    } catch {
      text = `a ${typeof value}`;
    }
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** 0: fine; 1: longer than 16384 UTF-16 units; 2: holds a lone surrogate (not Unicode text). */
export function textProblem(text) {
  return text.length > 16384 ? 1 : /\p{Cs}/u.test(text) ? 2 : 0;
}

const typedArrayGetter = (name) => Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array).prototype, name).get;
const typedArrayTag = typedArrayGetter(Symbol.toStringTag);
const typedArrayLength = typedArrayGetter('length');
const typedArrayBuffer = typedArrayGetter('buffer');

/**
 * The length of a real Uint8Array (a Node Buffer is one), read from its internal slots so that a
 * subclass, a Proxy or a look-alike cannot lie about it; -1 when `value` is not one, -2 when its
 * buffer was detached (transferred).
 */
export function byteLength(value) {
  if (typedArrayTag.call(value) !== 'Uint8Array') return -1;
  const length = typedArrayLength.call(value);
  if (length === 0) {
    try {
      new Uint8Array(typedArrayBuffer.call(value), 0, 0);
    } catch {
      return -2;
    }
  }
  return length;
}

const abortedGetter = typeof AbortSignal === 'function'
  ? Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted').get
  : null;

/** A real AbortSignal (the platform's own brand check), not a look-alike or a Proxy of one. */
export function isAbortSignal(value) {
  try {
    abortedGetter.call(value);
    return true;
  } catch {
    return false;
  }
}
