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

/** Fresh page (own browser context): import the glue, init() = fetch + compile + instantiate, first call. */
export async function cold() {
  const t0 = performance.now();
  const glue = await import(GLUE);
  const t1 = performance.now();
  await glue.default({ module_or_path: WASM });
  const t2 = performance.now();
  const call = firstCall(glue);
  return { importMs: t1 - t0, initMs: t2 - t1, firstCallMs: call, totalMs: t2 - t0 + call };
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
