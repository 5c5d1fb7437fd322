// <coze-chat>: a Coze bot in any page, with the visitor's own PKCE login. Built on the package's
// public API only (startLogin, completeLogin, TokenManager, CozeAPI). Shipped as pkg/element.js
// (imports ./index.js: bundlers share one wasm with API users) and bundled into pkg/coze-chat.js
// (one self-contained module for a <script type="module"> tag); both find the .wasm beside them.
import init, { startLogin, completeLogin, TokenManager, CozeAPI, ChatEventType } from './index.js';
import { renderMarkdown } from './markdown.js';

const STRINGS = {
  en: {
    title: 'Chat', login: 'Log in with Coze', intro: 'Log in with your Coze account to chat with this bot.',
    placeholder: 'Message…', send: 'Send', stop: 'Stop', fresh: 'New conversation', logout: 'Log out',
    open: 'Open chat', close: 'Close chat', dismiss: 'Dismiss', stopped: 'Stopped', empty: 'The bot sent no text.',
    ended: 'Your session ended. Log in again to go on.', loggedOut: 'You are logged out.', failed: 'Failed',
    you: 'You', attach: 'Attach an image or file',
  },
  zh: {
    title: '对话', login: '使用扣子登录', intro: '登录扣子账号，即可与这个机器人对话。',
    placeholder: '输入消息…', send: '发送', stop: '停止', fresh: '新对话', logout: '退出登录',
    open: '打开对话', close: '关闭对话', dismiss: '关闭', stopped: '已停止', empty: '机器人没有回复文字。',
    ended: '登录已失效，请重新登录。', loggedOut: '已退出登录。', failed: '失败',
    you: '你', attach: '添加图片或文件',
  },
};

const LOOPBACK = /^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/i;
const icon = (d) => `<svg viewBox="0 0 24 24" aria-hidden="true"><path d="${d}"/></svg>`;

