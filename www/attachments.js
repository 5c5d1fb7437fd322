// Attachments for the demo's composer: pick files with the paperclip button or drop them on the
// chat, see them (a thumbnail for images) and remove them before sending; on send they are
// uploaded with client.files.upload (a progress bar per file) and referenced by file_id in the
// message's object_string items. Everything is rendered as text or object URLs, never HTML.

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
 * `warn(text)` shows why a file was not taken.
 */
export function createAttachments({ tray, input, button, dropZone, onChange, warn }) {
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
      remove.setAttribute('aria-label', `Remove ${item.file.name}`);
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
        warn(`At most ${MAX_FILES} files per message`);
        break;
      }
      if (file.size === 0) warn(`${file.name} is empty`);
      else if (file.size > MAX_BYTES) warn(`${file.name} is over Coze's 512 MB limit`);
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
export function showWithMessage(row, taken) {
  if (taken.length === 0) return [];
  const box = el('div', 'bubble-attachments');
  const bars = taken.map((item) => {
    const figure = el('figure', 'bubble-attachment');
    const bar = el('progress', 'upload-progress');
    bar.max = item.file.size;
    bar.value = 0;
    figure.append(preview(item.file, item.url), bar);
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
