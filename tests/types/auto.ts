// The `coze-wasm/auto` entry (auto-initialising, top-level await) exports exactly what the root does.

import * as root from 'coze-wasm';
import * as auto from 'coze-wasm/auto';
import initAuto, { ChatEventType, CozeAPI, type StreamChatData } from 'coze-wasm/auto';

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
function expect<T extends true>(): void {}

expect<Equal<typeof auto, typeof root>>();
expect<Equal<typeof initAuto, typeof root.default>>();

export async function noInit(): Promise<string> {
  const client = new CozeAPI({ token: 'czu_x', baseURL: root.COZE_CN_BASE_URL });
  let text = '';
  for await (const part of client.chat.stream({ bot_id: 'b' })) {
    const typed: StreamChatData = part;
    if (typed.event === ChatEventType.CONVERSATION_MESSAGE_DELTA) text += typed.data.content;
  }
  return text;
}
