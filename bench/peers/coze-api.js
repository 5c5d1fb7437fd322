// @coze/api's browser subset, as a page that only logs in (PKCE) and streams chat would ship it:
// PKCE authorize URL, code exchange, refresh, and client.chat.stream. Bundled with its axios by
// esbuild (see bench/run.mjs) for the size table, and loaded by the page for the stream benchmarks.
import { CozeAPI, getPKCEAuthenticationUrl, getPKCEOAuthToken, refreshOAuthToken } from '@coze/api';

export { getPKCEAuthenticationUrl, getPKCEOAuthToken, refreshOAuthToken };

/** `new CozeAPI(options).chat.stream(params)`: the async iterable the benchmark consumes. */
export function chatStream(options, params, requestOptions) {
  return new CozeAPI(options).chat.stream(params, requestOptions);
}
