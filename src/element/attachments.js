// Attachments for a chat composer, shared by the demo (www/app.js imports pkg/attachments.js) and
// <coze-chat> (which loads it when the visitor signs in, so element.js stays small): pick files
// with the paperclip button or drop them on the chat, see them (a thumbnail for images) and remove
// them before sending; on send they are uploaded with client.files.upload (a progress bar per
// file) and referenced by file_id in the message's object_string items. Everything is rendered as
// text or object URLs, never HTML.

const MAX_FILES = 5;
/** Coze's documented per-file limit (the library checks it too; this says so before uploading). */
const MAX_BYTES = 512 * 1024 * 1024;

const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
};

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

const STRINGS = {
  en: {
    remove: (name) => `Remove ${name}`, tooMany: (n) => `At most ${n} files per message`,
    empty: (name) => `${name} is empty`, tooBig: (name) => `${name} is over Coze's 512 MB limit`,
    uploading: (name) => `Uploading ${name}`,
  },
  zh: {
    remove: (name) => `移除 ${name}`, tooMany: (n) => `每条消息最多 ${n} 个文件`,
    empty: (name) => `${name} 是空文件`, tooBig: (name) => `${name} 超过扣子 512 MB 的上限`,
    uploading: (name) => `正在上传 ${name}`,
  },
};
const stringsFor = (lang) => STRINGS[lang === 'zh' ? 'zh' : 'en'];

const isImage = (file) => /^image\/(png|jpeg|gif|webp|bmp|svg\+xml)$/.test(file.type);

/** A thumbnail (images) or a file pill, for the tray and for the user's bubble. */
function preview(file, url) {
  if (url) {
    const img = el('img', 'attachment-thumb');
    img.alt = file.name;
    img.src = url;
    return img;
  }
  return el('span', 'attachment-file', `📄 ${file.name}`);
}

/**
 * The composer's attachments. `onChange()` runs whenever the list changes (to enable Send).
 * `warn(text)` shows why a file was not taken. `lang`: 'en' (default) or 'zh', read at each use
 * when a function.
 */
export function createAttachments({ tray, input, button, dropZone, onChange, warn, lang }) {
  const t = () => stringsFor(typeof lang === 'function' ? lang() : lang);
  /** {file, url} — url: an object URL for image thumbnails. */
  let items = [];

  function render() {
    tray.replaceChildren();
    tray.hidden = items.length === 0;
    for (const item of items) {
      const chip = el('div', 'attachment');
      chip.dataset.name = item.file.name;
      const remove = el('button', 'attachment-remove', '×');
      remove.type = 'button';
      remove.setAttribute('aria-label', t().remove(item.file.name));
      remove.addEventListener('click', () => {
        items = items.filter((i) => i !== item);
        if (item.url) URL.revokeObjectURL(item.url);
        render();
        onChange();
      });
      chip.append(preview(item.file, item.url), el('span', 'attachment-size', formatBytes(item.file.size)), remove);
      tray.append(chip);
    }
  }

  function add(files) {
    for (const file of files) {
      if (items.length >= MAX_FILES) {
        warn(t().tooMany(MAX_FILES));
        break;
      }
      if (file.size === 0) warn(t().empty(file.name));
      else if (file.size > MAX_BYTES) warn(t().tooBig(file.name));
      else items.push({ file, url: isImage(file) ? URL.createObjectURL(file) : null });
    }
    render();
    onChange();
  }

  button.addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    add([...input.files]);
    input.value = ''; // the same file can be picked again
  });
  const hasFiles = (e) => e.dataTransfer && [...e.dataTransfer.types].includes('Files');
  dropZone.addEventListener('dragover', (e) => {
    if (!hasFiles(e) || button.disabled) return;
    e.preventDefault();
    dropZone.classList.add('dropping');
  });
  dropZone.addEventListener('dragleave', (e) => {
    if (e.target === dropZone) dropZone.classList.remove('dropping');
  });
  dropZone.addEventListener('drop', (e) => {
    dropZone.classList.remove('dropping');
    if (!hasFiles(e) || button.disabled) return;
    e.preventDefault();
    add([...e.dataTransfer.files]);
  });

  return {
    get count() {
      return items.length;
    },
    /** Draws the tray again (labels follow a language change). */
    relabel: render,
    /** The attachments for the message being sent; the tray is emptied. */
    take() {
      const taken = items;
      items = [];
      render();
      onChange();
      return taken;
    },
    /** Forgets everything (logout, new conversation). */
    clear() {
      for (const item of items) if (item.url) URL.revokeObjectURL(item.url);
      items = [];
      render();
      onChange();
    },
  };
}

