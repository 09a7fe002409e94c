// hooklab inspector: the live page of `hooklab listen --ui`.
//
// Everything shown here was chosen by whoever reached the listener. So every
// value from a delivery is put in the page with textContent (through text()
// and el() below), never parsed as HTML; controls and bidi overrides are
// replaced by visible escapes and every value sits in an isolated bidi
// context. The page's CSP requires Trusted Types, so an innerHTML slip would
// throw rather than run.
'use strict';

(() => {
  // MAX is the most deliveries the list holds: the listener's ring keeps
  // 1000, and the page never holds more than the server does.
  const MAX = 1000;
  // Past these, the detail view shows a prefix and says so: the download
  // link has the whole body.
  const HEX_LIMIT = 64 * 1024;
  const TEXT_LIMIT = 2 * 1024 * 1024;
  const JSON_NODE_LIMIT = 20000;
  const JSON_DEPTH_LIMIT = 400;

  const STATUS_TEXT = {
    200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content',
    301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
    400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
    408: 'Request Timeout', 409: 'Conflict', 411: 'Length Required', 413: 'Content Too Large',
    415: 'Unsupported Media Type', 422: 'Unprocessable Entity', 429: 'Too Many Requests',
    500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
    504: 'Gateway Timeout',
  };

  // Header names that carry a signature or a shared token, by provider.
  const SIGNATURE_HEADER = /^(x-hub-signature(-256)?|stripe-signature|webhook-signature|svix-signature|x-slack-signature|x-shopify-hmac-sha256|x-gitlab-token|x-gitea-signature|x-gogs-signature|x-signature(-256)?|x-hooklab-signature)$/i;

  // ---- safe text -------------------------------------------------------

  // C0 and C1 controls, DEL, and the bidi embeddings, overrides, isolates
  // and marks: shown as visible escapes so no value can hide text or
  // reorder the page around it.
  const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
  const UNSAFE_KEEP_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

  function escapeOf(ch) {
    const c = ch.codePointAt(0);
    switch (c) {
      case 0x0a: return '\\n';
      case 0x0d: return '\\r';
      case 0x09: return '\\t';
      case 0x00: return '\\0';
    }
    const hex = c.toString(16).toUpperCase();
    return c < 0x100 ? '\\x' + hex.padStart(2, '0') : '\\u' + hex.padStart(4, '0');
  }

  // text appends s to parent as text nodes, each unsafe character as a
  // marked escape. With lines, newlines and tabs are kept as they are (for
  // bodies and outputs shown in <pre>).
  function text(parent, s, lines = false) {
    s = String(s ?? '');
    const re = lines ? UNSAFE_KEEP_LINES : UNSAFE;
    re.lastIndex = 0;
    let last = 0;
    let m;
    while ((m = re.exec(s)) !== null) {
      if (m.index > last) parent.append(s.slice(last, m.index));
      const esc = document.createElement('span');
      esc.className = 'esc';
      esc.title = 'U+' + m[0].codePointAt(0).toString(16).toUpperCase().padStart(4, '0');
      esc.textContent = escapeOf(m[0]);
      parent.append(esc);
      last = m.index + m[0].length;
    }
    if (last < s.length) parent.append(s.slice(last));
    return parent;
  }

  // el builds an element. attrs are set with setAttribute and only ever
  // hold the page's own values (class names, ids, numbers); children are
  // elements or strings, and strings go in through text().
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === false || v === null || v === undefined) continue;
        e.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      if (c instanceof Node) e.append(c);
      else text(e, c);
    }
    return e;
  }

  // val wraps a value from a delivery in its own bidi isolate.
  function val(s, cls) {
    return text(el('bdi', { class: cls ? 'v ' + cls : 'v' }), s);
  }

  function clear(node) {
    while (node.firstChild) node.firstChild.remove();
  }

  // ---- formatting ------------------------------------------------------

  function statusClass(st) {
    if (st >= 200 && st < 600) return Math.floor(st / 100) + 'xx';
    return 'other';
  }

  function statusLabel(st) {
    return STATUS_TEXT[st] ? st + ' ' + STATUS_TEXT[st] : String(st);
  }

  function humanBytes(n) {
    if (!Number.isFinite(n)) return '';
    if (n < 1024) return n + ' B';
    if (n < 1024 * 1024) return (n / 1024).toFixed(n < 10240 ? 1 : 0) + ' KiB';
    return (n / 1024 / 1024).toFixed(1) + ' MiB';
  }

  function ms(n) {
    if (typeof n !== 'number' || !Number.isFinite(n)) return '';
    if (n < 10) return n.toFixed(2) + ' ms';
    if (n < 1000) return n.toFixed(0) + ' ms';
    return (n / 1000).toFixed(2) + ' s';
  }

  function clock(t) {
    const d = new Date(t);
    if (Number.isNaN(d.getTime())) return '';
    const p = (n, w = 2) => String(n).padStart(w, '0');
    return p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds()) + '.' + p(d.getMilliseconds(), 3);
  }

  function decodeBase64(b64) {
    if (!b64) return new Uint8Array(0);
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  const utf8 = new TextDecoder('utf-8', { fatal: false });

  // ---- state -----------------------------------------------------------

  const $ = (id) => document.getElementById(id);
  const ui = {
    rows: $('rows'), empty: $('empty'), detail: $('detail'), conn: $('conn'), session: $('session'),
    counts: $('counts'), pause: $('pause'), pending: $('pending'),
    event: $('f-event'), text: $('f-text'),
    classes: { '2xx': $('f-2xx'), '3xx': $('f-3xx'), '4xx': $('f-4xx'), '5xx': $('f-5xx') },
  };

  const state = {
    session: null,
    byseq: new Map(), // seq -> {meta, row}
    events: new Set(),
    lastSeq: 0,
    paused: false,
    pending: [], // deliveries that came while paused, oldest first
    queue: [], // deliveries waiting for the next render
    flushTimer: 0,
    es: null,
    retryTimer: 0,
    generation: 0, // bumped on each (re)load: late answers of an older one are dropped
    openSeq: 0,
    openCtl: null,
  };

  // ---- list ------------------------------------------------------------

  function matches(meta) {
    const cls = statusClass(meta.status);
    const box = ui.classes[cls];
    if (box && !box.checked) return false;
    const ev = ui.event.value;
    if (ev && (meta.event || '') !== ev) return false;
    const q = ui.text.value.trim().toLowerCase();
    if (q) {
      const hay = [meta.event, meta.action, meta.delivery, meta.target, meta.reason, meta.summary, meta.detail]
        .map((s) => String(s ?? '').toLowerCase());
      if (!hay.some((s) => s.includes(q))) return false;
    }
    return true;
  }

  function answerCell(meta) {
    const td = el('td', { class: 'c-answer' });
    if (meta.forward) {
      const f = meta.forward;
      if (f.status) {
        td.append(el('span', { class: 'badge st-' + statusClass(f.status), title: 'the app answered' }, 'app ' + f.status));
      } else {
        td.append(el('span', { class: 'badge st-5xx', title: 'the app gave no answer' }, 'app ✕'));
      }
    }
    if (meta.exec) {
      const x = meta.exec;
      if (x.queued && !x.duration_ms && !x.reason) {
        td.append(el('span', { class: 'badge st-other' }, 'run queued'));
      } else {
        td.append(el('span', { class: 'badge ' + (x.exit_code === 0 && !x.error ? 'st-2xx' : 'st-5xx'), title: 'the command' },
          'exit ' + x.exit_code));
      }
    }
    return td;
  }

  function buildRow(meta) {
    const seq = Number(meta.seq);
    const cls = statusClass(meta.status);
    const tr = el('tr', { class: 'row', tabindex: '-1', 'data-seq': seq, 'aria-selected': 'false' });
    tr.append(
      el('td', { class: 'c-time' }, el('span', { class: 'seq' }, '#' + seq), ' ', el('time', { datetime: meta.time }, clock(meta.time))),
      el('td', { class: 'c-method' }, val(meta.method)),
      el('td', { class: 'c-target' }, val(meta.target)),
      el('td', { class: 'c-event' }, el('div', { class: 'cell-flex' },
        val(meta.event ? (meta.action ? meta.event + '.' + meta.action : meta.event) : '—', 'clip'),
        meta.replay_of ? el('span', { class: 'tag tag-replay' }, 'replay of #' + Number(meta.replay_of)) : null,
        meta.redelivery ? el('span', { class: 'tag' }, 'redelivery') : null)),
      el('td', { class: 'c-delivery' }, val(meta.delivery || '—', 'mono')),
      el('td', { class: 'c-status' }, el('span', { class: 'badge st-' + cls }, String(meta.status)), ' ', val(meta.reason, 'reason')),
      answerCell(meta),
      el('td', { class: 'c-size num' }, humanBytes(meta.size)),
      el('td', { class: 'c-latency num' }, ms(meta.duration_ms)),
    );
    if (seq === state.openSeq) tr.setAttribute('aria-selected', 'true');
    tr.hidden = !matches(meta);
    return tr;
  }

  // insert puts meta into the list in seq order (newest first), replacing
  // the row of the same seq when there is one.
  function insert(meta) {
    const seq = Number(meta.seq);
    if (!Number.isSafeInteger(seq) || seq <= 0) return;
    if (meta.event) addEvent(meta.event);
    const known = state.byseq.get(seq);
    const row = buildRow(meta);
    if (known) {
      const wasFocused = document.activeElement === known.row;
      row.tabIndex = known.row.tabIndex;
      known.row.replaceWith(row);
      known.meta = meta;
      known.row = row;
      if (wasFocused) row.focus();
      return;
    }
    // Deliveries mostly come in seq order: the right place is near the top.
    let after = ui.rows.firstElementChild;
    while (after && Number(after.dataset.seq) > seq) after = after.nextElementSibling;
    ui.rows.insertBefore(row, after);
    state.byseq.set(seq, { meta, row });
    if (seq > state.lastSeq) state.lastSeq = seq;
    while (state.byseq.size > MAX) {
      const oldest = ui.rows.lastElementChild;
      const s = Number(oldest.dataset.seq);
      oldest.remove();
      state.byseq.delete(s);
    }
  }

  function addEvent(ev) {
    if (state.events.has(ev)) return;
    state.events.add(ev);
    const opt = text(el('option', { value: ev }), ev);
    let before = ui.event.options[1] || null;
    while (before && before.value.localeCompare(ev) < 0) before = before.nextElementSibling;
    ui.event.insertBefore(opt, before);
  }

  function resetList() {
    clear(ui.rows);
    state.byseq.clear();
    state.pending = [];
    state.queue = [];
    state.lastSeq = 0;
  }

  function applyFilters() {
    for (const { meta, row } of state.byseq.values()) row.hidden = !matches(meta);
    refresh();
  }

  // refresh updates what depends on the whole list: the counts, the empty
  // state, the roving tabindex and the pause counter.
  function refresh() {
    const byClass = new Map();
    const byStatus = new Map();
    let shown = 0;
    for (const { meta, row } of state.byseq.values()) {
      const c = statusClass(meta.status);
      byClass.set(c, (byClass.get(c) || 0) + 1);
      byStatus.set(meta.status, (byStatus.get(meta.status) || 0) + 1);
      if (!row.hidden) shown++;
    }
    clear(ui.counts);
    const total = state.byseq.size;
    ui.counts.append(el('span', { class: 'count-total' }, total + (total === 1 ? ' delivery' : ' deliveries')));
    if (shown !== total) ui.counts.append(el('span', { class: 'count-shown' }, shown + ' shown'));
    for (const c of ['2xx', '3xx', '4xx', '5xx', 'other']) {
      if (byClass.get(c)) ui.counts.append(el('span', { class: 'count st-' + c }, c + ' ' + byClass.get(c)));
    }
    if (byStatus.size) {
      const parts = [...byStatus.keys()].sort((a, b) => a - b).map((s) => statusLabel(s) + ': ' + byStatus.get(s));
      ui.counts.append(el('span', { class: 'count-status' }, 'by status: ' + parts.join(', ')));
    }

    clear(ui.empty);
    ui.empty.hidden = shown > 0;
    if (total === 0) {
      ui.empty.append(el('p', null, 'No deliveries yet. Send one:'));
      const url = state.session && state.session.listener;
      ui.empty.append(el('pre', { class: 'cmd' }, 'hooklab send push' + (url ? ' --url ' + url : '')));
    } else if (shown === 0) {
      ui.empty.append(el('p', null, 'No delivery matches the filters.'));
    }

    if (state.paused) {
      ui.pending.hidden = false;
      ui.pending.textContent = state.pending.length + ' new while paused';
    } else {
      ui.pending.hidden = true;
    }

    // Exactly one visible row is in the tab order.
    const focusable = ui.rows.querySelector('tr.row[tabindex="0"]:not([hidden])');
    if (!focusable) {
      for (const r of ui.rows.querySelectorAll('tr.row[tabindex="0"]')) r.tabIndex = -1;
      const first = ui.rows.querySelector('tr.row:not([hidden])');
      if (first) first.tabIndex = 0;
    }
  }

  function enqueue(meta) {
    if (state.paused) {
      state.pending.push(meta);
      if (state.pending.length > MAX) state.pending.splice(0, state.pending.length - MAX);
      ui.pending.hidden = false;
      ui.pending.textContent = state.pending.length + ' new while paused';
      return;
    }
    state.queue.push(meta);
    if (!state.flushTimer) state.flushTimer = setTimeout(flush, 25);
  }

  function flush() {
    state.flushTimer = 0;
    const q = state.queue;
    state.queue = [];
    // Only the newest MAX can stay in the list anyway.
    for (const meta of q.length > MAX ? q.slice(q.length - MAX) : q) insert(meta);
    refresh();
  }

  function setPaused(p) {
    state.paused = p;
    ui.pause.setAttribute('aria-pressed', String(p));
    ui.pause.textContent = p ? 'Resume' : 'Pause';
    ui.pause.classList.toggle('active', p);
    if (!p) {
      const held = state.pending;
      state.pending = [];
      for (const meta of held) state.queue.push(meta);
      flush();
    } else {
      refresh();
    }
  }

  // ---- loading and the live stream --------------------------------------

  async function getJSON(url, init) {
    const res = await fetch(url, { cache: 'no-store', credentials: 'same-origin', ...init });
    let body = null;
    try {
      body = await res.json();
    } catch {
      body = null;
    }
    if (!res.ok) {
      const msg = body && typeof body.error === 'string' ? body.error : res.status + ' ' + (res.statusText || '');
      const err = new Error(msg);
      err.status = res.status;
      err.body = body;
      throw err;
    }
    return body;
  }

  function setConn(kind, label) {
    ui.conn.className = 'conn conn-' + kind;
    ui.conn.textContent = label;
  }

  function showSession(s) {
    clear(ui.session);
    const item = (k, v) => { if (v) ui.session.append(el('div', { class: 's-' + k }, el('dt', null, k), el('dd', null, val(v, 'mono')))); };
    item('listener', s.listener);
    item('provider', s.provider);
    item('forward', s.forward);
    item('record', s.record);
  }

  // load (re)reads the session and the list, then follows the stream from
  // where the list ends.
  async function load() {
    const gen = ++state.generation;
    if (state.es) { state.es.close(); state.es = null; }
    clearTimeout(state.retryTimer);
    try {
      const session = await getJSON('/api/session');
      const list = await getJSON('/api/deliveries');
      if (gen !== state.generation) return;
      state.session = session;
      showSession(session);
      fillList(list);
      connect(gen, Number(list.last_seq) || state.lastSeq);
    } catch (err) {
      if (gen !== state.generation) return;
      setConn('down', 'offline: retrying');
      state.retryTimer = setTimeout(load, 2000);
    }
  }

  function fillList(list) {
    resetList();
    const ds = Array.isArray(list.deliveries) ? list.deliveries : [];
    // Newest first from the server; keep the newest MAX.
    for (const meta of ds.slice(0, MAX).reverse()) insert(meta);
    if (Number(list.last_seq) > state.lastSeq) state.lastSeq = Number(list.last_seq);
    refresh();
  }

  async function reloadList() {
    const gen = state.generation;
    try {
      const list = await getJSON('/api/deliveries');
      if (gen !== state.generation) return;
      fillList(list);
    } catch {
      // The stream's own error handling will reload.
    }
  }

  function connect(gen, after) {
    const es = new EventSource('/api/events?after=' + encodeURIComponent(String(after)));
    state.es = es;
    setConn('connecting', 'connecting…');
    es.addEventListener('open', () => { if (gen === state.generation) setConn('live', 'live'); });
    es.addEventListener('hello', (e) => {
      if (gen !== state.generation) return;
      setConn('live', 'live');
      let hello;
      try { hello = JSON.parse(e.data); } catch { return; }
      if (state.session && hello.run !== state.session.run) {
        // Another listen run: its seqs start again. Start over.
        load();
      }
    });
    es.addEventListener('delivery', (e) => {
      if (gen !== state.generation) return;
      let meta;
      try { meta = JSON.parse(e.data); } catch { return; }
      enqueue(meta);
    });
    es.addEventListener('gap', () => {
      if (gen !== state.generation) return;
      reloadList();
    });
    es.addEventListener('error', () => {
      if (gen !== state.generation) return;
      if (es.readyState === EventSource.CLOSED) {
        // The browser gave up (an answer that was not a stream): start over.
        setConn('down', 'offline: retrying');
        state.retryTimer = setTimeout(load, 2000);
      } else {
        setConn('reconnecting', 'reconnecting…');
      }
    });
  }

  // ---- detail ----------------------------------------------------------

  function section(title, ...children) {
    return el('section', { class: 'block' }, el('h3', null, title), ...children);
  }

  function kv(rows) {
    const dl = el('dl', { class: 'kv' });
    for (const [k, v] of rows) {
      if (v === undefined || v === null || v === '') continue;
      dl.append(el('div', null, el('dt', null, k), el('dd', null, v instanceof Node ? v : val(v))));
    }
    return dl;
  }

  function headersTable(headers, signatureHeader) {
    const table = el('table', { class: 'headers' });
    const tbody = el('tbody');
    for (const h of Array.isArray(headers) ? headers : []) {
      const [name, value] = Array.isArray(h) ? h : ['', ''];
      const isSig = SIGNATURE_HEADER.test(String(name)) ||
        (signatureHeader && String(name).toLowerCase() === String(signatureHeader).toLowerCase());
      const tr = el('tr', { class: isSig ? 'sig' : null },
        el('th', { scope: 'row' }, val(name, 'mono'), isSig ? el('span', { class: 'tag tag-sig' }, 'signature') : null),
        el('td', null, val(value, 'mono')));
      tbody.append(tr);
    }
    table.append(tbody);
    return table;
  }

  // ---- JSON: a small parser that keeps what JSON.parse loses --------------
  // (number literals as written, duplicate keys, key order), so the tree
  // shows the bytes that were sent.

  function parseJSON(s) {
    let i = 0;
    let nodes = 0;
    const ws = () => { while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++; };
    const fail = () => { throw new SyntaxError('not JSON at ' + i); };
    const str = () => {
      // s[i] is '"'; JSON.parse decodes the escapes once we know the extent.
      const start = i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\') i++;
        else if (s.charCodeAt(i) < 0x20) fail();
        i++;
      }
      if (i >= s.length) fail();
      i++;
      return JSON.parse(s.slice(start, i));
    };
    const value = (depth) => {
      if (depth > JSON_DEPTH_LIMIT || ++nodes > JSON_NODE_LIMIT) throw new RangeError('too large to show as a tree');
      ws();
      const c = s[i];
      if (c === '{') {
        i++;
        const entries = [];
        ws();
        if (s[i] === '}') { i++; return { t: 'obj', entries }; }
        for (;;) {
          ws();
          if (s[i] !== '"') fail();
          const k = str();
          ws();
          if (s[i++] !== ':') fail();
          entries.push([k, value(depth + 1)]);
          ws();
          if (s[i] === ',') { i++; continue; }
          if (s[i] === '}') { i++; return { t: 'obj', entries }; }
          fail();
        }
      }
      if (c === '[') {
        i++;
        const items = [];
        ws();
        if (s[i] === ']') { i++; return { t: 'arr', items }; }
        for (;;) {
          items.push(value(depth + 1));
          ws();
          if (s[i] === ',') { i++; continue; }
          if (s[i] === ']') { i++; return { t: 'arr', items }; }
          fail();
        }
      }
      if (c === '"') return { t: 'str', v: str() };
      const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(s.slice(i, i + 400));
      if (!m) fail();
      i += m[0].length;
      return { t: /\d/.test(m[0][m[0].length - 1]) ? 'num' : 'lit', v: m[0] };
    };
    const root = value(0);
    ws();
    if (i !== s.length) fail();
    return root;
  }

  function jsonScalar(node) {
    switch (node.t) {
      case 'str': return el('span', { class: 'j-str' }, '"', val(node.v), '"');
      case 'num': return el('span', { class: 'j-num' }, node.v);
      default: return el('span', { class: 'j-lit' }, node.v);
    }
  }

  function jsonTree(node, key, depth, last) {
    // Object keys are shown quoted; array items go without their index.
    const keyEl = typeof key === 'string' ? el('span', { class: 'j-key' }, '"', val(key), '": ') : null;
    const comma = last ? null : el('span', { class: 'j-punct' }, ',');
    if (node.t !== 'obj' && node.t !== 'arr') {
      return el('div', { class: 'j-line' }, keyEl, jsonScalar(node), comma);
    }
    const isObj = node.t === 'obj';
    const kids = isObj ? node.entries : node.items;
    const [open, close] = isObj ? ['{', '}'] : ['[', ']'];
    if (kids.length === 0) {
      return el('div', { class: 'j-line' }, keyEl, el('span', { class: 'j-punct' }, open + close), comma);
    }
    const det = el('details', { class: 'j-node', open: depth < 3 });
    const count = kids.length + (isObj ? (kids.length === 1 ? ' key' : ' keys') : (kids.length === 1 ? ' item' : ' items'));
    det.append(el('summary', null, keyEl, el('span', { class: 'j-punct' }, open), el('span', { class: 'j-count' }, count)));
    const body = el('div', { class: 'j-kids' });
    kids.forEach((kid, n) => {
      const isLast = n === kids.length - 1;
      body.append(isObj ? jsonTree(kid[1], kid[0], depth + 1, isLast) : jsonTree(kid, n, depth + 1, isLast));
    });
    det.append(body, el('div', { class: 'j-line' }, el('span', { class: 'j-punct' }, close), comma));
    return det;
  }

  function hexDump(bytes) {
    const n = Math.min(bytes.length, HEX_LIMIT);
    const lines = [];
    for (let off = 0; off < n; off += 16) {
      const chunk = bytes.subarray(off, Math.min(off + 16, n));
      let hex = '';
      let ascii = '';
      for (let j = 0; j < 16; j++) {
        if (j < chunk.length) {
          hex += chunk[j].toString(16).padStart(2, '0') + ' ';
          ascii += chunk[j] >= 0x20 && chunk[j] < 0x7f ? String.fromCharCode(chunk[j]) : '.';
        } else {
          hex += '   ';
        }
        if (j === 7) hex += ' ';
      }
      lines.push(off.toString(16).padStart(8, '0') + '  ' + hex + ' |' + ascii + '|');
    }
    // Only printable ASCII is left in the dump: plain text is safe.
    const pre = el('pre', { class: 'code hex' });
    pre.textContent = lines.join('\n');
    return pre;
  }

  function bodyView(b64, what, complete, seq) {
    const bytes = decodeBase64(b64);
    const wrap = el('div', { class: 'body' });
    const notes = [];
    if (complete === false) notes.push('The body did not arrive whole: this is what had been read when it was refused.');
    if (bytes.length === 0) {
      wrap.append(el('p', { class: 'muted' }, 'No body.'));
      if (notes.length) wrap.append(el('p', { class: 'note' }, notes.join(' ')));
      return wrap;
    }
    const txt = utf8.decode(bytes.length > TEXT_LIMIT ? bytes.subarray(0, TEXT_LIMIT) : bytes);

    const views = [];
    let tree = null;
    try {
      if (bytes.length <= TEXT_LIMIT) tree = parseJSON(txt);
    } catch (e) {
      if (e instanceof RangeError) notes.push('The JSON is too large or deep to show as a tree.');
    }
    if (!tree) {
      // GitHub's form mode: payload=<urlencoded JSON>.
      try {
        const p = new URLSearchParams(txt).get('payload');
        if (p) tree = parseJSON(p);
      } catch { tree = null; }
    }
    if (tree) views.push(['JSON', () => el('div', { class: 'code json' }, jsonTree(tree, undefined, 0, true))]);
    views.push(['Raw', () => {
      const pre = text(el('pre', { class: 'code raw' }), txt, true);
      return pre;
    }]);
    views.push(['Hex', () => hexDump(bytes)]);
    if (bytes.length > TEXT_LIMIT) notes.push('Showing the first ' + humanBytes(TEXT_LIMIT) + '; download the body for the rest.');
    if (bytes.length > HEX_LIMIT) notes.push('The hex view shows the first ' + humanBytes(HEX_LIMIT) + '.');

    wrap.append(tabs(views, what + '-' + seq));
    if (notes.length) wrap.append(el('p', { class: 'note' }, notes.join(' ')));
    return wrap;
  }

  // tabs builds a tab list over views ([label, build]); each panel is built
  // when first shown.
  function tabs(views, idBase) {
    const box = el('div', { class: 'tabs' });
    const list = el('div', { class: 'tablist', role: 'tablist' });
    const panels = el('div', { class: 'panels' });
    const built = new Map();
    const buttons = [];
    const select = (n, focus) => {
      buttons.forEach((b, j) => {
        b.setAttribute('aria-selected', String(j === n));
        b.tabIndex = j === n ? 0 : -1;
      });
      if (!built.has(n)) {
        const panel = el('div', { class: 'panel', role: 'tabpanel', id: idBase + '-p' + n, 'aria-labelledby': idBase + '-t' + n, tabindex: '0' }, views[n][1]());
        built.set(n, panel);
        panels.append(panel);
      }
      for (const [j, p] of built) p.hidden = j !== n;
      if (focus) buttons[n].focus();
    };
    views.forEach(([label], n) => {
      const b = el('button', { type: 'button', role: 'tab', class: 'tab', id: idBase + '-t' + n, 'aria-controls': idBase + '-p' + n, 'data-view': label.toLowerCase() }, label);
      b.addEventListener('click', () => select(n, false));
      b.addEventListener('keydown', (e) => {
        if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
          e.preventDefault();
          e.stopPropagation();
          select((n + (e.key === 'ArrowRight' ? 1 : views.length - 1)) % views.length, true);
        }
      });
      buttons.push(b);
      list.append(b);
    });
    box.append(list, panels);
    select(0, false);
    return box;
  }

  function verdictWords(d) {
    const st = Number(d.status);
    const f = d.forward;
    if (f && st >= 200 && st < 300) {
      if (f.status) return 'Verified and forwarded: the app answered ' + statusLabel(Number(f.status)) + '.';
      return 'Verified, but the app gave no answer: the sender got ' + statusLabel(Number(d.answered) || 502) + '.';
    }
    if (st >= 200 && st < 300) return 'Accepted: hooklab answered ' + statusLabel(st) + '.';
    return 'Refused: hooklab answered ' + statusLabel(st) + '.';
  }

  async function copy(textToCopy, where) {
    clear(where);
    try {
      if (!navigator.clipboard || !window.isSecureContext) throw new Error('no clipboard');
      await navigator.clipboard.writeText(textToCopy);
      where.append(el('span', { class: 'ok' }, 'Copied.'));
    } catch {
      const ta = el('textarea', { readonly: true, rows: '4', class: 'copy-fallback', 'aria-label': 'Copy this text' });
      ta.value = textToCopy;
      where.append(el('p', { class: 'muted' }, 'The clipboard is not available here: copy it from this box.'), ta);
      ta.focus();
      ta.select();
    }
  }

  async function replay(seq, to, resign, out) {
    clear(out);
    out.append(el('span', { class: 'muted' }, 'Replaying…'));
    let res;
    let body = null;
    try {
      res = await fetch('/api/deliveries/' + seq + '/replay', {
        method: 'POST',
        cache: 'no-store',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-Hooklab-Token': (state.session && state.session.token) || '' },
        body: JSON.stringify({ to, resign }),
      });
      try { body = await res.json(); } catch { body = null; }
    } catch (err) {
      clear(out);
      out.append(el('span', { class: 'err' }, 'Replay failed: the inspector did not answer.'));
      return;
    }
    clear(out);
    const r = body || {};
    if (!res.ok) {
      const why = r.error || r.Error || (res.status + ' ' + res.statusText);
      out.append(el('span', { class: 'err' }, 'Replay failed (' + res.status + '): ', val(why)));
      return;
    }
    const st = Number(r.status);
    const line = el('span', { class: 'replay-result' }, 'Replayed to the ' + (to === 'forward' ? 'app' : 'listener') + (resign ? ', re-signed' : ', verbatim') + ': ');
    if (st) line.append(el('span', { class: 'badge st-' + statusClass(st) }, String(st)), ' ', val(r.reason || STATUS_TEXT[st] || ''));
    if (r.error) line.append(' ', el('span', { class: 'err' }, val(r.error)));
    out.append(line);
    const newSeq = Number(r.seq);
    if (Number.isSafeInteger(newSeq) && newSeq > 0) {
      const b = el('button', { type: 'button', class: 'link', 'data-open': newSeq }, 'open #' + newSeq);
      b.addEventListener('click', () => open(newSeq));
      out.append(' ', b);
    }
  }

  function actions(d, seq) {
    const box = el('div', { class: 'actions' });
    const out = el('div', { class: 'action-out', 'aria-live': 'polite' });
    const copyBtn = (label, value, id, why) => {
      const b = el('button', { type: 'button', class: 'btn', id, disabled: !value, title: value ? null : why }, label);
      if (value) b.addEventListener('click', () => copy(String(value), out));
      return b;
    };
    const row1 = el('div', { class: 'btnrow' },
      copyBtn('Copy as curl', d.curl, 'copy-curl', d.curl_error || 'not available'),
      d.replay_command ? copyBtn('Copy hooklab replay', d.replay_command, 'copy-replay') : null,
      copyBtn('Copy hooklab send', d.send_command, 'copy-send'),
      // Built from the number alone: the server serves it as an attachment.
      el('a', { class: 'btn', id: 'download', href: '/api/deliveries/' + seq + '/body', download: 'hooklab-seq-' + seq + '.body' }, 'Download body'));

    const s = state.session || {};
    const resign = el('input', { type: 'checkbox', id: 'resign', disabled: !s.can_resign });
    const resignLabel = el('label', { class: 'check', for: 'resign', title: s.can_resign ? 'sign again with the secret and a fresh timestamp' : 'this listener cannot re-sign (no secret to sign with)' }, resign, ' re-sign');
    const toListener = el('button', { type: 'button', class: 'btn btn-primary', id: 'replay-listener' }, 'Replay to listener');
    const toApp = el('button', { type: 'button', class: 'btn', id: 'replay-forward', disabled: !s.forward, title: s.forward ? null : 'no --forward-to target' }, 'Replay to app');
    toListener.addEventListener('click', () => replay(seq, 'listener', resign.checked, out));
    toApp.addEventListener('click', () => replay(seq, 'forward', resign.checked, out));
    const row2 = el('div', { class: 'btnrow' }, toListener, toApp, resignLabel);
    box.append(row1, row2, out);
    return box;
  }

  function outputBlock(label, b64) {
    const bytes = decodeBase64(b64);
    if (!bytes.length) return null;
    return el('div', { class: 'output' }, el('h4', null, label), text(el('pre', { class: 'code raw' }), utf8.decode(bytes), true));
  }

  function answerSection(d) {
    const parts = [];
    if (d.forward) {
      const f = d.forward;
      const rows = [
        ['status', f.status ? el('span', null, el('span', { class: 'badge st-' + statusClass(f.status) }, String(f.status)), ' ', val(STATUS_TEXT[f.status] || '')) : 'no answer'],
        ['reason', f.reason], ['error', f.error], ['latency', ms(f.latency_ms)],
      ];
      parts.push(el('p', null, 'Forwarded to the app; the sender got ' + statusLabel(Number(d.answered) || Number(d.status)) + '.'));
      parts.push(kv(rows));
      if (Array.isArray(f.headers) && f.headers.length) parts.push(el('h4', null, 'Headers'), headersTable(f.headers));
      if (f.body) {
        parts.push(el('h4', null, 'Body'), bodyView(f.body, 'app', true, d.seq));
        if (f.body_truncated) parts.push(el('p', { class: 'note' }, 'The app\'s body was cut short in the capture.'));
      }
    } else {
      parts.push(el('p', null, 'hooklab answered ' + statusLabel(Number(d.answered) || Number(d.status)) + ' itself (no --forward-to).'));
    }
    if (d.exec) {
      const x = d.exec;
      parts.push(el('h4', null, 'Command'));
      parts.push(kv([
        ['program', x.program],
        ['exit', x.queued && !x.duration_ms && !x.reason ? 'queued: runs after the answer' : String(x.exit_code)],
        ['reason', x.reason], ['error', x.error], ['took', ms(x.duration_ms)],
      ]));
      if (x.truncated) parts.push(el('p', { class: 'note' }, 'The output was cut short in the capture.'));
      const so = outputBlock('stdout', x.stdout);
      const se = outputBlock('stderr', x.stderr);
      if (so) parts.push(so);
      if (se) parts.push(se);
      if (!so && !se) parts.push(el('p', { class: 'muted' }, 'No output.'));
    }
    return section('Answer', ...parts);
  }

  function renderDetail(d) {
    const seq = Number(d.seq);
    const pane = ui.detail;
    clear(pane);
    const st = Number(d.status);
    const head = el('header', { class: 'detail-head' },
      el('h2', { id: 'detail-title', tabindex: '-1' }, 'Delivery #' + seq),
      el('button', { type: 'button', class: 'btn close', id: 'close', 'aria-label': 'Close (Escape)' }, 'Close ✕'));
    head.querySelector('#close').addEventListener('click', close);
    pane.append(head);

    const verdict = el('div', { class: 'verdict st-' + statusClass(st) },
      el('div', { class: 'verdict-line' }, el('span', { class: 'badge big st-' + statusClass(st) }, String(st)), ' ',
        el('strong', null, verdictWords(d)), ' ', d.reason ? el('code', { class: 'reason' }, val(d.reason)) : null),
      d.detail ? el('p', { class: 'verdict-detail' }, val(d.detail)) : null,
      d.why ? el('p', { class: 'verdict-why' }, el('strong', null, 'Why: '), val(d.why)) : null);
    pane.append(verdict);

    const meta = [
      ['event', d.event], ['action', d.action], ['summary', d.summary], ['delivery', d.delivery],
      ['received', d.time ? new Date(d.time).toLocaleString() : ''], ['took', ms(d.duration_ms)],
      ['size', humanBytes(Number(d.size))], ['from', d.remote],
      ['provider', state.session && d.provider === state.session.provider ? '' : d.provider], ['redelivery', d.redelivery ? 'yes (the provider sent this id again)' : ''],
    ];
    if (Number(d.replay_of)) {
      const b = el('button', { type: 'button', class: 'link', id: 'replay-of' }, 'replay of #' + Number(d.replay_of));
      b.addEventListener('click', () => open(Number(d.replay_of)));
      meta.push(['replay', b]);
    }
    pane.append(kv(meta));

    pane.append(section('Actions', actions(d, seq)));

    const reqLine = el('div', { class: 'reqline mono' }, val(d.method), ' ', val(d.target, 'target'), d.proto ? ' ' : null, d.proto ? val(d.proto) : null);
    const orderNote = d.headers_order && d.headers_order !== 'wire'
      ? el('p', { class: 'note' }, 'The wire order was not recorded: headers are sorted by name.') : null;
    pane.append(section('Request', reqLine, headersTable(d.headers, d.signature_header), orderNote));

    const dropped = d.body_dropped
      ? el('p', { class: 'note' }, 'The body was too large to keep in memory: only its hash is known. The capture file (--record) has it.') : null;
    pane.append(section('Body', dropped, dropped ? null : bodyView(d.body, 'req', d.body_complete, seq),
      d.body_sha256 ? el('p', { class: 'muted small' }, 'sha256 ', val(d.body_sha256, 'mono')) : null));

    pane.append(answerSection(d));
  }

  async function open(seq) {
    seq = Number(seq);
    if (!Number.isSafeInteger(seq) || seq <= 0) return;
    state.openSeq = seq;
    for (const r of ui.rows.querySelectorAll('tr.row[aria-selected="true"]')) r.setAttribute('aria-selected', 'false');
    const entry = state.byseq.get(seq);
    if (entry) {
      entry.row.setAttribute('aria-selected', 'true');
      setRoving(entry.row);
    }
    if (state.openCtl) state.openCtl.abort();
    const ctl = new AbortController();
    state.openCtl = ctl;
    document.body.classList.add('has-detail');
    ui.detail.hidden = false;
    clear(ui.detail);
    ui.detail.append(el('p', { class: 'muted pad' }, 'Loading #' + seq + '…'));
    try {
      const d = await getJSON('/api/deliveries/' + seq, { signal: ctl.signal });
      if (state.openSeq !== seq) return;
      renderDetail(d);
      ui.detail.scrollTop = 0;
      if (window.matchMedia('(max-width: 900px)').matches) ui.detail.querySelector('#detail-title').focus();
    } catch (err) {
      if (err.name === 'AbortError' || state.openSeq !== seq) return;
      clear(ui.detail);
      const close_ = el('button', { type: 'button', class: 'btn close', id: 'close' }, 'Close ✕');
      close_.addEventListener('click', close);
      ui.detail.append(el('header', { class: 'detail-head' }, el('h2', null, 'Delivery #' + seq), close_),
        el('p', { class: 'err pad' }, err.status === 404 ? 'The listener no longer holds this delivery (it keeps the latest ' + MAX + ').' : 'Could not load it: ', err.status === 404 ? null : val(err.message)));
    }
  }

  function close() {
    const seq = state.openSeq;
    state.openSeq = 0;
    if (state.openCtl) state.openCtl.abort();
    ui.detail.hidden = true;
    clear(ui.detail);
    document.body.classList.remove('has-detail');
    const entry = state.byseq.get(seq);
    if (entry) {
      entry.row.setAttribute('aria-selected', 'false');
      if (!entry.row.hidden) entry.row.focus();
    }
  }

  function setRoving(row) {
    for (const r of ui.rows.querySelectorAll('tr.row[tabindex="0"]')) r.tabIndex = -1;
    row.tabIndex = 0;
  }

  function move(from, dir) {
    let r = from;
    do {
      r = dir > 0 ? r.nextElementSibling : r.previousElementSibling;
    } while (r && r.hidden);
    if (r) {
      setRoving(r);
      r.focus();
    }
  }

  // ---- wiring ------------------------------------------------------------

  ui.rows.addEventListener('click', (e) => {
    const row = e.target.closest('tr.row');
    if (row) {
      setRoving(row);
      open(row.dataset.seq);
    }
  });
  ui.rows.addEventListener('keydown', (e) => {
    const row = e.target.closest('tr.row');
    if (!row || e.altKey || e.ctrlKey || e.metaKey) return;
    switch (e.key) {
      case 'ArrowDown': case 'j': e.preventDefault(); move(row, 1); break;
      case 'ArrowUp': case 'k': e.preventDefault(); move(row, -1); break;
      case 'Home': e.preventDefault(); { const f = ui.rows.querySelector('tr.row:not([hidden])'); if (f) { setRoving(f); f.focus(); } } break;
      case 'End': e.preventDefault(); { const all = ui.rows.querySelectorAll('tr.row:not([hidden])'); const l = all[all.length - 1]; if (l) { setRoving(l); l.focus(); } } break;
      case 'Enter': case ' ': e.preventDefault(); open(row.dataset.seq); break;
    }
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && state.openSeq) {
      e.preventDefault();
      close();
      return;
    }
    const t = e.target;
    const typing = t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement;
    if (typing || e.altKey || e.ctrlKey || e.metaKey) return;
    if ((e.key === 'j' || e.key === 'k') && !t.closest?.('tr.row')) {
      // From anywhere else, j/k enter the list.
      const row = ui.rows.querySelector('tr.row[tabindex="0"]:not([hidden])') || ui.rows.querySelector('tr.row:not([hidden])');
      if (row) { e.preventDefault(); row.focus(); }
    } else if (e.key === '/' && !t.closest?.('tr.row, .detail-pane')) {
      e.preventDefault();
      ui.text.focus();
    }
  });
  for (const box of Object.values(ui.classes)) box.addEventListener('change', applyFilters);
  ui.event.addEventListener('change', applyFilters);
  ui.text.addEventListener('input', applyFilters);
  ui.pause.addEventListener('click', () => setPaused(!state.paused));

  refresh();
  load();
})();
