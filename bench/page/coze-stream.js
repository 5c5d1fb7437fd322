// A deterministic, Coze-like /v3/chat event stream (the wire format of coze-api.md §2.2):
// chat.created, chat.in_progress, then answer messages — each a run of
// conversation.message.delta events carrying a few characters of Chinese text, closed by its
// conversation.message.completed with the full concatenated content — then the verbose
// generate_answer_finish message, follow-up suggestions, chat.completed (with usage) and done.
// Several answer messages (coze-api.md: "possibly more answers") keep each completed event at a
// realistic ~10 KB instead of one multi-megabyte event. Same seed, same bytes, on every run.

const TEXT =
  '星期三的天气晴朗，适合出门散步。我们可以先去公园看看花，然后在附近的咖啡馆坐一会儿。' +
  '如果你想了解更多关于扣子平台的信息，请访问官方文档，那里有详细的接口说明和示例代码。' +
  '人工智能助手会根据你的问题，结合知识库中的内容，生成准确而有帮助的回答。' +
  '今天下午三点有一个会议，请提前准备好相关的资料和数据报表，谢谢！' +
  '北京上海广州深圳杭州成都武汉西安南京重庆天津苏州长沙郑州青岛沈阳宁波昆明' +
  '第一，明确目标；第二，拆分任务；第三，按时复盘。这样工作效率会提高很多。';
const EXTRAS = ['**注意**', '\n\n', '1. ', 'API', 'OAuth 2.0', '2025', 'Coze', '：', '——', '“', '”', '`code`'];

/** mulberry32: a tiny deterministic PRNG. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Yields the stream's events as wire text (`event:...\ndata:...\n\n`) until about `targetBytes`. */
export function* cozeEvents(targetBytes, seed = 20241123) {
  const rand = prng(seed);
  const int = (n) => Math.floor(rand() * n);
  const id19 = () => String(7300000000000000000n + BigInt(int(1e9)) * 1000000000n + BigInt(int(1e9)));
  const conversationId = id19();
  const botId = '7379462189365198898';
  const chatId = id19();
  const sectionId = conversationId;
  const createdAt = 1718792949;
  const wire = (event, data) => `event:${event}\ndata:${JSON.stringify(data)}\n\n`;
  const chat = (status, extra) => ({
    id: chatId,
    conversation_id: conversationId,
    bot_id: botId,
    created_at: createdAt,
    ...extra,
    last_error: { code: 0, msg: '' },
    section_id: sectionId,
    status,
    usage: { token_count: 0, output_count: 0, input_count: 0 },
  });
  const message = (id, type, content, contentType = 'text') => ({
    id,
    conversation_id: conversationId,
    bot_id: botId,
    role: 'assistant',
    type,
    content,
    content_type: contentType,
    chat_id: chatId,
    section_id: sectionId,
  });
  const piece = () => {
    if (rand() < 0.06) return EXTRAS[int(EXTRAS.length)];
    const len = 1 + int(8);
    const start = int(TEXT.length - len);
    return TEXT.slice(start, start + len);
  };

  let bytes = 0;
  const emit = (text) => {
    bytes += utf8Length(text);
    return text;
  };
  yield emit(wire('conversation.chat.created', chat('created')));
  yield emit(wire('conversation.chat.in_progress', chat('in_progress')));
  const tail = 4096;
  let outputTokens = 0;
  while (bytes < targetBytes - tail) {
    const messageId = id19();
    const deltas = 200 + int(400);
    let full = '';
    for (let i = 0; i < deltas && bytes < targetBytes - tail; i++) {
      const content = piece();
      full += content;
      outputTokens++;
      yield emit(wire('conversation.message.delta', message(messageId, 'answer', content)));
    }
    yield emit(wire('conversation.message.completed', message(messageId, 'answer', full)));
  }
  yield emit(wire('conversation.message.completed', message(id19(), 'verbose',
    JSON.stringify({ msg_type: 'generate_answer_finish', data: '', from_module: null, from_unit: null }))));
  for (const q of ['明天的天气怎么样？', '附近有什么好吃的餐厅？', '如何申请扣子的 OAuth 应用？']) {
    yield emit(wire('conversation.message.completed', message(id19(), 'follow_up', q)));
  }
  yield emit(wire('conversation.chat.completed', {
    ...chat('completed', { completed_at: createdAt + 30 }),
    usage: { token_count: outputTokens + 1024, output_count: outputTokens, input_count: 1024 },
  }));
  yield 'event:done\ndata:"[DONE]"\n\n';
}

function utf8Length(text) {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) n += c >= 0x800 && (c < 0xd800 || c > 0xdfff) ? 2 : 1; // surrogate pair: 2 × (1 + 1) = 4
  }
  return n;
}

/**
 * The whole stream as bytes, plus where each event ends (byte offset just past its blank line),
 * for the benchmarks that replay it from memory.
 */
export function generateStream(targetBytes, seed) {
  const encoder = new TextEncoder();
  let buf = new Uint8Array(targetBytes + (1 << 20));
  let len = 0;
  const ends = [];
  let deltaChars = 0;
  for (const text of cozeEvents(targetBytes, seed)) {
    if (buf.length - len < text.length * 3) {
      const bigger = new Uint8Array(buf.length * 2);
      bigger.set(buf.subarray(0, len));
      buf = bigger;
    }
    len += encoder.encodeInto(text, buf.subarray(len)).written;
    ends.push(len);
    if (text.startsWith('event:conversation.message.delta\n')) {
      deltaChars += JSON.parse(text.slice(text.indexOf('\ndata:') + 6)).content.length;
    }
  }
  return { bytes: buf.slice(0, len), ends: Int32Array.from(ends), events: ends.length, deltaChars };
}

/** Views (no copies) of `bytes` in pieces of `size` bytes. */
export function chunked(bytes, size) {
  const chunks = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, Math.min(i + size, bytes.length)));
  return chunks;
}

/**
 * A ReadableStream that generates ~`targetBytes` of the stream on demand, `chunkSize` bytes at a
 * time: never more than about one chunk (plus one event) in memory. `stats.bytes`/`stats.events`
 * count what it produced.
 */
export function generatedBody(targetBytes, chunkSize, seed, stats = { bytes: 0, events: 0 }) {
  const encoder = new TextEncoder();
  const events = cozeEvents(targetBytes, seed);
  let parts = [];
  let partsLength = 0;
  let ended = false;
  let ready = []; // whole chunks cut from the joined parts
  return new ReadableStream({
    pull(controller) {
      while (ready.length === 0) {
        while (partsLength < chunkSize && !ended) {
          const next = events.next();
          if (next.done) {
            ended = true;
            break;
          }
          const bytes = encoder.encode(next.value);
          stats.events++;
          parts.push(bytes);
          partsLength += bytes.length;
        }
        if (partsLength === 0) {
          controller.close();
          return;
        }
        const joined = new Uint8Array(partsLength);
        let at = 0;
        for (const part of parts) {
          joined.set(part, at);
          at += part.length;
        }
        const whole = ended ? joined.length : joined.length - (joined.length % chunkSize);
        for (let i = 0; i < whole; i += chunkSize) ready.push(joined.subarray(i, Math.min(i + chunkSize, whole)));
        const rest = joined.subarray(whole);
        parts = rest.length ? [rest] : [];
        partsLength = rest.length;
        ready.reverse();
      }
      const chunk = ready.pop();
      stats.bytes += chunk.length;
      controller.enqueue(chunk);
    },
  }, { highWaterMark: 0 });
}
