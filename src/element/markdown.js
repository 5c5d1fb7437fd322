// A small, safe Markdown renderer for bot replies (the <coze-chat> element and the demo page).
// It builds DOM nodes only: bot text becomes Text nodes, never HTML, so `<img onerror>` in a reply
// shows as text. Links: http/https only, opened with rel="noopener noreferrer"; images: https only.
// Subset: paragraphs (a single newline is a line break), # headings, > quotes, - / 1. lists
// (nested by indentation), ``` / ~~~ code blocks, `code`, **strong**, *em*, [links](url),
// ![images](url), bare http(s) URLs, backslash escapes.
//
// renderMarkdown(target, text) may be called again with a longer text as a reply streams in: the
// blocks that did not change keep their nodes (only the growing last block is rebuilt).

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)/;
const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const QUOTE = /^ {0,3}>\s?/;
const ITEM = /^( *)([-*+]|\d{1,9}[.)])\s+/;
const BLANK = /^\s*$/;
/** Does this line start a block other than a paragraph? */
const opens = (line) => FENCE.test(line) || HEADING.test(line) || QUOTE.test(line) || ITEM.test(line);

/** Splits lines into blocks: {kind, lines, ...}. */
function blocks(lines) {
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let m;
    if (BLANK.test(line)) {
      i++;
    } else if ((m = FENCE.exec(line))) {
      const close = new RegExp(`^ {0,3}${m[1][0]}{${m[1].length},}\\s*$`);
      let j = i + 1;
      while (j < lines.length && !close.test(lines[j])) j++;
      out.push({ kind: 'code', lang: m[2], lines: lines.slice(i + 1, j), src: lines.slice(i, j + 1) });
      i = j + 1;
    } else if ((m = HEADING.exec(line))) {
      out.push({ kind: 'h', level: m[1].length, text: m[2], src: [line] });
      i++;
    } else if (QUOTE.test(line)) {
      let j = i;
      while (j < lines.length && QUOTE.test(lines[j])) j++;
      const src = lines.slice(i, j);
      out.push({ kind: 'quote', lines: src.map((l) => l.replace(QUOTE, '')), src });
      i = j;
    } else if ((m = ITEM.exec(line))) {
      const ordered = /\d/.test(m[2]);
      const items = [];
      let j = i;
      while (j < lines.length) {
        const im = ITEM.exec(lines[j]);
        if (!im || /\d/.test(im[2]) !== ordered || im[1].length > m[1].length + 1) break;
        const indent = im[0].length;
        const body = [lines[j].slice(indent)];
        j++;
        // The item goes on over indented lines and lines that continue its paragraph.
        while (j < lines.length) {
          const next = lines[j];
          if (BLANK.test(next)) {
            if (j + 1 < lines.length && /^\s{2,}\S/.test(lines[j + 1])) { body.push(''); j++; continue; }
            break;
          }
          if (/^\s{2,}\S/.test(next)) body.push(next.replace(/^\s{1,4}/, ''));
          else if (!opens(next) && !BLANK.test(body[body.length - 1])) body.push(next);
          else break;
          j++;
        }
        items.push(body);
        while (j < lines.length && BLANK.test(lines[j]) && j + 1 < lines.length && ITEM.test(lines[j + 1])) j++;
      }
      out.push({ kind: ordered ? 'ol' : 'ul', start: parseInt(m[2], 10), items, src: lines.slice(i, j) });
      i = j;
    } else {
      let j = i;
      while (j < lines.length && !BLANK.test(lines[j]) && (j === i || !opens(lines[j]))) j++;
      const src = lines.slice(i, j);
      out.push({ kind: 'p', lines: src, src });
      i = j;
    }
  }
  return out;
}

const el = (tag, ...children) => {
  const node = document.createElement(tag);
  node.append(...children);
  return node;
};

