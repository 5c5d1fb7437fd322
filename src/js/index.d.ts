// coze-wasm: the public TypeScript declarations, written by hand (wasm-bindgen's generated ones say
// `any` everywhere). They follow what the code reads and returns: src/lib.rs, src/web/*.rs and
// src/js/support.js. scripts/build.py copies this file to pkg/index.d.ts; scripts/typecheck.sh
// compiles tests/types against it and checks that the declared values are the runtime exports.
// Names follow @coze/api where it has the feature.

// ---------------------------------------------------------------------------------------------
// Loading the wasm

// Written without lib.dom's aliases (RequestInfo, BufferSource) and without naming the
// WebAssembly namespace directly, so a Node project without the "DOM" lib (only @types/node) can
// compile against these declarations too.

/** `WebAssembly.Module` where the environment's types declare it (lib.dom), else `object`. */
export type WasmModule = typeof globalThis extends { WebAssembly: { Module: { prototype: infer M } } } ? M : object;

/** `WebAssembly.Memory` where the environment's types declare it (lib.dom), else `object`. */
export type WasmMemory = typeof globalThis extends { WebAssembly: { Memory: { prototype: infer M } } } ? M : object;

/** Where `init()` can load the wasm from: a URL or path to fetch, a `Request`/`Response`, the bytes, or a compiled module. */
export type InitInput = string | URL | Request | Response | ArrayBuffer | ArrayBufferView | WasmModule;

/** What `initSync()` accepts: the bytes of `web/coze_wasm_bg.wasm` (e.g. `readFileSync(...)`), or a compiled module. */
export type SyncInitInput = ArrayBuffer | ArrayBufferView | WasmModule;

/** The instantiated wasm module (only `memory` is of interest outside the library). */
export interface InitOutput {
  readonly memory: WasmMemory;
}

/**
 * Loads and instantiates the wasm; call once and await it before using the API (browsers and
 * bundlers). Without `module_or_path` it fetches `web/coze_wasm_bg.wasm` next to the module.
 * Later calls return the same instance. `coze-wasm/auto` and Node (the `node` export condition)
 * do this for you.
 */
export default function init(options?: { module_or_path?: InitInput | Promise<InitInput> }): Promise<InitOutput>;
/** @deprecated Pass `{ module_or_path }` (wasm-bindgen warns about this form). */
export default function init(module_or_path: InitInput | Promise<InitInput>): Promise<InitOutput>;

/** Instantiates the wasm synchronously from its bytes or a compiled module; returns the existing instance if already loaded. */
export declare function initSync(options: { module: SyncInitInput }): InitOutput;
/** @deprecated Pass `{ module }` (wasm-bindgen warns about this form). */
export declare function initSync(module: SyncInitInput): InitOutput;

// ---------------------------------------------------------------------------------------------
// Constants

/** Coze's China-region API host. */
export declare const COZE_CN_BASE_URL: 'https://api.coze.cn';
/** Coze's global API host (the default everywhere; a coze.cn token fails there with 4101). */
export declare const COZE_COM_BASE_URL: 'https://api.coze.com';

/** Chat stream event names; same keys and values as @coze/api. */
export declare const ChatEventType: {
  readonly CONVERSATION_CHAT_CREATED: 'conversation.chat.created';
  readonly CONVERSATION_CHAT_IN_PROGRESS: 'conversation.chat.in_progress';
  readonly CONVERSATION_CHAT_COMPLETED: 'conversation.chat.completed';
  readonly CONVERSATION_CHAT_FAILED: 'conversation.chat.failed';
  readonly CONVERSATION_CHAT_REQUIRES_ACTION: 'conversation.chat.requires_action';
  readonly CONVERSATION_MESSAGE_DELTA: 'conversation.message.delta';
  readonly CONVERSATION_MESSAGE_COMPLETED: 'conversation.message.completed';
  readonly CONVERSATION_AUDIO_DELTA: 'conversation.audio.delta';
  /** Yielded once at the end of every successful stream (also for Coze Studio's `conversation.stream.done`). */
  readonly DONE: 'done';
  /** Never yielded by `chat.stream`: an `error` event is thrown as a `CozeError` (`STREAM_ERROR_EVENT`). */
  readonly ERROR: 'error';
};
export type ChatEventType = (typeof ChatEventType)[keyof typeof ChatEventType];

/** Chat statuses; same keys and values as @coze/api. */
export declare const ChatStatus: {
  readonly CREATED: 'created';
  readonly IN_PROGRESS: 'in_progress';
  readonly COMPLETED: 'completed';
  readonly FAILED: 'failed';
  readonly REQUIRES_ACTION: 'requires_action';
  readonly CANCELED: 'canceled';
  readonly UNKNOWN: 'unknown';
};
export type ChatStatus = (typeof ChatStatus)[keyof typeof ChatStatus];

/** Message roles; same keys and values as @coze/api. */
export declare const RoleType: { readonly User: 'user'; readonly Assistant: 'assistant' };
export type RoleType = (typeof RoleType)[keyof typeof RoleType];

// ---------------------------------------------------------------------------------------------
// Errors

