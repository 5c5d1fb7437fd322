// coze-wasm demo page: OAuth PKCE login, token status, workspace/bot pickers and a streaming chat.
// Plain ES module, no framework. Two rules hold throughout:
//   * everything that comes from the server is rendered as text (textContent / Text nodes), never HTML;
//   * nothing secret (tokens, code, verifier) is ever written to the console.


const $ = (id) => document.getElementById(id);

const SETTINGS_KEY = 'coze-wasm-demo:settings'; // localStorage: non-secret settings
const SESSION_KEY = 'coze-wasm-demo:session'; // sessionStorage: which baseURL/clientId this tab logged in to
const DEFAULT_EMULATOR_URL = 'http://127.0.0.1:8787';
const QUERY_EMULATOR_KEY = 'coze-wasm-demo:emulator'; // sessionStorage: this tab's ?emulator=
const DEFAULT_CLIENT_ID = 'demo-client.app.coze';
const CALLBACK_PARAMS = ['code', 'state', 'error', 'error_description', 'error_uri', 'iss'];

/** The loaded package (filled by boot()). */
let lib = null;
/** The package's safe Markdown renderer, shared with <coze-chat> (filled by boot()). */
let renderMarkdown = null;
/** pkg/attachments.js (shared with <coze-chat>), loaded with the package in boot(). */
let createAttachments, messageContent, showWithMessage;
/** The composer's attached files (bindAttachments()). */
let attachments = null;

const app = {
  settings: null,
  tokenManager: null,
  client: null,
  /** {baseURL, clientId} of the signed-in session. */
  session: null,
  token: null,
  user: null,
  workspaces: [],
  bots: [],
  conversationId: null,
  /** The reply being streamed: {ctrl, chatId, conversationId, stopped}. */
  run: null,
  ticker: 0,
  /** Bumped on logout / bot change so late answers of older requests are ignored. */
  epoch: 0,
};

// ---------------------------------------------------------------------------------------------
// Settings

function readJSON(storage, key) {
  try {
    const value = JSON.parse(storage.getItem(key) || 'null');
    return value && typeof value === 'object' ? value : null;
  } catch {
    return null;
  }
}

function writeJSON(storage, key, value) {
  try {
    storage.setItem(key, JSON.stringify(value));
  } catch {
    /* storage full or disabled: settings just won't persist */
  }
}

function normalizeURL(value) {
  try {
    const url = new URL(String(value).trim());
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return url.origin + url.pathname.replace(/\/+$/, '');
  } catch {
    return null;
  }
}

function isLocalURL(url) {
  try {
    const host = new URL(url).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
  } catch {
    return false;
  }
}

function loadSettings() {
  const saved = readJSON(localStorage, SETTINGS_KEY) || {};
  const settings = {
    choice: ['emulator', 'cn', 'com', 'custom'].includes(saved.choice) ? saved.choice : 'emulator',
    emulatorURL: normalizeURL(saved.emulatorURL || '') || DEFAULT_EMULATOR_URL,
    customURL: typeof saved.customURL === 'string' ? saved.customURL : '',
    clientId: typeof saved.clientId === 'string' && saved.clientId ? saved.clientId : DEFAULT_CLIENT_ID,
    workspaceId: typeof saved.workspaceId === 'string' ? saved.workspaceId : '',
    workspace: typeof saved.workspace === 'string' ? saved.workspace : '',
    bot: typeof saved.bot === 'string' ? saved.bot : '',
  };
  // ?emulator=http://127.0.0.1:PORT points this tab at a local emulator (scripts/demo.sh, the e2e
  // test). Loopback only: a link must not send the user's login to another host. Kept for this
  // tab only (the OAuth redirect comes back without it), never saved with the settings.
  const fromQuery = normalizeURL(new URLSearchParams(location.search).get('emulator') || '');
  if (fromQuery && isLocalURL(fromQuery)) sessionStorage.setItem(QUERY_EMULATOR_KEY, fromQuery);
  const forTab = sessionStorage.getItem(QUERY_EMULATOR_KEY);
  if (forTab && isLocalURL(forTab)) {
    settings.savedEmulatorURL = settings.emulatorURL;
    settings.tabEmulatorURL = forTab;
    settings.emulatorURL = forTab;
    settings.choice = 'emulator';
  }
  return settings;
}

