// A tiny token server for a static page (Node >= 20): it keeps your JWT app's private key and
// hands the page short-lived Coze access tokens, so no secret ever reaches the browser.
//
//   COZE_APP_ID=… COZE_KEY_ID=… COZE_PRIVATE_KEY_FILE=private_key.pem \
//   COZE_BASE_URL=https://api.coze.cn ALLOW_ORIGIN=https://your.site node examples/jwt-server.mjs
//
// The page: new CozeAPI({ baseURL, token: async () => (await (await fetch(TOKEN_URL)).json()).access_token })
// (or fetch once and reuse the token until `expires_in`, absolute unix seconds).
//
// GET /token[?session=<end user id>] → {access_token, expires_in}; `session` becomes the JWT's
// session_name, which keeps each end user's conversations apart. Anything else: 404.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { getJWTToken, CozeError, COZE_CN_BASE_URL } from 'coze-wasm';

const env = process.env;
const baseURL = env.COZE_BASE_URL || COZE_CN_BASE_URL;
const config = {
  appId: env.COZE_APP_ID,
  keyid: env.COZE_KEY_ID,
  // The key from a file, or from an env var (its literal \n sequences are understood).
  privateKey: env.COZE_PRIVATE_KEY_FILE ? readFileSync(env.COZE_PRIVATE_KEY_FILE, 'utf8') : env.COZE_PRIVATE_KEY,
  baseURL,
  aud: env.COZE_AUD || new URL(baseURL).host,
  durationSeconds: Number(env.COZE_TOKEN_SECONDS || 900),
};
const allowOrigin = env.ALLOW_ORIGIN || '';

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const headers = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  if (allowOrigin) Object.assign(headers, { 'access-control-allow-origin': allowOrigin, vary: 'Origin' });
  if (req.method !== 'GET' || url.pathname !== '/token') {
    res.writeHead(404, headers).end(JSON.stringify({ error: 'not_found' }));
    return;
  }
  try {
    const session = url.searchParams.get('session');
    const token = await getJWTToken({ ...config, sessionName: session || undefined });
    res.writeHead(200, headers).end(JSON.stringify(token));
  } catch (err) {
    // The page learns only that minting failed; the cause (reason + fix) goes to the server log.
    console.error(err instanceof CozeError ? `${err.code} ${err.reason ?? ''}: ${err.message}` : err);
    res.writeHead(502, headers).end(JSON.stringify({ error: 'token_unavailable' }));
  }
});

server.listen(Number(env.PORT || 8788), '127.0.0.1', () => {
  console.log(`JWT_SERVER_URL=http://127.0.0.1:${server.address().port}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
