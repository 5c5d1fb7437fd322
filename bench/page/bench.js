// The in-page half of the benchmark (bench/run.mjs drives it through Playwright). Every
// measurement is a function on `window.bench` that returns plain JSON.
import init, { CozeAPI, SseParser, COZE_CN_BASE_URL } from '/pkg/index.js';
import { chatStream as cozeApiChatStream } from '/dist/coze-api.js';
import { createParser } from '/dist/eventsource-parser.js';
import { chunked, generateStream, generatedBody } from './coze-stream.js';

const BOT_ID = '7379462189365198898';
const PARAMS = () => ({ bot_id: BOT_ID, additional_messages: [{ role: 'user', content: '你好', content_type: 'text' }] });
const TOKEN = 'bench-access-token'; // any non-`pat_` string: both clients only put it in a header

const wasm = await init({ module_or_path: '/pkg/web/coze_wasm_bg.wasm' });
const wasmBytes = () => wasm.memory.buffer.byteLength;
const gc = () => globalThis.gc && globalThis.gc();

// Both clients fetch through the global `fetch` at call time (our glue: `fetch(arg0)`; axios'
// fetch adapter: `envFetch || fetch`). The page replaces it after init() with one that answers
// every request with a 200 event-stream Response over the body `nextBody()` makes.
let nextBody = null;
let fetchCalls = 0;
globalThis.fetch = async () => {
  fetchCalls++;
  if (!nextBody) throw new TypeError('bench: no body prepared for this fetch');
  const body = nextBody();
  nextBody = null;
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
};

/** A body replaying `chunks`, one chunk per read, as fast as the reader asks. */
function replayBody(chunks) {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]);
      else controller.close();
    },
  }, { highWaterMark: 0 });
}

/**
 * A body that enqueues one chunk per macrotask, only once the reader is waiting, recording
 * `performance.now()` right before each enqueue in `enqueuedAt`.
 */
function timedBody(chunks, enqueuedAt) {
  let i = 0;
  const channel = new MessageChannel();
  return new ReadableStream({
    pull(controller) {
      return new Promise((resolve) => {
        channel.port1.onmessage = () => {
          if (i < chunks.length) {
            enqueuedAt[i] = performance.now();
            controller.enqueue(chunks[i++]);
          } else {
            controller.close();
            channel.port1.close();
          }
          resolve();
        };
        channel.port2.postMessage(0);
      });
    },
  }, { highWaterMark: 0 });
}

// ---- the pipelines: each turns a body into an async iterable of {event, data: <parsed JSON>} ----

const PIPELINES = {
  /** (a) ours: client.chat.stream over the fetched Response. */
  'ours chat.stream': (makeBody) => {
    nextBody = makeBody;
    return new CozeAPI({ token: TOKEN, baseURL: COZE_CN_BASE_URL }).chat.stream(PARAMS());
  },
  /** (b) ours: fetch, then the standalone SseParser over the body's Uint8Array chunks, + JSON.parse. */
  'ours SseParser+JSON.parse': (makeBody) => sseParserEvents(makeBody),
  /** (c) @coze/api 1.3.9: client.chat.stream (axios fetch adapter → its line reader → JSON.parse). */
  '@coze/api chat.stream': (makeBody) => {
    nextBody = makeBody;
    return cozeApiChatStream({ token: TOKEN, baseURL: 'https://api.coze.cn' }, PARAMS());
  },
  /** (d) fetch, then TextDecoder + eventsource-parser 4 + JSON.parse. */
  'TextDecoder+eventsource-parser+JSON.parse': (makeBody) => eventsourceParserEvents(makeBody),
};

/** What an app using a bare parser does first: POST /v3/chat and take the Response body. */
async function fetchBody(makeBody) {
  nextBody = makeBody;
  const response = await fetch('https://api.coze.cn/v3/chat', {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...PARAMS(), stream: true }),
  });
  return response.body;
}

async function* sseParserEvents(makeBody) {
  const reader = (await fetchBody(makeBody)).getReader();
  const parser = new SseParser();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const events = parser.feed(value);
      for (let i = 0; i < events.length; i++) yield { event: events[i].event, data: JSON.parse(events[i].data) };
    }
    for (const e of parser.finish()) yield { event: e.event, data: JSON.parse(e.data) };
  } finally {
    parser.free();
    reader.releaseLock();
  }
}

async function* eventsourceParserEvents(makeBody) {
  const reader = (await fetchBody(makeBody)).getReader();
  const decoder = new TextDecoder();
  let queue = [];
  const parser = createParser({ onEvent: (e) => queue.push({ event: e.event, data: JSON.parse(e.data) }) });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
      if (queue.length) {
        const ready = queue;
        queue = [];
        for (let i = 0; i < ready.length; i++) yield ready[i];
      }
    }
    parser.feed(decoder.decode());
    yield* queue;
  } finally {
    reader.releaseLock();
  }
}

