// OrleansPrices — buy-signal list with live prices.
//
// REST  GET /api/stocks/signal/buy[?strategy=]  the list (re-fetched every 30 s and on every reconnect)
// WS    /ws/stock/prices                        price_update rows, applied to the table by `code`
//
// Plain browser JavaScript: no build step, no framework, no external assets.
(() => {
  'use strict';

  const API = '/api/stocks/signal/buy';
  const WS_PATH = '/ws/stock/prices';
  const LIST_REFRESH_MS = 30_000;   // signals enter and leave; there is no list push yet
  const LIST_LOADING_RETRY_MS = 2_000;
  const LIST_ERROR_RETRY_MS = 5_000;
  const DEFAULT_HEARTBEAT_S = 30;   // client ping interval unless `connected` announces another
  const BACKOFF_MIN_MS = 1_000;
  const BACKOFF_MAX_MS = 30_000;
  const STABLE_CONNECTION_MS = 10_000; // a connection that lived this long resets the backoff
  const COLORS_KEY = 'orleansprices.colors';

  const STRATEGIES = {
    volume_ratio: '量比放量突破',
    ma_cross: '均线金叉',
  };

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $('status'),
    statusText: $('status-text'),
    msgCount: $('msg-count'),
    lastUpdate: $('last-update'),
    parseErrors: $('parse-errors'),
    parseErrorsWrap: $('parse-errors-wrap'),
    signalCount: $('signal-count'),
    listUpdated: $('list-updated'),
    listMessage: $('list-message'),
    table: $('signals'),
    tbody: $('signals').tBodies[0],
    strategy: $('strategy'),
    colorsToggle: $('colors-toggle'),
    colorsLabel: $('colors-label'),
    rowTemplate: $('row-template'),
  };

  const state = {
    strategy: '',
    rows: new Map(),    // `${strategy}:${code}` -> <tr>
    byCode: new Map(),  // code -> Set<tr> (a stock can be on several strategies' lists)
    quotes: new Map(),  // code -> latest WebSocket quote {price, change_percent, volume, at}
    emptyRow: null,
    fetchSeq: 0,
    fetchAbort: null,
    listTimer: 0,
    fetches: 0,
    ws: null,
    attempt: 0,
    connectedOnce: false,
    openedAt: 0,
    lastMessageAt: 0,
    heartbeatS: DEFAULT_HEARTBEAT_S,
    pingTimer: 0,
    reconnectTimer: 0,
    countdownTimer: 0,
    messages: 0,
    parseErrors: 0,
    serverErrors: 0,
  };

  // ---------------------------------------------------------------- formatting

  const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
  const toNum = (v) => (v === null || v === undefined || v === '' ? null : Number(v));
  const dash = '—';

  const fmtPrice = (p) => (isNum(p) ? p.toFixed(2) : dash);
  const fmtRatio = (r) => (isNum(r) ? r.toFixed(2) : dash);
  const fmtChange = (c) => (isNum(c) ? `${c > 0 ? '+' : ''}${c.toFixed(2)}%` : dash);

  /** Shares, in the 万股 / 亿股 style of Chinese quote screens. */
  function fmtVolume(v) {
    if (!isNum(v)) return dash;
    if (v >= 1e8) return `${(v / 1e8).toFixed(2)}亿股`;
    if (v >= 1e4) return `${(v / 1e4).toFixed(2)}万股`;
    return `${v}股`;
  }

  const direction = (change) => (!isNum(change) || change === 0 ? 'flat' : change > 0 ? 'up' : 'down');

  /** "2026-11-26T14:30:01.123456+08:00" -> "14:30:01" (Beijing time as sent). */
  function fmtServerTime(iso) {
    const m = typeof iso === 'string' && /T(\d{2}:\d{2}:\d{2})/.exec(iso);
    return m ? m[1] : beijingTime();
  }

  /** Now, in Beijing time like the server's timestamps (the browser may sit in another zone). */
  function beijingTime() {
    try {
      return new Date().toLocaleTimeString('zh-CN', { hour12: false, timeZone: 'Asia/Shanghai' });
    } catch {
      return new Date().toLocaleTimeString('zh-CN', { hour12: false });
    }
  }

  // ---------------------------------------------------------------- colours

  function readColorsPreference() {
    const param = new URLSearchParams(location.search).get('colors');
    if (param === 'western') return 'western';
    if (param === 'cn' || param === 'a-share' || param === 'ashare') return 'cn';
    try {
      return localStorage.getItem(COLORS_KEY) === 'western' ? 'western' : 'cn';
    } catch {
      return 'cn';
    }
  }

  function setColors(mode) {
    const western = mode === 'western';
    document.body.classList.toggle('western', western);
    document.documentElement.dataset.colors = western ? 'western' : 'cn';
    ui.colorsToggle.setAttribute('aria-pressed', String(western));
    ui.colorsToggle.dataset.colors = western ? 'western' : 'cn';
    ui.colorsLabel.textContent = western ? '绿涨红跌 Western' : '红涨绿跌 A股';
  }

  function toggleColors() {
    const next = document.body.classList.contains('western') ? 'cn' : 'western';
    setColors(next);
    try {
      localStorage.setItem(COLORS_KEY, next);
    } catch (e) {
      console.warn('[colors] cannot persist the choice', e);
    }
    // An explicit ?colors= would override the stored choice on reload: keep the URL in step.
    const url = new URL(location.href);
    if (url.searchParams.has('colors')) {
      url.searchParams.set('colors', next);
      history.replaceState(null, '', url);
    }
  }

  // ---------------------------------------------------------------- table

  function setListMessage(text, isError = false) {
    ui.listMessage.textContent = text;
    ui.listMessage.classList.toggle('error', isError);
  }

  function showEmpty(text) {
    if (!state.emptyRow) {
      state.emptyRow = document.createElement('tr');
      state.emptyRow.className = 'empty';
      state.emptyRow.dataset.testid = 'empty';
      state.emptyRow.innerHTML = '<td colspan="9"></td>';
    }
    state.emptyRow.cells[0].textContent = text;
    ui.tbody.replaceChildren(state.emptyRow);
  }

  function createRow(s) {
    const tr = ui.rowTemplate.content.firstElementChild.cloneNode(true);
    tr.dataset.code = s.code;
    tr.dataset.strategy = s.strategy;
    tr.id = `row-${s.strategy}-${s.code}`;
    const cell = (cls) => tr.querySelector(`td.${cls}`);
    tr.cellsByName = {
      code: cell('code'),
      name: cell('name'),
      market: cell('market'),
      strategy: cell('strategy'),
      reason: cell('reason'),
      vr: cell('vr'),
      price: cell('price'),
      change: cell('change'),
      volume: cell('volume'),
    };
    return tr;
  }

  function setText(td, text) {
    if (td.textContent !== text) td.textContent = text;
  }

  /** The signal's own fields (everything but the live quote). */
  function fillSignal(tr, s) {
    const c = tr.cellsByName;
    tr.dataset.tsCode = s.ts_code ?? '';
    setText(c.code, s.code);
    c.code.title = s.ts_code ?? s.code;
    setText(c.name, s.name ?? '');
    const badge = c.market.firstElementChild;
    setText(badge, s.market ?? '');
    badge.className = `badge ${s.market ?? ''}`;
    const label = STRATEGIES[s.strategy];
    if (tr.dataset.strategyRendered !== s.strategy) {
      c.strategy.replaceChildren(label ?? s.strategy);
      if (label) {
        const en = document.createElement('small');
        en.textContent = s.strategy;
        c.strategy.append(en);
      }
      tr.dataset.strategyRendered = s.strategy;
    }
    setText(c.reason, s.signal_reason ?? '');
    const since = s.since ? `\nsince ${s.since}` : '';
    c.reason.title = `${s.details ?? ''}${since}`.trim();
    setText(c.vr, fmtRatio(toNum(s.volume_ratio)));
  }

  function flash(td, kind) {
    const next = td.dataset.flash === 'a' ? 'b' : 'a'; // alternating names restart the animation
    td.classList.remove('flash-up-a', 'flash-up-b', 'flash-down-a', 'flash-down-b', 'flash-n-a', 'flash-n-b');
    td.classList.add(`flash-${kind}-${next}`);
    td.dataset.flash = next;
  }

  function setDirection(td, dir) {
    if (td.classList.contains(dir)) return;
    td.classList.remove('up', 'down', 'flat');
    td.classList.add(dir);
  }

  /** Writes a quote into a row; flashes the cells whose values changed when `animate`. */
  function applyQuote(tr, q, animate) {
    const c = tr.cellsByName;
    const oldPrice = tr.dataset.price === undefined ? null : toNum(tr.dataset.price);
    const oldVolume = tr.dataset.volume === undefined ? null : toNum(tr.dataset.volume);
    const dir = direction(q.change_percent);

    if (isNum(q.price)) tr.dataset.price = String(q.price); else delete tr.dataset.price;
    if (isNum(q.change_percent)) tr.dataset.change = String(q.change_percent); else delete tr.dataset.change;
    if (isNum(q.volume)) tr.dataset.volume = String(q.volume); else delete tr.dataset.volume;
    tr.dataset.direction = dir;

    setText(c.price, fmtPrice(q.price));
    setText(c.change, fmtChange(q.change_percent));
    setText(c.volume, fmtVolume(q.volume));
    c.volume.title = isNum(q.volume) ? `${q.volume.toLocaleString('en-US')} shares` : '';
    setDirection(c.price, dir);
    setDirection(c.change, dir);

    if (!animate) return;
    if (isNum(oldPrice) && isNum(q.price) && oldPrice !== q.price) {
      const tick = q.price > oldPrice ? 'up' : 'down';
      flash(c.price, tick);
      flash(c.change, tick);
    }
    if (isNum(oldVolume) && isNum(q.volume) && oldVolume !== q.volume) flash(c.volume, 'n');
  }

  /** Reconciles the table with a fetched list: keeps existing rows (and their live values), in list order. */
  function renderList(signals, fetchStartedAt) {
    const seen = new Set();
    let index = 0;
    if (state.emptyRow?.isConnected) state.emptyRow.remove();

    for (const s of signals) {
      if (!s || typeof s.code !== 'string') continue;
      const key = `${s.strategy}:${s.code}`;
      if (seen.has(key)) continue;
      seen.add(key);

      let tr = state.rows.get(key);
      const isNew = !tr;
      if (isNew) {
        tr = createRow(s);
        state.rows.set(key, tr);
        if (!state.byCode.has(s.code)) state.byCode.set(s.code, new Set());
        state.byCode.get(s.code).add(tr);
      }
      fillSignal(tr, s);

      // A WebSocket quote that arrived after this request started is newer than the list's price.
      const live = state.quotes.get(s.code);
      const rest = { price: toNum(s.price), change_percent: toNum(s.change_percent), volume: toNum(s.volume) };
      const q = live && (live.at >= fetchStartedAt || !isNum(rest.price)) ? live : rest;
      applyQuote(tr, q, !isNew);

      if (ui.tbody.children[index] !== tr) ui.tbody.insertBefore(tr, ui.tbody.children[index] ?? null);
      index++;
    }

    for (const [key, tr] of state.rows) {
      if (seen.has(key)) continue;
      tr.remove();
      state.rows.delete(key);
      const set = state.byCode.get(tr.dataset.code);
      set?.delete(tr);
      if (set?.size === 0) state.byCode.delete(tr.dataset.code);
    }

    if (state.rows.size === 0) showEmpty('暂无买入信号 · no buy signals right now');
    ui.signalCount.textContent = String(state.rows.size);
  }

  // ---------------------------------------------------------------- REST list

  async function fetchList(why) {
    clearTimeout(state.listTimer);
    state.fetchAbort?.abort();
    const abort = new AbortController();
    state.fetchAbort = abort;
    const seq = ++state.fetchSeq;
    const startedAt = performance.now();
    const url = state.strategy ? `${API}?strategy=${encodeURIComponent(state.strategy)}` : API;

    let retryIn = LIST_REFRESH_MS;
    try {
      const res = await fetch(url, { signal: abort.signal, cache: 'no-store', headers: { Accept: 'application/json' } });
      let body = null;
      try {
        body = await res.json();
      } catch {
        body = null;
      }
      if (seq !== state.fetchSeq) return; // superseded (strategy changed, reconnect, ...)

      if (res.status === 503 || body?.code === 503) {
        setListMessage('信号列表加载中，稍后重试… lists are loading');
        retryIn = LIST_LOADING_RETRY_MS;
      } else if (!res.ok || body?.code !== 200 || !body?.data) {
        setListMessage(`列表加载失败 · list failed: HTTP ${res.status} ${body?.message ?? ''}`.trim(), true);
        retryIn = LIST_ERROR_RETRY_MS;
      } else {
        renderList(Array.isArray(body.data.signals) ? body.data.signals : [], startedAt);
        setListMessage('');
        state.fetches++;
        ui.table.dataset.state = 'ready';
        ui.table.dataset.fetches = String(state.fetches);
        ui.table.dataset.versions = JSON.stringify(body.data.versions ?? {});
        ui.listUpdated.textContent = beijingTime();
        ui.listUpdated.title = `fetched (${why})`;
      }
    } catch (e) {
      if (e?.name === 'AbortError' || seq !== state.fetchSeq) return;
      console.warn('[list] fetch failed', e);
      setListMessage(`网络错误 · network error: ${e?.message ?? e}`, true);
      retryIn = LIST_ERROR_RETRY_MS;
    }
    if (seq === state.fetchSeq) state.listTimer = setTimeout(() => fetchList('timer'), retryIn);
  }

  // ---------------------------------------------------------------- WebSocket

  function setStatus(s, text) {
    ui.status.dataset.state = s;
    ui.statusText.textContent = text;
  }

  function wsUrl() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}${WS_PATH}`;
  }

  function connect() {
    clearTimeout(state.reconnectTimer);
    clearInterval(state.countdownTimer);
    setStatus('connecting', state.connectedOnce ? '重新连接中… reconnecting' : '连接中… connecting');

    let ws;
    try {
      ws = new WebSocket(wsUrl());
    } catch (e) {
      console.error('[ws] cannot open', e);
      scheduleReconnect();
      return;
    }
    state.ws = ws;
    state.openedAt = 0;
    ws.onopen = () => {
      state.openedAt = performance.now();
      state.lastMessageAt = state.openedAt;
    };
    ws.onmessage = (ev) => {
      if (ws === state.ws) onMessage(ev.data);
    };
    ws.onerror = () => { /* a close event follows */ };
    ws.onclose = (ev) => {
      if (ws !== state.ws) return;
      console.info(`[ws] closed ${ev.code} ${ev.reason || ''}`.trim());
      dropSocket();
    };
  }

  /** Forgets the current socket (closing it if still open) and schedules the next attempt. */
  function dropSocket(code, reason) {
    const ws = state.ws;
    state.ws = null;
    clearInterval(state.pingTimer);
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) {
        try { ws.close(code, reason); } catch { /* already closing */ }
      }
    }
    if (state.openedAt && performance.now() - state.openedAt >= STABLE_CONNECTION_MS) state.attempt = 0;
    scheduleReconnect();
  }

  /** Exponential backoff with jitter: ~1 s, 2 s, 4 s … capped at 30 s. */
  function scheduleReconnect() {
    clearTimeout(state.reconnectTimer);
    clearInterval(state.countdownTimer);
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(state.attempt, 10));
    const jittered = base * (0.75 + Math.random() * 0.5);
    const delay = Math.round(Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, jittered)));
    state.attempt++;
    const due = Date.now() + delay;
    const countdown = () => {
      const s = Math.max(1, Math.ceil((due - Date.now()) / 1000));
      setStatus('reconnecting', `重连中 · reconnecting in ${s}s`);
    };
    countdown();
    state.countdownTimer = setInterval(countdown, 250);
    state.reconnectTimer = setTimeout(connect, delay);
  }

  function startPing() {
    clearInterval(state.pingTimer);
    state.pingTimer = setInterval(() => {
      const ws = state.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN) return;
      // Nothing at all (not even a pong) for two heartbeats: the connection is dead.
      if (performance.now() - state.lastMessageAt > (2 * state.heartbeatS + 5) * 1000) {
        console.warn('[ws] no messages for two heartbeats; reconnecting');
        dropSocket(4000, 'heartbeat timeout');
        return;
      }
      ws.send('{"type":"ping"}');
    }, state.heartbeatS * 1000);
  }

  function countParseError(err, raw) {
    state.parseErrors++;
    ui.parseErrors.textContent = String(state.parseErrors);
    ui.parseErrorsWrap.hidden = false;
    const sample = typeof raw === 'string' ? raw.slice(0, 200) : `[${typeof raw}]`;
    console.error('[ws] unparseable message:', err?.message ?? err, sample);
  }

  function onMessage(raw) {
    state.messages++;
    state.lastMessageAt = performance.now();
    ui.msgCount.textContent = String(state.messages);

    let msg;
    try {
      msg = JSON.parse(raw);
    } catch (e) {
      countParseError(e, raw);
      return;
    }
    if (!msg || typeof msg !== 'object') {
      countParseError(new Error('not a JSON object'), raw);
      return;
    }

    try {
      switch (msg.type) {
        case 'price_update':
          if (!Array.isArray(msg.data)) throw new Error('price_update without a data array');
          applyUpdate(msg);
          break;
        case 'connected':
          onConnected(msg);
          break;
        case 'pong':
          break;
        case 'error':
          state.serverErrors++;
          console.warn(`[ws] server error ${msg.code}: ${msg.message}`);
          ui.status.title = `last server error: ${msg.code} ${msg.message ?? ''}`;
          break;
        default:
          console.debug('[ws] ignored message type', msg.type);
      }
    } catch (e) {
      countParseError(e, raw);
    }
  }

  function onConnected(msg) {
    state.heartbeatS = isNum(msg.heartbeat_interval) && msg.heartbeat_interval > 0 ? msg.heartbeat_interval : DEFAULT_HEARTBEAT_S;
    setStatus('live', '实时 · live');
    startPing();
    // Rows may have entered or left while we were away; prices we missed come with the list.
    if (state.connectedOnce) fetchList('reconnect');
    state.connectedOnce = true;
  }

  function applyUpdate(msg) {
    const at = performance.now();
    for (const r of msg.data) {
      if (!r || typeof r.code !== 'string') continue;
      const q = { price: toNum(r.price), change_percent: toNum(r.change_percent), volume: toNum(r.volume), at };
      state.quotes.set(r.code, q);
      const rows = state.byCode.get(r.code);
      if (rows) for (const tr of rows) applyQuote(tr, q, true);
    }
    ui.lastUpdate.textContent = fmtServerTime(msg.timestamp);
    ui.lastUpdate.title = `${msg.timestamp ?? ''} · seq ${msg.seq ?? '?'}`;
  }

  // ---------------------------------------------------------------- start

  function start() {
    setColors(readColorsPreference());
    ui.colorsToggle.addEventListener('click', toggleColors);

    const requested = new URLSearchParams(location.search).get('strategy') ?? '';
    if ([...ui.strategy.options].some((o) => o.value === requested)) ui.strategy.value = requested;
    state.strategy = ui.strategy.value;
    ui.strategy.addEventListener('change', () => {
      state.strategy = ui.strategy.value;
      const url = new URL(location.href);
      if (state.strategy) url.searchParams.set('strategy', state.strategy); else url.searchParams.delete('strategy');
      history.replaceState(null, '', url);
      fetchList('strategy');
    });

    // Back online: do not sit out the rest of a long backoff.
    window.addEventListener('online', () => {
      if (!state.ws) {
        state.attempt = 0;
        connect();
      }
    });

    fetchList('initial');
    connect();
  }

  start();
})();
