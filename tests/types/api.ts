// Every export, with its exact types asserted. A change to the declarations that alters a type
// shows up here as an error.

import init, {
  type AccessTokenSource,
  calculatePKCECodeChallenge,
  Chat,
  ChatEventType,
  ChatStatus,
  completeLogin,
  COZE_CN_BASE_URL,
  COZE_COM_BASE_URL,
  CozeAPI,
  CozeError,
  generateCodeVerifier,
  generateState,
  getJWTToken,
  getPKCEAuthenticationUrl,
  JWTTokenManager,
  type BotInfo,
  type JWTRefusalReason,
  type JWTToken,
  type PublishBotData,
  initSync,
  parseAuthorizationCallback,
  RoleType,
  SseParser,
  startLogin,
  TokenManager,
  type AuthorizationCallback,
  type ChatStreamIterator,
  type ChatV3Message,
  type Conversation,
  type CozeErrorCode,
  type CreateChatData,
  type FileObject,
  type InitOutput,
  type ListBotData,
  type ListBotNewData,
  type ListMessageData,
  type ListWorkspacesData,
  type OAuthToken,
  type PKCEAuthenticationUrl,
  type SseEvent,
  type StartedLogin,
  type StorageLike,
  type StreamChatData,
  type UploadProgress,
  type User,
} from 'coze-wasm';

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
function expect<T extends true>(): void {}

// ---- init
declare const wasmBytes: ArrayBuffer;
/** What Node's readFileSync returns is a Uint8Array over an ArrayBufferLike. */
declare const fileBytes: Uint8Array;
export async function loading(): Promise<void> {
  expect<Equal<Awaited<ReturnType<typeof init>>, InitOutput>>();
  await init();
  await init({ module_or_path: new URL('./coze_wasm_bg.wasm', import.meta.url) });
  await init({ module_or_path: fetch('/coze_wasm_bg.wasm') });
  const out: InitOutput = initSync({ module: wasmBytes });
  expect<Equal<typeof out.memory, WebAssembly.Memory>>();
  initSync({ module: await WebAssembly.compile(wasmBytes) });
  initSync({ module: fileBytes });
}

// ---- constants
expect<Equal<typeof COZE_CN_BASE_URL, 'https://api.coze.cn'>>();
expect<Equal<typeof COZE_COM_BASE_URL, 'https://api.coze.com'>>();
expect<Equal<typeof ChatEventType.CONVERSATION_MESSAGE_DELTA, 'conversation.message.delta'>>();
expect<Equal<typeof ChatStatus.CANCELED, 'canceled'>>();
expect<Equal<RoleType, 'user' | 'assistant'>>();
expect<Equal<ChatStatus, 'created' | 'in_progress' | 'completed' | 'failed' | 'requires_action' | 'canceled' | 'unknown'>>();

// ---- PKCE
const verifier: string = generateCodeVerifier();
const challenge: string = calculatePKCECodeChallenge(verifier);
const state: string = generateState();
export async function pkce(): Promise<void> {
  const auth = await getPKCEAuthenticationUrl({
    clientId: 'c',
    redirectUrl: 'https://e/cb',
    baseURL: COZE_COM_BASE_URL,
    workspaceId: 'w',
    wwwURL: 'http://localhost:8787',
  });
  expect<Equal<typeof auth, PKCEAuthenticationUrl>>();
  expect<Equal<typeof auth.state, string>>();
  const cb = parseAuthorizationCallback(location.href, auth.state);
  expect<Equal<typeof cb, AuthorizationCallback>>();
  expect<Equal<typeof cb.code, string>>();
}
void challenge;
void state;

// ---- OAuthToken
declare const token: OAuthToken;
expect<Equal<typeof token.expires_in, number>>();
expect<Equal<typeof token.token_type, string | undefined>>();

