// The <coze-chat> entry and webChatAuth as a page script sees them.
import 'coze-wasm/element';
import { CozeChat } from 'coze-wasm/element';
import { TokenManager, webChatAuth, type WebChatAuth } from 'coze-wasm';

const chat: CozeChat | null = document.querySelector('coze-chat');
chat?.setAttribute('bot-id', '7000000000000000001');
chat?.addEventListener('coze-message', (e) => {
  const text: string = e.detail.content;
  void text;
});
chat?.addEventListener('coze-logout', (e) => {
  const reason: 'user' | 'expired' = e.detail.reason;
  void reason;
});
chat?.addEventListener('coze-error', (e) => {
  const logid: string | undefined = e.detail.logid;
  void logid;
});
const made: CozeChat = document.createElement('coze-chat');
void made;

async function webChat(tokens: TokenManager): Promise<string> {
  const auth: WebChatAuth = await webChatAuth(tokens);
  const type: 'token' = auth.type;
  void type;
  return auth.onRefreshToken();
}
void webChat;
