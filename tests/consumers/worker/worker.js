// A module worker with no bundler: imports the installed package's auto-initialising entry by path
// (import maps do not reach workers), builds the URL and streams, and posts the outcome back.
import {
  getPKCEAuthenticationUrl, calculatePKCECodeChallenge, parseAuthorizationCallback, getPKCEOAuthToken,
  CozeAPI, CozeError, ChatEventType, COZE_CN_BASE_URL, getWebAuthenticationUrl, getJWTToken,
} from './node_modules/coze-wasm/auto.js';
import { serveChecks } from './checks.js';

serveChecks({
  getPKCEAuthenticationUrl, calculatePKCECodeChallenge, parseAuthorizationCallback, getPKCEOAuthToken,
  CozeAPI, CozeError, ChatEventType, COZE_CN_BASE_URL, getWebAuthenticationUrl, getJWTToken,
});