/** The stable `code` of every `CozeError` (never renamed; see the README's table). */
export type CozeErrorCode =
  | 'INVALID_ARGUMENT'
  | 'UNSUPPORTED_CHALLENGE_METHOD'
  | 'CRYPTO_UNAVAILABLE'
  | 'OAUTH_STATE_MISMATCH'
  | 'OAUTH_STATE_MISSING'
  | 'OAUTH_DUPLICATE_PARAM'
  | 'OAUTH_CODE_MISSING'
  | 'OAUTH_ISSUER_MISMATCH'
  | 'OAUTH_REDIRECT_MISMATCH'
  | 'OAUTH_CALLBACK_ERROR'
  | 'OAUTH_TOKEN_ERROR'
  | 'NOT_LOGGED_IN'
  | 'COZE_API_ERROR'
  | 'INVALID_RESPONSE'
  | 'NETWORK'
  | 'ABORTED'
  | 'TIMEOUT'
  | 'STREAM_TRUNCATED'
  | 'STREAM_ERROR_EVENT'
  | 'MALFORMED_EVENT'
  | 'EVENT_TOO_LARGE'
  | 'CHAT_FAILED'
  | 'PAT_IN_BROWSER'
  | 'STORAGE'
  | 'OAUTH_ACCESS_DENIED'
  | 'OAUTH_EXPIRED_TOKEN'
  | 'SECRET_IN_BROWSER'
  | 'JWT_IN_BROWSER';

/** The optional fields of a `CozeError`; each is present only when known. */
export interface CozeErrorDetails {
  /** HTTP status, when a response arrived. */
  status?: number;
  /** Coze's numeric code (envelope `code`, `error` event `code` or `last_error.code`), e.g. 4101. */
  cozeCode?: number;
  /** Coze's `msg` (or the OAuth `error_message`). */
  msg?: string;
  /** Coze's log id (`detail.logid` or the `x-tt-logid` header): quote it to Coze support. */
  logid?: string;
  /** The OAuth `error` / `error_code` (e.g. `invalid_request`, `access_denied`). */
  error?: string;
  /** The OAuth `error_description`. */
  error_description?: string;
  /** The body or event data that could not be parsed (truncated). */
  raw?: string;
  /** `EVENT_TOO_LARGE` from `SseParser.feed`: the other events that chunk completed. */
  events?: SseEvent[];
  /** getJWTToken: why the JWT (or the key) was refused — see the README's JWT troubleshooting. */
  reason?: JWTRefusalReason;
}

/** The class of every error coze-wasm throws or rejects with. Check `code`, not `message`. */
export declare class CozeError extends Error implements CozeErrorDetails {
  constructor(code: CozeErrorCode, message: string, details?: CozeErrorDetails);
  readonly name: 'CozeError';
  readonly code: CozeErrorCode;
  readonly status?: number;
  readonly cozeCode?: number;
  readonly msg?: string;
  readonly logid?: string;
  readonly error?: string;
  readonly error_description?: string;
  readonly raw?: string;
  readonly events?: SseEvent[];
  readonly reason?: JWTRefusalReason;
}

// ---------------------------------------------------------------------------------------------
// PKCE and the OAuth token endpoint

/** A fresh PKCE code verifier: base64url of 32 random bytes (43 characters). */
export declare function generateCodeVerifier(): string;

/**
 * The S256 code challenge of `verifier`: unpadded base64url of its SHA-256 (synchronous).
 * The verifier must follow RFC 7636 (43–128 unreserved characters), else `INVALID_ARGUMENT`.
 */
export declare function calculatePKCECodeChallenge(verifier: string): string;

/** A fresh OAuth `state`: base64url of 32 random bytes. */
export declare function generateState(): string;

/** @coze/api's `OAuthToken`, plus `token_type` when the server sent one. */
export interface OAuthToken {
  access_token: string;
  /** Rotates: each refresh returns a new one and the old one stops working. */
  refresh_token: string;
  /** When the access token expires: an absolute unix timestamp in seconds (not a duration). */
  expires_in: number;
  /** Usually `'Bearer'`; Coze often leaves it out. */
  token_type?: string;
}

/** The second argument of every network call. */
export interface RequestOptions {
  /** Aborting rejects (or ends the stream) with a `CozeError` of code `ABORTED`. */
  signal?: AbortSignal | null;
}

export interface GetPKCEAuthenticationUrlParams {
  /** The OAuth app's client id (an app of type "SPA / mobile / desktop"). */
  clientId: string;
  /** Must equal one of the app's registered redirect URLs exactly. */
  redirectUrl: string;
  /** The API host; default `COZE_COM_BASE_URL`. Pick your region explicitly. */
  baseURL?: string;
  /** Allow plain `http://` off loopback (default: only `http://127.x`, `localhost`, `[::1]`). */
  allowInsecureHttp?: boolean;
  /** Your own state; a fresh one is generated when omitted or empty. */
  state?: string;
  /** Uses the workspace-scoped authorize path (enterprise OBO). */
  workspaceId?: string;
  /** The authorize page's host; default: `baseURL` with `api.` → `www.` (set it for the emulator or self-hosting). */
  wwwURL?: string;
  /** Only `'S256'` (the default). `'plain'` is refused with `UNSUPPORTED_CHALLENGE_METHOD`. */
  code_challenge_method?: 'S256';
}

export interface PKCEAuthenticationUrl {
  /** Send the user here. */
  url: string;
  /** Keep it (e.g. in sessionStorage) for `getPKCEOAuthToken`. */
  codeVerifier: string;
  /** The state in `url`; pass it to `parseAuthorizationCallback` on the redirect page. */
  state: string;
}

/**
 * Builds the authorize URL with a fresh verifier (always S256). Same as @coze/api's, but it also
 * returns the `state` it used (it generates one when you pass none).
 */
export declare function getPKCEAuthenticationUrl(params: GetPKCEAuthenticationUrlParams): Promise<PKCEAuthenticationUrl>;

export interface GetPKCEOAuthTokenParams {
  /** The `code` from the validated callback (see `parseAuthorizationCallback`). */
  code: string;
  clientId: string;
  /** The same redirect URL as in the authorize request. */
  redirectUrl: string;
  /** The verifier returned by `getPKCEAuthenticationUrl`. */
  codeVerifier: string;
  /** Default `COZE_COM_BASE_URL`. */
  baseURL?: string;
  /** Allow plain `http://` off loopback (default: only `http://127.x`, `localhost`, `[::1]`). */
  allowInsecureHttp?: boolean;
}

