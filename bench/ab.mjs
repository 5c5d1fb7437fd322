// Per-event cost of two (or more) built packages, side by side in one Node process: the same
// generated Coze stream through each package's SseParser.feed (+ JSON.parse) and its
// CozeAPI.chat.stream (fetch answered in-process), at 64 B, 1 KB and 16 KB chunks, alternating
// packages, median of 5. For build-flag and code changes on the hot path: run it on the package
// before and after (COZE_WASM_PKG_DIR=/tmp/a python3 scripts/build.py, change, …=/tmp/b).
//
//   node bench/ab.mjs /tmp/a /tmp/b [...]
import { readFileSync } from 'node:fs';
import { chunked, generateStream } from './page/coze-stream.js';

const dirs = process.argv.slice(2);
if (dirs.length < 2) {
  console.error('usage: node bench/ab.mjs <package dir> <package dir> [...]');
  process.exit(2);
}
const { bytes } = generateStream(8e6, 7);
const packages = [];
for (const dir of dirs) {
  const api = await import(`${dir}/index.js`);
  api.initSync({ module: readFileSync(`${dir}/web/coze_wasm_bg.wasm`) });
  packages.push(api);
}

function parse(api, chunks) {
  const parser = new api.SseParser();
  const t = performance.now();
  for (const chunk of chunks) {
    const events = parser.feed(chunk);
    for (let i = 0; i < events.length; i++) JSON.parse(events[i].data);
  }
  const ms = performance.now() - t;
  parser.free();
  return ms;
}

async function stream(api, chunks) {
  // One chunk per read, as the browser bench's bodies (a queue filled up front is slow in Node).
  let next = 0;
  globalThis.fetch = async () => new Response(new ReadableStream({
    pull(controller) {
      if (next < chunks.length) controller.enqueue(chunks[next++]);
      else controller.close();
    },
  }, { highWaterMark: 0 }), { status: 200, headers: { 'content-type': 'text/event-stream' } });
  const t = performance.now();
  const client = new api.CozeAPI({ token: 'bench', baseURL: 'https://api.coze.cn' });
  for await (const _ of client.chat.stream({ bot_id: 'b', additional_messages: [] }));
  return performance.now() - t;
}

const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
for (const size of [64, 1024, 16384]) {
  const chunks = chunked(bytes, size);
  const runs = dirs.map(() => ({ parse: [], stream: [] }));
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < dirs.length; i++) {
      runs[i].parse.push(parse(packages[i], chunks));
      runs[i].stream.push(await stream(packages[i], chunks));
    }
  }
  console.log(`${size} B chunks: ` + dirs.map((dir, i) =>
    `${dir}: SseParser ${median(runs[i].parse).toFixed(0)} ms, chat.stream ${median(runs[i].stream).toFixed(0)} ms`).join(' | '));
}