// A constructed stylesheet, not a <style> element: pages with a strict `style-src` allow it.
const CSS = `:host{--coze-accent:#4d53e8;--coze-on-accent:#fff;--coze-bg:#fff;--coze-fg:#1c1d23;--coze-muted:#5c5f6b;
--coze-line:#e3e4ea;--coze-bot-bg:#f3f4f8;--coze-radius:14px;--coze-width:400px;--coze-height:600px;
--coze-font:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",sans-serif;
display:block;font:15px/1.5 var(--coze-font);color:var(--coze-fg)}
*{box-sizing:border-box}[hidden]{display:none!important}
button{font:inherit;cursor:pointer;border:0;border-radius:10px;background:none;color:inherit}
button:focus-visible,textarea:focus-visible,a:focus-visible{outline:3px solid var(--coze-accent);outline-offset:2px}
svg{width:20px;height:20px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}
.panel{display:flex;flex-direction:column;height:var(--coze-height);background:var(--coze-bg);border:1px solid var(--coze-line);border-radius:var(--coze-radius);overflow:hidden}
:host([launcher]) .panel{position:fixed;right:24px;bottom:96px;width:var(--coze-width);max-height:calc(100vh - 120px);z-index:2147483000;box-shadow:0 12px 40px #0003}
:host([launcher]:not([open])) .panel{display:none}
.launcher{position:fixed;right:24px;bottom:24px;width:56px;height:56px;border-radius:50%;background:var(--coze-accent);color:var(--coze-on-accent);box-shadow:0 6px 20px #0004;z-index:2147483000;display:grid;place-items:center}
:host(:not([launcher])) .launcher{display:none}
header{display:flex;align-items:center;gap:10px;padding:12px 12px 12px 16px;border-bottom:1px solid var(--coze-line)}
h2{font-size:16px;margin:0;flex:1;min-width:0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.icon{width:36px;height:36px;display:grid;place-items:center;color:var(--coze-muted);flex:none}
.icon:hover{color:var(--coze-fg)}
.avatar{width:32px;height:32px;border-radius:50%;flex:none;display:grid;place-items:center;font-weight:600;font-size:14px;background:var(--coze-accent);color:var(--coze-on-accent);overflow:hidden}
.avatar img{width:100%;height:100%;object-fit:cover}
.user .avatar{background:#8a8fa3}
.error{display:flex;gap:8px;align-items:flex-start;margin:10px 12px 0;padding:10px 8px 10px 12px;border-radius:10px;background:#fdecec;color:#8a1c1c}
.error div{flex:1;min-width:0;overflow-wrap:anywhere}.error small{display:block}
.welcome{flex:1;display:flex;flex-direction:column;align-items:center;justify-content:center;gap:16px;padding:24px;text-align:center;color:var(--coze-muted)}
.primary{background:var(--coze-accent);color:var(--coze-on-accent);padding:10px 18px;font-weight:600}
.primary:disabled{opacity:.5}
#log{margin:0;padding:16px;flex:1;overflow-y:auto;display:flex;flex-direction:column;gap:14px}
.msg{display:flex;gap:8px;align-items:flex-start;max-width:100%}
.msg.user{flex-direction:row-reverse}
.msg>div{min-width:0;max-width:calc(100% - 48px)}.user>div{text-align:end}
.bubble{display:inline-block;text-align:start;padding:8px 12px;border-radius:14px;background:var(--coze-bot-bg);max-width:100%;overflow-wrap:anywhere}
.user .bubble{background:var(--coze-accent);color:var(--coze-on-accent);white-space:pre-wrap}
.bubble>*{margin:0 0 8px}.bubble>:last-child{margin:0}
.bubble ul,.bubble ol{padding-left:22px}.bubble :is(h3,h4,h5,h6){font-size:15px}
.bubble pre{background:#1e1f26;color:#eceef4;padding:10px;border-radius:8px;overflow-x:auto;font-size:13px}
.bubble code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,"Noto Sans Mono CJK SC",monospace}
.bubble :not(pre)>code{background:#0000000f;padding:1px 4px;border-radius:4px}
.bubble a{color:var(--coze-accent)}.bubble img{max-width:100%;border-radius:8px}
.bubble blockquote{border-left:3px solid var(--coze-line);padding-left:10px;color:var(--coze-muted)}
.bubble[aria-busy=true]:empty::after{content:'•••';color:var(--coze-muted)}
.note{font-size:12px;color:var(--coze-muted);margin-top:4px}.note.bad{color:#b42318}
form{display:flex;gap:8px;padding:12px;border-top:1px solid var(--coze-line);align-items:flex-end}
textarea{flex:1;resize:none;font:inherit;padding:9px 12px;border:1px solid var(--coze-line);border-radius:12px;max-height:140px;background:var(--coze-bg);color:inherit}
textarea:placeholder-shown{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
#stop{background:var(--coze-bot-bg);padding:10px 16px;font-weight:600}
@media (max-width:480px){:host([launcher]) .panel{inset:0;width:auto;max-height:none;height:auto;border-radius:0;border:0}
:host([launcher][open]) .launcher{display:none}}`;
let sheet = null;

// title="" on the panel: the host's `title` attribute names the chat, not a tooltip over all of it.
const TEMPLATE = `<button class="launcher" part="launcher" id="launcher" aria-expanded="false" aria-controls="panel">${icon('M4 5h16v11H9l-5 4z')}</button>
<section class="panel" part="panel" id="panel" aria-labelledby="title" title="">
<header part="header"><span class="avatar" id="bot-avatar" part="avatar" aria-hidden="true"></span><h2 id="title" part="title"></h2>
<button class="icon" id="fresh" part="button">${icon('M12 5v14M5 12h14')}</button>
<button class="icon" id="logout" part="button">${icon('M15 4h4v16h-4M10 8l-4 4 4 4M6 12h10')}</button>
<button class="icon" id="close" part="button">${icon('M6 6l12 12M18 6L6 18')}</button></header>
<div class="error" id="error" part="error" role="alert" hidden><div><strong id="error-text"></strong><small id="error-meta"></small></div>
<button class="icon" id="error-close">${icon('M6 6l12 12M18 6L6 18')}</button></div>
<div class="welcome" id="welcome" part="welcome"><p id="intro"></p><button class="primary" id="login" part="login-button"></button></div>
<div id="log" part="messages" role="log" aria-live="polite" aria-labelledby="title" hidden></div>
<div id="tray" class="attachment-tray" part="attachments" hidden></div>
<form id="composer" part="composer" hidden><button class="icon" id="attach" type="button" part="button attach-button">${icon('M20 11l-8 8a5 5 0 01-7-7l8-8a3.5 3.5 0 015 5l-8 8a2 2 0 01-3-3l7-7')}</button>
<input type="file" id="files" multiple hidden><textarea id="input" rows="1" part="input"></textarea>
<button class="primary" id="send" part="send-button"></button><button id="stop" type="button" part="stop-button" hidden></button></form>
</section>`;