/** Exchanges the authorization code for tokens (once; codes are single-use). */
export declare function getPKCEOAuthToken(params: GetPKCEOAuthTokenParams, options?: RequestOptions): Promise<OAuthToken>;

export interface RefreshOAuthTokenParams {
  refreshToken: string;
  clientId: string;
  /** Default `COZE_COM_BASE_URL`. */
  baseURL?: string;
  /** Allow plain `http://` off loopback (default: only `http://127.x`, `localhost`, `[::1]`). */
  allowInsecureHttp?: boolean;
  /** Only for confidential ("web") apps on a server: refused (`SECRET_IN_BROWSER`) in a page or worker. */
  clientSecret?: string;
}

/** Refreshes the tokens. The refresh token rotates: store the new one (`TokenManager` does). */
export declare function refreshOAuthToken(params: RefreshOAuthTokenParams, options?: RequestOptions): Promise<OAuthToken>;

// ---------------------------------------------------------------------------------------------
// Device code flow (allowed everywhere: it needs no secret) and web flow (server runtimes only)

export interface GetDeviceCodeParams {
  /** The OAuth app's client id (an app with the device flow enabled). */
  clientId: string;
  /** Default `COZE_COM_BASE_URL`. Pick your region explicitly. */
  baseURL?: string;
  /** Uses the workspace-scoped device-code path (enterprise OBO). */
  workspaceId?: string;
  /** Allow plain `http://` off loopback (default: only `http://127.x`, `localhost`, `[::1]`). */
  allowInsecureHttp?: boolean;
}

/** @coze/api's `DeviceCodeData`, plus `verification_url`. */
export interface DeviceCodeData {
  /** Pass it to `getDeviceToken` (keep it on the device; never show it). */
  device_code: string;
  /** Show it to the user, who types it on the verification page. */
  user_code: string;
  /** The verification page. */
  verification_uri: string;
  /** `verification_uri` with `?user_code=` filled in: a link or QR code that skips the typing. */
  verification_url: string;
  /** Seconds until the codes expire (relative, as Coze sends it, unlike a token's `expires_in`). */
  expires_in: number;
  /** Seconds to wait between polls. */
  interval: number;
}

/** Starts the device code flow. */
export declare function getDeviceCode(params: GetDeviceCodeParams, options?: RequestOptions): Promise<DeviceCodeData>;

export interface GetDeviceTokenParams {
  clientId: string;
  /** `device_code` from `getDeviceCode`. */
  deviceCode: string;
  /** Default `COZE_COM_BASE_URL`. */
  baseURL?: string;
  /** Default `true`: poll until the user decides. `false`: one request (a pending answer throws
   *  `OAUTH_TOKEN_ERROR` with `error: 'authorization_pending'` or `'slow_down'`). */
  poll?: boolean;
  /** Seconds between polls: `interval` from `getDeviceCode` (default 5; at least 1). `slow_down`
   *  adds 5 s from then on. */
  interval?: number;
  /** `expires_in` from `getDeviceCode`: polling stops (`OAUTH_EXPIRED_TOKEN`) that many seconds
   *  after this call. Without it, polling stops when Coze answers `expired_token`. */
  expiresIn?: number;
  /** Allow plain `http://` off loopback (default: only `http://127.x`, `localhost`, `[::1]`). */
  allowInsecureHttp?: boolean;
}

/**
 * Waits for the user to allow the device → the token (same shape as PKCE's; `TokenManager.setToken`
 * takes it and refreshes it). Deny → `OAUTH_ACCESS_DENIED`; the code expired → `OAUTH_EXPIRED_TOKEN`;
 * the signal fired (also while waiting) → `ABORTED`.
 */
export declare function getDeviceToken(params: GetDeviceTokenParams, options?: RequestOptions): Promise<OAuthToken>;

export interface GetWebAuthenticationUrlParams {
  /** The client id of a "web" (confidential) OAuth app. */
  clientId: string;
  /** Must equal one of the app's registered redirect URLs exactly. */
  redirectUrl: string;
  /** Default `COZE_COM_BASE_URL`. */
  baseURL?: string;
  /** Your own state; a fresh one is generated when omitted or empty. Check it on the redirect. */
  state?: string;
  /** Uses the workspace-scoped authorize path (enterprise OBO). */
  workspaceId?: string;
  /** The authorize page's host; default: `baseURL` with `api.` → `www.`. */
  wwwURL?: string;
  /** Allow plain `http://` off loopback (default: only `http://127.x`, `localhost`, `[::1]`). */
  allowInsecureHttp?: boolean;
}

export interface WebAuthenticationUrl {
  /** Redirect the user here. */
  url: string;
  /** The state in `url`: keep it (e.g. in the session) for `parseAuthorizationCallback`. */
  state: string;
}

/** Web flow, server runtimes only (`SECRET_IN_BROWSER` in a page or worker): the authorize URL, no PKCE. */
export declare function getWebAuthenticationUrl(params: GetWebAuthenticationUrlParams): WebAuthenticationUrl;

export interface GetWebOAuthTokenParams {
  /** The `code` from the validated callback. */
  code: string;
  clientId: string;
  /** The web app's client secret: sent as `Authorization: Bearer <secret>`. Keep it on the server. */
  clientSecret: string;
  /** The same redirect URL as in the authorize request. */
  redirectUrl: string;
  /** Default `COZE_COM_BASE_URL`. */
  baseURL?: string;
  /** Allow plain `http://` off loopback (default: only `http://127.x`, `localhost`, `[::1]`). */
  allowInsecureHttp?: boolean;
}

