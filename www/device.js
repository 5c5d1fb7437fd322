// coze-wasm demo: a "TV screen" with no keyboard. It gets a device code, shows the user code, the
// verification link and a QR code of it (drawn here, no third-party service), polls until the
// user allows on another device, then chats with a bot (streamed). Server text is rendered as text.
//   device.html?emulator=http://127.0.0.1:8787&client_id=…&bot_id=…
import { drawQr } from './qr.js';

const $ = (id) => document.getElementById(id);
const DEFAULT_EMULATOR_URL = 'http://127.0.0.1:8787';
const DEFAULT_CLIENT_ID = 'demo-client.app.coze';
const ECHO_BOT = '7000000000000000001';
const GREETING = 'Hello from the living-room TV';

const query = new URLSearchParams(location.search);
/** Only a loopback emulator is followed from the address bar (as on the PKCE demo). */
function emulatorURL() {
  try {
    const url = new URL(query.get('emulator') || DEFAULT_EMULATOR_URL);
    const local = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    return local && url.protocol === 'http:' ? url.origin : DEFAULT_EMULATOR_URL;
  } catch {
    return DEFAULT_EMULATOR_URL;
  }
}
const baseURL = emulatorURL();
const clientId = query.get('client_id') || DEFAULT_CLIENT_ID;
const botId = query.get('bot_id') || ECHO_BOT;

let lib = null;
let login = null; // the AbortController of the login in progress
let client = null;
let countdown = 0;

function setState(state, message) {
  document.body.dataset.state = state;
  $('status').textContent = message;
  $('restart').hidden = !['denied', 'expired', 'error'].includes(state);
}

function showExpiry(seconds) {
  clearInterval(countdown);
  const until = Date.now() + seconds * 1000;
  const tick = () => {
    const left = Math.max(0, Math.round((until - Date.now()) / 1000));
    $('expires').textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
  };
  tick();
  countdown = setInterval(tick, 1000);
}

async function start() {
  if (login) login.abort();
  const ctrl = new AbortController();
  login = ctrl;
  setState('loading', 'Getting a code…');
  try {
    const code = await lib.getDeviceCode({ clientId, baseURL }, { signal: ctrl.signal });
    $('user-code').textContent = code.user_code;
    const link = $('verification-link');
    link.href = code.verification_url;
    link.textContent = code.verification_uri;
    drawQr($('qr'), code.verification_url);
    $('interval').textContent = String(code.interval);
    showExpiry(code.expires_in);
    setState('waiting', 'Waiting for you to allow this TV…');
    const token = await lib.getDeviceToken(
      { clientId, baseURL, deviceCode: code.device_code, interval: code.interval, expiresIn: code.expires_in },
      { signal: ctrl.signal },
    );
    clearInterval(countdown);
    const manager = new lib.TokenManager({ clientId, baseURL });
    await manager.setToken(token);
    client = new lib.CozeAPI({ token: manager, baseURL });
    setState('in', 'Signed in.');
    await ask(GREETING);
  } catch (err) {
    if (ctrl.signal.aborted) return;
    clearInterval(countdown);
    if (err.code === 'OAUTH_ACCESS_DENIED') setState('denied', 'Access was denied on the other device.');
    else if (err.code === 'OAUTH_EXPIRED_TOKEN') setState('expired', 'The code expired before anyone allowed it.');
    else setState('error', `${err.code || 'ERROR'}: ${err.message}`);
  }
}

function bubble(kind, text) {
  const div = document.createElement('div');
  div.className = `msg ${kind}`;
  div.textContent = text;
  $('messages').append(div);
  return div;
}

async function ask(text) {
  bubble('user', text);
  const reply = bubble('bot streaming', '');
  $('send').disabled = true;
  try {
    const params = {
      bot_id: botId,
      user_id: 'living-room-tv',
      additional_messages: [{ role: 'user', content: text, content_type: 'text' }],
    };
    for await (const part of client.chat.stream(params)) {
      if (part.event === lib.ChatEventType.CONVERSATION_MESSAGE_DELTA) reply.textContent += part.data.content;
    }
    setState('in', 'Signed in.');
  } catch (err) {
    setState('in', `${err.code || 'ERROR'}: ${err.message}`);
  } finally {
    reply.classList.remove('streaming');
    $('send').disabled = false;
  }
}

async function boot() {
  $('restart').addEventListener('click', start);
  $('ask').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $('question').value.trim();
    if (!text || !client) return;
    $('question').value = '';
    ask(text);
  });
  try {
    lib = await import('./pkg/index.js');
    await lib.default();
  } catch (err) {
    setState('error', `./pkg/index.js could not be loaded (${err && err.message}): run ./scripts/demo.sh`);
    return;
  }
  await start();
}

boot();
