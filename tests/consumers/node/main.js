// Node >= 20: the bare import resolves to the package's "node" entry (sync init from disk) and the
// stream goes through Node's own fetch. Prints the outcome as one JSON line.
import {
  getPKCEAuthenticationUrl, calculatePKCECodeChallenge, parseAuthorizationCallback, getPKCEOAuthToken,
  CozeAPI, CozeError, ChatEventType, COZE_CN_BASE_URL, getWebAuthenticationUrl, getJWTToken,
} from 'coze-wasm';
import { settle } from './checks.js';

const outcome = await settle({
  getPKCEAuthenticationUrl, calculatePKCECodeChallenge, parseAuthorizationCallback, getPKCEOAuthToken,
  CozeAPI, CozeError, ChatEventType, COZE_CN_BASE_URL, getWebAuthenticationUrl, getJWTToken,
}, {
  emulatorUrl: process.env.EMULATOR_URL,
  message: process.env.CONSUMER_MESSAGE,
  redirectUrl: 'http://127.0.0.1:5173/',
});
// Which file the bare specifier resolved to, so the runner can check the condition.
outcome.resolved = import.meta.resolve('coze-wasm');
console.log(JSON.stringify({ main: outcome }));
