// Malformed input at the JS boundary: every export of coze-wasm, called with wrong types, missing
// fields, null/undefined, 10 MB strings, lone surrogates, invalid UTF-8, detached and fake byte
// arrays, throwing getters and Proxies. Every such call must throw (sync API) or reject (async API)
// with a CozeError carrying a documented `code` — never a wasm trap (a Rust panic), never a bare
// TypeError from the glue, never a non-Error, never success. After every bad call the module must
// still work (an RFC 7636 vector, an SseParser round trip, a promise that settles).
//
// The same module runs in Node (pkg/node.js) and in headless Chromium (pkg/index.js after init());
// tests/boundary/run.mjs drives both. The export list is read from the module at runtime: an export
// or a class member this file does not know fails the run, so new API needs new cases here.
//
//   const report = await runBoundary(api, { lane, emulatorURL, documentedCodes, log });

const RFC_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const RFC_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const ECHO_BOT = '7000000000000000001';
const REDIRECT = 'http://127.0.0.1:9/callback';
const CALL_TIMEOUT_MS = 15_000;
const BIG = 'a'.repeat(10 * 1024 * 1024); // 10 MB
const enc = new TextEncoder();

/** Members wasm-bindgen puts on every class; exercised as glue (receiver misuse, double free). */
const GLUE_MEMBERS = new Set(['constructor', '__destroy_into_raw', 'free']);
/** Static members wasm-bindgen adds: `__wrap(ptr)` trusts its pointer by design and is never called here. */
const GLUE_STATICS = new Set(['length', 'name', 'prototype', '__wrap']);
/** The client's resources (plain objects of the JS driver) and the names their cases use. */
const RESOURCES = {
  Chat: (c) => c.chat, ChatMessages: (c) => c.chat.messages, Conversations: (c) => c.conversations,
  ConversationMessages: (c) => c.conversations.messages, Bots: (c) => c.bots, Workspaces: (c) => c.workspaces, Users: (c) => c.users,
  Files: (c) => c.files,
};

export async function runBoundary(api, env) {
  const suite = new Suite(api, env);
  if (env.onSuite) env.onSuite(suite);
  try {
    await suite.run();
  } catch (err) {
    suite.fail('suite', `aborted: ${show(err)}${err && err.stack ? `\n${err.stack}` : ''}`);
  }
  return suite.report();
}

// ------------------------------------------------------------------------------------ helpers