/** An avatar: the image when it loads, else the initial of `name`. */
function avatar(box, url, name) {
  box.replaceChildren((name || '?').trim().charAt(0).toUpperCase());
  if (!url || !/^https?:/i.test(url)) return;
  const img = document.createElement('img');
  img.alt = '';
  img.onload = () => box.replaceChildren(img);
  img.src = url;
}

class CozeChat extends HTMLElement {
  static observedAttributes = ['title', 'placeholder', 'lang', 'open', 'launcher', 'bot-id', 'bot-icon'];

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS.replace(/\n/g, ''));
    }
    root.adoptedStyleSheets = [sheet];
    root.innerHTML = TEMPLATE; // static markup only; every text below goes in as textContent
    this.$ = (id) => root.getElementById(id);
    this.state = 'boot';
    this.run = null;
    this.conversationId = null;
    this.user = null;
  }

  get t() {
    const lang = this.getAttribute('lang') || navigator.language || '';
    return STRINGS[lang.toLowerCase().startsWith('zh') ? 'zh' : 'en'];
  }

  connectedCallback() {
    if (this.wired) return;
    this.wired = true;
    const $ = this.$;
    $('launcher').onclick = () => this.toggleAttribute('open');
    $('close').onclick = () => this.removeAttribute('open');
    $('panel').onkeydown = (e) => {
      if (e.key === 'Escape' && this.hasAttribute('launcher')) this.removeAttribute('open');
    };
    $('login').onclick = () => this.login();
    $('logout').onclick = () => this.signOut('user');
    $('fresh').onclick = () => this.newConversation();
    $('error-close').onclick = () => this.clearError();
    $('stop').onclick = () => this.stop();
    $('composer').onsubmit = (e) => {
      e.preventDefault();
      this.send();
    };
    $('input').onkeydown = (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.send();
      }
    };
    $('input').oninput = () => this.update();
    this.strings();
    this.boot();
  }

  attributeChangedCallback(name, old, value) {
    if (!this.wired) return;
    if (name === 'open') {
      this.update();
      if (value !== null && old === null) queueMicrotask(() => this.focusMain());
      if (value === null && old !== null && this.hasAttribute('launcher')) this.$('launcher').focus();
    } else if (name === 'bot-id') {
      if (old !== value) {
        this.newConversation(true);
        this.bot = null;
        this.loadBot();
      }
    } else {
      this.strings();
    }
  }

  strings() {
    const t = this.t;
    const $ = this.$;
    const title = this.botName();
    $('title').textContent = title;
    avatar($('bot-avatar'), this.botIcon(), title);
    $('intro').textContent = this.state === 'ended' ? t.ended : this.state === 'left' ? t.loggedOut : t.intro;
    $('login').textContent = t.login;
    $('input').placeholder = this.getAttribute('placeholder') || t.placeholder;
    $('input').setAttribute('aria-label', $('input').placeholder);
    $('send').textContent = t.send;
    $('stop').textContent = t.stop;
    for (const [id, label] of [['fresh', t.fresh], ['logout', t.logout], ['close', t.close], ['launcher', t.open], ['error-close', t.dismiss], ['attach', t.attach]]) {
      $(id).title = label;
      $(id).setAttribute('aria-label', label);
    }
    if (this.files) this.files.relabel();
    this.update();
  }

  /** Shows what the current state allows. */
  update() {
    const $ = this.$;
    const signedIn = this.state === 'in';
    const streaming = Boolean(this.run);
    $('welcome').hidden = signedIn;
    $('log').hidden = !signedIn;
    $('composer').hidden = !signedIn;
    $('logout').hidden = !signedIn;
    $('fresh').hidden = !signedIn;
    $('login').disabled = this.state !== 'out' && this.state !== 'ended' && this.state !== 'left';
    $('close').hidden = !this.hasAttribute('launcher');
    $('launcher').setAttribute('aria-expanded', String(this.hasAttribute('open')));
    $('send').hidden = streaming;
    $('stop').hidden = !streaming;
    $('send').disabled = !$('input').value.trim() && !(this.files && this.files.count);
    $('attach').disabled = !this.files || streaming;
    this.dataset.state = this.state;
  }

  focusMain() {
    const $ = this.$;
    (this.state === 'in' ? $('input') : $('login')).focus();
  }

  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }

  /** Shows an error (message, code, logid) and tells the page (coze-error). */
  fail(err) {
    const e = err || {};
    const $ = this.$;
    $('error-text').textContent = e.message || e.msg || String(err);
    $('error-meta').textContent = [e.code, e.status && e.status !== 200 && `HTTP ${e.status}`, e.cozeCode && `Coze ${e.cozeCode}`,
      e.logid && `logid ${e.logid}`].filter(Boolean).join(' · ');
    $('error').hidden = false;
    this.emit('coze-error', { error: err, code: e.code, message: e.message, logid: e.logid });
  }

  clearError() {
    this.$('error').hidden = true;
  }

  /** The settings from the attributes; a missing required one is an INVALID_ARGUMENT error. */
  config() {
    const missing = ['client-id', 'bot-id', 'base-url'].filter((a) => !(this.getAttribute(a) || '').trim());
    if (missing.length) {
      const err = new Error(`<coze-chat>: missing attribute ${missing.join(', ')}`);
      err.code = 'INVALID_ARGUMENT';
      throw err;
    }
    const baseURL = this.getAttribute('base-url').trim().replace(/\/+$/, '');
    const insecure = this.hasAttribute('allow-insecure-http');
    return {
      clientId: this.getAttribute('client-id').trim(),
      baseURL,
      // The emulator (and a self-hosted Coze) serves the authorize page on the API origin.
      wwwURL: this.getAttribute('www-url') || (LOOPBACK.test(baseURL) ? baseURL : undefined),
      redirectUrl: this.getAttribute('redirect-url') || location.origin + location.pathname,
      storage: this.getAttribute('storage') || 'session',
      insecure,
    };
  }

  async boot() {
    let cfg;
    try {
      cfg = this.cfg = this.config();
      await init({ module_or_path: new URL('./web/coze_wasm_bg.wasm', import.meta.url) });
      this.tokens = new TokenManager({
        clientId: cfg.clientId, baseURL: cfg.baseURL, storage: cfg.storage, allowInsecureHttp: cfg.insecure,
        // Forgotten while signed in and not by our logout: the server refused the refresh.
        onChange: (token) => { if (!token && this.state === 'in') this.signOut('expired'); },
      });
    } catch (err) {
      this.state = 'broken';
      this.update();
      this.fail(err);
      return;
    }
    let fresh = false;
    if (this.claimLogin(new URLSearchParams(location.search).get('state'))) {
      this.setAttribute('open', ''); // back from the login: show where it went
      // It cleans the address bar (code, state, error…) whatever the outcome.
      try {
        await completeLogin({ tokenManager: this.tokens, storage: cfg.storage === 'local' ? 'local' : 'session' });
        fresh = true;
      } catch (err) {
        this.fail(err);
      }
    }
    const token = await this.tokens.getToken().catch((err) => this.fail(err));
    if (token) this.signIn(!fresh);
    else this.setState('out');
  }

  /** Where this element notes its login's state across the redirect: per client and element
   *  (its `id`, else its place in the page). One login in flight per element. */
  loginMark() {
    return `coze-chat:login:${this.cfg.clientId} ${this.id || [...document.querySelectorAll('coze-chat')].indexOf(this)}`;
  }

  loginStore() {
    return this.cfg.storage === 'local' ? localStorage : sessionStorage;
  }

  /** True when `state` is the login this element started; the note is used up (read and removed
   *  in one synchronous step: one element completes it). */
  claimLogin(state) {
    try {
      const store = this.loginStore();
      if (!state || store.getItem(this.loginMark()) !== state) return false;
      store.removeItem(this.loginMark());
      return true;
    } catch {
      return false; // no storage: startLogin could not have kept a login either
    }
  }

  setState(state) {
    this.state = state;
    this.strings();
  }

  async login() {
    this.clearError();
    this.$('login').disabled = true;
    try {
      const { clientId, redirectUrl, baseURL, wwwURL, storage } = this.cfg;
      const { url, state } = await startLogin({ clientId, redirectUrl, baseURL, wwwURL, storage: storage === 'local' ? 'local' : 'session' });
      this.loginStore().setItem(this.loginMark(), state);
      location.assign(url);
    } catch (err) {
      this.update();
      this.fail(err);
    }
  }

  signIn(restored) {
    this.client = new CozeAPI({ token: this.tokens, baseURL: this.cfg.baseURL, allowInsecureHttp: this.cfg.insecure });
    this.setState('in');
    this.emit('coze-login', { restored });
    this.loadUser().catch((err) => this.fail(err));
    this.loadAttachments().catch((err) => this.fail(err));
    this.loadBot();
  }

  // Without a `title`, the header shows the bot's own name and icon (bots.retrieve), once signed in.
  botName() {
    return this.getAttribute('title') || (this.bot && this.bot.name) || this.t.title;
  }

  botIcon() {
    return this.getAttribute('bot-icon') || (this.bot && this.bot.icon_url);
  }

  async loadBot() {
    const id = this.getAttribute('bot-id');
    if (this.hasAttribute('title') || !this.client || this.bot) return;
    try {
      const bot = await this.client.bots.retrieve({ bot_id: id });
      if (id !== this.getAttribute('bot-id')) return; // another bot was chosen meanwhile
      this.bot = bot;
      this.strings();
    } catch (err) {
      this.fail(err);
    }
  }

  /** The attachments UI (pkg/attachments.js; inside coze-chat.js), loaded once signed in. */
  async loadAttachments() {
    this.attach = this.attach || await import('./attachments.js');
    this.files = this.files || this.attach.elementAttachments(this.shadowRoot, {
      lang: () => this.lang, onChange: () => this.update(), warn: (message) => this.fail({ code: 'INVALID_ARGUMENT', message }),
    });
    this.update();
  }

  get lang() {
    return this.t === STRINGS.zh ? 'zh' : 'en';
  }

  async loadUser() {
    if (!this.user) this.user = await this.client.users.me();
    return this.user;
  }

  /** Logout by the user ('user') or a refused refresh ('expired'): visible either way. */
  async signOut(reason) {
    if (this.state !== 'in') return;
    this.state = 'leaving';
    // After a refused refresh the call that hit it fails on its own and shows why.
    if (reason === 'user') {
      this.stop(true);
      await this.tokens.clear().catch((err) => this.fail(err));
    }
    this.client = null;
    this.user = null;
    this.conversationId = null;
    this.$('log').replaceChildren();
    if (this.files) this.files.clear();
    this.setState(reason === 'user' ? 'left' : 'ended');
    this.emit('coze-logout', { reason });
    if (this.matches(':focus-within') || reason === 'user') this.$('login').focus();
  }

  newConversation(quiet) {
    this.stop(true);
    this.conversationId = null;
    this.$('log').replaceChildren();
    if (this.files) this.files.clear();
    this.clearError();
    if (!quiet && this.state === 'in') this.$('input').focus();
  }

  /** One message row: {row, bubble}. */
  row(kind, text) {
    const row = document.createElement('div');
    row.className = `msg ${kind}`;
    const face = document.createElement('span');
    face.className = 'avatar';
    face.setAttribute('aria-hidden', 'true');
    const t = this.t;
    if (kind === 'user') avatar(face, this.user && this.user.avatar_url, (this.user && (this.user.nick_name || this.user.user_name)) || t.you);
    else avatar(face, this.botIcon(), this.botName());
    const body = document.createElement('div');
    const bubble = document.createElement('div');
    bubble.className = 'bubble';
    bubble.setAttribute('part', `bubble ${kind}-bubble`);
    bubble.textContent = text;
    body.append(bubble);
    row.append(face, body);
    this.$('log').append(row);
    this.scroll();
    return { row, bubble };
  }

  note(reply, text, bad) {
    const p = document.createElement('div');
    p.className = bad ? 'note bad' : 'note';
    p.textContent = text;
    reply.bubble.after(p);
  }

  scroll() {
    const log = this.$('log');
    log.scrollTop = log.scrollHeight;
  }

  async send() {
    const input = this.$('input');
    const text = input.value.trim();
    if ((!text && !(this.files && this.files.count)) || this.run || this.state !== 'in') return;
    this.clearError();
    input.value = '';
    const taken = this.files ? this.files.take() : [];
    const sent = this.row('user', text);
    const bars = taken.length ? this.attach.showWithMessage(sent, taken, this.lang) : [];
    const reply = this.row('bot', '');
    const { bubble } = reply;
    bubble.setAttribute('aria-busy', 'true');
    const run = { ctrl: new AbortController(), chatId: null, conversationId: this.conversationId, text: '', shown: 0, stopped: false };
    this.run = run;
    this.update();
    const { signal } = run.ctrl;
    const botId = this.getAttribute('bot-id');
    // The typing effect: the received text is revealed a few characters per tick.
    let ticker = 0;
    let caughtUp = null;
    const tick = () => {
      ticker = 0;
      const behind = run.text.length - run.shown;
      if (behind > 0) {
        run.shown += Math.max(2, Math.ceil(behind / 6));
        if (/[\ud800-\udbff]/.test(run.text[run.shown - 1] || '')) run.shown++; // never half an emoji
        renderMarkdown(bubble, run.text.slice(0, run.shown));
        this.scroll();
      }
      if (run.shown < run.text.length) ticker = setTimeout(tick, 30);
      else if (caughtUp) caughtUp();
    };
    const reveal = () => { if (!ticker) ticker = setTimeout(tick, 30); };
    run.flush = () => {
      clearTimeout(ticker);
      run.shown = run.text.length;
      renderMarkdown(bubble, run.text);
      if (caughtUp) caughtUp(); // Stop while the end of the text was still being typed
    };
    const { CONVERSATION_CHAT_CREATED: CREATED, CONVERSATION_MESSAGE_DELTA: DELTA, CONVERSATION_MESSAGE_COMPLETED: DONE } = ChatEventType;
    try {
      if (!this.conversationId) {
        const conversation = await this.client.conversations.create({ bot_id: botId }, { signal });
        this.conversationId = run.conversationId = conversation.id;
      }
      const me = await this.loadUser();
      // Each file uploaded (its bar follows), then the object_string items; else the text.
      const message = taken.length ? await this.attach.messageContent(this.client, text, taken, bars, signal) : { content: text, content_type: 'text' };
      const stream = this.client.chat.stream({
        bot_id: botId, user_id: String(me.user_id), conversation_id: this.conversationId,
        additional_messages: [{ role: 'user', ...message }],
      }, { signal });
      for await (const part of stream) {
        const data = part.data;
        if (part.event === CREATED) {
          run.chatId = data.id;
          run.conversationId = data.conversation_id || run.conversationId;
          reply.row.dataset.chatId = data.id;
        } else if (run.stopped) {
          // Stopped: the server is cancelling; what still arrives is not shown.
        } else if (part.event === DELTA && (!data.type || data.type === 'answer')) {
          run.text += data.content || '';
          reveal();
        } else if (part.event === DONE && data.type === 'answer' && !run.text) {
          run.text = data.content || ''; // a bot that sends no deltas
          reveal();
        }
      }
      if (run.shown < run.text.length) await new Promise((resolve) => { caughtUp = resolve; reveal(); });
      if (run.stopped) this.note(reply, this.t.stopped);
      else {
        if (!run.text) this.note(reply, this.t.empty);
        this.emit('coze-message', { content: run.text, chatId: run.chatId, conversationId: run.conversationId });
      }
    } catch (err) {
      run.flush();
      if (run.stopped || (err && err.code === 'ABORTED')) {
        this.note(reply, this.t.stopped);
      } else {
        this.note(reply, `${this.t.failed}: ${(err && err.code) || 'error'}`, true);
        this.fail(err);
      }
    } finally {
      clearTimeout(ticker);
      bubble.removeAttribute('aria-busy');
      if (this.run === run) this.run = null;
      this.update();
    }
  }

  /**
   * Stop: the reply stops growing now; the chat is cancelled on the server (when its id is known)
   * and then the stream is aborted. Cancel first: an aborted stream alone leaves the server to
   * notice, and a chat it already ended cannot be cancelled (4104).
   */
  stop(quiet) {
    const run = this.run;
    if (!run) return;
    run.stopped = true;
    run.flush();
    this.run = null;
    this.update();
    const abort = () => run.ctrl.abort();
    if (run.chatId && run.conversationId && this.client) {
      this.client.chat.cancel(run.conversationId, run.chatId)
        // 4104: the chat had just finished, nothing left to stop.
        .catch((err) => err.cozeCode === 4104 || this.fail(err))
        .finally(abort);
    } else {
      abort();
    }
    if (!quiet) this.$('input').focus();
  }
}

if (!customElements.get('coze-chat')) customElements.define('coze-chat', CozeChat);
export { CozeChat };
