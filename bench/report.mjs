// Turns a results object (bench/results/latest.json) into tables: plain text for the terminal,
// Markdown for BENCHMARKS.md. Shared by run.mjs and record.mjs.

export const OURS = 'ours chat.stream';
export const COZE_API = '@coze/api chat.stream';
export const ESP = 'TextDecoder+eventsource-parser+JSON.parse';
/** The pure-JS stream pipelines the goals compare against. */
export const JS_PIPELINES = [COZE_API, ESP];

const GOALS = { sizeBytes: 17_000, vsBestJs: 1.0, vsCozeApi: 0.5 };

const kb = (n) => `${(n / 1000).toFixed(1)} kB`;
const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`;
const fixed = (n, d) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const ratio = (n) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : 'n/a');
const chunkLabel = (n) => (n >= 1024 ? `${n / 1024} KB` : `${n} B`);
const signed = (n, fmt) => (n >= 0 ? '+' : '−') + fmt(Math.abs(n));

/** [{title, headers, rows, notes}] */
export function sections(r) {
  const out = [];

  // 1. Size
  out.push({
    title: 'Size (gzip -9)',
    headers: ['artifact', 'raw', 'gzip -9'],
    rows: r.size.map((s) => [s.name, kb(s.raw), kb(s.gz)]),
    notes: [
      `@coze/api subset: ${r.sizeNotes.cozeApiEntry}; bundled with \`${r.sizeNotes.esbuild}\`.`,
    ],
  });

  // 2. Per-event cost
  const byChunk = new Map();
  for (const t of r.throughput) {
    if (!byChunk.has(t.chunkSize)) byChunk.set(t.chunkSize, []);
    byChunk.get(t.chunkSize).push(t);
  }
  const rows = [];
  for (const [chunk, list] of byChunk) {
    const ours = list.find((t) => t.pipeline === OURS);
    for (const t of list) {
      rows.push([chunkLabel(chunk), t.pipeline, fixed(t.usPerEvent, 2), fixed(t.bestUsPerEvent, 2), fixed(t.mbPerS, 1),
        ratio(t.usPerEvent / ours.usPerEvent), `${fixed(t.medianMs, 0)} (${t.runs})`]);
    }
  }
  if (r.jsonParseFloor) {
    const f = r.jsonParseFloor;
    const oursAt = (c) => r.throughput.find((t) => t.pipeline === OURS && t.chunkSize === c);
    const ref = oursAt(1024) || r.throughput.find((t) => t.pipeline === OURS);
    rows.push(['any', f.pipeline, fixed(f.usPerEvent, 2), '', fixed(f.mbPerS, 1), ratio(f.usPerEvent / ref.usPerEvent) + ' (of 1 KB)',
      `${fixed(f.medianMs, 0)} (${f.runs})`]);
  }
  const s = r.stream;
  out.push({
    title: `Per-event main-thread cost (${(s.bytes / 1e6).toFixed(1)} MB, ${s.events} events; median of the runs after ${r.config.warmup} warm-up)`,
    headers: ['chunk', 'pipeline', 'µs/event', 'best run', 'MB/s', 'vs ours', 'ms/run (runs)'],
    rows,
    notes: [
      'Stream pipelines fetch (the page overrides the global fetch; both libraries call it at call time, and the run checks ' +
        'that the override saw exactly one call per stream) a Response whose body replays the chunks (one chunk per read), ' +
        'and end in `for await` over {event, data: parsed JSON}. Every run is checked to yield every event and all the delta text. ' +
        '"sync loop" rows feed the same chunks to the parser in a plain loop: parser cost without stream machinery. ' +
        '"vs ours" = that row’s µs/event ÷ ours chat.stream at the same chunk size (below 1 = faster than ours).',
    ],
  });

  // 3. Latency
  if (r.latency?.length) {
    out.push({
      title: `Latency: chunk enqueued → its event yielded in for await (${r.latency[0].events} events, one chunk per macrotask)`,
      headers: ['chunk', 'pipeline', 'p50 µs', 'p99 µs', 'max µs'],
      rows: r.latency.map((l) => [chunkLabel(l.chunkSize), l.pipeline, fixed(l.p50Us, 0), fixed(l.p99Us, 0), fixed(l.maxUs, 0)]),
      notes: [`Timer resolution in the page: ${fixed(r.page.timerResolutionUs, 1)} µs (cross-origin isolated: ${r.page.crossOriginIsolated}).`],
    });
  }

  // 4. Memory
  if (r.memory) {
    const m = r.memory;
    const c = r.memoryControl;
    const label = (p) => (p.bytes ? `after ${(p.bytes / 1e6).toFixed(0)} MB` : '');
    const points = [['page loaded', m.baseline, c?.baseline], [`before (after a ${(m.warmupBytes / 1e6).toFixed(0)} MB warm-up stream)`, m.before, c?.before],
      ...m.checkpoints.map((p, i) => [label(p), p, c?.checkpoints[i]]), ['after the stream ended', m.after, c?.after]];
    out.push({
      title: `Memory: ${(m.bytes / 1e6).toFixed(0)} MB (${m.events} events, ${chunkLabel(m.chunkSize)} chunks) through ours chat.stream, generated on the fly`,
      headers: ['when (each after gc())', 'JS heap', 'Δ vs before', 'wasm memory', 'Δ vs before', ...(c ? ['control: eventsource-parser JS heap'] : [])],
      rows: [
        ...points.map(([text, p, q]) => [text, mib(p.jsHeap), signed(p.jsHeap - m.before.jsHeap, mib), mib(p.wasm),
          signed(p.wasm - m.before.wasm, mib), ...(c ? [q ? mib(q.jsHeap) : ''] : [])]),
        ['peak while streaming (no gc)', mib(m.peakJsHeapNoGc), '', mib(m.peakWasm), '', ...(c ? [mib(c.peakJsHeapNoGc)] : [])],
      ],
      notes: [`JS heap = performance.memory.usedJSHeapSize (--enable-precise-memory-info); wasm memory = the module's ` +
        `memory.buffer.byteLength (init()'s exports). The big stream took ${fixed(m.ms / 1000, 1)} s including generating it ` +
        `and the gc() calls (${fixed(m.bytes / 1e6 / (m.ms / 1000), 1)} MB/s).` +
        (c ? ' Control: the same stream, in its own fresh page, through TextDecoder+eventsource-parser+JSON.parse: what the ' +
          'page, the generator and the browser’s stream machinery hold, without our library.' : '')],
    });
  }

  // 5. Start-up
  if (r.startup) {
    const st = r.startup;
    out.push({
      title: `Start-up (ms, median of ${st.cold.length} fresh pages / ${st.cached.rounds.length} rounds)`,
      headers: ['what', 'import JS', 'init / compile', 'first call', 'total'],
      rows: [
        ['ours cold: import glue, init() = fetch + compile + instantiate, first SseParser parse + first PKCE call',
          fixed(med(st.cold.map((c) => c.importMs)), 2), fixed(med(st.cold.map((c) => c.initMs)), 2),
          fixed(med(st.cold.map((c) => (c.firstParseMs ?? 0) + c.firstCallMs)), 2), fixed(med(st.cold.map((c) => c.totalMs)), 2)],
        ...(st.cold[0].fetchMs === undefined ? [] : [
          ['… of which: init()\'s fetch, to the response headers', '', fixed(med(st.cold.map((c) => c.fetchMs)), 2), '', ''],
          ['… of which: init()\'s compile + instantiate (the body streamed in) + the first SseParser parse', '',
            fixed(med(st.cold.map((c) => c.compileMs)), 2), fixed(med(st.cold.map((c) => c.firstParseMs)), 2),
            fixed(med(st.cold.map((c) => c.compileMs + c.firstParseMs)), 2)]]),
        ['ours: WebAssembly.compile of the fetched bytes (once)', '', fixed(st.cached.compileMs, 2), '', ''],
        ['ours with that compiled Module: init({module_or_path: module}) + first call', '',
          fixed(med(st.cached.rounds.map((c) => c.initMs)), 2), fixed(med(st.cached.rounds.map((c) => c.firstCallMs)), 2),
          fixed(med(st.cached.rounds.map((c) => c.initMs + c.firstCallMs)), 2)],
        ['@coze/api cold: import bundle, getPKCEAuthenticationUrl()', fixed(med(st.cozeApi.map((c) => c.importMs)), 2), '',
          fixed(med(st.cozeApi.map((c) => c.firstCallMs)), 2), fixed(med(st.cozeApi.map((c) => c.totalMs)), 2)],
      ],
      notes: ['Served from 127.0.0.1 with cache-control: no-store (no HTTP or code cache).'],
    });
  }
  if (r.startup?.firstEvent) {
    const fe = r.startup.firstEvent;
    const row = (label, list) => [label, fixed(med(list.map((x) => x.scriptStartMs)), 2),
      fixed(med(list.map((x) => x.firstEventMs - x.scriptStartMs)), 2), fixed(med(list.map((x) => x.firstEventMs)), 2)];
    out.push({
      title: `Navigation → first chat event (ms since navigation start, median of ${fe.ours.length} fresh pages)`,
      headers: ['page', 'its script starts', 'import → first event', 'navigation → first event'],
      rows: [
        row('ours: import, init(), new CozeAPI, chat.stream', fe.ours),
        row('ours, the page with preload hints for index.js and the .wasm (first-event-preload.html)', fe.oursPreload),
        row('@coze/api: import bundle, chat.stream', fe.cozeApi),
        ...(fe.rtt50 ? [
          row('+50 ms per request — ours', fe.rtt50.ours),
          row('+50 ms per request — ours with preload hints', fe.rtt50.oursPreload),
          row('+50 ms per request — @coze/api', fe.rtt50.cozeApi),
        ] : []),
      ],
      notes: ['bench/page/first-event.js: /v3/chat answered in the page with a 5-event stream; the first event is chat.created. ' +
        '+50 ms: Chromium\'s network emulation (CDP) adds 50 ms to every request of the page: the round trips a page makes ' +
        'one after another (HTML, script, its imports, the .wasm) each cost it.'],
    });
  }

  // Goals
  out.push(goals(r));
  return out;
}