/** Web flow, server runtimes only (`SECRET_IN_BROWSER` in a page or worker): code → tokens. Refresh
 *  them with `refreshOAuthToken({..., clientSecret})`. */
export declare function getWebOAuthToken(params: GetWebOAuthTokenParams, options?: RequestOptions): Promise<OAuthToken>;

export interface AuthorizationCallback {
  code: string;
  state: string;
}

/**
 * Validates the redirect back from Coze: repeated parameters are refused, then `state` must equal
 * `expectedState` exactly, then `error=` is reported, then the code is required. Throws a
 * `CozeError` (`OAUTH_*`) on any failure.
 */
export declare function parseAuthorizationCallback(url: string, expectedState: string): AuthorizationCallback;

// ---------------------------------------------------------------------------------------------
// Storage, the SPA login pair and the token manager

/**
 * A Web Storage–like object. Methods may return values or promises (both are awaited); a
 * non-string from `getItem` reads as "no entry".
 */
export interface StorageLike {
  getItem(key: string): string | null | undefined | PromiseLike<string | null | undefined>;
  setItem(key: string, value: string): unknown;
  removeItem(key: string): unknown;
}

/** `'memory'` (this page only), `'session'` (sessionStorage), `'local'` (localStorage) or your own store. */
export type StorageOption = 'memory' | 'session' | 'local' | StorageLike;
/** Where a pending login waits for the redirect: anything but memory. */
export type LoginStorageOption = Exclude<StorageOption, 'memory'>;

export interface StartLoginOptions {
  clientId: string;
  /** Must equal one of the app's registered redirect URLs exactly. */
  redirectUrl: string;
  /** Default `COZE_COM_BASE_URL`. */
  baseURL?: string;
  /** Allow plain `http://` off loopback (default: only `http://127.x`, `localhost`, `[::1]`). */
  allowInsecureHttp?: boolean;
  /** The authorize page's host; default: `baseURL` with `api.` → `www.`. */
  wwwURL?: string;
  workspaceId?: string;
  /** Where the pending login is kept until the redirect comes back; default `'session'`. Not
   * `'memory'`: it would not survive the redirect. */
  storage?: LoginStorageOption;
}

export interface StartedLogin {
  /** Send the user here (`location.assign(url)`). */
  url: string;
  state: string;
}

/**
 * SPA login, step 1: builds the authorize URL (S256, fresh verifier and state) and keeps the
 * pending login (verifier, redirect, client id, base URL) in storage keyed by its state. It
 * expires after 10 minutes.
 */
export declare function startLogin(options: StartLoginOptions): Promise<StartedLogin>;

/** Anything that can take the new token; a `TokenManager` does. */
export interface TokenReceiver {
  setToken(token: OAuthToken): unknown;
}

export interface CompleteLoginOptions {
  /** The callback URL; default: the current `location.href` (whose `code`/`state` are then removed from the address bar). */
  url?: string;
  /** The same storage `startLogin` used; default `'session'`. */
  storage?: LoginStorageOption;
  signal?: AbortSignal | null;
  /** Receives the token (`await tokenManager.setToken(token)`) before the promise resolves. */
  tokenManager?: TokenReceiver;
}

/**
 * SPA login, step 2, on the redirect page: finds the pending login by the callback's state and
 * deletes it (one-time), validates the callback, exchanges the code once and resolves the token.
 */
export declare function completeLogin(options?: CompleteLoginOptions): Promise<OAuthToken>;

export interface TokenManagerOptions {
  /** A refresh whose token request has not answered by then fails with `TIMEOUT` (the login is kept). Default 30000. */
  refreshTimeoutMs?: number;
  clientId: string;
  /** Default `COZE_COM_BASE_URL`. */
  baseURL?: string;
  /** Allow plain `http://` off loopback (default: only `http://127.x`, `localhost`, `[::1]`). */
  allowInsecureHttp?: boolean;
  /** Default `'memory'`. */
  storage?: StorageOption;
  /** Default `coze-wasm:token:<clientId>`. */
  storageKey?: string;
  /** Refresh when the access token expires within this many seconds; default 60. */
  refreshAheadSeconds?: number;
  /**
   * Called (in a microtask) with the new token whenever this manager stores one — `setToken`, a
   * refresh — and with `null` when it forgets it — `clear()`, a refused refresh. Changes made by
   * another tab are not reported.
   */
  onChange?: ((token: OAuthToken | null) => void) | null;
}

/**
 * Holds the OAuth token and refreshes it ahead of expiry: one refresh at a time in the page and
 * across tabs (Web Locks). A refresh the server refuses clears the stored token. Pass it as
 * `new CozeAPI({ token: tokenManager })` to get one refresh-and-retry on 401.
 */
export declare class TokenManager {
  constructor(options: TokenManagerOptions);
  /** Stores a token (from `completeLogin`, `getPKCEOAuthToken` ...). */
  setToken(token: OAuthToken): Promise<void>;
  /** The stored token, or `null` when logged out. */
  getToken(): Promise<OAuthToken | null>;
  /** A usable access token, refreshed first when it expires within `refreshAheadSeconds`. Rejects with `NOT_LOGGED_IN` when there is no token. */
  getAccessToken(): Promise<string>;
  /**
   * Refreshes now (joining a refresh already running here or in another tab). With the access
   * token an API just refused, a token that already replaced it is returned without refreshing.
   */
  refresh(rejectedAccessToken?: string): Promise<OAuthToken>;
  /** Forgets the token (logout). */
  clear(): Promise<void>;
  /** Releases the wasm-side object now instead of at garbage collection. */
  free(): void;
}

