// A Vite app: the default entry with an explicit init(), plus a module worker bundled by Vite that
// uses the auto-initialising entry.
import init, {
  getPKCEAuthenticationUrl, calculatePKCECodeChallenge, parseAuthorizationCallback, getPKCEOAuthToken,
  CozeAPI, CozeError, ChatEventType, COZE_CN_BASE_URL, getWebAuthenticationUrl,
} from 'coze-wasm';
import { pageEnv, publish, runInWorker, settle } from './checks.js';

const env = pageEnv();
const page = await settle(async () => {
  await init();
  return {
    getPKCEAuthenticationUrl, calculatePKCECodeChallenge, parseAuthorizationCallback, getPKCEOAuthToken,
    CozeAPI, CozeError, ChatEventType, COZE_CN_BASE_URL, getWebAuthenticationUrl,
  };
}, env);
publish({ page });

const worker = await runInWorker(new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }), env);

publish({ page, worker });
