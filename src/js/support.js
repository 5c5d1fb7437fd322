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
  return value instanceof CozeError;
}

/** Wraps the wasm ChatStream so `for await` works; `break` cancels the request. */
export function asyncIterable(inner) {
  return {
    [Symbol.asyncIterator]() { return this; },
    next() { return inner.next(); },
    async return(value) {
      await inner.cancel();
      return { done: true, value };
    },
  };
}

/** Runs `task` under an exclusive Web Lock (one refresh across tabs); without Web Locks, directly. */
export function withLock(name, task) {
  const locks = globalThis.navigator && globalThis.navigator.locks;
  if (!locks || typeof locks.request !== 'function') return task();
  return locks.request(name, { mode: 'exclusive' }, () => task());
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

export function isBrowser() {
  return typeof globalThis.window !== 'undefined' && typeof globalThis.document !== 'undefined';
}

export function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    if (signal) signal.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason); }, { once: true });
  });
}

/** Marks a promise as handled: `reader.cancel()` rejects after an abort, and nobody awaits it. */
export function ignoreRejection(promise) {
  if (promise && typeof promise.catch === 'function') promise.catch(() => {});
}

// Hot path: one call per event builds the whole iterator result.

/** `{value: {event, data}, done: false}` with `data` parsed from JSON text; `undefined` if not JSON. */
export function parsedPart(event, text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch (_) {
    return undefined;
  }
  return { value: { event, data }, done: false };
}

/** `{value: {event, data}, done: false}`. */
export function part(event, data) {
  return { value: { event, data }, done: false };
}

export function finished() {
  return { value: undefined, done: true };
}

export function sseEvent(event, data, id) {
  return { event, data, id };
}

// String(value) that never throws (objects without a prototype, throwing toString).
export function describeValue(value) {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
