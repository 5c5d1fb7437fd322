// A device maker's setup, end to end (Node >= 20): a JWT (service) app's token → create a bot →
// publish it to the API channel → one streamed chat. With --bot-id it checks a configuration
// instead — the app id, key id, private key and bot id you are about to put into a device — and
// says which of them is wrong.
//
//   node examples/maker-setup.mjs --app-id 12… --key-id ab… --private-key-file private_key.pem \
//        [--base-url https://api.coze.cn] [--aud api.coze.cn] [--space-id 74…] [--bot-id 75…]
//
// Exit status 0 when everything worked, 1 when something is wrong (the message says what).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { getJWTToken, CozeAPI, CozeError, ChatEventType, RoleType, COZE_CN_BASE_URL } from 'coze-wasm';

const { values: opt } = parseArgs({
  options: {
    'app-id': { type: 'string' },
    'key-id': { type: 'string' },
    'private-key-file': { type: 'string' },
    'base-url': { type: 'string', default: COZE_CN_BASE_URL },
    aud: { type: 'string' },
    'space-id': { type: 'string' },
    'bot-id': { type: 'string' },
    message: { type: 'string', default: 'Hello from the maker setup' },
  },
});

/** Which of the maker's inputs each JWT refusal reason points at. */
const CULPRIT = {
  key_not_pem: 'private key', public_key: 'private key', certificate: 'private key', encrypted_key: 'private key',
  key_not_rsa: 'private key', key_not_pkcs8: 'private key', bad_signature: 'private key',
  empty_kid: 'key id', key_not_of_app: 'key id',
  unknown_app: 'app id', not_jwt_app: 'app id',
  wrong_region: 'base URL (region)', aud_mismatch: 'base URL / aud', empty_jwt: 'network (a proxy)',
  iat_in_future: 'clock', clock_skew: 'clock',
};

const fail = (what, why) => {
  console.log(`WRONG ${what}: ${why}`);
  process.exit(1);
};

for (const [flag, what] of [['app-id', 'app id'], ['key-id', 'key id'], ['private-key-file', 'private key']]) {
  if (!opt[flag]) fail(what, `missing --${flag}`);
}
const baseURL = opt['base-url'];
let privateKey;
try {
  privateKey = readFileSync(opt['private-key-file'], 'utf8');
} catch (err) {
  fail('private key', `cannot read --private-key-file (${err.code ?? err.message})`);
}

let token;
try {
  token = await getJWTToken({
    appId: opt['app-id'], keyid: opt['key-id'], privateKey, baseURL, aud: opt.aud ?? new URL(baseURL).host,
  });
} catch (err) {
  if (!(err instanceof CozeError)) throw err;
  fail(CULPRIT[err.reason] ?? 'app id, key id or private key', `${err.reason ?? err.code}: ${err.message}`);
}
console.log('OK token: minted with the JWT app (app id, key id and private key belong together)');
const client = new CozeAPI({ token: token.access_token, baseURL });

/** One streamed chat → the reply text. */
async function chatOnce(botId) {
  let reply = '';
  const additional_messages = [{ role: RoleType.User, content: opt.message, content_type: 'text' }];
  for await (const part of client.chat.stream({ bot_id: botId, additional_messages })) {
    if (part.event === ChatEventType.CONVERSATION_MESSAGE_DELTA) reply += part.data.content;
  }
  return reply;
}

let botId = opt['bot-id'];
if (botId) {
  // The config check: the bot must exist and be published to the API channel.
  try {
    const info = await client.bots.retrieve({ bot_id: botId });
    console.log(`OK bot: "${info.name}" version ${info.version}`);
  } catch (err) {
    if (!(err instanceof CozeError)) throw err;
    if (err.cozeCode === 4015) fail('bot id', 'the bot is not published to the API channel: publish it with connector 1024');
    fail('bot id', `${err.message} (is it a bot of this account, in this region?)`);
  }
} else {
  const space = opt['space-id'] ?? (await client.workspaces.list()).workspaces[0]?.id;
  if (!space) fail('space id', 'no workspace found: pass --space-id');
  ({ bot_id: botId } = await client.bots.create({
    space_id: space, name: 'Device assistant', description: 'Created by examples/maker-setup.mjs',
    prompt_info: { prompt: 'You answer briefly: the user talks to a device.' },
  }));
  console.log(`OK created bot ${botId} in space ${space}`);
  const { version } = await client.bots.publish({ bot_id: botId, connector_ids: ['1024'] });
  console.log(`OK published version ${version} to the API channel (connector 1024)`);
}

try {
  const reply = await chatOnce(botId);
  console.log(`OK chat: ${JSON.stringify(reply)}`);
} catch (err) {
  if (!(err instanceof CozeError)) throw err;
  fail('bot id', `chat failed: ${err.message}`);
}
console.log(`READY app id ${opt['app-id']}, key id ${opt['key-id']}, bot id ${botId}: put these into the device`);