/** An absolute URL whose protocol is in `allowed`, else null. */
function safeURL(href, allowed) {
  try {
    const url = new URL(href);
    return allowed.includes(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

/** `[label](url)` starting at `start` (at the '[') → {label, href, end} or null. */
function bracket(text, start) {
  let depth = 0;
  let i = start;
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '[') depth++;
    else if (c === ']' && --depth === 0) break;
  }
  if (i >= text.length || text[i + 1] !== '(') return null;
  const m = /^\(\s*<?([^\s()<>]*(?:\([^\s()]*\)[^\s()<>]*)*)>?(?:\s+"[^"]*")?\s*\)/.exec(text.slice(i + 1));
  if (!m) return null;
  return { label: text.slice(start + 1, i), href: m[1], end: i + 1 + m[0].length };
}

/** Inline Markdown of `text` appended to `parent`. */
function inline(parent, text) {
  let plain = '';
  const flush = () => {
    if (plain) parent.append(plain);
    plain = '';
  };
  const put = (node) => {
    flush();
    parent.append(node);
  };
  for (let i = 0; i < text.length;) {
    const c = text[i];
    const rest = text.slice(i);
    let m;
    if (c === '\\' && /[!-/:-@[-`{-~]/.test(text[i + 1] || '')) {
      plain += text[i + 1];
      i += 2;
    } else if (c === '\n') {
      put(el('br'));
      i++;
    } else if (c === '`' && (m = /^(`+)([^]*?[^`])\1(?!`)/.exec(rest))) {
      const code = m[2].replace(/\n/g, ' ');
      put(el('code', /^ .* $/.test(code) ? code.slice(1, -1) : code));
      i += m[0].length;
    } else if ((c === '!' && text[i + 1] === '[') || c === '[') {
      const image = c === '!';
      const link = bracket(text, i + (image ? 1 : 0));
      if (!link) {
        plain += c;
        i++;
        continue;
      }
      i = link.end;
      if (image) {
        const src = safeURL(link.href, ['https:']);
        if (src) {
          const img = el('img');
          img.src = src;
          img.alt = link.label;
          img.loading = 'lazy';
          img.referrerPolicy = 'no-referrer';
          put(img);
        } else {
          plain += link.label;
        }
      } else {
        const href = safeURL(link.href, ['http:', 'https:']);
        if (href) put(anchor(href, (a) => inline(a, link.label)));
        else {
          flush();
          inline(parent, link.label);
        }
      }
    } else if ((c === 'h' || c === 'H') && !/\w/.test(text[i - 1] || '') && (m = /^https?:\/\/[^\s<>"]+/i.exec(rest))) {
      const url = m[0].replace(/[.,;:!?)\]'*_~]+$/, '');
      const href = safeURL(url, ['http:', 'https:']);
      if (href) put(anchor(href, (a) => a.append(url)));
      else plain += url;
      i += url.length;
    } else if ((c === '*' || c === '_') && (m = emphasis(text, i))) {
      put(el(m.tag));
      inline(parent.lastChild, m.inner);
      i = m.end;
    } else {
      plain += c;
      i++;
    }
  }
  flush();
}

function anchor(href, fill) {
  const a = el('a');
  a.href = href;
  a.target = '_blank';
  a.rel = 'noopener noreferrer';
  fill(a);
  return a;
}

/** `**x**`, `__x__`, `*x*`, `_x_` at `i` → {tag, inner, end} or null. */
function emphasis(text, i) {
  const c = text[i];
  const double = text[i + 1] === c;
  if (c === '_' && /\w/.test(text[i - 1] || '')) return null; // snake_case stays text
  const mark = double ? c + c : c;
  const start = i + mark.length;
  if (/\s/.test(text[start] || ' ')) return null;
  for (let j = start + 1; j <= text.length - mark.length; j++) {
    if (text[j] === '\\') { j++; continue; }
    if (text[j] === '`') { // a code span inside is skipped whole
      const close = text.indexOf('`', j + 1);
      if (close > 0) { j = close; continue; }
    }
    if (text.startsWith(mark, j) && !/\s/.test(text[j - 1]) && (double || text[j + 1] !== c)) {
      if (c === '_' && /\w/.test(text[j + mark.length] || '')) continue;
      return { tag: double ? 'strong' : 'em', inner: text.slice(start, j), end: j + mark.length };
    }
  }
  return null;
}

/** The DOM node of one block. */
function render(block) {
  switch (block.kind) {
    case 'code': {
      const code = el('code', block.lines.join('\n'));
      if (/^[\w+-]+$/.test(block.lang)) code.dataset.lang = block.lang;
      return el('pre', code);
    }
    case 'h': {
      const h = el(`h${Math.min(block.level + 2, 6)}`);
      inline(h, block.text);
      return h;
    }
    case 'quote':
      return el('blockquote', ...blocks(block.lines).map(render));
    case 'ul':
    case 'ol': {
      const list = el(block.kind);
      if (block.kind === 'ol' && block.start !== 1) list.start = block.start;
      for (const lines of block.items) {
        const li = el('li');
        const inner = blocks(lines);
        // A one-paragraph item is written inline (a tight list).
        if (inner.length === 1 && inner[0].kind === 'p') inline(li, inner[0].lines.join('\n'));
        else li.append(...inner.map(render));
        list.append(li);
      }
      return list;
    }
    default: {
      const p = el('p');
      inline(p, block.lines.map((l) => l.trim()).join('\n'));
      return p;
    }
  }
}

const rendered = new WeakMap();

/**
 * Renders `text` as Markdown into `target` (its children are replaced). Called again on the same
 * target, blocks whose source did not change keep their nodes.
 */
export function renderMarkdown(target, text) {
  const list = blocks(String(text).replace(/\r\n?/g, '\n').split('\n'));
  const before = rendered.get(target) || [];
  const after = [];
  let same = 0;
  while (same < list.length && same < before.length && before[same].key === list[same].src.join('\n') + list[same].kind &&
    before[same].node.parentNode === target) {
    after.push(before[same]);
    same++;
  }
  for (const old of before.slice(same)) old.node.remove();
  for (const block of list.slice(same)) {
    const node = render(block);
    target.append(node);
    after.push({ key: block.src.join('\n') + block.kind, node });
  }
  // Anything else in the target (e.g. text from before) goes.
  for (const child of [...target.childNodes]) if (!after.some((b) => b.node === child)) child.remove();
  rendered.set(target, after);
}