// ---- SPA login + TokenManager
const memoryStore = new Map<string, string>();
const asyncStore: StorageLike = {
  getItem: async (k) => memoryStore.get(k) ?? null,
  setItem: async (k, v) => void memoryStore.set(k, v),
  removeItem: async (k) => memoryStore.delete(k),
};
export async function spa(): Promise<void> {
  const tokens = new TokenManager({ clientId: 'c', baseURL: COZE_CN_BASE_URL, storage: 'session', refreshAheadSeconds: 120 });
  new TokenManager({ clientId: 'c', storage: localStorage, storageKey: 'k' });
  new TokenManager({ clientId: 'c', storage: asyncStore });
  new TokenManager({ clientId: 'c', onChange: (t) => { if (t) t.refresh_token.toUpperCase(); } });
  const started = await startLogin({ clientId: 'c', redirectUrl: location.origin + '/', baseURL: COZE_CN_BASE_URL });
  expect<Equal<typeof started, StartedLogin>>();
  const t = await completeLogin({ tokenManager: tokens, signal: AbortSignal.timeout(5000) });
  expect<Equal<typeof t, OAuthToken>>();
  await completeLogin();
  await completeLogin({ url: location.href, storage: sessionStorage });
  expect<Equal<Awaited<ReturnType<TokenManager['getToken']>>, OAuthToken | null>>();
  expect<Equal<Awaited<ReturnType<TokenManager['getAccessToken']>>, string>>();
  expect<Equal<Awaited<ReturnType<TokenManager['refresh']>>, OAuthToken>>();
  expect<Equal<Awaited<ReturnType<TokenManager['setToken']>>, void>>();
  await tokens.refresh();
  await tokens.refresh('rejected-access-token');
  await tokens.clear();
  tokens.free();
  // A TokenManager is an AccessTokenSource.
  const source: AccessTokenSource = tokens;
  void source;
}