// ---- synchronous "parser only" loops (no ReadableStream, no async iteration) ----

const SYNC_LOOPS = {
  'ours SseParser+JSON.parse (sync loop)': (chunks, sink) => {
    const parser = new SseParser();
    for (let c = 0; c < chunks.length; c++) {
      const events = parser.feed(chunks[c]);
      for (let i = 0; i < events.length; i++) sink({ event: events[i].event, data: JSON.parse(events[i].data) });
    }
    parser.finish();
    parser.free();
  },
  'TextDecoder+eventsource-parser+JSON.parse (sync loop)': (chunks, sink) => {
    const decoder = new TextDecoder();
    const parser = createParser({ onEvent: (e) => sink({ event: e.event, data: JSON.parse(e.data) }) });
    for (let c = 0; c < chunks.length; c++) parser.feed(decoder.decode(chunks[c], { stream: true }));
    parser.feed(decoder.decode());
  },
};

/** What every pipeline must agree on: event count and the delta text it carried. */
function makeTally() {
  const tally = { events: 0, deltaChars: 0, lastEvent: '' };
  tally.sink = (part) => {
    tally.events++;
    tally.lastEvent = part.event;
    if (part.event === 'conversation.message.delta') tally.deltaChars += part.data.content.length;
  };
  return tally;
}

const streams = new Map();
function stream(targetBytes) {
  if (!streams.has(targetBytes)) streams.set(targetBytes, generateStream(targetBytes));
  return streams.get(targetBytes);
}