function goals(r) {
  const rows = [];
  const oursSize = r.size.find((s) => s.name.startsWith('ours: total'));
  rows.push(['size ≤ 17 kB gz', kb(oursSize.gz), oursSize.gz <= GOALS.sizeBytes ? 'met' : 'not met']);
  for (const chunk of [...new Set(r.throughput.map((t) => t.chunkSize))]) {
    const at = (p) => r.throughput.find((t) => t.pipeline === p && t.chunkSize === chunk);
    const ours = at(OURS);
    const js = JS_PIPELINES.map(at).filter(Boolean).sort((a, b) => a.usPerEvent - b.usPerEvent);
    const best = js[0];
    const coze = at(COZE_API);
    const vsBest = ours.usPerEvent / best.usPerEvent;
    const vsCoze = ours.usPerEvent / coze.usPerEvent;
    rows.push([`${chunkLabel(chunk)}: per event ≤ 1.0× best JS (${best.pipeline})`, ratio(vsBest), vsBest <= GOALS.vsBestJs ? 'met' : 'not met']);
    rows.push([`${chunkLabel(chunk)}: per event ≤ 0.5× @coze/api`, ratio(vsCoze), vsCoze <= GOALS.vsCozeApi ? 'met' : 'not met']);
  }
  if (r.latency?.length) {
    for (const chunk of [...new Set(r.latency.map((l) => l.chunkSize))]) {
      const at = (p) => r.latency.find((l) => l.pipeline === p && l.chunkSize === chunk);
      const ours = at(OURS);
      const best = JS_PIPELINES.map(at).filter(Boolean).sort((a, b) => a.p50Us - b.p50Us)[0];
      if (!ours || !best) continue;
      const added = ours.p50Us - best.p50Us;
      rows.push([`${chunkLabel(chunk)}: zero added latency (p50 vs best JS, ${best.pipeline})`,
        `${signed(added, (n) => n.toFixed(0))} µs (p99 ${signed(ours.p99Us - best.p99Us, (n) => n.toFixed(0))} µs)`,
        added <= 0 ? 'met' : 'not met']);
    }
  }
  if (r.startup?.cold?.[0]?.firstParseMs !== undefined) {
    const st = r.startup;
    const cold = med(st.cold.map((c) => c.initMs + c.firstParseMs));
    const local = med(st.cold.map((c) => c.compileMs + c.firstParseMs));
    rows.push(['start-up: init() + first parse ≤ 5 ms cold (Chromium)',
      `${fixed(cold, 2)} ms (${fixed(local, 2)} ms without the fetch's round trip)`, cold <= 5 ? 'met' : 'not met']);
    if (st.firstEvent) {
      const since = (list) => med(list.map((x) => x.firstEventMs - x.scriptStartMs));
      const ours = since(st.firstEvent.ours);
      const coze = since(st.firstEvent.cozeApi);
      rows.push(['import → first chat event below @coze/api\'s', `${fixed(ours, 2)} vs ${fixed(coze, 2)} ms`, ours < coze ? 'met' : 'not met']);
    }
  }
  if (r.memory) {
    // Flat: the wasm memory stops growing after the first checkpoint, the JS heap is back to its
    // level before the stream once it ends, and mid-stream it holds no more than the control does.
    const m = r.memory;
    const first = m.checkpoints[0] || m.before;
    const wasmDelta = m.after.wasm - first.wasm;
    const heapDelta = m.after.jsHeap - m.before.jsHeap;
    const vsControl = r.memoryControl
      ? Math.max(...m.checkpoints.map((p, i) => p.jsHeap - (r.memoryControl.checkpoints[i]?.jsHeap ?? p.jsHeap)))
      : 0;
    rows.push([`flat memory: wasm no growth from ${(first.bytes / 1e6 || 0).toFixed(0)} MB to the end; JS heap back to ` +
      'its level before the stream, mid-stream ≤ the control + 0.5 MiB',
    `wasm ${signed(wasmDelta, mib)}; heap ${signed(heapDelta, mib)} after, ${signed(vsControl, mib)} vs control mid-stream`,
    wasmDelta === 0 && heapDelta < 524288 && vsControl < 524288 ? 'met' : 'not met']);
  }
  return { title: 'Goals', headers: ['goal', 'measured', ''], rows, notes: [] };
}