/** The `auth` option of Coze's Web Chat SDK (`new CozeWebSDK.WebChatClient({ auth })`). */
export interface WebChatAuth {
  type: 'token';
  /** The access token the SDK uses now; updated by `onRefreshToken`. */
  token: string;
  /** Resolves the token that replaced the last one handed out (one refresh, single-flight). Rejects with the refresh's `CozeError` (a refused refresh also signs the manager out). */
  onRefreshToken: () => Promise<string>;
}

/**
 * Per-user tokens for Coze's Web Chat SDK, backed by PKCE login and refresh: the current access
 * token (refreshed first if it is about to expire), and `onRefreshToken` for when it runs out.
 * Rejects with `NOT_LOGGED_IN` when the manager holds no token.
 */
export declare function webChatAuth(tokenManager: AccessTokenSource): Promise<WebChatAuth>;

// ---------------------------------------------------------------------------------------------
// JWT (server apps: Node ≥ 20, Deno, workers-style runtimes)

/** Why a JWT or its key was refused: `CozeError.reason` (the README's JWT troubleshooting table). */
export type JWTRefusalReason =
  | 'key_not_pem'
  | 'public_key'
  | 'certificate'
  | 'encrypted_key'
  | 'key_not_rsa'
  | 'key_not_pkcs8'
  | 'empty_kid'
  | 'exp_not_after_iat'
  | 'duration_too_long'
  | 'empty_jwt'
  | 'wrong_region'
  | 'aud_mismatch'
  | 'iat_in_future'
  | 'clock_skew'
  | 'unknown_app'
  | 'not_jwt_app'
  | 'key_not_of_app'
  | 'bad_signature'
  | 'jti_reused'
  | 'refused';

/** Coze's `scope` object for a JWT token (e.g. `{account_permission: {permission_list: [...]}}`). */
export interface JWTScope {
  [key: string]: unknown;
}

export interface GetJWTTokenParams {
  /** The OAuth (service / JWT) app's id: the JWT's `iss`. */
  appId: string;
  /** The public key's id in the app's settings: the JWT header's `kid`. */
  keyid: string;
  /** The API host, e.g. `'api.coze.cn'` (no scheme): the JWT's `aud`. */
  aud: string;
  /** PEM text (PKCS#8, or PKCS#1 for an RSA key; CRLF and literal `\n` are fine) or an RSASSA-PKCS1-v1_5 `CryptoKey`. */
  privateKey: string | CryptoKey;
  /** Default `COZE_COM_BASE_URL`. */
  baseURL?: string;
  /** Token lifetime, 1–86399 seconds; default 900. */
  durationSeconds?: number;
  scope?: JWTScope;
  /** The JWT's `session_name` (isolates one end user's conversations). */
  sessionName?: string;
  /** Mints through `/api/permission/oauth2/account/{accountId}/token`. */
  accountId?: string;
  /** Allow plain `http://` off loopback (default: only `http://127.x`, `localhost`, `[::1]`). */
  allowInsecureHttp?: boolean;
}

/** A JWT-flow token: no refresh token (mint another one). `expires_in` is absolute unix seconds. */
export interface JWTToken {
  access_token: string;
  expires_in: number;
}

/**
 * Mints an access token with a signed JWT (RS256 via WebCrypto). Server runtimes only: in a page
 * or Web Worker it rejects with `JWT_IN_BROWSER` (pages use PKCE). A refused JWT rejects with
 * `OAUTH_TOKEN_ERROR` and a `reason`; a bad key or `durationSeconds` with `INVALID_ARGUMENT` and a
 * `reason`, before any request.
 */
export declare function getJWTToken(params: GetJWTTokenParams, options?: RequestOptions): Promise<JWTToken>;

export interface JWTTokenManagerOptions extends GetJWTTokenParams {
  /** Mint a new token when the current one expires within this many seconds; default 60. */
  refreshAheadSeconds?: number;
}

/**
 * A JWT token source for `new CozeAPI({ token: manager })` (server runtimes only): mints a token on
 * first use and again before it expires, one mint at a time; a 401 mints once and retries.
 */
export declare class JWTTokenManager {
  constructor(options: JWTTokenManagerOptions);
  /** The current token, or `null` before the first mint. */
  getToken(): Promise<JWTToken | null>;
  /** A usable access token, minted first when it expires within `refreshAheadSeconds`. */
  getAccessToken(): Promise<string>;
  /** Mints now; with the access token an API just refused, a token that already replaced it is returned. */
  refresh(rejectedAccessToken?: string): Promise<JWTToken>;
  free(): void;
}

// ---------------------------------------------------------------------------------------------
// Coze objects (fields from Coze's docs and SDKs; Coze may add more)

/** Message content types (`card` and `audio` only appear in output). */
export type ContentType = 'text' | 'object_string' | 'card' | 'audio';

/** Message types Coze documents; replies may carry others. */
export type MessageType =
  | 'question'
  | 'answer'
  | 'function_call'
  | 'tool_output'
  | 'tool_response'
  | 'follow_up'
  | 'verbose'
  | 'knowledge';

/**
 * One item of a multimodal (`object_string`) message: a text, or an image / file / audio given
 * by exactly one of `file_id` (from `client.files.upload`) and `file_url` (an `https://` URL Coze
 * can fetch). A list holds at most one text item, and text only with an image or file
 * (Coze's rules); a wrong shape is `INVALID_ARGUMENT` before any request.
 */
export type ObjectStringItem =
  | { type: 'text'; text: string }
  | { type: 'image' | 'file' | 'audio'; file_id: string; file_url?: undefined }
  | { type: 'image' | 'file' | 'audio'; file_url: string; file_id?: undefined };

/** A message you send (`additional_messages`, `conversations.create`). */
export interface EnterMessage {
  role: RoleType;
  /** Default `'question'`. */
  type?: 'question' | 'answer' | 'function_call' | 'tool_output' | 'tool_response';
  /** A string, or multimodal items (sent JSON-encoded, with `content_type` defaulting to `'object_string'`). */
  content?: string | ObjectStringItem[];
  content_type?: 'text' | 'object_string';
  meta_data?: Record<string, string>;
}