function checkTally(name, tally, s) {
  if (tally.events !== s.events || tally.deltaChars !== s.deltaChars || tally.lastEvent !== 'done') {
    throw new Error(`${name}: saw ${tally.events} events / ${tally.deltaChars} delta chars / last ${tally.lastEvent}; ` +
      `expected ${s.events} / ${s.deltaChars} / done`);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

window.bench = {
  info() {
    return {
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
      gc: typeof globalThis.gc === 'function',
      preciseMemory: !!performance.memory,
      userAgent: navigator.userAgent,
      pipelines: Object.keys(PIPELINES),
      syncLoops: Object.keys(SYNC_LOOPS),
      timerResolutionUs: timerResolution() * 1000,
    };
  },

  /** Builds (once) the replay stream, returns its shape. */
  prepare(targetBytes) {
    const s = stream(targetBytes);
    const counts = {};
    const text = new TextDecoder().decode(s.bytes);
    for (const m of text.matchAll(/^event:(.*)$/gm)) counts[m[1]] = (counts[m[1]] || 0) + 1;
    return { bytes: s.bytes.length, events: s.events, deltaChars: s.deltaChars, eventCounts: counts };
  },

  /** Per-event cost: `runs` timed consumptions (after `warmup` untimed ones) of the whole stream. */
  async throughput({ pipeline, targetBytes, chunkSize, runs, warmup }) {
    const s = stream(targetBytes);
    const chunks = chunked(s.bytes, chunkSize);
    const times = [];
    const callsBefore = fetchCalls;
    for (let r = 0; r < warmup + runs; r++) {
      gc();
      const tally = makeTally();
      let t0, t1;
      if (SYNC_LOOPS[pipeline]) {
        t0 = performance.now();
        SYNC_LOOPS[pipeline](chunks, tally.sink);
        t1 = performance.now();
      } else {
        t0 = performance.now();
        for await (const part of PIPELINES[pipeline](() => replayBody(chunks))) tally.sink(part);
        t1 = performance.now();
      }
      checkTally(pipeline, tally, s);
      if (r >= warmup) times.push(t1 - t0);
    }
    const ms = median(times);
    return {
      pipeline, chunkSize, bytes: s.bytes.length, events: s.events, chunks: chunks.length, runs, warmup,
      timesMs: times, medianMs: ms, usPerEvent: (ms * 1000) / s.events, mbPerS: s.bytes.length / 1e6 / (ms / 1000),
      bestUsPerEvent: (Math.min(...times) * 1000) / s.events, fetchCalls: fetchCalls - callsBefore,
    };
  },

  /** The floor: JSON.parse of every event's data alone (no framing, no stream). */
  jsonParseFloor({ targetBytes, runs, warmup }) {
    const s = stream(targetBytes);
    const text = new TextDecoder().decode(s.bytes);
    const datas = [];
    const events = [];
    for (const m of text.matchAll(/^event:(.*)\ndata:(.*)$/gm)) {
      events.push(m[1]);
      datas.push(m[2]);
    }
    const times = [];
    for (let r = 0; r < warmup + runs; r++) {
      gc();
      const tally = makeTally();
      const t0 = performance.now();
      for (let i = 0; i < datas.length; i++) tally.sink({ event: events[i], data: JSON.parse(datas[i]) });
      const t1 = performance.now();
      checkTally('JSON.parse floor', tally, s);
      if (r >= warmup) times.push(t1 - t0);
    }
    const ms = median(times);
    return { pipeline: 'JSON.parse only (floor)', bytes: s.bytes.length, events: s.events, runs, warmup, timesMs: times,
      medianMs: ms, usPerEvent: (ms * 1000) / s.events, mbPerS: s.bytes.length / 1e6 / (ms / 1000) };
  },

  /**
   * Latency: each chunk is enqueued on its own macrotask once the consumer waits; an event's
   * latency is its yield time minus the enqueue time of the chunk holding its last byte.
   */
  async latency({ pipeline, targetBytes, chunkSize, warmup }) {
    const s = stream(targetBytes);
    const chunks = chunked(s.bytes, chunkSize);
    let latencies;
    for (let r = 0; r < warmup + 1; r++) {
      gc();
      const enqueuedAt = new Float64Array(chunks.length);
      const yieldedAt = new Float64Array(s.events);
      const tally = makeTally();
      let k = 0;
      for await (const part of PIPELINES[pipeline](() => timedBody(chunks, enqueuedAt))) {
        yieldedAt[k++] = performance.now();
        tally.sink(part);
      }
      checkTally(pipeline, tally, s);
      latencies = new Float64Array(s.events);
      for (let e = 0; e < s.events; e++) latencies[e] = yieldedAt[e] - enqueuedAt[Math.floor((s.ends[e] - 1) / chunkSize)];
    }
    const sorted = Array.from(latencies).sort((a, b) => a - b);
    return {
      pipeline, chunkSize, bytes: s.bytes.length, events: s.events, chunks: chunks.length,
      p50Us: percentile(sorted, 50) * 1000, p99Us: percentile(sorted, 99) * 1000, maxUs: sorted[sorted.length - 1] * 1000,
    };
  },

  /**
   * Memory around one big stream through `pipeline`, generated on the fly chunk by chunk.
   * `baseline`: the page as loaded; `before`: after a small warm-up stream (one-time allocations
   * and JIT done); `checkpoints`: in the middle of the big stream, every `checkpointBytes`;
   * `after`: once it is done. Each after gc().
   */
  async memory({ pipeline, targetBytes, warmupBytes, chunkSize, checkpointBytes }) {
    const snapshot = (extra) => {
      gc();
      return { ...extra, jsHeap: performance.memory.usedJSHeapSize, wasm: wasmBytes() };
    };
    const consume = async (bytes, onEvent) => {
      const stats = { bytes: 0, events: 0 };
      const tally = makeTally();
      for await (const part of PIPELINES[pipeline](() => generatedBody(bytes, chunkSize, undefined, stats))) {
        tally.sink(part);
        if (onEvent) onEvent(stats);
      }
      if (tally.events !== stats.events || tally.lastEvent !== 'done') {
        throw new Error(`memory: ${tally.events} events yielded, ${stats.events} generated, last ${tally.lastEvent}`);
      }
      return stats;
    };
    const baseline = snapshot();
    await consume(warmupBytes);
    const before = snapshot();
    const checkpoints = [];
    let peakHeap = 0;
    let peakWasm = 0;
    let next = checkpointBytes;
    let events = 0;
    const t0 = performance.now();
    const stats = await consume(targetBytes, (st) => {
      if (++events % 2000 === 0) {
        peakHeap = Math.max(peakHeap, performance.memory.usedJSHeapSize);
        peakWasm = Math.max(peakWasm, wasmBytes());
      }
      if (st.bytes >= next) {
        checkpoints.push(snapshot({ bytes: st.bytes }));
        next += checkpointBytes;
      }
    });
    const ms = performance.now() - t0;
    const after = snapshot({ bytes: stats.bytes });
    return { pipeline, bytes: stats.bytes, events: stats.events, chunkSize, warmupBytes, ms, baseline, before, checkpoints, after,
      peakJsHeapNoGc: peakHeap, peakWasm: Math.max(peakWasm, after.wasm) };
  },
};

function timerResolution() {
  let min = Infinity;
  for (let i = 0; i < 50; i++) {
    const a = performance.now();
    let b = performance.now();
    while (b === a) b = performance.now();
    min = Math.min(min, b - a);
  }
  return min;
}

window.benchReady = true;
