// The declared value exports of <pkg>/index.d.ts (read with the TypeScript compiler) must be exactly
// the runtime exports of every entry: node.js, index.js and auto.js; no declaration may use `any`.
// Also checks at runtime that chat.stream() returns the async iterable itself (so `for await (… of client.chat.stream())` and
// `for await (… of await client.chat.stream())` both work, as the types promise), with fetch stubbed.
// Usage: node tests/types/exports.mjs <pkg-dir>

import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const pkg = path.resolve(process.argv[2] ?? 'pkg');
const dts = path.join(pkg, 'index.d.ts');

const program = ts.createProgram([dts], { noEmit: true, types: [], lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'] });
const checker = program.getTypeChecker();
const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(dts));
const declared = checker
  .getExportsOfModule(moduleSymbol)
  .filter((s) => {
    const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    return (target.flags & ts.SymbolFlags.Value) !== 0;
  })
  .map((s) => s.getName())
  .sort();

let failed = false;
const fail = (msg) => {
  console.error(`exports: ${msg}`);
  failed = true;
};
const diff = (a, b) => a.filter((x) => !b.includes(x));

// No `any` anywhere in the public declarations.
const anys = [];
const visit = (node) => {
  if (node.kind === ts.SyntaxKind.AnyKeyword) {
    const { line } = node.getSourceFile().getLineAndCharacterOfPosition(node.getStart());
    anys.push(line + 1);
  }
  ts.forEachChild(node, visit);
};
visit(program.getSourceFile(dts));
if (anys.length) fail(`index.d.ts uses \`any\` on line(s) ${anys.join(', ')}; use unknown`);

// auto.js is the pages' entry: its `await init()` fetches the .wasm beside it, which Node's fetch
// cannot do for a file: URL. Here, and only for file: URLs, it reads the file.
const networkFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = String(input instanceof Request ? input.url : input);
  if (!url.startsWith('file:')) return networkFetch(input, init);
  return new Response(readFileSync(fileURLToPath(url)), { headers: { 'content-type': 'application/wasm' } });
};
const entries = {};
for (const entry of ['node.js', 'index.js', 'auto.js']) {
  entries[entry] = await import(pathToFileURL(path.join(pkg, entry)).href);
  const actual = Object.keys(entries[entry]).sort();
  const missing = diff(declared, actual);
  const undeclared = diff(actual, declared);
  if (missing.length) fail(`${entry}: declared but not exported: ${missing.join(', ')}`);
  if (undeclared.length) fail(`${entry}: exported but not declared: ${undeclared.join(', ')}`);
}
console.log(`exports: ${declared.length} declared values = the runtime exports of node.js, index.js, auto.js`);

// The wasm-bindgen output alone (web/coze_wasm.js, what a plain `wasm-pack build --target web`
// gives) has the whole API too; its one extra export is the driver's handle, Core.
const glue = Object.keys(await import(pathToFileURL(path.join(pkg, 'web', 'coze_wasm.js')).href));
const glueMissing = diff(declared, glue);
const glueExtra = diff(glue, declared).filter((name) => name !== 'Core');
if (glueMissing.length) fail(`web/coze_wasm.js (the wasm-bindgen output): not exported: ${glueMissing.join(', ')}`);
if (glueExtra.length) fail(`web/coze_wasm.js (the wasm-bindgen output): exported but not declared: ${glueExtra.join(', ')}`);
if (!glueMissing.length && !glueExtra.length) console.log('exports: the wasm-bindgen output alone exports them all (+ Core)');

// chat.stream(): the iterable itself, not a thenable; both loop forms yield the declared parts.
const m = entries['node.js'];
const sse =
  'event:conversation.message.delta\n' +
  'data:{"id":"1","conversation_id":"c","bot_id":"b","chat_id":"h","role":"assistant","type":"answer","content":"Hi","content_type":"text"}\n\n' +
  'event:done\ndata:"[DONE]"\n\n';
const realFetch = globalThis.fetch;
globalThis.fetch = async () => new Response(sse, { headers: { 'content-type': 'text/event-stream' } });
try {
  const client = new m.CozeAPI({ token: 'czu_test', baseURL: m.COZE_CN_BASE_URL });
  const it = client.chat.stream({ bot_id: 'b' });
  if (typeof it.then !== 'undefined') fail('chat.stream() returned a thenable');
  if (typeof it[Symbol.asyncIterator] !== 'function') fail('chat.stream() is not async iterable');
  const seen = [];
  for await (const part of client.chat.stream({ bot_id: 'b' })) seen.push(`${part.event}:${part.data.content ?? part.data}`);
  for await (const part of await client.chat.stream({ bot_id: 'b' })) seen.push(`${part.event}:${part.data.content ?? part.data}`);
  const want = ['conversation.message.delta:Hi', 'done:[DONE]'];
  if (JSON.stringify(seen) !== JSON.stringify([...want, ...want])) fail(`stream parts ${JSON.stringify(seen)}`);
  else console.log('exports: for await over chat.stream() and over await chat.stream() both yield the typed parts');
} finally {
  globalThis.fetch = realFetch;
}
process.exit(failed ? 1 : 0);