function saveSettings() {
  const { savedEmulatorURL, tabEmulatorURL, ...settings } = app.settings;
  // This tab's ?emulator= is not saved (an emulator URL the user typed in is).
  if (tabEmulatorURL && settings.emulatorURL === tabEmulatorURL) settings.emulatorURL = savedEmulatorURL;
  writeJSON(localStorage, SETTINGS_KEY, settings);
}

/** The API base URL the settings point at, or null when the custom URL is not valid. */
function settingsBaseURL(s = app.settings) {
  switch (s.choice) {
    case 'cn': return lib ? lib.COZE_CN_BASE_URL : 'https://api.coze.cn';
    case 'com': return lib ? lib.COZE_COM_BASE_URL : 'https://api.coze.com';
    case 'custom': return normalizeURL(s.customURL);
    default: return s.emulatorURL;
  }
}

function redirectURL() {
  return location.origin + location.pathname;
}

/** [kind, host] for the header pill, e.g. ['Local emulator · ', '127.0.0.1:8787']. */
function describeBase(url) {
  if (!url) return ['', 'No base URL'];
  const host = new URL(url).host;
  if (isLocalURL(url)) return ['Local emulator ·', host];
  if (host === 'api.coze.cn') return ['扣子 ·', host];
  return ['', host];
}

function renderSettings() {
  const s = app.settings;
  $('base-url').value = s.choice;
  $('base-url').options[0].textContent = `Local emulator (${new URL(s.emulatorURL).host})`;
  $('custom-field').hidden = s.choice !== 'custom';
  $('custom-base-url').value = s.customURL;
  $('client-id').value = s.clientId;
  $('workspace-id').value = s.workspaceId;
  $('redirect-url').value = redirectURL();
  renderEnvironment();
}

function renderEnvironment() {
  const base = app.session ? app.session.baseURL : settingsBaseURL();
  const [kind, host] = describeBase(base);
  $('env-kind').textContent = kind;
  $('env-label').textContent = host;
  $('settings-summary').textContent = base ? new URL(base).host : 'set a base URL';
  checkHealth(base);
}

let healthFor = null;
/** Pings the emulator's health route so a missing emulator is obvious before logging in. */
async function checkHealth(base) {
  const dot = $('env-dot');
  if (!base || !isLocalURL(base)) {
    dot.dataset.health = 'unknown';
    $('env-pill').title = 'API calls go to ' + (base || 'nowhere');
    return;
  }
  if (healthFor === base) return;
  healthFor = base;
  dot.dataset.health = 'checking';
  try {
    const res = await fetch(`${base}/_emulator/health`, { cache: 'no-store' });
    if (healthFor !== base) return;
    dot.dataset.health = res.ok ? 'ok' : 'down';
    $('env-pill').title = res.ok ? `Emulator reachable at ${base}` : `Emulator at ${base} answered ${res.status}`;
  } catch {
    if (healthFor !== base) return;
    dot.dataset.health = 'down';
    $('env-pill').title = `Nothing answers at ${base} — start it with ./scripts/demo.sh`;
  }
}

function bindSettings() {
  const update = () => {
    const s = app.settings;
    s.choice = $('base-url').value;
    s.customURL = $('custom-base-url').value.trim();
    s.clientId = $('client-id').value.trim();
    s.workspaceId = $('workspace-id').value.trim();
    $('custom-field').hidden = s.choice !== 'custom';
    saveSettings();
    renderEnvironment();
  };
  for (const id of ['base-url', 'custom-base-url', 'client-id', 'workspace-id']) {
    $(id).addEventListener('change', update);
    $(id).addEventListener('input', update);
  }
  $('settings').addEventListener('submit', (e) => e.preventDefault());
}

// ---------------------------------------------------------------------------------------------
// Errors and notices

function errorTitle(err, context) {
  if (err && err.code === 'OAUTH_CALLBACK_ERROR' && err.error === 'access_denied') {
    return 'Login was denied (access_denied)';
  }
  if (err && err.code === 'OAUTH_CALLBACK_ERROR' && err.error) return `${context} (${err.error})`;
  return context;
}

