// Start-up timings. Imported into a blank page, so nothing of ours is loaded before the clock starts.
const GLUE = '/pkg/web/coze_wasm.js';
const WASM = '/pkg/web/coze_wasm_bg.wasm';

function firstCall(glue) {
  const t = performance.now();
  const verifier = glue.generateCodeVerifier();
  const challenge = glue.calculatePKCECodeChallenge(verifier);
  if (verifier.length !== 43 || challenge.length !== 43) throw new Error('startup: unexpected PKCE output');
  return performance.now() - t;
}

/** The issue-11 measure: the first SseParser parse of one event. */
function firstParse(glue) {
  const t = performance.now();
  const events = new glue.SseParser().feed(new TextEncoder().encode('event: a\ndata: {"x":1}\n\n'));
  if (events.length !== 1) throw new Error('startup: the first parse gave no event');
  return performance.now() - t;
}

/**
 * Fresh page (own browser context): import the glue; init() = fetch + compile + instantiate, with
 * the fetch's round trip (to the response headers) timed on its own, as init({module_or_path:
 * response}) streams the body into the compiler; then the first parse and the first PKCE call.
 */
export async function cold() {
  const t0 = performance.now();
  const glue = await import(GLUE);
  const t1 = performance.now();
  const response = await fetch(WASM);
  const t2 = performance.now();
  await glue.default({ module_or_path: response });
  const t3 = performance.now();
  const parse = firstParse(glue);
  const call = firstCall(glue);
  return {
    importMs: t1 - t0, fetchMs: t2 - t1, initMs: t3 - t1, compileMs: t3 - t2, firstParseMs: parse,
    firstCallMs: call, totalMs: t3 - t0 + parse + call,
  };
}

/** With the WebAssembly.Module compiled once: each round is a fresh glue instance + init({module}) + first call. */
export async function cached(rounds) {
  const bytes = await (await fetch(WASM)).arrayBuffer();
  const c0 = performance.now();
  const module = await WebAssembly.compile(bytes);
  const compileMs = performance.now() - c0;
  const out = [];
  for (let i = 0; i < rounds; i++) {
    const glue = await import(`${GLUE}?instance=${i}`);
    const t0 = performance.now();
    await glue.default({ module_or_path: module });
    const t1 = performance.now();
    out.push({ initMs: t1 - t0, firstCallMs: firstCall(glue) });
  }
  return { compileMs, wasmBytes: bytes.byteLength, rounds: out };
}

/** The peer: import the @coze/api bundle and make its first PKCE call (getPKCEAuthenticationUrl, WebCrypto). */
export async function cozeApiCold() {
  const t0 = performance.now();
  const api = await import('/dist/coze-api.js');
  const t1 = performance.now();
  const { url, codeVerifier } = await api.getPKCEAuthenticationUrl({ clientId: 'bench', redirectUrl: 'http://127.0.0.1/cb' });
  const t2 = performance.now();
  if (!url || !codeVerifier) throw new Error('startup: @coze/api gave no URL');
  return { importMs: t1 - t0, firstCallMs: t2 - t1, totalMs: t2 - t0 };
}