function show(v) {
  try {
    if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…(${v.length})` : v);
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'symbol') return v.toString();
    if (v instanceof Error) return `${v.constructor && v.constructor.name}(${v.code ? `${v.code}: ` : ''}${v.message})`;
    if (typeof v === 'function') return `function ${v.name}`;
    return String(v);
  } catch (_) {
    return '<unprintable>';
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    Promise.resolve(promise).finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new HangError(`${what} did not settle within ${ms} ms`)), ms);
    }),
  ]);
}

class HangError extends Error {}

function bytes(text) {
  return enc.encode(text);
}

function memoryStorage() {
  const map = new Map();
  return {
    map,
    getItem: (k) => (map.has(k) ? map.get(k) : null),
    setItem: (k, v) => { map.set(k, String(v)); },
    removeItem: (k) => { map.delete(k); },
  };
}

/** A Proxy whose every trap throws. */
function trapBomb(target = {}) {
  const handler = new Proxy({}, { get: (_, trap) => () => { throw new Error(`trap ${String(trap)} exploded`); } });
  return new Proxy(target, handler);
}

function revokedProxy() {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

function detachedUint8Array() {
  const buffer = new ArrayBuffer(16);
  const view = new Uint8Array(buffer);
  structuredClone(buffer, { transfer: [buffer] });
  return view;
}

/** Values for "anything but what was asked for". Fresh each call: some are stateful. */
function junk() {
  return [
    ['undefined', undefined], ['null', null], ['true', true], ['false', false],
    ['0', 0], ['-1', -1], ['NaN', NaN], ['Infinity', Infinity], ['1.5', 1.5], ['2^53', 2 ** 53],
    ['bigint', 123n], ['symbol', Symbol('junk')],
    ['empty string', ''], ['blank string', '   '], ['10 MB string', BIG],
    ['lone high surrogate', 'ab\uD800cd'], ['lone low surrogate', '\uDC00'],
    ['boxed String', new String('abc')], ['array', []], ['array of strings', ['a', 'b']],
    ['object', {}], ['null-prototype object', Object.create(null)],
    ['function', function junkFn() {}], ['arrow function', () => 'x'], ['class', class Junk {}],
    ['Date', new Date(0)], ['RegExp', /re/], ['Map', new Map()], ['Promise', Promise.resolve('x')],
    ['Uint8Array', new Uint8Array(4)], ['ArrayBuffer', new ArrayBuffer(4)], ['Error', new Error('e')],
    ['trap-bomb Proxy', trapBomb()], ['revoked Proxy', revokedProxy()],
  ];
}

const isNullish = (v) => v === undefined || v === null;
const isString = (v) => typeof v === 'string';
const isPlainishObject = (v) => {
  try {
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch (_) {
    return true; // a revoked Proxy
  }
};

// ---------------------------------------------------------------------- argument kinds
//
// A kind describes one argument (or field): which junk values it must refuse, which values are
// fine (`accepts`), and the codes a refusal may carry. Object kinds also describe their fields,
// each of which is mutated in turn.

const INVALID = ['INVALID_ARGUMENT'];
/** The codes for an unreadable value: INVALID_ARGUMENT, unless the kind is refused before it is read (JWT in a page). */
const unreadable = (k) => (k.codes.includes('INVALID_ARGUMENT') ? INVALID : k.codes);

function kind(name, { optional = false, accepts = () => false, extra = () => [], codes = INVALID, fields = null, refuseObjects = false } = {}) {
  return {
    name,
    optional,
    codes,
    fields,
    bad() {
      const out = [];
      for (const [label, value] of [...junk(), ...extra()]) {
        if (optional && isNullish(value)) continue;
        if (accepts(value, label)) continue;
        if (fields && !refuseObjects && isPlainishObject(value) && !isProxyLabel(label) && !hasRequired(fields)) continue;
        out.push([label, value]);
      }
      return out;
    },
  };
}

const isProxyLabel = (label) => /Proxy/.test(label);
const hasRequired = (fields) => Object.values(fields).some((k) => !k.optional);

/** A string: empty and blank strings refused unless allowed; never 10 MB or lone surrogates. */
function str(name, { optional = false, empty = false, blank = true, extra = () => [], codes } = {}) {
  return kind(name, {
    optional,
    codes,
    extra,
    accepts: (v, label) => isString(v) && v !== BIG && !/surrogate/.test(label)
      && (v !== '' || empty) && (!/^\s+$/.test(v) || blank) && !extra().some(([l]) => l === label),
  });
}

const BAD_URLS = () => [
  ['not a URL', 'not a url'], ['javascript: URL', 'javascript:alert(1)'], ['ftp URL', 'ftp://example.com'],
  ['URL with credentials', 'https://user:pw@example.com'], ['URL with query', 'https://example.com/?q=1'],
  ['scheme only', 'https://'],
];
const BAD_REDIRECTS = () => [
  ['not a URL', 'not a url'], ['javascript: URL', 'javascript:alert(1)'], ['relative path', '/callback'],
  ['URL with fragment', 'https://example.com/cb#x'], ['scheme only', 'https://'],
];
const BAD_VERIFIERS = () => [
  ['42-char verifier', 'a'.repeat(42)], ['129-char verifier', 'a'.repeat(129)], ['verifier with +', `${'a'.repeat(42)}+`],
];

const baseUrl = (name, opts = {}) => str(name, { ...opts, blank: false, extra: BAD_URLS });
const redirectUrl = (name, opts = {}) => str(name, { ...opts, blank: false, extra: BAD_REDIRECTS });
const id = (name, opts = {}) => str(name, { ...opts, blank: false });

function num(name, { optional = true, min = -Infinity, integer = false, numericString = false } = {}) {
  const extra = () => [
    ...(min > -1 ? [['negative number', -5]] : []),
    ...(min > 0 ? [['zero', 0]] : []),
    ...(integer ? [['fraction', 2.5]] : []),
    ...(numericString ? [] : [['numeric string', '16']]),
  ];
  return kind(name, {
    optional,
    extra,
    accepts: (v, label) => ((typeof v === 'number' && Number.isFinite(v) && v >= min && (!integer || Number.isInteger(v)))
      || (numericString && label === 'numeric string')) && !extra().some(([l]) => l === label),
  });
}

/** A number in a query string (page_num ...): an integer or a string; the server checks the range. */
const queryNum = (name) => num(name, { integer: true, numericString: true });

function bool(name) {
  return kind(name, { optional: true, accepts: (v) => typeof v === 'boolean' });
}

function obj(name, fields, { optional = false, refuseObjects = false, codes } = {}) {
  return kind(name, { optional, fields, refuseObjects, codes, accepts: () => false });
}

/** `{signal?}` request options. */
let LANE = 'node';
function requestOptions(name = 'options', fields = {}) {
  return obj(name, { signal: signalKind(LANE), ...fields }, { optional: true });
}

function signalKind(lane) {
  return kind('signal', {
    optional: true,
    extra: () => [
      ['fake signal {aborted:false}', { aborted: false, addEventListener() {} }],
      // Node's AbortSignal brand check reads through a Proxy (and Node's fetch takes it); Chromium's does not.
      ...(lane === 'browser' ? [['Proxy of a real AbortSignal', new Proxy(new AbortController().signal, {})]] : []),
      ['AbortController', new AbortController()],
      ['EventTarget', new EventTarget()],
    ],
    accepts: () => false,
  });
}

function storageKind(name, { memoryOk = true, lane } = {}) {
  const webStorage = lane === 'browser' ? ['session', 'local'] : [];
  return kind(name, {
    optional: true,
    extra: () => [
      ['unknown storage name', 'bogus'],
      ['storage without removeItem', { getItem() { return null; }, setItem() {} }],
      ['storage with non-function methods', { getItem: 1, setItem: 2, removeItem: 3 }],
      ...(memoryOk ? [] : [['memory (cannot survive a redirect)', 'memory']]),
      ...(lane === 'browser' ? [] : [['session (none in Node)', 'session'], ['local (none in Node)', 'local']]),
    ],
    accepts: (v) => (isString(v) && (webStorage.includes(v) || (memoryOk && v === 'memory'))),
    codes: ['INVALID_ARGUMENT', 'STORAGE'],
  });
}

/** A fresh RSA key pair as PEM (WebCrypto, in Node and in the page). */
async function rsaPem() {
  const alg = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
  const pair = await crypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const pem = async (label, format, key) => {
    const bytes = new Uint8Array(await crypto.subtle.exportKey(format, key));
    const base64 = btoa(String.fromCharCode(...bytes));
    return `-----BEGIN ${label}-----\n${base64.match(/.{1,64}/g).join('\n')}\n-----END ${label}-----\n`;
  };
  return { privatePem: await pem('PRIVATE KEY', 'pkcs8', pair.privateKey), publicPem: await pem('PUBLIC KEY', 'spki', pair.publicKey) };
}

// ------------------------------------------------------------------------------------ the suite

class Suite {
  constructor(api, env) {
    this.api = api;
    this.env = env;
    this.lane = env.lane;
    this.EMU = env.emulatorURL.replace(/\/+$/, '');
    this.documented = new Set(env.documentedCodes);
    this.log = env.log || (() => {});
    this.failures = [];
    this.counts = { malformed: 0, valid: 0, edge: 0, receiver: 0, health: 0 };
    this.covered = new Map(); // export or Class#member → number of calls
    this.glueUncoded = [];
    this.current = 'setup';
  }

  fail(where, why) {
    this.failures.push(`${where}: ${why}`);
    this.log(`FAIL ${where}: ${why}`);
  }

  cover(key, n = 1) {
    this.covered.set(key, (this.covered.get(key) || 0) + n);
  }

  report() {
    return {
      lane: this.lane,
      counts: this.counts,
      calls: this.counts.malformed + this.counts.valid + this.counts.edge + this.counts.receiver,
      covered: Object.fromEntries(this.covered),
      exports: this.exportNames,
      failures: this.failures,
      glueUncoded: this.glueUncoded,
      ok: this.failures.length === 0,
    };
  }

  async admin(method, path, body) {
    const init = { method, headers: {} };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(this.EMU + path, init);
    const json = await res.json();
    if (!res.ok) throw new Error(`emulator ${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  /** A real login against the emulator, through the library itself. */
  async login() {
    const { api, EMU, clientId } = this;
    const { url, state, codeVerifier } = await api.getPKCEAuthenticationUrl({ clientId, redirectUrl: REDIRECT, baseURL: EMU, wwwURL: EMU });
    const { location } = await this.admin('POST', '/_emulator/authorize', { url, decision: 'allow' });
    const { code } = api.parseAuthorizationCallback(location, state);
    return api.getPKCEOAuthToken({ code, clientId, redirectUrl: REDIRECT, codeVerifier, baseURL: EMU });
  }

  // ----- checks

  /** Null when `e` is an acceptable error, else why not. */
  badError(e, allowed) {
    const { api } = this;
    if (e instanceof WebAssembly.RuntimeError) return `a wasm trap (Rust panic): ${e.message}`;
    if (e instanceof HangError) return e.message;
    if (!(e instanceof Error)) return `threw a non-Error: ${show(e)}`;
    if (!(e instanceof api.CozeError)) return `threw a ${e.name} without a code: ${e.message}`;
    if (typeof e.code !== 'string') return `code is not a string: ${show(e.code)}`;
    if (!this.documented.has(e.code)) return `undocumented code ${e.code}`;
    if (allowed && !allowed.includes(e.code)) return `code ${e.code} (${e.message}); expected ${allowed.join(' or ')}`;
    if (typeof e.message !== 'string' || e.message.length === 0) return 'empty message';
    if (e.message.length > 4096) return `a ${e.message.length}-character message (echoes the input?)`;
    return null;
  }

  /**
   * Calls `spec` with `args` and settles it: sync APIs return or throw; async ones must return a
   * promise (and never throw synchronously); iterables must return an async iterable whose first
   * next() settles. → {mode: 'returned'|'threw'|'resolved'|'rejected'|'broken', value}.
   */
  async invoke(spec, args) {
    let ret;
    try {
      ret = spec.call(args);
    } catch (e) {
      if (spec.type === 'async') return { mode: 'broken', value: `threw synchronously instead of rejecting: ${show(e)}`, error: e };
      return { mode: 'threw', value: e };
    }
    if (spec.type === 'async') {
      if (!(ret instanceof Promise)) return { mode: 'broken', value: `returned ${show(ret)} instead of a promise` };
      try {
        return { mode: 'resolved', value: await withTimeout(ret, spec.timeout || CALL_TIMEOUT_MS, spec.name) };
      } catch (e) {
        return { mode: 'rejected', value: e };
      }
    }
    if (spec.type === 'iterable') {
      if (!ret || typeof ret[Symbol.asyncIterator] !== 'function') return { mode: 'broken', value: `returned ${show(ret)}, not an async iterable` };
      const it = ret[Symbol.asyncIterator]();
      try {
        const first = await withTimeout(it.next(), CALL_TIMEOUT_MS, `${spec.name} next()`);
        if (spec.drain) {
          const events = [first.value];
          for (let r = await it.next(); !r.done; r = await it.next()) events.push(r.value);
          return { mode: 'resolved', value: events };
        }
        await it.return?.();
        return { mode: 'resolved', value: first };
      } catch (e) {
        return { mode: 'rejected', value: e };
      }
    }
    return { mode: 'returned', value: ret };
  }

  /** A malformed call: must be refused with one of `codes`. */
  async expectRefused(where, spec, args, codes, counter = 'malformed') {
    this.current = where;
    this.counts[counter]++;
    this.cover(spec.key);
    const r = await this.invoke(spec, args);
    if (r.mode === 'broken') {
      if (r.error && this.badError(r.error, null)) this.fail(where, this.badError(r.error, null));
      this.fail(where, r.value);
    } else if (r.mode === 'threw' || r.mode === 'rejected') {
      const why = this.badError(r.value, codes);
      if (why) this.fail(where, why);
    } else {
      this.fail(where, `accepted: ${r.mode} ${show(r.value)}`);
    }
    await this.health(where);
  }

  /** A valid (or edge) call with a known outcome: `ok(value)` or a `code`. */
  async expectOutcome(where, spec, args, expect, counter = 'valid') {
    this.current = where;
    this.counts[counter]++;
    this.cover(spec.key);
    const r = await this.invoke(spec, args);
    if (expect.code) {
      if (r.mode === 'threw' || r.mode === 'rejected') {
        const why = this.badError(r.value, [].concat(expect.code));
        if (why) this.fail(where, why);
      } else {
        this.fail(where, `expected ${expect.code}, got ${r.mode} ${show(r.value)}`);
      }
    } else if (r.mode === 'returned' || r.mode === 'resolved') {
      let verdict;
      try {
        verdict = expect.ok ? await expect.ok(r.value) : true;
      } catch (e) {
        verdict = `check threw ${show(e)}`;
      }
      if (verdict !== true) this.fail(where, `unexpected result ${show(r.value)}${typeof verdict === 'string' ? `: ${verdict}` : ''}`);
    } else {
      this.fail(where, `expected success, got ${r.mode} ${show(r.value)}`);
    }
    await this.health(where);
    return r;
  }

  /** The module still works: a sync PKCE vector, an SseParser round trip, a settled promise. */
  async health(where) {
    const { api } = this;
    this.counts.health++;
    try {
      const c = api.calculatePKCECodeChallenge(RFC_VERIFIER);
      if (c !== RFC_CHALLENGE) throw new Error(`RFC 7636 vector gave ${c}`);
      const p = new api.SseParser();
      const events = p.feed(bytes('id: 1\ndata: ok\n\n'));
      if (events.length !== 1 || events[0].data !== 'ok' || p.lastEventId !== '1') throw new Error('SseParser round trip');
      p.free();
      const r = await withTimeout(api.getPKCEAuthenticationUrl({ clientId: 'health', redirectUrl: REDIRECT }), 5000, 'health promise');
      if (!r.url.includes('code_challenge_method=S256')) throw new Error('authorize URL');
    } catch (e) {
      this.fail(where, `module unusable afterwards: ${show(e)}`);
      throw new Error(`the module broke after ${where}`);
    }
  }

  // ----- generic mutation of a spec

  async exercise(spec) {
    const base = await spec.valid();
    if (spec.expectValid !== undefined) await this.expectOutcome(`${spec.name}: valid call`, spec, base, spec.expectValid);
    const params = spec.params || [];
    for (let i = 0; i < params.length; i++) {
      const k = params[i];
      if (!k.optional) {
        const args = (await spec.valid()).slice(0, i);
        await this.expectRefused(`${spec.name}: ${k.name} missing`, spec, args, k.codes);
      }
      for (const [label, value] of k.bad()) {
        const args = await spec.valid();
        args[i] = value;
        await this.expectRefused(`${spec.name}: ${k.name} = ${label}`, spec, args, k.codes);
      }
      if (k.fields) await this.exerciseFields(spec, i, k);
    }
    for (const edge of spec.edges || []) {
      const target = edge.call ? { ...spec, call: edge.call } : spec;
      await this.expectOutcome(`${spec.name}: ${edge.label}`, target, await edge.args(), edge.expect, 'edge');
    }
  }

  async exerciseFields(spec, i, k) {
    for (const [field, fk] of Object.entries(k.fields)) {
      const where = `${spec.name}: ${k.name}.${field}`;
      const fresh = async () => {
        const args = await spec.valid();
        if (!isPlainishObject(args[i])) args[i] = {};
        return args;
      };
      if (!fk.optional) {
        const args = await fresh();
        delete args[i][field];
        await this.expectRefused(`${where} missing`, spec, args, fk.codes);
      }
      for (const [label, value] of fk.bad()) {
        const args = await fresh();
        args[i][field] = value;
        await this.expectRefused(`${where} = ${label}`, spec, args, fk.codes);
      }
      // A getter that throws an Error, one that throws a non-Error, and a Proxy whose get trap throws.
      for (const [label, thrown] of [['Error', new Error('getter exploded')], ['string', 'getter exploded'], ['revoked Proxy', revokedProxy()]]) {
        const args = await fresh();
        Object.defineProperty(args[i], field, { enumerable: true, configurable: true, get() { throw thrown; } });
        await this.expectRefused(`${where} getter throws ${label}`, spec, args, unreadable(fk));
      }
      {
        const args = await fresh();
        // The field is an own key (as a getter would be), so serializing or reading it hits the trap.
        const target = Object.assign({}, args[i], { [field]: args[i][field] });
        args[i] = new Proxy(target, { get(t, key, r) { if (key === field) throw new Error('get trap'); return Reflect.get(t, key, r); } });
        await this.expectRefused(`${where} via a Proxy whose get throws`, spec, args, unreadable(fk));
      }
    }
    // The whole object as a Proxy that only forwards (valid) and one that throws on every trap.
    const args = await spec.valid();
    args[i] = trapBomb(isPlainishObject(args[i]) ? args[i] : {});
    await this.expectRefused(`${spec.name}: ${k.name} is a trap-bomb Proxy of a valid value`, spec, args, unreadable(k));
  }

  // ----- receiver misuse (methods called on the wrong object or after free())

  async receiverMisuse(Class, member, instance) {
    const desc = Object.getOwnPropertyDescriptor(Class.prototype, member);
    const invoke = (self) => (desc.get ? desc.get.call(self) : desc.value.call(self, undefined, undefined, undefined));
    const receivers = [['a plain object', {}], ['undefined', undefined], ['a freed instance', instance]];
    for (const [label, self] of receivers) {
      if (self === null) continue;
      const where = `${Class.name}#${member} on ${label}`;
      this.current = where;
      this.counts.receiver++;
      this.cover(`${Class.name}#${member}`);
      let outcome;
      try {
        const ret = invoke(self);
        if (ret instanceof Promise) await withTimeout(ret, CALL_TIMEOUT_MS, where);
        outcome = { ok: true, value: ret };
      } catch (e) {
        outcome = { ok: false, value: e };
      }
      if (outcome.ok) {
        this.fail(where, `accepted: ${show(outcome.value)}`);
      } else {
        const e = outcome.value;
        const why = this.badError(e, null);
        if (why && e instanceof Error && !(e instanceof WebAssembly.RuntimeError) && /null pointer passed to rust|__destroy_into_raw is not a function|Cannot read properties of undefined \(reading '__wbg_ptr'\)/.test(e.message)) {
          // wasm-bindgen's own check of the hidden pointer: a plain Error, not ours (no code).
          this.glueUncoded.push(`${where}: ${e.name}: ${e.message}`);
        } else if (why) {
          this.fail(where, why);
        }
      }
      await this.health(where);
    }
  }

  // ----- the run

  async run() {
    const { api, lane, EMU } = this;
    LANE = lane;
    this.exportNames = Object.keys(api).sort();
    const { client_id: clientId } = await this.admin('POST', '/_emulator/clients', { redirect_uris: [REDIRECT] });
    this.clientId = clientId;
    let token = await this.login();
    const client = new api.CozeAPI({ token: token.access_token, baseURL: EMU });
    const conversation = await client.conversations.create({ bot_id: ECHO_BOT });
    const chatParams = () => ({ bot_id: ECHO_BOT, user_id: 'boundary', additional_messages: [{ role: 'user', content: 'hi', content_type: 'text' }] });
    const chat = await client.chat.create(chatParams());
    const ids = () => [chat.conversation_id, chat.id];
    const tm = () => new api.TokenManager({ clientId, baseURL: EMU });
    const goodToken = () => ({ access_token: token.access_token, refresh_token: token.refresh_token, expires_in: token.expires_in, token_type: 'Bearer' });
    const authParams = () => ({ clientId, redirectUrl: REDIRECT, baseURL: EMU, wwwURL: EMU });
    const isToken = (t) => (t && typeof t.access_token === 'string' && typeof t.refresh_token === 'string' && typeof t.expires_in === 'number') || 'not an OAuthToken';
    const aborted = () => { const c = new AbortController(); c.abort(); return c.signal; };
    const storage = memoryStorage();

    const S = {}; // specs by key
    const add = (key, spec) => { S[key] = { key, name: key, type: 'sync', ...spec }; };

    // --- PKCE helpers
    add('generateCodeVerifier', {
      valid: async () => [],
      expectValid: { ok: (v) => (isString(v) && /^[A-Za-z0-9_-]{43}$/.test(v)) || 'not 43 base64url chars' },
      edges: [{ label: 'extra arguments are ignored', args: async () => [123, {}], expect: { ok: (v) => v.length === 43 } }],
    });
    add('generateState', {
      valid: async () => [],
      expectValid: { ok: (v) => (isString(v) && v.length >= 43) || 'short state' },
      edges: [{ label: 'extra arguments are ignored', args: async () => [Symbol('x')], expect: { ok: (v) => v.length >= 43 } }],
    });
    add('calculatePKCECodeChallenge', {
      valid: async () => [RFC_VERIFIER],
      expectValid: { ok: (v) => v === RFC_CHALLENGE },
      params: [str('verifier', { extra: BAD_VERIFIERS })],
    });
    add('parseAuthorizationCallback', {
      valid: async () => [`${REDIRECT}?code=c1&state=s1`, 's1'],
      expectValid: { ok: (v) => (v.code === 'c1' && v.state === 's1') || 'wrong fields' },
      params: [
        str('url', { codes: ['INVALID_ARGUMENT', 'OAUTH_STATE_MISSING'] }),
        str('expectedState', { codes: ['INVALID_ARGUMENT', 'OAUTH_STATE_MISMATCH'] }),
      ],
      edges: [
        { label: 'state mismatch', args: async () => [`${REDIRECT}?code=c1&state=s1`, 's2'], expect: { code: 'OAUTH_STATE_MISMATCH' } },
        { label: 'state differs only by a lone surrogate', args: async () => [`${REDIRECT}?code=c1&state=%EF%BF%BD`, '\uD800'], expect: { code: 'INVALID_ARGUMENT' } },
        { label: 'forged error with wrong state', args: async () => [`${REDIRECT}?error=access_denied&state=x`, 's1'], expect: { code: 'OAUTH_STATE_MISMATCH' } },
        { label: 'duplicated code', args: async () => [`${REDIRECT}?code=a&code=b&state=s1`, 's1'], expect: { code: 'OAUTH_DUPLICATE_PARAM' } },
        { label: 'invalid percent-escape in code', args: async () => [`${REDIRECT}?code=%FF&state=s1`, 's1'], expect: { code: 'INVALID_ARGUMENT' } },
        { label: 'no code', args: async () => [`${REDIRECT}?state=s1`, 's1'], expect: { code: 'OAUTH_CODE_MISSING' } },
      ],
    });

    // --- OAuth over the network
    add('getPKCEAuthenticationUrl', {
      type: 'async',
      valid: async () => [authParams()],
      expectValid: { ok: (v) => (v.url.startsWith(`${EMU}/api/permission/oauth2/authorize?`) && v.codeVerifier.length === 43 && v.state.length >= 43) || 'bad URL' },
      params: [obj('params', {
        clientId: str('clientId', { blank: false }),
        redirectUrl: redirectUrl('redirectUrl'),
        baseURL: baseUrl('baseURL', { optional: true }),
        wwwURL: baseUrl('wwwURL', { optional: true }),
        state: str('state', { optional: true, empty: true }),
        workspaceId: str('workspaceId', { optional: true, empty: true }),
        code_challenge_method: str('code_challenge_method', { optional: true, codes: ['INVALID_ARGUMENT', 'UNSUPPORTED_CHALLENGE_METHOD'] }),
      })],
      edges: [
        { label: "code_challenge_method 'plain'", args: async () => [{ ...authParams(), code_challenge_method: 'plain' }], expect: { code: 'UNSUPPORTED_CHALLENGE_METHOD' } },
        { label: 'null-prototype params', args: async () => [Object.assign(Object.create(null), authParams())], expect: { ok: (v) => isString(v.url) } },
      ],
    });
    add('getPKCEOAuthToken', {
      type: 'async',
      valid: async () => [{ code: 'not-a-real-code', clientId, redirectUrl: REDIRECT, codeVerifier: RFC_VERIFIER, baseURL: EMU }, undefined],
      expectValid: { code: 'OAUTH_TOKEN_ERROR' }, // it reached the server, which refused the made-up code
      params: [
        obj('params', {
          code: str('code', { blank: false }),
          clientId: str('clientId', { blank: false }),
          redirectUrl: redirectUrl('redirectUrl'),
          codeVerifier: str('codeVerifier', { extra: BAD_VERIFIERS }),
          baseURL: baseUrl('baseURL', { optional: true }),
        }),
        requestOptions(),
      ],
      edges: [
        { label: 'an aborted signal', args: async () => [(await S.getPKCEOAuthToken.valid())[0], { signal: aborted() }], expect: { code: 'ABORTED' } },
        { label: 'a real login', args: async () => { const { url, state, codeVerifier } = await api.getPKCEAuthenticationUrl(authParams()); const { location } = await this.admin('POST', '/_emulator/authorize', { url, decision: 'allow' }); return [{ code: api.parseAuthorizationCallback(location, state).code, clientId, redirectUrl: REDIRECT, codeVerifier, baseURL: EMU }]; }, expect: { ok: isToken } },
      ],
    });
    add('refreshOAuthToken', {
      type: 'async',
      valid: async () => [{ refreshToken: 'not-a-real-refresh-token', clientId, baseURL: EMU }, undefined],
      expectValid: { code: 'OAUTH_TOKEN_ERROR' },
      params: [
        obj('params', {
          refreshToken: str('refreshToken', { blank: false }),
          clientId: str('clientId', { blank: false }),
          baseURL: baseUrl('baseURL', { optional: true }),
          clientSecret: str('clientSecret', { optional: true, empty: true }),
        }),
        requestOptions(),
      ],
      edges: [
        { label: 'an aborted signal', args: async () => [(await S.refreshOAuthToken.valid())[0], { signal: aborted() }], expect: { code: 'ABORTED' } },
        { label: 'a real refresh', args: async () => { const t = await this.login(); return [{ refreshToken: t.refresh_token, clientId, baseURL: EMU }]; }, expect: { ok: isToken } },
      ],
    });

    // --- device code flow (everywhere) and web flow (servers only: SECRET_IN_BROWSER in a page)
    const isDeviceCode = (v) => (v && isString(v.device_code) && isString(v.user_code) && v.verification_url === `${v.verification_uri}?user_code=${v.user_code}` && typeof v.expires_in === 'number') || 'not DeviceCodeData';
    add('getDeviceCode', {
      type: 'async',
      valid: async () => [{ clientId, baseURL: EMU }, undefined],
      expectValid: { ok: isDeviceCode },
      params: [
        obj('params', {
          clientId: str('clientId', { blank: false }),
          baseURL: baseUrl('baseURL', { optional: true }),
          workspaceId: str('workspaceId', { optional: true, empty: true, blank: false }),
        }),
        requestOptions(),
      ],
      edges: [
        { label: 'an aborted signal', args: async () => [{ clientId, baseURL: EMU }, { signal: aborted() }], expect: { code: 'ABORTED' } },
        { label: 'an unknown client', args: async () => [{ clientId: 'nobody.app.coze', baseURL: EMU }], expect: { code: 'OAUTH_TOKEN_ERROR' } },
        { label: 'a workspace', args: async () => [{ clientId, baseURL: EMU, workspaceId: '7400000000000000101' }], expect: { ok: isDeviceCode } },
      ],
    });
    add('getDeviceToken', {
      type: 'async',
      valid: async () => [{ clientId, deviceCode: 'not-a-real-device-code', baseURL: EMU }, undefined],
      expectValid: { code: 'OAUTH_TOKEN_ERROR' }, // it reached the server, which refused the made-up code
      params: [
        obj('params', {
          clientId: str('clientId', { blank: false }),
          deviceCode: str('deviceCode', { blank: false }),
          baseURL: baseUrl('baseURL', { optional: true }),
          poll: bool('poll'),
          interval: num('interval', { min: 0 }),
          expiresIn: num('expiresIn', { min: 0 }),
        }),
        requestOptions(),
      ],
      edges: [
        { label: 'an aborted signal', args: async () => [{ clientId, deviceCode: 'd', baseURL: EMU }, { signal: aborted() }], expect: { code: 'ABORTED' } },
        { label: 'one pending poll', args: async () => { const d = await api.getDeviceCode({ clientId, baseURL: EMU }); return [{ clientId, deviceCode: d.device_code, baseURL: EMU, poll: false }]; }, expect: { code: 'OAUTH_TOKEN_ERROR' } },
      ],
    });
    const webParams = () => ({ clientId, redirectUrl: REDIRECT, baseURL: EMU, wwwURL: EMU });
    const inPage = lane === 'browser';
    add('getWebAuthenticationUrl', {
      valid: async () => [webParams()],
      expectValid: inPage ? { code: 'SECRET_IN_BROWSER' } : { ok: (v) => (v.url.startsWith(`${EMU}/api/permission/oauth2/authorize?`) && !v.url.includes('code_challenge') && v.state.length >= 43) || 'bad URL' },
      params: [obj('params', {
        clientId: str('clientId', { blank: false }),
        redirectUrl: redirectUrl('redirectUrl'),
        baseURL: baseUrl('baseURL', { optional: true }),
        wwwURL: baseUrl('wwwURL', { optional: true }),
        state: str('state', { optional: true, empty: true }),
        workspaceId: str('workspaceId', { optional: true, empty: true }),
      })],
    });
    add('getWebOAuthToken', {
      type: 'async',
      valid: async () => [{ code: 'not-a-real-code', clientId, clientSecret: 'cs_boundary', redirectUrl: REDIRECT, baseURL: EMU }, undefined],
      expectValid: { code: inPage ? 'SECRET_IN_BROWSER' : 'OAUTH_TOKEN_ERROR' },
      params: [
        obj('params', {
          code: str('code', { blank: false }),
          clientId: str('clientId', { blank: false }),
          clientSecret: str('clientSecret', { blank: false, extra: () => [['secret with a space', 'a b'], ['secret with a newline', 'a\nb']] }),
          redirectUrl: redirectUrl('redirectUrl'),
          baseURL: baseUrl('baseURL', { optional: true }),
        }),
        requestOptions(),
      ],
    });

    // --- SPA login helpers (custom storage: Node has no sessionStorage)
    add('startLogin', {
      type: 'async',
      valid: async () => [{ ...authParams(), storage }],
      expectValid: { ok: (v) => (isString(v.url) && isString(v.state) && storage.map.has(`coze-wasm:pkce:${v.state}`)) || 'no pending login stored' },
      params: [obj('options', {
        clientId: str('clientId', { blank: false }),
        redirectUrl: redirectUrl('redirectUrl'),
        baseURL: baseUrl('baseURL', { optional: true }),
        wwwURL: baseUrl('wwwURL', { optional: true }),
        workspaceId: str('workspaceId', { optional: true, empty: true }),
        storage: storageKind('storage', { memoryOk: false, lane }),
      })],
    });
    const pendingCallback = async (params = '') => {
      const { state } = await api.startLogin({ ...authParams(), storage });
      return `${REDIRECT}?code=not-a-real-code&state=${encodeURIComponent(state)}${params}`;
    };
    add('completeLogin', {
      type: 'async',
      valid: async () => [{ url: await pendingCallback(), storage, tokenManager: tm() }],
      expectValid: { code: 'OAUTH_TOKEN_ERROR' }, // a pending login was found and the code sent
      params: [obj('options', {
        url: str('url', { optional: lane === 'browser', codes: ['INVALID_ARGUMENT', 'OAUTH_STATE_MISSING'] }),
        storage: storageKind('storage', { memoryOk: false, lane }),
        signal: signalKind(lane),
        tokenManager: kind('tokenManager', { optional: true, extra: () => [['object without setToken', { setToken: 'no' }]] }),
      }, { optional: lane === 'browser', codes: ['INVALID_ARGUMENT', 'STORAGE'] })],
      edges: [
        { label: 'a callback nobody started', args: async () => [{ url: `${REDIRECT}?code=x&state=forged`, storage }], expect: { code: 'OAUTH_STATE_MISSING' } },
        { label: 'a duplicated state', args: async () => [{ url: `${await pendingCallback()}&state=again`, storage }], expect: { code: 'OAUTH_DUPLICATE_PARAM' } },
        { label: 'an aborted signal', args: async () => [{ url: await pendingCallback(), storage, signal: aborted() }], expect: { code: 'ABORTED' } },
        { label: 'a tokenManager whose setToken throws', args: async () => { const { url, state } = await api.startLogin({ ...authParams(), storage }); const { location } = await this.admin('POST', '/_emulator/authorize', { url, decision: 'allow' }); void state; return [{ url: location, storage, tokenManager: { setToken() { throw revokedProxy(); } } }]; }, expect: { code: 'STORAGE' } },
        { label: 'a real login handed to a TokenManager', args: async () => { const { url } = await api.startLogin({ ...authParams(), storage }); const { location } = await this.admin('POST', '/_emulator/authorize', { url, decision: 'allow' }); return [{ url: location, storage, tokenManager: tm() }]; }, expect: { ok: isToken } },
      ],
    });

    // --- TokenManager
    add('TokenManager', {
      type: 'ctor',
      call: (args) => new api.TokenManager(...args),
      valid: async () => [{ clientId, baseURL: EMU }],
      expectValid: { ok: (v) => v instanceof api.TokenManager },
      params: [obj('options', {
        clientId: str('clientId', { blank: false }),
        baseURL: baseUrl('baseURL', { optional: true }),
        storage: storageKind('storage', { lane }),
        storageKey: str('storageKey', { optional: true }),
        refreshAheadSeconds: num('refreshAheadSeconds', { min: 0 }),
      })],
    });
    const manager = tm();
    await manager.setToken(goodToken());
    add('TokenManager#setToken', {
      type: 'async',
      call: (args) => manager.setToken(...args),
      valid: async () => [goodToken()],
      expectValid: { ok: (v) => v === undefined },
      params: [obj('token', {
        access_token: str('access_token'),
        refresh_token: str('refresh_token'),
        expires_in: num('expires_in', { optional: false }),
        token_type: str('token_type', { optional: true, empty: true }), // '' reads as "not given"
      })],
      edges: [
        { label: 'storage.setItem throws', args: async () => [goodToken()], expect: { code: 'STORAGE' }, manager: () => new api.TokenManager({ clientId, storage: { getItem() { return null; }, setItem() { throw revokedProxy(); }, removeItem() {} } }) },
      ],
    });
    add('TokenManager#getToken', {
      type: 'async',
      call: (args) => manager.getToken(...args),
      valid: async () => [],
      expectValid: { ok: isToken },
    });
    add('TokenManager#getAccessToken', {
      type: 'async',
      call: (args) => manager.getAccessToken(...args),
      valid: async () => [],
      expectValid: { ok: (v) => v === token.access_token || 'another token' },
    });
    add('webChatAuth', {
      type: 'async',
      valid: async () => [manager],
      expectValid: { ok: (v) => (v && v.type === 'token' && isString(v.token) && typeof v.onRefreshToken === 'function') || 'not a Web Chat SDK auth object' },
      params: [kind('tokenManager', { extra: () => [['object without refresh', { getAccessToken: () => 'x' }], ['object with non-function members', { getAccessToken: 1, refresh: 2 }]] })],
      edges: [{ label: 'a manager holding no token', args: async () => [tm()], expect: { code: 'NOT_LOGGED_IN' } }],
    });
    add('TokenManager#refresh', {
      type: 'async',
      call: (args) => manager.refresh(...args),
      valid: async () => ['some-other-access-token'],
      expectValid: { ok: isToken }, // a different rejected token: the current one is returned, no refresh
      params: [kind('rejectedAccessToken', { optional: true, accepts: (v, label) => isString(v) && v !== BIG && !/surrogate/.test(label) })],
    });
    add('TokenManager#clear', {
      type: 'async',
      call: (args) => tm().clear(...args),
      valid: async () => [],
      expectValid: { ok: (v) => v === undefined },
    });

    // --- JWT (server runtimes; in a page every call is JWT_IN_BROWSER, before any argument check)
    // inPage: declared with the web flow above (same lane).
    const JWT = inPage ? ['JWT_IN_BROWSER'] : INVALID;
    const jwtKey = await rsaPem();
    const jwtApp = inPage ? { app_id: '1', key_id: 'k' } : await this.admin('POST', '/_emulator/jwt_apps', { public_key: jwtKey.publicPem });
    const jwtParams = () => ({ appId: jwtApp.app_id, keyid: jwtApp.key_id, aud: new URL(EMU).host, privateKey: jwtKey.privatePem, baseURL: EMU });
    const isJwtToken = (t) => (t && typeof t.access_token === 'string' && typeof t.expires_in === 'number' && !('refresh_token' in t)) || 'not a JWT token';
    const jwtFields = (extra = {}) => ({
      appId: id('appId', { codes: JWT }),
      keyid: id('keyid', { codes: JWT }),
      aud: id('aud', { codes: JWT }),
      privateKey: kind('privateKey', { codes: JWT, extra: () => [['a public key', jwtKey.publicPem], ['an RSA PUBLIC KEY', '-----BEGIN RSA PUBLIC KEY-----\nMIIB\n-----END RSA PUBLIC KEY-----']] }),
      baseURL: baseUrl('baseURL', { optional: true, codes: JWT }),
      durationSeconds: kind('durationSeconds', {
        optional: true, codes: JWT, extra: () => [['zero', 0], ['one day', 86400], ['fraction', 2.5], ['numeric string', '900']],
        accepts: (v) => Number.isInteger(v) && v >= 1 && v <= 86399,
      }),
      sessionName: str('sessionName', { optional: true, empty: true, codes: JWT }),
      accountId: id('accountId', { optional: true, codes: JWT }),
      allowInsecureHttp: kind('allowInsecureHttp', { optional: true, codes: JWT, accepts: (v) => typeof v === 'boolean' }),
      ...extra,
    });
    add('getJWTToken', {
      type: 'async',
      valid: async () => [jwtParams(), undefined],
      expectValid: inPage ? { code: 'JWT_IN_BROWSER' } : { ok: isJwtToken },
      params: [obj('params', jwtFields(), { codes: JWT }), obj('options', { signal: { ...signalKind(lane), codes: JWT } }, { optional: true, codes: JWT })],
      edges: [
        { label: 'an aborted signal', args: async () => [jwtParams(), { signal: aborted() }], expect: { code: inPage ? 'JWT_IN_BROWSER' : 'ABORTED' } },
        { label: 'a refused JWT (another app)', args: async () => [{ ...jwtParams(), appId: '1234' }], expect: { code: inPage ? 'JWT_IN_BROWSER' : 'OAUTH_TOKEN_ERROR' } },
      ],
    });
    add('JWTTokenManager', {
      type: 'ctor',
      call: (args) => new api.JWTTokenManager(...args),
      valid: async () => [jwtParams()],
      expectValid: inPage ? { code: 'JWT_IN_BROWSER' } : { ok: (v) => v instanceof api.JWTTokenManager },
      params: [obj('options', jwtFields({ refreshAheadSeconds: kind('refreshAheadSeconds', { optional: true, codes: JWT, extra: () => [['negative number', -5], ['numeric string', '60']], accepts: (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0 }) }), { codes: JWT })],
    });
    // In a page no manager can be made: each member call then rejects with the constructor's JWT_IN_BROWSER.
    const jwtManager = inPage ? null : new api.JWTTokenManager(jwtParams());
    const onManager = (method) => (args) => {
      try {
        return (jwtManager || new api.JWTTokenManager(jwtParams()))[method](...args);
      } catch (err) {
        return Promise.reject(err);
      }
    };
    const inPageOr = (expect) => (inPage ? { code: 'JWT_IN_BROWSER' } : expect);
    add('JWTTokenManager#getToken', { type: 'async', call: onManager('getToken'), valid: async () => [], expectValid: inPageOr({ ok: (v) => v === null || isJwtToken(v) }) });
    add('JWTTokenManager#getAccessToken', { type: 'async', call: onManager('getAccessToken'), valid: async () => [], expectValid: inPageOr({ ok: (v) => (isString(v) && v.startsWith('czs_')) || 'no czs_ token' }) });
    add('JWTTokenManager#refresh', {
      type: 'async',
      call: onManager('refresh'),
      valid: async () => ['some-other-access-token'],
      expectValid: inPageOr({ ok: isJwtToken }),
      params: [kind('rejectedAccessToken', { optional: true, codes: JWT, accepts: (v, label) => isString(v) && v !== BIG && !/surrogate/.test(label) })],
    });

    // --- CozeAPI and its resources
    add('CozeAPI', {
      type: 'ctor',
      call: (args) => new api.CozeAPI(...args),
      valid: async () => [{ token: token.access_token, baseURL: EMU }],
      expectValid: { ok: (v) => v instanceof api.CozeAPI && v.baseURL === EMU },
      params: [obj('options', {
        token: kind('token', {
          codes: ['INVALID_ARGUMENT', 'PAT_IN_BROWSER'],
          extra: () => [['object without getAccessToken', { refresh() {} }], ...(lane === 'browser' ? [['pat_ token in a browser', 'pat_abc']] : [])],
          accepts: (v, label) => (isString(v) && v !== '' && v !== BIG && !/surrogate/.test(label) && !/pat_/.test(label)) || typeof v === 'function',
        }),
        baseURL: baseUrl('baseURL', { optional: true }),
        allowPersonalAccessTokenInBrowser: bool('allowPersonalAccessTokenInBrowser'),
        headers: kind('headers', {
          optional: true,
          extra: () => [['header with a number value', { 'x-a': 1 }], ['header with a 10 MB value', { 'x-a': BIG }], ['header with a lone surrogate', { 'x-a': '\uD800' }]],
          // Like a WebIDL record: any non-array object; its own enumerable string values are the headers.
          accepts: (v, label) => isPlainishObject(v) && !isProxyLabel(label) && !/header/.test(label) && label !== 'Uint8Array',
        }),
      })],
    });
    const fresh = () => new api.CozeAPI({ token: token.access_token, baseURL: EMU });
    const resource = (key, call, valid, expectValid, params, extra = {}) => add(key, { type: 'async', call, valid, expectValid, params, ...extra });
    resource('Users#me', (a) => client.users.me(...a), async () => [undefined], { ok: (v) => isString(v.user_id) || 'no user_id' }, [requestOptions()],
      { edges: [{ label: 'an aborted signal', args: async () => [{ signal: aborted() }], expect: { code: 'ABORTED' } }] });
    resource('Workspaces#list', (a) => client.workspaces.list(...a), async () => [undefined, undefined], { ok: (v) => Array.isArray(v.workspaces) || 'no workspaces' },
      [obj('params', { page_num: queryNum('page_num'), page_size: queryNum('page_size') }, { optional: true }), requestOptions()]);
    const wsId = (await client.workspaces.list()).workspaces[0].id;
    resource('Bots#list', (a) => client.bots.list(...a), async () => [{ space_id: wsId }, undefined], { ok: (v) => v && typeof v === 'object' },
      [obj('params', { space_id: id('space_id'), page_index: queryNum('page_index'), page_size: queryNum('page_size') }), requestOptions()]);
    resource('Bots#listNew', (a) => client.bots.listNew(...a), async () => [{ workspace_id: wsId }, undefined], { ok: (v) => Array.isArray(v.items) || 'no items' },
      [obj('params', { workspace_id: id('workspace_id'), publish_status: str('publish_status', { optional: true }), connector_id: id('connector_id', { optional: true }), page_num: queryNum('page_num'), page_size: queryNum('page_size') }), requestOptions()]);
    const botParams = () => ({ space_id: wsId, name: 'Boundary Bot' });
    const madeBot = (await client.bots.create(botParams())).bot_id;
    resource('Bots#create', (a) => client.bots.create(...a), async () => [botParams(), undefined], { ok: (v) => isString(v.bot_id) || 'no bot_id' },
      [obj('params', { space_id: id('space_id'), name: id('name'), icon_file_id: id('icon_file_id', { optional: true }) }), requestOptions()]);
    resource('Bots#update', (a) => client.bots.update(...a), async () => [{ bot_id: madeBot, name: 'Renamed' }, undefined], { ok: (v) => v == null || 'data' },
      [obj('params', { bot_id: id('bot_id'), icon_file_id: id('icon_file_id', { optional: true }) }), requestOptions()]);
    resource('Bots#publish', (a) => client.bots.publish(...a), async () => [{ bot_id: madeBot, connector_ids: ['1024'] }, undefined], { ok: (v) => isString(v.version) || 'no version' },
      [obj('params', { bot_id: id('bot_id'), connector_ids: kind('connector_ids', { extra: () => [['empty array', []], ['array with a number', [1024]], ['array with an empty string', ['']]], accepts: (v, label) => label === 'array of strings' }) }), requestOptions()]);
    resource('Bots#retrieve', (a) => client.bots.retrieve(...a), async () => [{ bot_id: ECHO_BOT }, undefined], { ok: (v) => v.bot_id === ECHO_BOT || 'other bot' },
      [obj('params', { bot_id: id('bot_id') }), requestOptions()]);
    resource('Conversations#create', (a) => client.conversations.create(...a), async () => [{ bot_id: ECHO_BOT }, undefined], { ok: (v) => isString(v.id) || 'no id' },
      [obj('params', { bot_id: id('bot_id', { optional: true }) }, { optional: true }), requestOptions()],
      { edges: [
        { label: 'a BigInt in meta_data', args: async () => [{ bot_id: ECHO_BOT, meta_data: { n: 1n } }], expect: { code: 'INVALID_ARGUMENT' } },
        { label: 'a cyclic params object', args: async () => { const p = { bot_id: ECHO_BOT }; p.self = p; return [p]; }, expect: { code: 'INVALID_ARGUMENT' } },
        { label: 'toJSON returning undefined', args: async () => [{ bot_id: ECHO_BOT, toJSON() { return undefined; } }], expect: { code: 'INVALID_ARGUMENT' } },
      ] });
    resource('Conversations#retrieve', (a) => client.conversations.retrieve(...a), async () => [conversation.id, undefined], { ok: (v) => v.id === conversation.id || 'other id' },
      [id('conversation_id'), requestOptions()]);
    resource('ConversationMessages#list', (a) => client.conversations.messages.list(...a), async () => [chat.conversation_id, undefined, undefined], { ok: (v) => Array.isArray(v.data) || 'no data' },
      [id('conversation_id'), obj('params', { chat_id: id('chat_id', { optional: true }), limit: queryNum('limit') }, { optional: true }), requestOptions()],
      { edges: [{ label: 'a BigInt in params', args: async () => [chat.conversation_id, { limit: 10n }], expect: { code: 'INVALID_ARGUMENT' } }] });
    const chatParamsKind = () => obj('params', {
      bot_id: id('bot_id'),
      conversation_id: id('conversation_id', { optional: true }),
      user_id: str('user_id', { optional: true }),
      additional_messages: kind('additional_messages', {
        optional: true,
        extra: () => [['array with a number', [1]], ['array with a string', ['hi']], ['array with a revoked Proxy', [revokedProxy()]], ['array with a throwing content getter', [{ role: 'user', get content() { throw new Error('content'); } }]], ['a Proxy of an array whose get throws', new Proxy([{}], { get() { throw new Error('get'); } })],
          ['a message with an unknown item type', [{ role: 'user', content: [{ type: 'video', file_id: '1' }] }]],
          ['a message with file_id and file_url', [{ role: 'user', content: [{ type: 'image', file_id: '1', file_url: 'https://x/y' }] }]],
          ['a message with an http file_url', [{ role: 'user', content: [{ type: 'image', file_url: 'http://x/y.png' }] }]],
          ['a message with an empty item list', [{ role: 'user', content: [] }]]],
        accepts: (v, label) => label === 'array',
      }),
    });
    const chatEdges = [
      { label: 'a BigInt in custom_variables', args: async () => [{ ...chatParams(), custom_variables: { n: 1n } }], expect: { code: 'INVALID_ARGUMENT' } },
      { label: 'a cyclic params object', args: async () => { const p = chatParams(); p.self = p; return [p]; }, expect: { code: 'INVALID_ARGUMENT' } },
      { label: 'toJSON returning undefined', args: async () => [{ ...chatParams(), toJSON() { return undefined; } }], expect: { code: 'INVALID_ARGUMENT' } },
      { label: 'a throwing getter on an unknown field', args: async () => [Object.defineProperty(chatParams(), 'meta_data', { enumerable: true, get() { throw new Error('x'); } })], expect: { code: 'INVALID_ARGUMENT' } },
      { label: 'an aborted signal', args: async () => [chatParams(), { signal: aborted() }], expect: { code: 'ABORTED' } },
    ];
    resource('Chat#create', (a) => client.chat.create(...a), async () => [chatParams(), undefined], { ok: (v) => isString(v.id) || 'no id' },
      [chatParamsKind(), requestOptions()], { edges: chatEdges });
    resource('Chat#createAndPoll', (a) => client.chat.createAndPoll(...a), async () => [chatParams(), { pollIntervalMs: 20 }], { ok: (v) => (v.chat && v.chat.status === 'completed') || 'not completed' },
      [chatParamsKind(), requestOptions('options', { pollIntervalMs: num('pollIntervalMs', { min: 0 }), timeoutMs: num('timeoutMs', { min: 0 }) })], { edges: chatEdges });
    add('Chat#stream', {
      type: 'iterable',
      call: (a) => client.chat.stream(...a),
      valid: async () => [chatParams(), undefined],
      expectValid: { ok: (v) => v.done === false && v.value.event === 'conversation.chat.created' },
      params: [chatParamsKind(), requestOptions()],
      edges: [
        ...chatEdges,
        { label: 'drained to done', args: async () => [chatParams()], expect: { ok: (v) => v.done === false } },
      ],
    });
    resource('Chat#retrieve', (a) => client.chat.retrieve(...a), async () => [...ids(), undefined], { ok: (v) => v.id === chat.id || 'other id' },
      [id('conversation_id'), id('chat_id'), requestOptions()]);
    resource('ChatMessages#list', (a) => client.chat.messages.list(...a), async () => [...ids(), undefined], { ok: (v) => Array.isArray(v) || 'not an array' },
      [id('conversation_id'), id('chat_id'), requestOptions()]);
    resource('Chat#cancel', (a) => client.chat.cancel(...a), async () => ['7999999999999999999', '7999999999999999998', undefined], { code: 'COZE_API_ERROR' }, // unknown chat: the server answered
      [id('conversation_id', { codes: INVALID }), id('chat_id'), requestOptions()]);

    // --- files
    const fileKind = kind('file', {
      extra: () => [
        ['detached Uint8Array', detachedUint8Array()], ['empty Uint8Array', new Uint8Array(0)], ['Int8Array', new Int8Array(3)],
        ['array of byte values', [1, 2, 3]], ['text', 'hello'], ['Blob look-alike', { size: 3, type: '', name: 'a' }],
        ['object with Uint8Array.prototype', Object.setPrototypeOf({ length: 4, 0: 100 }, Uint8Array.prototype)],
        ...(typeof Blob === 'function' ? [['empty Blob', new Blob([])]] : []),
      ],
      accepts: (v, label) => label === 'Uint8Array',
    });
    const uploaded = (name, size) => (v) => (isString(v.id) && v.bytes === size && v.file_name === name) || `got ${JSON.stringify(v)}`;
    resource('Files#upload', (a) => client.files.upload(...a), async () => [{ file: bytes('hello'), name: 'a.txt' }, undefined], { ok: uploaded('a.txt', 5) },
      [obj('params', { file: fileKind, name: str('name', { blank: false }) }),
        requestOptions('options', { onProgress: kind('onProgress', { optional: true, accepts: (v) => typeof v === 'function' }) })],
      { edges: [
        { label: 'an aborted signal', args: async () => [{ file: bytes('x'), name: 'a' }, { signal: aborted() }], expect: { code: 'ABORTED' } },
        { label: 'a name with a newline', args: async () => [{ file: bytes('x'), name: 'a\nb' }], expect: { code: 'INVALID_ARGUMENT' } },
        ...(typeof Blob === 'function' ? [
          { label: 'a Blob without a name', args: async () => [{ file: new Blob(['x']) }], expect: { code: 'INVALID_ARGUMENT' } },
          { label: 'a Blob with a name', args: async () => [{ file: new Blob(['blob!']), name: 'b.bin' }], expect: { ok: uploaded('b.bin', 5) } },
        ] : []),
        ...(typeof File === 'function' ? [{ label: 'a File', args: async () => [{ file: new File(['file'], 'f.txt') }], expect: { ok: uploaded('f.txt', 4) } }] : []),
        ...(typeof Buffer === 'function' ? [{ label: 'a Node Buffer', args: async () => [{ file: Buffer.from('buf'), name: 'n' }], expect: { ok: uploaded('n', 3) } }] : []),
      ] });
    const fileId = (await client.files.upload({ file: bytes('kept'), name: 'kept.txt' })).id;
    resource('Files#retrieve', (a) => client.files.retrieve(...a), async () => [fileId, undefined], { ok: uploaded('kept.txt', 4) },
      [id('file_id'), requestOptions()]);

    // --- SseParser
    const parser = new api.SseParser();
    let flips = 0;
    class LyingLength extends Uint8Array { get length() { return 2 ** 32 - 1; } }
    class FlippingLength extends Uint8Array { get length() { return flips++ % 2 ? 3 : 4; } }
    add('SseParser', {
      type: 'ctor',
      call: (args) => new api.SseParser(...args),
      valid: async () => [{ maxEventSize: 1024 }],
      expectValid: { ok: (v) => v instanceof api.SseParser },
      params: [obj('options', { maxEventSize: num('maxEventSize', { min: 1, integer: true }) }, { optional: true })],
    });
    add('SseParser#feed', {
      call: (args) => new api.SseParser().feed(...args),
      valid: async () => [bytes('event: x\ndata: 1\n\n')],
      expectValid: { ok: (v) => (Array.isArray(v) && v.length === 1 && v[0].event === 'x' && v[0].data === '1') || 'wrong events' },
      params: [kind('bytes', {
        extra: () => {
          return [
            ['detached Uint8Array', detachedUint8Array()],
            ['Proxy of a Uint8Array', new Proxy(bytes('data: x\n\n'), {})],
            ['object with Uint8Array.prototype', Object.setPrototypeOf({ length: 4, 0: 100 }, Uint8Array.prototype)],
            ['Int8Array', new Int8Array(4)], ['Uint16Array', new Uint16Array(4)], ['Uint8ClampedArray', new Uint8ClampedArray(4)],
            ['DataView', new DataView(new ArrayBuffer(4))], ['array of byte values', [100, 97, 116, 97]],
            ['string of SSE text', 'data: x\n\n'],
          ];
        },
        accepts: (v, label) => label === 'Uint8Array',
      })],
      edges: [
        { label: 'a UTF-8 character split across chunks', args: async () => [new Uint8Array([0x64, 0x61, 0x74, 0x61, 0x3a, 0xe6, 0x89]), new Uint8Array([0xa3, 0x0a, 0x0a])], expect: { ok: (v) => (v.length === 1 && v[0].data === '扣') || `got ${JSON.stringify(v)}` }, call: (args) => { const p = new api.SseParser(); return [...p.feed(args[0]), ...p.feed(args[1])]; } },
        { label: 'invalid UTF-8 bytes decode to U+FFFD (WHATWG)', args: async () => [new Uint8Array([0x64, 0x61, 0x74, 0x61, 0x3a, 0xff, 0xc3, 0x28, 0x0a, 0x0a])], expect: { ok: (v) => (v.length === 1 && v[0].data === '\uFFFD\uFFFD(') || `got ${JSON.stringify(v)}` } },
        // A real Uint8Array whose class lies about `length`: its real bytes are read, no more, no less.
        { label: 'a Uint8Array subclass claiming a huge length', args: async () => [LyingLength.from(bytes('data: real\n\n'))], expect: { ok: (v) => (v.length === 1 && v[0].data === 'real') || `got ${JSON.stringify(v)}` } },
        { label: 'a Uint8Array subclass with a changing length', args: async () => [FlippingLength.from(bytes('data: real\n\n'))], expect: { ok: (v) => (v.length === 1 && v[0].data === 'real') || `got ${JSON.stringify(v)}` } },
        { label: 'an empty Uint8Array', args: async () => [new Uint8Array(0)], expect: { ok: (v) => v.length === 0 } },
        { label: 'a subarray view', args: async () => [bytes('xxdata: sub\n\nxx').subarray(2, 14)], expect: { ok: (v) => (v.length === 1 && v[0].data === 'sub') || `got ${JSON.stringify(v)}` } },
        { label: 'a 10 MB event in one chunk', args: async () => [bytes(`data: ${'x'.repeat(10 * 1024 * 1024)}\n\n`)], expect: { ok: (v) => (v.length === 1 && v[0].data.length === 10 * 1024 * 1024) || 'wrong event' } },
        ...(typeof Buffer === 'function' ? [{ label: 'a Node Buffer', args: async () => [Buffer.from('data: buf\n\n')], expect: { ok: (v) => (v.length === 1 && v[0].data === 'buf') || 'wrong event' } }] : []),
      ],
    });
    const small = new api.SseParser({ maxEventSize: 8 });
    add('SseParser#feed (maxEventSize 8)', {
      call: (args) => small.feed(...args),
      valid: async () => [bytes('data: 1\n\n')],
      expectValid: { ok: (v) => v.length === 1 },
      edges: [{ label: 'an event over the limit', args: async () => [bytes('data: 0123456789\n\n')], expect: { code: 'EVENT_TOO_LARGE' } }],
    });
    S['SseParser#feed (maxEventSize 8)'].key = 'SseParser#feed';
    add('SseParser#finish', {
      call: () => { parser.feed(bytes('data: partial')); return parser.finish(); },
      valid: async () => [],
      expectValid: { ok: (v) => (Array.isArray(v) && v.length === 0) || 'an incomplete event was dispatched' },
    });
    add('SseParser#lastEventId', { call: () => { parser.feed(bytes('id: 42\ndata: x\n\n')); return parser.lastEventId; }, valid: async () => [], expectValid: { ok: (v) => v === '42' } });
    add('SseParser#retry', { call: () => { parser.feed(bytes('retry: 1500\n\n')); return parser.retry; }, valid: async () => [], expectValid: { ok: (v) => v === 1500 } });

    // --- getters that hand out resources
    for (const [key, get, method] of [
      ['CozeAPI#baseURL', () => fresh().baseURL, null], ['CozeAPI#chat', () => fresh().chat, 'stream'],
      ['CozeAPI#conversations', () => fresh().conversations, 'create'], ['CozeAPI#bots', () => fresh().bots, 'listNew'],
      ['CozeAPI#workspaces', () => fresh().workspaces, 'list'], ['CozeAPI#users', () => fresh().users, 'me'],
      ['CozeAPI#files', () => fresh().files, 'upload'],
      ['Chat#messages', () => fresh().chat.messages, 'list'], ['Conversations#messages', () => fresh().conversations.messages, 'list'],
    ]) {
      add(key, { call: get, valid: async () => [], expectValid: { ok: (v) => (method ? typeof v[method] === 'function' : v === EMU) || 'wrong type' } });
    }

    // The async iterable of chat.stream(): next() calls made before the previous one settled queue up;
    // return() ends it, and later next() calls say done.
    add('Chat#stream (overlapping next)', {
      type: 'async',
      call: async () => {
        const it = client.chat.stream(chatParams())[Symbol.asyncIterator]();
        const [a, b] = await Promise.all([it.next(), it.next()]);
        await it.return();
        await it.return();
        const after = await it.next();
        return [a, b, after];
      },
      valid: async () => [],
      expectValid: { ok: ([a, b, after]) => (a.value.event === 'conversation.chat.created' && b.value.event === 'conversation.chat.in_progress' && after.done) || `got ${JSON.stringify([a, b, after])}` },
    });
    S['Chat#stream (overlapping next)'].key = 'Chat#stream';

    // --- token sources that misbehave at request time
    const providers = [
      ['a function returning a number', () => 123],
      ['a function returning an empty string', () => ''],
      ['a function returning a 10 MB string', () => BIG],
      ['a function returning a lone surrogate', () => 'czu_\uD800'],
      ['a function throwing an Error', () => { throw new Error('no token'); }],
      ['a function throwing a string', () => { throw 'no token'; }],
      ['a function throwing a revoked Proxy', () => { throw revokedProxy(); }],
      ['a function rejecting with a trap-bomb Proxy', () => Promise.reject(trapBomb())],
      ['a function returning a thenable whose then throws', () => ({ get then() { throw new Error('then'); } })],
      ['a manager whose getAccessToken returns an object', { getAccessToken: () => ({}), refresh: () => ({}) }],
      ['a manager whose getAccessToken throws a Symbol', { getAccessToken() { throw Symbol('s'); }, refresh() {} }],
      ['a token with a newline (not a header value)', 'czu_a\nb'],
    ];
    for (const [label, headers] of [['a header with a bad name', { 'bad name': 'x' }], ['a header with a newline in the value', { 'x-a': 'a\nb' }]]) {
      add(`Users#me with ${label}`, {
        type: 'async',
        call: () => new api.CozeAPI({ token: token.access_token, baseURL: EMU, headers }).users.me(),
        valid: async () => [],
        expectValid: { code: 'INVALID_ARGUMENT' }, // refused when the request is built, before it is sent
      });
      S[`Users#me with ${label}`].key = 'Users#me';
    }
    for (const [label, source] of providers) {
      add(`Users#me with ${label}`, {
        type: 'async',
        call: () => new api.CozeAPI({ token: source, baseURL: EMU }).users.me(),
        valid: async () => [],
        expectValid: { code: ['INVALID_ARGUMENT', 'NOT_LOGGED_IN'] },
      });
      S[`Users#me with ${label}`].key = 'Users#me';
    }

    // --- plain JS exports: constants, the error class, wasm-bindgen's init functions
    const frozen = (v) => Object.isFrozen(v) || 'not frozen';
    add('COZE_CN_BASE_URL', { call: () => api.COZE_CN_BASE_URL, valid: async () => [], expectValid: { ok: (v) => v === 'https://api.coze.cn' } });
    add('COZE_COM_BASE_URL', { call: () => api.COZE_COM_BASE_URL, valid: async () => [], expectValid: { ok: (v) => v === 'https://api.coze.com' } });
    add('ChatEventType', { call: () => api.ChatEventType, valid: async () => [], expectValid: { ok: frozen } });
    add('ChatStatus', { call: () => api.ChatStatus, valid: async () => [], expectValid: { ok: frozen } });
    add('RoleType', { call: () => api.RoleType, valid: async () => [], expectValid: { ok: frozen } });
    add('CozeError', {
      type: 'ctor',
      call: (args) => new api.CozeError(...args),
      valid: async () => ['INVALID_ARGUMENT', 'm'],
      expectValid: { ok: (v) => (v instanceof Error && v.code === 'INVALID_ARGUMENT' && v.name === 'CozeError') || 'wrong shape' },
      // A plain data class: it stores what it is given and never throws.
      edges: junk().filter(([l]) => !/Proxy/.test(l)).map(([label, value]) => ({ label: `code = ${label}`, args: async () => [value, 'm'], expect: { ok: (v) => v instanceof api.CozeError || 'not a CozeError' } })),
    });
    add('initSync', {
      call: (args) => api.initSync(...args),
      valid: async () => [123],
      expectValid: { ok: (v) => (v && typeof v === 'object') || 'no instance' }, // already initialised: returns the instance, whatever the argument
    });
    add('default', {
      type: 'async',
      call: (args) => api.default(...args),
      valid: async () => [{ module_or_path: 123 }],
      expectValid: { ok: (v) => (v && typeof v === 'object') || 'no instance' },
    });

    // ------------------------------------------------------------- coverage of the runtime API
    const expected = new Set();
    for (const name of this.exportNames) {
      expected.add(name);
      const v = api[name];
      if (typeof v === 'function' && v.prototype && name !== 'default' && /^[A-Z]/.test(name)) {
        for (const member of Object.getOwnPropertyNames(v.prototype)) {
          if (!GLUE_MEMBERS.has(member)) expected.add(`${name}#${member}`);
        }
        for (const member of Object.getOwnPropertyNames(v)) {
          if (!GLUE_STATICS.has(member)) expected.add(`${name}.${member}`);
        }
      }
    }
    // The resources are plain objects: each of their members needs cases too.
    const sample = new api.CozeAPI({ token: 'czu_coverage', baseURL: EMU });
    for (const [name, resource] of Object.entries(RESOURCES)) {
      for (const member of Object.keys(resource(sample))) expected.add(`${name}#${member}`);
    }
    for (const key of expected) {
      if (!S[key] && !Object.values(S).some((s) => s.key === key)) this.fail('coverage', `${key} has no boundary cases in tests/boundary/cases.mjs`);
    }
    for (const key of Object.keys(S)) {
      const k = S[key].key;
      if (!expected.has(k)) this.fail('coverage', `cases for ${k}, which the module does not export`);
    }

    // ------------------------------------------------------------------------- run everything
    await this.health('start');
    for (const spec of Object.values(S)) {
      spec.call = spec.call || ((args) => api[spec.key](...args));
      if (spec.key === 'TokenManager#setToken') {
        for (const edge of spec.edges) {
          const m = edge.manager();
          await this.expectOutcome(`${spec.name}: ${edge.label}`, { ...spec, call: (args) => m.setToken(...args) }, await edge.args(), edge.expect, 'edge');
        }
        await this.exercise({ ...spec, edges: [] });
        continue;
      }
      this.log(`… ${spec.name}`);
      await this.exercise(spec);
    }

    // Wrong receivers and use after free() for every class member; `new`-made inert objects too.
    const instances = {
      SseParser: () => new api.SseParser(), TokenManager: tm, CozeAPI: fresh,
      ...(inPage ? {} : { JWTTokenManager: () => new api.JWTTokenManager(jwtParams()) }),
    };
    for (const name of this.exportNames) {
      const Class = api[name];
      if (!instances[name]) continue;
      for (const member of Object.getOwnPropertyNames(Class.prototype)) {
        if (member === 'constructor' || member === '__destroy_into_raw') continue;
        const make = instances[name];
        let instance = make();
        try { instance.free(); } catch (_) { /* an inert `new`-made object */ }
        if (member === 'free') {
          // free() twice, and free() on a foreign object.
          this.counts.receiver += 2;
          this.cover(`${name}#free`, 2);
          instance = make();
          try { instance.free(); } catch (_) { /* inert */ }
          try { instance.free(); } catch (e) { if (this.badError(e, null)) this.glueUncoded.push(`${name}#free twice: ${show(e)}`); }
          try { Class.prototype.free.call({}); } catch (e) { if (this.badError(e, null)) this.glueUncoded.push(`${name}#free on a plain object: ${show(e)}`); }
          await this.health(`${name}#free`);
          continue;
        }
        await this.receiverMisuse(Class, member, instance || {});
      }
    }

    // The valid calls still work at the end (network included).
    token = await this.login();
    const again = new api.CozeAPI({ token: token.access_token, baseURL: EMU });
    const events = [];
    for await (const part of again.chat.stream(chatParams())) events.push(part.event);
    if (events[events.length - 1] !== 'done') this.fail('final', `a chat stream after the run ended with ${events[events.length - 1]}`);
    this.counts.valid++;
  }
}