/** `{code: 0, msg: ''}` when all is well. */
export interface ChatLastError {
  code: number;
  msg: string;
}

export interface ChatUsage {
  token_count: number;
  output_count: number;
  input_count: number;
}

export interface ChatToolCall {
  id: string;
  type: 'function' | 'reply_message';
  function: { name: string; arguments: string };
}

export interface ChatRequiredAction {
  type: 'submit_tool_outputs';
  submit_tool_outputs: { tool_calls: ChatToolCall[] };
}

/** The Chat object (@coze/api's `CreateChatData`). Times are unix seconds. */
export interface CreateChatData {
  /** The chat id. */
  id: string;
  conversation_id: string;
  bot_id: string;
  status: ChatStatus;
  created_at?: number;
  completed_at?: number;
  failed_at?: number;
  meta_data?: Record<string, string>;
  last_error?: ChatLastError | null;
  required_action?: ChatRequiredAction;
  usage?: ChatUsage;
  section_id?: string;
  inserted_additional_messages?: { id: string }[];
  [key: string]: unknown;
}

/**
 * A message (@coze/api's `ChatV3Message`). Stream deltas carry only the required fields, with
 * `content` holding just the new piece; `conversation.message.completed` has the whole text.
 */
export interface ChatV3Message {
  id: string;
  conversation_id: string;
  bot_id: string;
  chat_id: string;
  role: RoleType;
  type: MessageType;
  content: string;
  content_type: ContentType;
  meta_data?: Record<string, string>;
  /** Unix seconds. */
  created_at?: number;
  /** Unix seconds. */
  updated_at?: number;
  section_id?: string;
  /** Chain of thought (deep-thinking models only). */
  reasoning_content?: string;
  [key: string]: unknown;
}

/** Chat request fields (`/v3/chat`). Other keys are sent as given; `stream` is set for you. */
export interface StreamChatReq {
  bot_id: string;
  /** Sent as a query parameter; omit to start a new conversation. */
  conversation_id?: string;
  /** Default: a random id per `CozeAPI` instance (your params object is never modified). */
  user_id?: string;
  /** At most 100; the last one should have role `user`. */
  additional_messages?: EnterMessage[];
  /** Default true; must be true for `create`/`createAndPoll`. */
  auto_save_history?: boolean;
  custom_variables?: Record<string, string>;
  meta_data?: Record<string, string>;
  extra_params?: Record<string, string>;
  shortcut_command?: { command_id: string; parameters?: Record<string, string> };
  /** Input of a chatflow's start node. */
  parameters?: Record<string, unknown>;
  enable_card?: boolean;
  publish_status?: 'published_online' | 'unpublished_draft';
  bot_version?: string;
  connector_id?: string;
}

export type CreateChatReq = StreamChatReq;

/**
 * One part of `client.chat.stream(...)`, discriminated by `event`. Failures are thrown, not
 * yielded: an `error` event, malformed JSON, a dropped connection or a missing `done` reject the
 * loop with a `CozeError`. Event names Coze adds later are passed through as they come (data
 * parsed as JSON when possible, else the raw string); they are not part of this union.
 */
export type StreamChatData =
  | {
      event:
        | 'conversation.chat.created'
        | 'conversation.chat.in_progress'
        | 'conversation.chat.completed'
        | 'conversation.chat.requires_action'
        | 'conversation.chat.canceled';
      data: CreateChatData;
    }
  | {
      /** Yielded so you can render it; the next iteration throws `CHAT_FAILED` (`cozeCode`/`msg` from `last_error`). */
      event: 'conversation.chat.failed';
      /** A Chat object; Coze's docs also show a bare `{code, msg}` here. */
      data: CreateChatData | ChatLastError;
    }
  | {
      event: 'conversation.message.delta' | 'conversation.message.completed' | 'conversation.audio.delta';
      data: ChatV3Message;
    }
  | {
      /** The end (Coze Studio's `conversation.stream.done` is reported as this too). */
      event: 'done';
      data: '[DONE]';
    };

/**
 * What `client.chat.stream()` returns: use it with `for await` (awaiting it first is harmless).
 * The request starts on the first `next()`; `break` (i.e. `return()`) cancels it.
 */
export interface ChatStreamIterator extends AsyncIterator<StreamChatData, undefined> {
  [Symbol.asyncIterator](): ChatStreamIterator;
  /** Call again only after the previous `next()` settled. */
  next(): Promise<IteratorResult<StreamChatData, undefined>>;
  /** Stops reading and cancels the response body. */
  return(value?: undefined): Promise<IteratorReturnResult<undefined>>;
}

export interface CreateAndPollOptions extends RequestOptions {
  /** Milliseconds between status checks; default 500 (at least 10). */
  pollIntervalMs?: number;
  /** Give up with `TIMEOUT` after this many milliseconds; default 300000. */
  timeoutMs?: number;
}

export interface CreateChatPollData {
  chat: CreateChatData;
  messages: ChatV3Message[];
}

/** A conversation. Times are unix seconds. */
export interface Conversation {
  id: string;
  created_at: number;
  meta_data: Record<string, string>;
  last_section_id?: string;
  name?: string;
  updated_at?: number;
  creator_id?: string;
  connector_id?: string;
  [key: string]: unknown;
}

export interface CreateConversationReq {
  bot_id?: string;
  /** At most 100 characters. */
  name?: string;
  /** As in `additional_messages`: `content` may be multimodal items. */
  messages?: EnterMessage[];
  meta_data?: Record<string, string>;
  connector_id?: string;
}