/**
 * The sent attachments in the user's message row, just above its bubble (which keeps holding the
 * text alone), each with an upload progress bar.
 */
export function showWithMessage(row, taken, lang) {
  if (taken.length === 0) return [];
  const box = el('div', 'bubble-attachments');
  const bars = taken.map((item) => {
    const figure = el('figure', 'bubble-attachment');
    const bar = el('progress', 'upload-progress');
    bar.max = item.file.size;
    bar.value = 0;
    bar.setAttribute('aria-label', stringsFor(lang).uploading(item.file.name));
    const thumb = preview(item.file, item.url);
    // The tray no longer holds this file: once the bubble's copy is decoded, the blob can go.
    if (item.url) thumb.addEventListener('load', () => URL.revokeObjectURL(item.url), { once: true });
    figure.append(thumb, bar);
    box.append(figure);
    return bar;
  });
  row.bubble.before(box);
  if (!row.bubble.textContent) row.bubble.hidden = true;
  return bars;
}

/**
 * The message content: the text alone (a string) when nothing is attached; otherwise each file is
 * uploaded (its bar follows onProgress) and the content is the object_string items.
 */
export async function messageContent(client, text, taken, bars, signal) {
  if (taken.length === 0) return { content: text, content_type: 'text' };
  const items = text ? [{ type: 'text', text }] : [];
  for (let i = 0; i < taken.length; i++) {
    const { file } = taken[i];
    const bar = bars[i];
    const uploaded = await client.files.upload({ file }, {
      signal,
      onProgress: ({ loaded }) => { bar.value = loaded; },
    });
    bar.value = bar.max;
    bar.classList.add('done');
    bar.closest('figure').dataset.fileId = uploaded.id;
    items.push({ type: isImage(file) ? 'image' : 'file', file_id: uploaded.id });
  }
  return { content: items, content_type: 'object_string' };
}

/**
 * <coze-chat>'s attachments: the same UI on its shadow root's #attach, #files, #tray and #panel,
 * with the look below (the demo's is in www/style.css).
 */
export function elementAttachments(root, { onChange, warn, lang }) {
  if (!elementSheet) {
    elementSheet = new CSSStyleSheet();
    elementSheet.replaceSync(ELEMENT_CSS);
  }
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, elementSheet];
  const $ = (id) => root.getElementById(id);
  return createAttachments({ tray: $('tray'), input: $('files'), button: $('attach'), dropZone: $('panel'), onChange, warn, lang });
}

let elementSheet = null;
const ELEMENT_CSS = `.attachment-tray{display:flex;flex-wrap:wrap;gap:8px;padding:10px 12px 0;border-top:1px solid var(--coze-line)}
.attachment-tray:not([hidden])+form{border-top:0}
.attachment{position:relative;display:flex;align-items:center;gap:6px;padding:4px 26px 4px 4px;border:1px solid var(--coze-line);border-radius:10px;font-size:12px;color:var(--coze-muted)}
.attachment-thumb{width:48px;height:48px;object-fit:cover;border-radius:8px;display:block}
.attachment-file{max-width:160px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;padding:0 4px}
.attachment-remove{position:absolute;top:2px;right:2px;width:20px;height:20px;border-radius:50%;background:#00000014;line-height:20px;padding:0}
.panel.dropping{outline:2px dashed var(--coze-accent);outline-offset:-6px}
.bubble-attachments{display:flex;flex-wrap:wrap;justify-content:flex-end;gap:6px;margin-bottom:6px}
.bubble-attachment{margin:0;display:flex;flex-direction:column;gap:4px}
.bubble-attachment .attachment-thumb{width:96px;height:96px}
.bubble-attachment .attachment-file{color:var(--coze-fg)}
.upload-progress{width:96px;height:4px}.upload-progress.done{visibility:hidden}`;