/** Shows a CozeError (or anything thrown) in the banner: title, message, code, msg, logid. */
function showError(err, context = 'Something went wrong') {
  const e = err || {};
  $('error-title').textContent = errorTitle(e, context);
  const message = e.error_description || e.message || e.msg || String(err);
  $('error-message').textContent = message;
  const details = $('error-details');
  details.replaceChildren();
  const rows = [
    ['code', e.code || (e.name && e.name !== 'Error' ? e.name : 'UNEXPECTED')],
    ['error', e.error],
    ['HTTP', e.status && e.status !== 200 ? e.status : undefined],
    ['Coze code', e.cozeCode],
    ['msg', e.msg && e.msg !== message ? e.msg : undefined],
    ['logid', e.logid],
  ];
  for (const [name, value] of rows) {
    if (value === undefined || value === null || value === '') continue;
    const wrap = document.createElement('div');
    const dt = document.createElement('dt');
    const dd = document.createElement('dd');
    dt.textContent = name;
    dd.textContent = String(value);
    wrap.append(dt, dd);
    details.append(wrap);
  }
  $('error').hidden = false;
  $('error').dataset.code = e.code || '';
}

function clearError() {
  $('error').hidden = true;
  $('error').dataset.code = '';
}

let noticeTimer = 0;
function notice(text, tone = 'info') {
  const el = $('notice');
  el.textContent = text;
  el.dataset.tone = tone;
  el.hidden = false;
  el.classList.remove('leaving');
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => {
    el.classList.add('leaving');
    noticeTimer = setTimeout(() => { el.hidden = true; }, 250);
  }, 2600);
}