function med(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function machineLines(r) {
  const m = r.machine;
  return [
    `date: ${r.date}`,
    `commit: ${m.commit}${m.dirty ? ' (plus uncommitted changes in src/ or Cargo files)' : ''}`,
    `machine: ${m.nproc} cores (nproc), ${m.cpu}, ${mib(m.memBytes)} RAM`,
    `browser: ${m.chromium} (headless, Playwright ${m.playwright}); node ${m.node}`,
    ...(m.loadavgAtStart ? [`load average (1/5/15 min) at start ${m.loadavgAtStart.map((x) => x.toFixed(2)).join(' ')}, ` +
      `at end ${(m.loadavgAtEnd || []).map((x) => x.toFixed(2)).join(' ')}${r.elapsedS ? `; run took ${r.elapsedS.toFixed(0)} s` : ''}`] : []),
  ];
}

export function toText(r) {
  const lines = [...machineLines(r), ''];
  for (const s of sections(r)) {
    lines.push(s.title, textTable(s.headers, s.rows));
    for (const n of s.notes) lines.push(wrap(n, 110).map((l) => `  ${l}`).join('\n'));
    lines.push('');
  }
  return lines.join('\n');
}

export function toMarkdown(r) {
  const lines = machineLines(r).map((l) => `- ${l}`);
  lines.push('');
  for (const s of sections(r)) {
    lines.push(`#### ${s.title}`, '');
    const numeric = numericColumns(s.headers, s.rows);
    lines.push(`| ${s.headers.join(' | ')} |`, `|${numeric.map((n) => (n ? '---:' : '---')).join('|')}|`);
    for (const row of s.rows) lines.push(`| ${row.map((c) => String(c).replaceAll('|', '\\|')).join(' | ')} |`);
    lines.push('');
    for (const n of s.notes) lines.push(n, '');
  }
  return lines.join('\n');
}

/** Columns whose cells all start with a number (or are empty): right-aligned. */
function numericColumns(headers, rows) {
  return headers.map((_, i) => i > 0 && rows.every((r) => /^([−+]?[\d.]+|)(\s|×|$)/.test(String(r[i] ?? ''))));
}

function textTable(headers, rows) {
  const all = [headers, ...rows].map((r) => r.map(String));
  const widths = headers.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? '')].length)));
  const numeric = numericColumns(headers, rows);
  const pad = (cell, i) => {
    const gap = ' '.repeat(widths[i] - [...cell].length);
    return numeric[i] ? gap + cell : cell + gap;
  };
  const line = (r) => `  ${r.map(pad).join('  ')}`.trimEnd();
  return [line(all[0]), `  ${widths.map((w) => '-'.repeat(w)).join('  ')}`, ...all.slice(1).map(line)].join('\n');
}

function wrap(text, width) {
  const out = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + word.length + 1 > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}
