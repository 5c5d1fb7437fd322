// Navigation → the first chat event, the way a page does it: its module script imports the
// client, (ours) init()s it, creates a client and iterates chat.stream until the first event.
// `?who=ours|cozeapi`. /v3/chat is answered in the page (a short Coze-shaped stream), everything
// else is fetched from the server. The result (ms since navigation start) lands in window.result.
const who = new URLSearchParams(location.search).get('who');
const STREAM = [
  'event:conversation.chat.created\ndata:{"id":"c1","conversation_id":"v1","bot_id":"b","status":"created"}\n\n',
  'event:conversation.chat.in_progress\ndata:{"id":"c1","conversation_id":"v1","bot_id":"b","status":"in_progress"}\n\n',
  'event:conversation.message.delta\ndata:{"id":"m1","conversation_id":"v1","role":"assistant","type":"answer","content":"你好","content_type":"text","chat_id":"c1"}\n\n',
  'event:conversation.chat.completed\ndata:{"id":"c1","conversation_id":"v1","bot_id":"b","status":"completed"}\n\n',
  'event:done\ndata:"[DONE]"\n\n',
].join('');
const PARAMS = { bot_id: '7379462189365198898', additional_messages: [{ role: 'user', content: '你好', content_type: 'text' }] };
const TOKEN = 'bench-access-token';

const networkFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = String(input instanceof Request ? input.url : input);
  if (!url.startsWith('https://api.coze.cn/')) return networkFetch(input, init);
  return Promise.resolve(new Response(STREAM, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } }));
};

async function firstEvent(stream) {
  for await (const event of stream) return event;
  throw new Error('first-event: the stream ended without an event');
}

async function run() {
  const start = performance.now();
  let event;
  if (who === 'cozeapi') {
    const api = await import('/dist/coze-api.js');
    event = await firstEvent(api.chatStream({ token: TOKEN, baseURL: 'https://api.coze.cn' }, PARAMS));
  } else {
    const ours = await import('/pkg/index.js');
    await ours.default({ module_or_path: '/pkg/web/coze_wasm_bg.wasm' });
    event = await firstEvent(new ours.CozeAPI({ token: TOKEN, baseURL: ours.COZE_CN_BASE_URL }).chat.stream(PARAMS));
  }
  if (event.event !== 'conversation.chat.created') throw new Error(`first-event: got ${event.event}`);
  return { scriptStartMs: start, firstEventMs: performance.now() };
}

run().then((r) => { window.result = r; }, (e) => { window.result = { error: String(e && e.stack || e) }; });