export interface ListMessageReq {
  /** Default `'desc'`. */
  order?: 'desc' | 'asc';
  chat_id?: string;
  before_id?: string;
  after_id?: string;
  /** 1–50, default 50. */
  limit?: number;
}

export interface ListMessageData {
  data: ChatV3Message[];
  first_id: string;
  last_id: string;
  has_more: boolean;
}

export interface ListBotReq {
  space_id: string;
  page_index?: number;
  page_size?: number;
}

/** A bot published to the API channel. */
export interface SimpleBot {
  bot_id: string;
  bot_name: string;
  description: string;
  icon_url: string;
  /** Unix seconds, as a string. */
  publish_time: string;
  [key: string]: unknown;
}

export interface ListBotData {
  total: number;
  space_bots: SimpleBot[];
}

export interface ListBotNewReq {
  /** Required (as in Coze's docs): `workspaces.list()` gives it. */
  workspace_id: string;
  /** Default `'published_online'`. */
  publish_status?: 'all' | 'published_online' | 'published_draft' | 'unpublished_draft';
  /** Default `'1024'` (API). */
  connector_id?: string;
  page_num?: number;
  page_size?: number;
}

/** A bot in `bots.listNew`. Times are unix seconds. */
export interface BotListItem {
  id: string;
  name: string;
  description: string;
  icon_url: string;
  updated_at: number;
  is_published: boolean;
  published_at?: number;
  folder_id?: string;
  owner_user_id: string;
  [key: string]: unknown;
}

export interface ListBotNewData {
  total: number;
  items: BotListItem[];
}

export interface BotPromptInfo {
  prompt?: string;
  [key: string]: unknown;
}

export interface BotOnboardingInfo {
  prologue?: string;
  suggested_questions?: string[];
  [key: string]: unknown;
}

export interface CreateBotReq {
  space_id: string;
  name: string;
  description?: string;
  icon_file_id?: string;
  prompt_info?: BotPromptInfo;
  onboarding_info?: BotOnboardingInfo;
  [key: string]: unknown;
}

export interface CreateBotData {
  bot_id: string;
}

export interface UpdateBotReq {
  bot_id: string;
  name?: string;
  description?: string;
  icon_file_id?: string;
  prompt_info?: BotPromptInfo;
  onboarding_info?: BotOnboardingInfo;
  [key: string]: unknown;
}

export interface PublishBotReq {
  bot_id: string;
  /** `'1024'` is the API channel (what `chat` needs). */
  connector_ids: string[];
}

export interface PublishBotData {
  bot_id: string;
  version: string;
}

export interface RetrieveBotReq {
  bot_id: string;
}

/** A published bot's configuration. Times are unix seconds. */
export interface BotInfo {
  bot_id: string;
  name: string;
  description: string;
  icon_url: string;
  create_time: number;
  update_time: number;
  version: string;
  prompt_info?: BotPromptInfo;
  onboarding_info?: BotOnboardingInfo;
  [key: string]: unknown;
}

export interface ListWorkspacesReq {
  /** Default 1. */
  page_num?: number;
  /** Default 10, at most 50. */
  page_size?: number;
}

export interface Workspace {
  id: string;
  name: string;
  icon_url: string;
  /** e.g. `'owner'`, `'admin'`, `'member'`. */
  role_type: string;
  /** e.g. `'personal'`, `'team'`. */
  workspace_type: string;
  enterprise_id?: string;
  [key: string]: unknown;
}

export interface ListWorkspacesData {
  workspaces: Workspace[];
  total_count: number;
}

/** The logged-in user. */
export interface User {
  user_id: string;
  user_name: string;
  nick_name: string;
  avatar_url: string;
  [key: string]: unknown;
}

// ---------------------------------------------------------------------------------------------
// The client

/** Anything with `getAccessToken()` and `refresh(rejectedAccessToken)`, e.g. a `TokenManager`. */
export interface AccessTokenSource {
  getAccessToken(): string | PromiseLike<string>;
  /** Called once after a 401; resolves the replacement (a token object or the access token). */
  refresh(rejectedAccessToken: string): OAuthToken | string | PromiseLike<OAuthToken | string>;
}

