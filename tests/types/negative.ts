// Wrong usages that must not compile. Each `@ts-expect-error` fails the check if the line below it
// compiles, so these pin down what the declarations forbid.

import {
  Chat,
  ChatEventType,
  CozeAPI,
  CozeError,
  getJWTToken,
  getPKCEAuthenticationUrl,
  getPKCEOAuthToken,
  initSync,
  parseAuthorizationCallback,
  refreshOAuthToken,
  SseParser,
  startLogin,
  TokenManager,
  type OAuthToken,
  type StreamChatData,
} from 'coze-wasm';

export async function pkce(): Promise<void> {
  // @ts-expect-error PKCE here is S256 only: 'plain' is refused at runtime, so it is a type error too
  await getPKCEAuthenticationUrl({ clientId: 'c', redirectUrl: 'r', code_challenge_method: 'plain' });
  // @ts-expect-error clientId is required
  await getPKCEAuthenticationUrl({ redirectUrl: 'r' });
  // @ts-expect-error the @coze/api result has no `codeChallenge`
  (await getPKCEAuthenticationUrl({ clientId: 'c', redirectUrl: 'r' })).codeChallenge;
  // @ts-expect-error codeVerifier is required
  await getPKCEOAuthToken({ code: 'x', clientId: 'c', redirectUrl: 'r' });
  // @ts-expect-error refreshOAuthToken takes camelCase refreshToken
  await refreshOAuthToken({ refresh_token: 'x', clientId: 'c' });
  // @ts-expect-error expectedState is required
  parseAuthorizationCallback('https://e/cb?code=1&state=2');
  // @ts-expect-error onChange may be called with null (logged out)
  new TokenManager({ clientId: 'c', onChange: (t: OAuthToken) => t.access_token });
  // @ts-expect-error startLogin needs a redirectUrl
  await startLogin({ clientId: 'c' });
  // @ts-expect-error a pending login kept in memory would not survive the redirect
  await startLogin({ clientId: 'c', redirectUrl: 'r', storage: 'memory' });
}

export function client(): void {
  // @ts-expect-error token is required
  new CozeAPI({ baseURL: 'https://api.coze.cn' });
  // @ts-expect-error a token is a string, a function, or a token source
  new CozeAPI({ token: 42 });
  // @ts-expect-error headers are strings
  new CozeAPI({ token: 't', headers: { 'x-n': 1 } });
  // @ts-expect-error resources are not constructible
  new Chat();
  // @ts-expect-error storage is 'memory' | 'session' | 'local' or a store object
  new TokenManager({ clientId: 'c', storage: 'indexeddb' });
  // @ts-expect-error clientId is required
  new TokenManager({ baseURL: 'https://api.coze.cn' });
}

export async function chat(api: CozeAPI): Promise<void> {
  // @ts-expect-error Coze ids are strings (numbers lose precision)
  api.chat.stream({ bot_id: 7379462189365198898 });
  // @ts-expect-error user_id is a string too
  api.chat.stream({ bot_id: 'b', user_id: 1 });
  // @ts-expect-error roles are 'user' | 'assistant'
  api.chat.stream({ bot_id: 'b', additional_messages: [{ role: 'system', content: 'x' }] });
  // @ts-expect-error bot_id is required
  await api.chat.create({ additional_messages: [] });
  // @ts-expect-error cancel takes (conversation_id, chat_id)
  await api.chat.cancel({ conversation_id: 'c', chat_id: 'h' });
  // @ts-expect-error bots.list needs space_id
  await api.bots.list({});
  // @ts-expect-error bots.listNew needs workspace_id
  await api.bots.listNew({});
  // @ts-expect-error order is 'asc' | 'desc'
  await api.conversations.messages.list('c', { order: 'newest' });
}

export async function stream(api: CozeAPI): Promise<void> {
  for await (const part of api.chat.stream({ bot_id: 'b' })) {
    // @ts-expect-error not narrowed: `data` may be '[DONE]' or a Chat object
    part.data.content;
    if (part.event === ChatEventType.CONVERSATION_CHAT_CREATED) {
      // @ts-expect-error a Chat object has no string `content`
      const text: string = part.data.content;
      void text;
    }
    if (part.event === ChatEventType.DONE) {
      // @ts-expect-error done's data is the string '[DONE]'
      part.data.id;
    }
    // @ts-expect-error `error` events are thrown as CozeError (STREAM_ERROR_EVENT), never yielded
    if (part.event === ChatEventType.ERROR) break;
  }
  // @ts-expect-error chat.stream is synchronous: it returns the iterator, not a Promise of it
  api.chat.stream({ bot_id: 'b' }).then;
}

export async function files(api: CozeAPI): Promise<void> {
  // @ts-expect-error a Blob has no name: `name` is required
  await api.files.upload({ file: new Blob(['x']) });
  // @ts-expect-error a Uint8Array needs a name too
  await api.files.upload({ file: new Uint8Array([1]) });
  // @ts-expect-error text is not a file
  await api.files.upload({ file: 'hello', name: 'a.txt' });
  // @ts-expect-error onProgress gets {loaded, total}, not a number
  await api.files.upload({ file: new File([], 'a') }, { onProgress: (p: number) => p });
  await api.chat.create({
    bot_id: 'b',
    // @ts-expect-error an image item takes file_id or file_url, not both
    additional_messages: [{ role: 'user', content: [{ type: 'image', file_id: 'f', file_url: 'https://x/y' }] }],
  });
  await api.chat.create({
    bot_id: 'b',
    // @ts-expect-error 'video' is no object_string item type
    additional_messages: [{ role: 'user', content: [{ type: 'video', file_id: 'f' }] }],
  });
}

export function misc(part: StreamChatData, e: CozeError): void {
  // @ts-expect-error SseParser.feed takes bytes, not text
  new SseParser().feed('data: x\n\n');
  // @ts-expect-error maxEventSize is a number
  new SseParser({ maxEventSize: '1MB' });
  // @ts-expect-error not a CozeErrorCode
  if (e.code === 'UNAUTHORIZED') return;
  // @ts-expect-error initSync needs the module
  initSync();
  // @ts-expect-error not an event of the union
  if (part.event === 'conversation.chat.updated') return;
}

export async function jwt(client: CozeAPI): Promise<void> {
  // @ts-expect-error aud is required (the API host, e.g. 'api.coze.cn')
  await getJWTToken({ appId: '1', keyid: 'k', privateKey: 'pem' });
  // @ts-expect-error privateKey is a PEM string or a CryptoKey
  await getJWTToken({ appId: '1', keyid: 'k', aud: 'a', privateKey: new Uint8Array(4) });
  // @ts-expect-error a JWT token has no refresh token
  (await getJWTToken({ appId: '1', keyid: 'k', aud: 'a', privateKey: 'pem' })).refresh_token;
  // @ts-expect-error connector_ids is a list of strings
  await client.bots.publish({ bot_id: 'b', connector_ids: 1024 });
  // @ts-expect-error space_id is required
  await client.bots.create({ name: 'x' });
}
