// Code written the way @coze/api's README teaches, with only the import changed: it must compile.

import {
  ChatEventType,
  ChatStatus,
  COZE_CN_BASE_URL,
  CozeAPI,
  getPKCEAuthenticationUrl,
  getPKCEOAuthToken,
  refreshOAuthToken,
  RoleType,
  type OAuthToken,
} from 'coze-wasm';

const baseURL = COZE_CN_BASE_URL;
const clientId = 'YOUR_CLIENT_ID';
const redirectUrl = 'https://example.com/callback';

// PKCE: authorize URL, code exchange, refresh.
export async function login(code: string): Promise<OAuthToken> {
  const { url, codeVerifier } = await getPKCEAuthenticationUrl({
    baseURL,
    clientId,
    redirectUrl,
    state: 'state',
    code_challenge_method: 'S256',
  });
  sessionStorage.setItem('verifier', codeVerifier);
  console.log(url);
  const token = await getPKCEOAuthToken({ code, baseURL, clientId, redirectUrl, codeVerifier });
  const refreshed = await refreshOAuthToken({ baseURL, clientId, refreshToken: token.refresh_token });
  if (refreshed.expires_in <= Date.now() / 1000) throw new Error('expired');
  return refreshed;
}

// The quickstart: a client, a streamed chat, the delta text.
export async function quickstart(token: OAuthToken): Promise<string> {
  const client = new CozeAPI({ token: token.access_token, baseURL });
  let answer = '';
  for await (const part of await client.chat.stream({
    bot_id: 'BOT_ID',
    user_id: 'USER_ID',
    additional_messages: [{ role: RoleType.User, content: 'Hello', content_type: 'text' }],
  })) {
    if (part.event === ChatEventType.CONVERSATION_MESSAGE_DELTA) {
      answer += part.data.content;
    }
  }
  return answer;
}

// Without `await` before the call, with an AbortSignal, a token function and a switch.
export async function streamWithAbort(getToken: () => Promise<string>): Promise<void> {
  const client = new CozeAPI({ token: async () => await getToken(), baseURL });
  const controller = new AbortController();
  for await (const part of client.chat.stream(
    { bot_id: 'BOT_ID', additional_messages: [{ role: 'user', content: 'Hi', content_type: 'text' }] },
    { signal: controller.signal },
  )) {
    switch (part.event) {
      case ChatEventType.CONVERSATION_CHAT_CREATED:
        console.log(part.data.conversation_id, part.data.id);
        break;
      case ChatEventType.CONVERSATION_MESSAGE_DELTA:
        console.log(part.data.content);
        break;
      case ChatEventType.CONVERSATION_MESSAGE_COMPLETED:
        if (part.data.type === 'answer') console.log(part.data.content);
        break;
      case ChatEventType.CONVERSATION_CHAT_COMPLETED:
        console.log(part.data.usage?.token_count);
        break;
      case ChatEventType.DONE:
        console.log(part.data);
        break;
    }
  }
}

// Non-streaming: createAndPoll, then the messages.
export async function poll(client: CozeAPI): Promise<string[]> {
  const v = await client.chat.createAndPoll({
    bot_id: 'BOT_ID',
    additional_messages: [{ role: RoleType.User, content: 'Hello', content_type: 'text' }],
  });
  if (v.chat.status === ChatStatus.COMPLETED) {
    return v.messages.map((m) => m.content);
  }
  return [];
}