export interface CozeAPIOptions {
  /**
   * An access token; a function called before every request; or a `TokenManager` (then a 401
   * triggers one refresh and one retry). A `pat_` string is refused in a page or worker
   * (`PAT_IN_BROWSER`) unless `allowPersonalAccessTokenInBrowser` is true.
   */
  token: string | (() => string | PromiseLike<string>) | TokenManager | JWTTokenManager | AccessTokenSource;
  /** Default `COZE_COM_BASE_URL`. Pick your region explicitly. */
  baseURL?: string;
  /** Allow plain `http://` off loopback (default: only `http://127.x`, `localhost`, `[::1]`). */
  allowInsecureHttp?: boolean;
  /** Default false: anyone using the page can read a token placed in it. */
  allowPersonalAccessTokenInBrowser?: boolean;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/** The Coze API client: `new CozeAPI({ token, baseURL })`. */
export declare class CozeAPI {
  constructor(options: CozeAPIOptions);
  /** The normalized base URL (no trailing slash). */
  readonly baseURL: string;
  readonly chat: Chat;
  readonly conversations: Conversations;
  readonly bots: Bots;
  readonly workspaces: Workspaces;
  readonly users: Users;
  readonly files: Files;
  /** Releases the wasm-side object now instead of at garbage collection. */
  free(): void;
}

/** `client.chat`. */
export interface Chat {
  /**
   * Streams a chat: `for await (const part of client.chat.stream(params, { signal }))`.
   * Bytes are parsed as they arrive; errors are thrown from the loop.
   */
  stream(params: StreamChatReq, options?: RequestOptions): ChatStreamIterator;
  /** Starts a non-streaming chat; resolves the Chat object (usually `in_progress`): poll with `retrieve`. */
  create(params: CreateChatReq, options?: RequestOptions): Promise<CreateChatData>;
  /** Creates the chat and polls until completed, failed, requires_action or canceled. */
  createAndPoll(params: CreateChatReq, options?: CreateAndPollOptions): Promise<CreateChatPollData>;
  retrieve(conversation_id: string, chat_id: string, options?: RequestOptions): Promise<CreateChatData>;
  /** Marks the chat canceled on the server; it does not stop a stream (abort that with its signal). */
  cancel(conversation_id: string, chat_id: string, options?: RequestOptions): Promise<CreateChatData>;
  readonly messages: ChatMessages;
}

/** `client.chat.messages`. */
export interface ChatMessages {
  /** The messages of one chat. */
  list(conversation_id: string, chat_id: string, options?: RequestOptions): Promise<ChatV3Message[]>;
}

/** `client.conversations`. */
export interface Conversations {
  create(params?: CreateConversationReq, options?: RequestOptions): Promise<Conversation>;
  retrieve(conversation_id: string, options?: RequestOptions): Promise<Conversation>;
  readonly messages: ConversationMessages;
}

/** `client.conversations.messages`. */
export interface ConversationMessages {
  /** One page of a conversation's messages (Coze puts the paging fields at the top level). */
  list(conversation_id: string, params?: ListMessageReq | null, options?: RequestOptions): Promise<ListMessageData>;
}

/** `client.bots`. */
export interface Bots {
  /** Bots published to the API channel (deprecated by Coze; prefer `listNew`). */
  list(params: ListBotReq, options?: RequestOptions): Promise<ListBotData>;
  listNew(params: ListBotNewReq, options?: RequestOptions): Promise<ListBotNewData>;
  /** Creates a bot (unpublished: chat with it after `publish` to connector `'1024'`, the API). */
  create(params: CreateBotReq, options?: RequestOptions): Promise<CreateBotData>;
  update(params: UpdateBotReq, options?: RequestOptions): Promise<unknown>;
  publish(params: PublishBotReq, options?: RequestOptions): Promise<PublishBotData>;
  /** The published bot's configuration (`GET /v1/bot/get_online_info`). */
  retrieve(params: RetrieveBotReq, options?: RequestOptions): Promise<BotInfo>;
}

/** `client.workspaces`. */
export interface Workspaces {
  list(params?: ListWorkspacesReq, options?: RequestOptions): Promise<ListWorkspacesData>;
}

/** `client.users`. */
export interface Users {
  me(options?: RequestOptions): Promise<User>;
}

/** An uploaded file (`files.upload`, `files.retrieve`); refer to it by `id` in object_string items. */
export interface FileObject {
  id: string;
  /** Size in bytes. */
  bytes: number;
  /** Unix seconds. */
  created_at: number;
  file_name: string;
  [key: string]: unknown;
}

/** What to upload: a `File` (its name is used unless `name` is given), or a `Blob` or `Uint8Array` with a `name`. */
export type UploadFileReq =
  | { file: File; name?: string }
  | { file: Blob | Uint8Array; name: string };

/** Upload progress in bytes of the file: `total` is its size. */
export interface UploadProgress {
  loaded: number;
  total: number;
}

export interface UploadFileOptions extends RequestOptions {
  /**
   * Called with `{loaded: 0, total}` at the start and `{loaded: total, total}` once the whole file
   * has been sent (with fetch: once a success reply arrived). In pages and workers
   * (XMLHttpRequest) also as the bytes go out (as the browser counts them: WebKit's count can run
   * ahead of what the server read); in Node (fetch) only at the start and the end.
   * Never called after the promise settled; a throwing listener breaks no upload.
   */
  onProgress?: (progress: UploadProgress) => void;
}

/** `client.files`. */
export interface Files {
  /**
   * `POST /v1/files/upload` (multipart/form-data). Checked before sending: an empty file or one
   * over Coze's 512 MB limit, or no name, is `INVALID_ARGUMENT`. Aborting rejects with `ABORTED`.
   */
  upload(params: UploadFileReq, options?: UploadFileOptions): Promise<FileObject>;
  retrieve(file_id: string, options?: RequestOptions): Promise<FileObject>;
}

// ---------------------------------------------------------------------------------------------
// The standalone event-stream parser

/** One dispatched server-sent event. */
export interface SseEvent {
  /** The `event:` field, or `'message'` when the event had none. */
  event: string;
  /** The data lines joined with `\n`. */
  data: string;
  /** The last-event-ID at dispatch (it persists across events); `''` when none. */
  id: string;
}

export interface SseParserOptions {
  /** Largest event (pending line + data) in bytes before `EVENT_TOO_LARGE`; default 16 MiB. */
  maxEventSize?: number;
}

/**
 * An incremental WHATWG `text/event-stream` parser over bytes (UTF-8, any chunking, CR/LF/CRLF).
 * Useful for any fetch-based SSE.
 */
export declare class SseParser {
  constructor(options?: SseParserOptions);
  /**
   * Parses one chunk; returns the events it completed (never earlier ones again). Throws
   * `EVENT_TOO_LARGE` when an event exceeds `maxEventSize`: that event is dropped, the error's
   * `events` holds the other events of the chunk, and the parser stays usable.
   */
  feed(bytes: Uint8Array): SseEvent[];
  /** End of stream: what is still due (an incomplete trailing event is discarded, per spec); resets the parser. */
  finish(): SseEvent[];
  /** The last-event-ID buffer (`''` when none). */
  readonly lastEventId: string;
  /** The latest valid `retry:` value in milliseconds, if any. */
  readonly retry: number | undefined;
  free(): void;
}
