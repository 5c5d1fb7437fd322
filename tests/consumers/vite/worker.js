// Bundled by Vite as an ES module worker (vite.config.js: worker.format 'es').
import {
  getPKCEAuthenticationUrl, calculatePKCECodeChallenge, parseAuthorizationCallback, getPKCEOAuthToken,
  CozeAPI, CozeError, ChatEventType, COZE_CN_BASE_URL, getWebAuthenticationUrl, getJWTToken,
} from 'coze-wasm/auto';
import { serveChecks } from './checks.js';

serveChecks({
  getPKCEAuthenticationUrl, calculatePKCECodeChallenge, parseAuthorizationCallback, getPKCEOAuthToken,
  CozeAPI, CozeError, ChatEventType, COZE_CN_BASE_URL, getWebAuthenticationUrl, getJWTToken,
});