/** Shows the error; when the session is gone (refresh token refused, storage cleared), signs out. */
async function handleApiError(err, context) {
  if (err && err.code === 'ABORTED') return;
  showError(err, context);
  // Signed out already when the manager forgot the token (its onChange); else check.
  if (app.tokenManager && err && (err.code === 'NOT_LOGGED_IN' || err.code === 'OAUTH_TOKEN_ERROR')) {
    const still = await app.tokenManager.getToken().catch(() => null);
    if (!still) await signOut({ quiet: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Login

function setAuth(state) {
  document.body.dataset.auth = state; // loading | out | in
  const inside = state === 'in';
  $('session-badge').textContent = inside ? 'Signed in' : state === 'loading' ? 'Checking…' : 'Signed out';
  $('session-badge').dataset.tone = inside ? 'ok' : 'muted';
  $('settings-fields').disabled = inside;
  $('settings-card').open = !inside;
  $('login').disabled = state !== 'out';
  $('user').hidden = !inside || !app.user;
  if (!inside) {
    $('chat-sub').textContent = 'Log in to chat with your bots';
    $('empty-title').textContent = 'Nothing here yet';
    $('empty-text').textContent = 'Log in with Coze, pick a bot and say hello.';
  }
  updateComposer();
}

function managerFor(session) {
  const manager = new lib.TokenManager({
    clientId: session.clientId,
    baseURL: session.baseURL,
    storage: 'session',
    // Every token the manager stores (login, automatic or manual refresh) or forgets.
    onChange: (token) => tokenChanged(manager, token),
  });
  return manager;
}

function tokenChanged(manager, token) {
  if (manager !== app.tokenManager) return; // an old session's manager (signOut detaches it first)
  if (!token) {
    // A refused refresh: the call that hit it shows why in the error banner.
    signOut({ quiet: true });
    return;
  }
  app.token = token;
  renderToken();
}

async function login() {
  clearError();
  const baseURL = settingsBaseURL();
  const clientId = app.settings.clientId;
  if (!baseURL) {
    showError({ code: 'INVALID_ARGUMENT', message: 'Enter a valid http(s) custom base URL first.' }, 'Cannot log in');
    return;
  }
  if (!clientId) {
    showError({ code: 'INVALID_ARGUMENT', message: 'Enter your OAuth app’s client id first.' }, 'Cannot log in');
    return;
  }
  const button = $('login');
  button.disabled = true;
  button.classList.add('busy');
  try {
    const options = { clientId, redirectUrl: redirectURL(), baseURL };
    // The emulator serves the authorize page on the API origin; Coze itself uses www.coze.*.
    if (isLocalURL(baseURL)) options.wwwURL = baseURL;
    if (app.settings.workspaceId) options.workspaceId = app.settings.workspaceId;
    const { url } = await lib.startLogin(options);
    writeJSON(sessionStorage, SESSION_KEY, { baseURL, clientId });
    location.assign(url);
  } catch (err) {
    button.disabled = false;
    button.classList.remove('busy');
    showError(err, 'Could not start the login');
  }
}

/** Removes OAuth callback parameters the library may have left (it strips them itself on success). */
function stripCallbackFromAddressBar() {
  const url = new URL(location.href);
  let changed = false;
  for (const name of CALLBACK_PARAMS) {
    if (url.searchParams.has(name)) {
      url.searchParams.delete(name);
      changed = true;
    }
  }
  if (changed) history.replaceState(history.state, '', url.pathname + url.search + url.hash);
}

async function finishLoginIfReturning() {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('state') && !params.has('error')) return;
  try {
    await lib.completeLogin({ tokenManager: app.tokenManager });
    notice('Logged in with Coze', 'ok');
  } catch (err) {
    showError(err, 'Login failed');
  } finally {
    stripCallbackFromAddressBar();
  }
}

async function signOut({ quiet = false } = {}) {
  app.epoch++;
  stopStream();
  stopTicker();
  // Detached before clear(), so its onChange(null) is not taken for an ended session.
  const manager = app.tokenManager;
  app.tokenManager = null;
  app.token = null;
  if (manager) await manager.clear().catch(() => {});
  try { sessionStorage.removeItem(SESSION_KEY); } catch { /* ignore */ }
  app.client = null;
  app.session = null;
  app.user = null;
  app.workspaces = [];
  app.bots = [];
  app.conversationId = null;
  clearMessages();
  renderToken();
  fillSelect($('workspace'), [], '', 'Log in first');
  fillSelect($('bot'), [], '', '—');
  renderBot();
  setAuth('out');
  renderEnvironment();
  if (!quiet) notice('Logged out');
}

async function signIn() {
  app.client = new lib.CozeAPI({ token: app.tokenManager, baseURL: app.session.baseURL });
  setAuth('in');
  renderToken();
  startTicker();
  renderEnvironment();
  const epoch = app.epoch;
  const [me] = await Promise.allSettled([loadUser(epoch), loadWorkspaces(epoch)]);
  if (me.status === 'rejected') handleApiError(me.reason, 'Could not load your profile');
}

// ---------------------------------------------------------------------------------------------
// Token status

function mask(token) {
  if (!token) return '—';
  if (token.length <= 12) return `${token.slice(0, 2)}…`;
  return `${token.slice(0, 6)}…${token.slice(-4)}`;
}

function formatRemaining(seconds) {
  if (seconds <= 0) return 'expired';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `in ${h} h ${String(m).padStart(2, '0')} min`;
  return `in ${m}:${String(s).padStart(2, '0')}`;
}

function renderToken() {
  const t = app.token;
  const status = $('token-status');
  $('token-mask').textContent = mask(t && t.access_token);
  $('refresh-mask').textContent = mask(t && t.refresh_token);
  if (!t) {
    status.dataset.state = 'none';
    $('token-countdown').textContent = '—';
    return;
  }
  const left = Math.round(Number(t.expires_in) - Date.now() / 1000);
  status.dataset.state = left <= 0 ? 'expired' : left < 120 ? 'soon' : 'valid';
  const at = new Date(Number(t.expires_in) * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  $('token-countdown').textContent = left <= 0
    ? 'expired — refreshed on the next request'
    : `${formatRemaining(left)} (at ${at})`;
}

/** The countdown ticks each second; token changes arrive through the manager's onChange. */
function startTicker() {
  stopTicker();
  app.ticker = setInterval(renderToken, 1000);
}

function stopTicker() {
  clearInterval(app.ticker);
  app.ticker = 0;
}

async function refreshToken() {
  const button = $('refresh');
  button.disabled = true;
  button.classList.add('busy');
  clearError();
  try {
    app.token = await app.tokenManager.refresh();
    renderToken();
    flash($('token-status'));
    notice('Token refreshed — the refresh token rotated too', 'ok');
  } catch (err) {
    app.token = app.tokenManager ? await app.tokenManager.getToken().catch(() => null) : null;
    renderToken();
    await handleApiError(err, 'Could not refresh the token');
  } finally {
    button.disabled = false;
    button.classList.remove('busy');
  }
}

function flash(el) {
  el.classList.remove('flash');
  void el.offsetWidth; // restart the animation
  el.classList.add('flash');
}

// ---------------------------------------------------------------------------------------------
// User, workspaces, bots

/** An SVG data URL showing the initial of `name`: what an avatar shows when its image fails. */
function initialsImage(name) {
  const letter = String(name || '?').trim().charAt(0).toUpperCase().replace(/[&<>"']/g, '');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" fill="#e9ebf3"/>` +
    `<text x="16" y="21" font-size="15" font-weight="700" text-anchor="middle" fill="#5b6075" font-family="system-ui,sans-serif">${letter}</text></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

/** Swaps in the initials of `name` if the image at `img.src` does not load. */
function fallBackToInitials(img, name) {
  img.onerror = () => {
    img.onerror = null;
    img.src = initialsImage(name);
  };
}

function setImage(img, url, name) {
  if (url && /^(https?:|data:image\/)/.test(url)) {
    fallBackToInitials(img, name);
    img.src = url;
    img.hidden = false;
  } else {
    img.removeAttribute('src');
    img.hidden = true;
  }
}

async function loadUser(epoch) {
  const me = await app.client.users.me({});
  if (epoch !== app.epoch) return;
  app.user = me;
  $('user-name').textContent = me.nick_name || me.user_name || 'Coze user';
  $('user-handle').textContent = me.user_name ? `@${me.user_name}` : '';
  $('user').title = [me.nick_name, me.user_name && `@${me.user_name}`, me.user_id && `id ${me.user_id}`].filter(Boolean).join(' · ');
  setImage($('user-avatar'), me.avatar_url, me.nick_name || me.user_name);
  $('user').hidden = false;
}

function fillSelect(select, items, selected, emptyLabel) {
  select.replaceChildren();
  if (!items.length) {
    const option = document.createElement('option');
    option.value = '';
    option.textContent = emptyLabel;
    select.append(option);
    select.disabled = true;
    return;
  }
  for (const item of items) {
    const option = document.createElement('option');
    option.value = item.id;
    option.textContent = item.label;
    select.append(option);
  }
  select.value = items.some((i) => i.id === selected) ? selected : items[0].id;
  select.disabled = false;
}

async function loadWorkspaces(epoch) {
  fillSelect($('workspace'), [], '', 'Loading…');
  let result;
  try {
    result = await app.client.workspaces.list({ page_size: 50 });
  } catch (err) {
    if (epoch !== app.epoch) return;
    fillSelect($('workspace'), [], '', 'Could not load workspaces');
    await handleApiError(err, 'Could not load your workspaces');
    return;
  }
  if (epoch !== app.epoch) return;
  app.workspaces = (result && result.workspaces) || [];
  const items = app.workspaces.map((w) => ({
    id: String(w.id),
    label: w.name || String(w.id),
  }));
  const preferred = app.settings.workspaceId || app.settings.workspace;
  fillSelect($('workspace'), items, preferred, 'No workspaces');
  await loadBots(epoch);
}

async function loadBots(epoch = app.epoch) {
  const workspaceId = $('workspace').value;
  app.settings.workspace = workspaceId;
  saveSettings();
  app.bots = [];
  fillSelect($('bot'), [], '', workspaceId ? 'Loading…' : '—');
  renderBot();
  if (!workspaceId) return;
  let result;
  try {
    result = await app.client.bots.listNew({ workspace_id: workspaceId, page_size: 50 });
  } catch (err) {
    if (epoch !== app.epoch || workspaceId !== $('workspace').value) return;
    fillSelect($('bot'), [], '', 'Could not load bots');
    await handleApiError(err, 'Could not load the bots');
    return;
  }
  if (epoch !== app.epoch || workspaceId !== $('workspace').value) return;
  app.bots = (result && result.items) || [];
  const items = app.bots.map((b) => ({ id: String(b.id), label: b.name || String(b.id) }));
  fillSelect($('bot'), items, app.settings.bot, 'No bots in this workspace');
  selectBot();
}

function currentBot() {
  const id = $('bot').value;
  return app.bots.find((b) => String(b.id) === id) || null;
}

function selectBot() {
  const bot = currentBot();
  if (bot) {
    app.settings.bot = String(bot.id);
    saveSettings();
  }
  newConversation({ silent: true });
  renderBot();
}

function renderBot() {
  const bot = currentBot();
  $('bot-info').hidden = !bot;
  if (bot) {
    setImage($('bot-icon'), bot.icon_url, bot.name);
    $('bot-desc').textContent = bot.description || 'No description.';
    setImage($('chat-icon'), bot.icon_url, bot.name);
    $('chat-icon-fallback').hidden = !$('chat-icon').hidden;
    $('chat-title').textContent = bot.name || 'Bot';
    setConversationLabel(app.conversationId);
    $('empty-title').textContent = `Say hello to ${bot.name || 'the bot'}`;
    $('empty-text').textContent = bot.description || 'Type a message below.';
  } else {
    setImage($('chat-icon'), null);
    $('chat-icon-fallback').hidden = false;
    $('chat-title').textContent = 'Chat';
    if (document.body.dataset.auth === 'in') {
      const loading = $('bot').options[0] && $('bot').options[0].textContent === 'Loading…';
      $('chat-sub').textContent = loading ? 'Loading bots…' : 'Pick a bot to chat with';
      $('empty-title').textContent = loading ? 'Loading bots…' : 'No bot selected';
      $('empty-text').textContent = loading ? 'One moment.' : 'This workspace has no bots. Pick another workspace.';
    }
  }
  updateComposer();
}

// ---------------------------------------------------------------------------------------------
// Chat

function updateComposer() {
  const signedIn = document.body.dataset.auth === 'in';
  const bot = signedIn ? currentBot() : null;
  const streaming = Boolean(app.run);
  const input = $('message');
  input.disabled = !bot;
  input.placeholder = !signedIn ? 'Log in to start chatting' : bot ? `Message ${bot.name || 'the bot'}…` : 'Pick a bot first';
  const attached = attachments ? attachments.count : 0;
  $('send').disabled = !bot || streaming || (!input.value.trim() && !attached);
  $('attach').disabled = !bot || streaming;
  $('send').hidden = streaming;
  $('stop').hidden = !streaming;
  $('new-conversation').disabled = !bot;
  document.body.classList.toggle('streaming', streaming);
}

function clearMessages() {
  $('messages').replaceChildren();
  $('empty').hidden = false;
}

function newConversation({ silent = false } = {}) {
  stopStream();
  app.conversationId = null;
  clearMessages();
  if (currentBot()) setConversationLabel(null);
  if (!silent) {
    notice('Started a new conversation');
    $('message').focus();
  }
}

function setConversationLabel(id) {
  const sub = $('chat-sub');
  sub.textContent = id ? `Conversation …${String(id).slice(-6)}` : 'New conversation';
  sub.title = id ? `Conversation ${id}` : '';
}

function nearBottom() {
  const el = $('chat-scroll');
  return el.scrollHeight - el.scrollTop - el.clientHeight < 80;
}

function scrollToBottom(force = false) {
  const el = $('chat-scroll');
  if (force || nearBottom()) el.scrollTop = el.scrollHeight;
}

function avatar(kind, bot) {
  if (kind === 'bot' && bot && bot.icon_url && /^https?:/.test(bot.icon_url)) {
    const img = document.createElement('img');
    img.className = 'avatar';
    img.alt = '';
    img.width = 32;
    img.height = 32;
    fallBackToInitials(img, bot.name || 'Bot');
    img.src = bot.icon_url;
    return img;
  }
  const span = document.createElement('span');
  span.className = `avatar letter ${kind}`;
  span.setAttribute('aria-hidden', 'true');
  const name = kind === 'user' ? (app.user && (app.user.nick_name || app.user.user_name)) : bot && bot.name;
  span.textContent = (name || (kind === 'user' ? 'You' : 'Bot')).trim().charAt(0).toUpperCase();
  if (kind === 'user' && app.user && app.user.avatar_url && /^https?:/.test(app.user.avatar_url)) {
    const img = document.createElement('img');
    img.className = 'avatar';
    img.alt = '';
    img.width = 32;
    img.height = 32;
    fallBackToInitials(img, app.user.nick_name || app.user.user_name || 'You');
    img.src = app.user.avatar_url;
    return img;
  }
  return span;
}

/** One chat row. The `.msg` element holds exactly the message text and nothing else. */
function appendRow(kind, text, bot) {
  $('empty').hidden = true;
  const row = document.createElement('li');
  row.className = `row ${kind}`;
  const body = document.createElement('div');
  body.className = 'row-body';
  const bubble = document.createElement('div');
  bubble.className = `msg ${kind}`;
  const textNode = document.createTextNode(text);
  bubble.append(textNode);
  body.append(bubble);
  row.append(avatar(kind, bot), body);
  $('messages').append(row);
  scrollToBottom(true);
  return { row, body, bubble, textNode };
}

function addNote(body, text, tone) {
  const note = document.createElement('p');
  note.className = `msg-note ${tone || ''}`.trim();
  note.textContent = text;
  body.append(note);
  return note;
}

function addSuggestions(body, suggestions) {
  if (!suggestions.length) return;
  const wrap = document.createElement('div');
  wrap.className = 'suggestions';
  for (const text of suggestions.slice(0, 3)) {
    const chip = document.createElement('button');
    chip.type = 'button';
    chip.className = 'chip';
    chip.textContent = text;
    chip.addEventListener('click', () => {
      if (app.run) return;
      $('message').value = text;
      autoGrow();
      send();
    });
    wrap.append(chip);
  }
  body.append(wrap);
}

function removeSuggestions() {
  for (const el of $('messages').querySelectorAll('.suggestions')) el.remove();
}

async function send() {
  const input = $('message');
  const text = input.value.trim();
  const bot = currentBot();
  if ((!text && !(attachments && attachments.count)) || !bot || app.run || !app.client) return;
  clearError();
  removeSuggestions();
  input.value = '';
  autoGrow();

  const sent = appendRow('user', text);
  const taken = attachments ? attachments.take() : [];
  const uploadBars = showWithMessage(sent, taken);
  const reply = appendRow('bot', '', bot);
  reply.bubble.classList.add('streaming', 'waiting');
  reply.bubble.setAttribute('aria-busy', 'true');
  const typing = document.createElement('span');
  typing.className = 'typing';
  typing.setAttribute('aria-label', 'The bot is typing');
  typing.append(document.createElement('i'), document.createElement('i'), document.createElement('i'));
  reply.body.prepend(typing);

  const run = { ctrl: new AbortController(), chatId: null, conversationId: app.conversationId, stopped: false };
  app.run = run;
  updateComposer();
  const { signal } = run.ctrl;
  const { CONVERSATION_CHAT_CREATED, CONVERSATION_MESSAGE_DELTA, CONVERSATION_MESSAGE_COMPLETED } = lib.ChatEventType;
  const followUps = [];
  let received = false;
  let replyText = '';
  const append = (delta) => {
    if (!delta) return;
    if (!received) {
      received = true;
      typing.remove();
      reply.bubble.classList.remove('waiting');
    }
    const follow = nearBottom();
    replyText += delta;
    renderMarkdown(reply.bubble, replyText); // Markdown as DOM nodes, never HTML
    if (follow) scrollToBottom(true);
  };

  try {
    if (!app.conversationId) {
      const conversation = await app.client.conversations.create({ bot_id: String(bot.id) }, { signal });
      app.conversationId = conversation.id;
      run.conversationId = conversation.id;
    }
    setConversationLabel(app.conversationId);
    // Attached files are uploaded first; the message then refers to them (object_string items).
    const message = await messageContent(app.client, text, taken, uploadBars, signal);
    const params = {
      bot_id: String(bot.id),
      conversation_id: app.conversationId,
      additional_messages: [{ role: 'user', ...message }],
    };
    if (app.user && app.user.user_id) params.user_id = String(app.user.user_id);
    for await (const part of app.client.chat.stream(params, { signal })) {
      if (signal.aborted) break;
      const data = part.data;
      if (part.event === CONVERSATION_CHAT_CREATED) {
        run.chatId = data.id;
        run.conversationId = data.conversation_id || run.conversationId;
        // Not secret; handy when matching a reply with server logs (and for the e2e test).
        reply.row.dataset.chatId = String(data.id);
        reply.row.dataset.conversationId = String(run.conversationId);
      } else if (part.event === CONVERSATION_MESSAGE_DELTA) {
        if (!data.type || data.type === 'answer') append(data.content);
      } else if (part.event === CONVERSATION_MESSAGE_COMPLETED) {
        // A bot that does not stream deltas still completes its answer message.
        if (data.type === 'answer' && !received) append(data.content);
        if (data.type === 'follow_up' && data.content) followUps.push(data.content);
      }
    }
    if (run.stopped) {
      addNote(reply.body, 'Stopped', 'muted');
    } else {
      if (!received) addNote(reply.body, 'The bot sent no text.', 'muted');
      addSuggestions(reply.body, followUps);
    }
  } catch (err) {
    if (run.stopped || (err && err.code === 'ABORTED')) {
      addNote(reply.body, received ? 'Stopped' : 'Stopped before the bot replied', 'muted');
    } else {
      addNote(reply.body, `Failed: ${(err && err.code) || 'error'}`, 'danger');
      reply.row.classList.add('failed');
      await handleApiError(err, 'The chat failed');
    }
  } finally {
    typing.remove();
    reply.bubble.classList.remove('streaming', 'waiting');
    reply.bubble.removeAttribute('aria-busy');
    if (!received) reply.bubble.classList.add('empty');
    if (app.run === run) app.run = null;
    updateComposer();
    scrollToBottom();
  }
}

/** Stop: abort the stream here, and cancel the chat on the server when we know its id. */
function stopStream() {
  const run = app.run;
  if (!run) return;
  run.stopped = true;
  run.ctrl.abort();
  app.run = null;
  updateComposer();
  if (run.chatId && run.conversationId && app.client) {
    app.client.chat.cancel(run.conversationId, run.chatId).catch(() => {
      // The chat may already have finished on the server; nothing the user needs to act on.
    });
  }
}

function autoGrow() {
  const input = $('message');
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
  updateComposer();
}

function bindChat() {
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    send();
  });
  $('message').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    }
  });
  $('message').addEventListener('input', autoGrow);
  $('stop').addEventListener('click', () => {
    stopStream();
    $('message').focus();
  });
  $('new-conversation').addEventListener('click', () => newConversation());
  $('workspace').addEventListener('change', () => {
    app.settings.bot = '';
    loadBots();
  });
  $('bot').addEventListener('change', selectBot);
}

/** The paperclip button, the file picker and dropping files on the chat (pkg/attachments.js). */
function bindAttachments() {
  attachments = createAttachments({
    tray: $('attachments'),
    input: $('attach-input'),
    button: $('attach'),
    dropZone: $('chat'),
    onChange: updateComposer,
    warn: (text) => notice(text, 'warn'),
  });
}

// ---------------------------------------------------------------------------------------------
// Boot

async function boot() {
  app.settings = loadSettings();
  saveSettings();
  renderSettings();
  bindSettings();
  bindChat();
  $('error-close').addEventListener('click', clearError);
  $('login').addEventListener('click', login);
  // The device-login page follows this tab's ?emulator= too.
  const emulatorParam = new URLSearchParams(location.search).get('emulator');
  if (emulatorParam) $('device-link').search = new URLSearchParams({ emulator: emulatorParam }).toString();
  $('logout').addEventListener('click', () => signOut());
  $('refresh').addEventListener('click', refreshToken);
  // Back from the consent page may restore this page from the back/forward cache mid-login.
  window.addEventListener('pageshow', (e) => {
    if (!e.persisted) return;
    $('login').classList.remove('busy');
    $('login').disabled = document.body.dataset.auth !== 'out';
  });

  try {
    lib = await import('./pkg/index.js');
    ({ renderMarkdown } = await import('./pkg/markdown.js'));
    ({ createAttachments, messageContent, showWithMessage } = await import('./pkg/attachments.js'));
    bindAttachments();
    await lib.default();
  } catch (err) {
    setAuth('out');
    $('login').disabled = true;
    showError(
      { code: 'PACKAGE_NOT_LOADED', message: `./pkg/index.js could not be loaded (${err && err.message}). Build it and serve it next to this page: ./scripts/demo.sh does both.` },
      'The coze-wasm package is missing',
    );
    return;
  }
  renderSettings();

  // Which backend this tab's token belongs to: the session saved at login, else the settings.
  const saved = readJSON(sessionStorage, SESSION_KEY);
  const session = saved && normalizeURL(saved.baseURL || '') && saved.clientId
    ? { baseURL: normalizeURL(saved.baseURL), clientId: String(saved.clientId) }
    : { baseURL: settingsBaseURL(), clientId: app.settings.clientId };
  if (!session.baseURL || !session.clientId) {
    setAuth('out');
    return;
  }
  try {
    app.tokenManager = managerFor(session);
  } catch (err) {
    setAuth('out');
    showError(err, 'Invalid connection settings');
    return;
  }
  await finishLoginIfReturning();
  app.token = await app.tokenManager.getToken().catch(() => null);
  if (app.token) {
    app.session = session;
    writeJSON(sessionStorage, SESSION_KEY, session);
    await signIn();
  } else {
    app.tokenManager = null;
    setAuth('out');
    renderEnvironment();
  }
}

boot();