// ---- the client
export async function client(tokens: TokenManager): Promise<void> {
  const api = new CozeAPI({
    token: tokens,
    baseURL: COZE_CN_BASE_URL,
    headers: { 'x-extra': '1' },
    allowPersonalAccessTokenInBrowser: false,
  });
  new CozeAPI({ token: () => 'czu_x' });
  new CozeAPI({ token: { getAccessToken: () => 'a', refresh: async () => 'b' } });
  expect<Equal<typeof api.baseURL, string>>();
  expect<Equal<typeof api.chat, Chat>>();

  const stream = api.chat.stream({ bot_id: 'b', conversation_id: 'c', auto_save_history: true, meta_data: { k: 'v' } });
  expect<Equal<typeof stream, ChatStreamIterator>>();
  const first = await stream.next();
  if (!first.done) expect<Equal<typeof first.value, StreamChatData>>();
  await stream.return();

  const created = await api.chat.create({ bot_id: 'b', additional_messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image', file_id: 'f' }] }] });
  expect<Equal<typeof created, CreateChatData>>();
  const polled = await api.chat.createAndPoll({ bot_id: 'b' }, { pollIntervalMs: 100, timeoutMs: 10_000 });
  expect<Equal<typeof polled.messages, ChatV3Message[]>>();
  expect<Equal<Awaited<ReturnType<typeof api.chat.retrieve>>, CreateChatData>>();
  const canceled = await api.chat.cancel(created.conversation_id, created.id);
  expect<Equal<typeof canceled.status, ChatStatus>>();
  expect<Equal<Awaited<ReturnType<typeof api.chat.messages.list>>, ChatV3Message[]>>();

  const conv = await api.conversations.create({ bot_id: 'b', messages: [{ role: RoleType.User, content: 'hi', content_type: 'text' }] });
  expect<Equal<typeof conv, Conversation>>();
  await api.conversations.create();
  expect<Equal<Awaited<ReturnType<typeof api.conversations.retrieve>>, Conversation>>();
  const page = await api.conversations.messages.list(conv.id, { order: 'asc', limit: 20 });
  expect<Equal<typeof page, ListMessageData>>();
  await api.conversations.messages.list(conv.id);

  const bots = await api.bots.list({ space_id: 's', page_index: 1, page_size: 20 });
  expect<Equal<typeof bots, ListBotData>>();
  const botsNew = await api.bots.listNew({ workspace_id: 'w', publish_status: 'all' });
  expect<Equal<typeof botsNew, ListBotNewData>>();
  const spaces = await api.workspaces.list({ page_num: 1 });
  expect<Equal<typeof spaces, ListWorkspacesData>>();
  await api.workspaces.list();
  const me = await api.users.me({ signal: new AbortController().signal });
  expect<Equal<typeof me, User>>();

  const seen: UploadProgress[] = [];
  const uploaded = await api.files.upload(
    { file: new File(['x'], 'a.png') },
    { signal: new AbortController().signal, onProgress: (p) => seen.push(p) },
  );
  expect<Equal<typeof uploaded, FileObject>>();
  await api.files.upload({ file: new Blob(['x']), name: 'b.txt' });
  await api.files.upload({ file: new Uint8Array([1, 2]), name: 'c.bin' });
  expect<Equal<Awaited<ReturnType<typeof api.files.retrieve>>, FileObject>>();
  await api.conversations.create({
    messages: [{ role: 'user', content: [{ type: 'text', text: 'see' }, { type: 'file', file_id: uploaded.id }] }],
  });
  await api.chat.create({
    bot_id: 'b',
    additional_messages: [{ role: 'user', content: [{ type: 'image', file_url: 'https://x.cn/a.png' }] }],
  });
  api.free();
}

// ---- the stream's discriminated union
export function narrow(part: StreamChatData): void {
  switch (part.event) {
    case 'conversation.message.delta':
    case 'conversation.message.completed':
    case 'conversation.audio.delta':
      expect<Equal<typeof part.data, ChatV3Message>>();
      break;
    case 'conversation.chat.created':
    case 'conversation.chat.in_progress':
    case 'conversation.chat.completed':
    case 'conversation.chat.requires_action':
    case 'conversation.chat.canceled':
      expect<Equal<typeof part.data, CreateChatData>>();
      break;
    case 'conversation.chat.failed':
      if ('status' in part.data) console.log(part.data.last_error?.code);
      break;
    case 'done':
      expect<Equal<typeof part.data, '[DONE]'>>();
      break;
    default: {
      const never: never = part;
      void never;
    }
  }
}

// ---- errors
export function errors(e: unknown): void {
  if (e instanceof CozeError) {
    expect<Equal<typeof e.code, CozeErrorCode>>();
    const status: number | undefined = e.status;
    const cozeCode: number | undefined = e.cozeCode;
    const logid: string | undefined = e.logid;
    const msg: string | undefined = e.msg;
    const oauth: [string | undefined, string | undefined] = [e.error, e.error_description];
    const raw: string | undefined = e.raw;
    void [status, cozeCode, logid, msg, oauth, raw];
    if (e.code === 'COZE_API_ERROR' && e.cozeCode === 4101) console.log('wrong region?');
    const asError: Error = e;
    void asError;
  }
  const mine = new CozeError('ABORTED', 'stopped', { status: 499 });
  void mine;
}

// ---- SseParser
export function sse(bytes: Uint8Array): void {
  const parser = new SseParser();
  new SseParser({ maxEventSize: 1024 });
  const events = parser.feed(bytes);
  expect<Equal<typeof events, SseEvent[]>>();
  const tail: SseEvent[] = parser.finish();
  const id: string = parser.lastEventId;
  const retry: number | undefined = parser.retry;
  void [tail, id, retry];
  parser.free();
}

// ---- JWT (server runtimes) and a maker's bots
export async function jwt(key: CryptoKey, pem: string): Promise<void> {
  const params = { appId: '1', keyid: 'k', aud: 'api.coze.cn', privateKey: pem, baseURL: COZE_CN_BASE_URL } as const;
  const token = await getJWTToken({ ...params, durationSeconds: 600, scope: { account_permission: { permission_list: ['Connector.botChat'] } }, sessionName: 'u1', accountId: '7' }, { signal: new AbortController().signal });
  expect<Equal<typeof token, JWTToken>>();
  const manager = new JWTTokenManager({ ...params, privateKey: key, refreshAheadSeconds: 30 });
  const access: string = await manager.getAccessToken();
  const current: JWTToken | null = await manager.getToken();
  const minted: JWTToken = await manager.refresh(access);
  const client = new CozeAPI({ token: manager, baseURL: COZE_CN_BASE_URL });
  const { bot_id } = await client.bots.create({ space_id: 's', name: 'Glasses', prompt_info: { prompt: 'brief' }, onboarding_info: { prologue: 'hi' } });
  await client.bots.update({ bot_id, description: 'new' });
  const published: PublishBotData = await client.bots.publish({ bot_id, connector_ids: ['1024'] });
  const info: BotInfo = await client.bots.retrieve({ bot_id });
  try {
    await getJWTToken(params);
  } catch (e) {
    if (e instanceof CozeError && e.code === 'JWT_IN_BROWSER') return;
    if (e instanceof CozeError) {
      const reason: JWTRefusalReason | undefined = e.reason;
      void reason;
    }
  }
  void [current, minted, published, info];
}
