// The few things wasm-bindgen cannot express: an Error subclass, constant objects, an async
// iterable, Web Locks and optional browser globals. Pulled in as a wasm-bindgen snippet.

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

export function createError(code, message, status, cozeCode, msg, logid, error, errorDescription, raw) {
  return new CozeError(code, message, {
    status, cozeCode, msg, logid, error, error_description: errorDescription, raw,
  });
}

export function isCozeError(value) {
  try {
    return value instanceof CozeError;
  } catch (_) {
    return false; // a revoked Proxy, or one whose getPrototypeOf trap throws
  }
}

/**
 * The async iterable over a wasm ChatStream. This pumps the body reader; the wasm turns each chunk
 * into finished iterator results in one synchronous call; `next()` serves them from a queue, so an
 * event already in costs no wasm call and no extra promise hop. `break` cancels the request.
 */
export function chatIterable(stream) {
  let ready = [];
  let head = 0;
  let reader = null;
  let chain = null;
  // An event's JSON is parsed when it is yielded, so a chunk's first event waits for no other's.
  const take = () => {
    const result = ready[head];
    ready[head++] = undefined;
    if (!(result instanceof Unparsed)) return result;
    let data;
    try {
      data = JSON.parse(result.raw);
    } catch (_) {
      if (!result.strict) return { value: { event: result.event, data: result.raw }, done: false };
      ready = [];
      head = 0;
      throw stream.malformed(result.event, result.raw);
    }
    return { value: { event: result.event, data }, done: false };
  };
  const pull = async () => {
    for (;;) {
      if (head < ready.length) return take();
      if (stream.check()) return { done: true, value: undefined }; // throws a failure that is due
      if (!reader) {
        reader = await stream.open();
        if (!reader) return { done: true, value: undefined };
        continue;
      }
      let chunk;
      try {
        chunk = await reader.read();
      } catch (err) {
        throw stream.fail(err);
      }
      ready = chunk.done ? stream.end() : stream.feed(chunk.value);
      head = 0;
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
      stream.cancel();
      return { done: true, value };
    },
  };
}

/** `listener(value)` in a microtask (an exception there is reported as uncaught, not swallowed). */
export function notify(listener, value) {
  queueMicrotask(() => listener(value));
}

/** Runs `task` under an exclusive Web Lock (one refresh across tabs); without Web Locks, directly. */
export function withLock(name, task) {
  const locks = globalThis.navigator && globalThis.navigator.locks;
  if (!locks || typeof locks.request !== 'function') return task();
  return locks.request(name, { mode: 'exclusive' }, () => task());
}

/** Is a Web Lock of this name held by any context of this origin? */
export async function lockHeld(name) {
  const locks = globalThis.navigator && globalThis.navigator.locks;
  if (!locks || typeof locks.query !== 'function') return false;
  const { held = [] } = await locks.query();
  return held.some((lock) => lock.name === name);
}

/** Holds a shared Web Lock of this name for `ms`; resolves once it is granted. */
export function holdLock(name, ms) {
  const locks = globalThis.navigator && globalThis.navigator.locks;
  if (!locks || typeof locks.request !== 'function') return Promise.resolve();
  return new Promise((granted) => {
    locks.request(name, { mode: 'shared' }, () => {
      granted();
      return new Promise((release) => setTimeout(release, ms));
    }).catch(() => granted());
  });
}

export function sessionStorageOrNull() {
  try {
    return globalThis.sessionStorage || null;
  } catch (_) {
    return null; // sandboxed iframes throw on access
  }
}

export function currentLocation() {
  return globalThis.location ? String(globalThis.location.href) : null;
}

export function replaceLocation(url) {
  const history = globalThis.history;
  if (history && typeof history.replaceState === 'function') history.replaceState(history.state, '', url);
}

/** A page or a Web Worker: anywhere a token in JS memory is reachable by the page's scripts. */
export function isBrowser() {
  if (typeof globalThis.window !== 'undefined' && typeof globalThis.document !== 'undefined') return true;
  const Worker = globalThis.WorkerGlobalScope;
  return typeof Worker === 'function' && globalThis instanceof Worker;
}

export function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) return reject(signal.reason);
    // Timers fire at once beyond 2^31 - 1 ms: clamp rather than poll in a tight loop.
    const timer = setTimeout(resolve, Math.min(ms, 2147483647));
    if (signal) signal.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason); }, { once: true });
  });
}

/** Marks a promise as handled: `reader.cancel()` rejects after an abort, and nobody awaits it. */
export function ignoreRejection(promise) {
  if (promise && typeof promise.catch === 'function') promise.catch(() => {});
}

// Hot path: one call per chunk. `text` is the chunk's events concatenated; `meta` holds, per
// event, the UTF-16 lengths of its name and data and whether the data must be JSON.

/** A chat event cut out of a batch; chatIterable parses its data when it yields it. */
class Unparsed {
  constructor(event, raw, strict) {
    this.event = event;
    this.raw = raw;
    this.strict = strict;
  }
}

/** Pushes each event of the batch onto `out`, unparsed (see chatIterable's `take`). */
export function chatParts(text, meta, out) {
  let at = 0;
  for (let i = 0; i < meta.length; i += 3) {
    const event = text.substring(at, (at += meta[i]));
    const raw = text.substring(at, (at += meta[i + 1]));
    out.push(new Unparsed(event, raw, meta[i + 2] === 1));
  }
}

/** One (big) chat event outside a batch, for chatIterable to parse when it yields it. */
export function unparsed(event, raw, strict) {
  return new Unparsed(event, raw, strict);
}

export function sseEvent(event, data, id) {
  return { event, data, id };
}

/** Pushes SseParser.feed's `{event, data, id}` records onto `out`: three lengths per event in `meta`. */
export function sseEvents(text, meta, out) {
  let at = 0;
  for (let i = 0; i < meta.length; i += 3) {
    const event = text.substring(at, (at += meta[i]));
    const data = text.substring(at, (at += meta[i + 1]));
    const id = text.substring(at, (at += meta[i + 2]));
    out.push({ event, data, id });
  }
}

/** `{value: {event, data}, done: false}`. */
export function part(event, data) {
  return { value: { event, data }, done: false };
}

// String(value) that never throws (objects without a prototype, throwing toString, revoked
// Proxies) and stays short (it ends up in an error message).
export function describeValue(value) {
  let text;
  try {
    text = String(value);
  } catch {
    try {
      text = Object.prototype.toString.call(value);
    } catch {
      text = `a ${typeof value} that cannot be printed`;
    }
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

// Argument checks that must not run the caller's code (getters, Proxy traps) nor trust it.

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
    } catch (_) {
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
  } catch (_) {
    return false;
  }
}
