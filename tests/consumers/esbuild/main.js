// An esbuild bundle (--bundle --format=esm) of the auto-initialising entry. esbuild leaves
// `new URL('coze_wasm_bg.wasm', import.meta.url)` alone, so the .wasm is copied next to main.js.
import {
  getPKCEAuthenticationUrl, calculatePKCECodeChallenge, parseAuthorizationCallback, getPKCEOAuthToken,
  CozeAPI, CozeError, ChatEventType, COZE_CN_BASE_URL, getWebAuthenticationUrl,
} from 'coze-wasm/auto';
import { pageEnv, publish, settle } from './checks.js';

publish({
  page: await settle({
    getPKCEAuthenticationUrl, calculatePKCECodeChallenge, parseAuthorizationCallback, getPKCEOAuthToken,
    CozeAPI, CozeError, ChatEventType, COZE_CN_BASE_URL, getWebAuthenticationUrl,
  }, pageEnv()),
});
