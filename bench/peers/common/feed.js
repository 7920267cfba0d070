'use strict';
// The price feed every Node peer publishes: N stocks from stocks.json, each moving a little every
// tick, shaped exactly like the product's price_update message. Pure: no sockets here.
const fs = require('fs');
const path = require('path');

const STOCKS = JSON.parse(fs.readFileSync(path.join(__dirname, 'stocks.json'), 'utf8'));

function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const key = a.slice(2).replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out[key] = true;
    else { out[key] = isNaN(Number(next)) ? next : Number(next); i++; }
  }
  return out;
}

// Wall-clock microseconds (CLOCK_REALTIME, as the C load client reads it).
function nowMicros() {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

const pad = (n, w) => String(n).padStart(w, '0');

// "2026-11-26T14:30:01.123456+08:00" for an epoch-microsecond instant, in China Standard Time.
function isoShanghai(us) {
  const d = new Date(Math.floor(us / 1000) + 8 * 3600 * 1000);
  const micros = us % 1000000;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T` +
    `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.` +
    `${pad(micros, 6)}+08:00`;
}

class PriceFeed {
  constructor(count, seed = 42) {
    if (count > STOCKS.length) throw new Error(`at most ${STOCKS.length} stocks`);
    this.rows = STOCKS.slice(0, count).map((s) => ({
      code: s.code, name: s.name, preClose: s.price, price: s.price, volume: 1000000,
    }));
    this.seq = 0;
    this.rand = seed >>> 0;
  }

  nextRandom() {
    // xorshift32: the same walk on every run
    let x = this.rand;
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    this.rand = x;
    return x / 4294967296;
  }

  // Moves every price and returns the price_update object (ts = publish time in epoch µs).
  tick(tsMicros) {
    const data = this.rows.map((r) => {
      const step = 1 + (this.nextRandom() - 0.5) * 0.004;
      let p = Math.round(r.price * step * 100) / 100;
      const lo = r.preClose * 0.9, hi = r.preClose * 1.1;
      if (p < lo) p = Math.round(lo * 100) / 100;
      if (p > hi) p = Math.round(hi * 100) / 100;
      r.price = p;
      r.volume += 100 * (1 + Math.floor(this.nextRandom() * 500));
      return {
        code: r.code, name: r.name, price: p,
        change_percent: Math.round((p - r.preClose) / r.preClose * 10000) / 100,
        volume: r.volume,
      };
    });
    this.seq++;
    return { type: 'price_update', data, timestamp: isoShanghai(tsMicros), seq: this.seq, ts: tsMicros };
  }
}

// Returns a function that says whether to publish: once `expected` clients have connected, or
// 30 s after the first one did; always when expected is 0.
function publishGate(expected, count, graceMs = 30000) {
  let open = !expected, firstSeen = 0;
  return () => {
    if (open) return true;
    const n = count();
    if (n > 0 && !firstSeen) firstSeen = Date.now();
    open = n >= expected || (firstSeen > 0 && Date.now() - firstSeen >= graceMs);
    return open;
  };
}

const CONNECTED = JSON.stringify({ type: 'connected', message: 'WebSocket connected' });
const PONG = JSON.stringify({ type: 'pong' });

function isPing(text) {
  try { return JSON.parse(text).type === 'ping'; } catch { return false; }
}

module.exports = { PriceFeed, parseArgs, nowMicros, isoShanghai, publishGate, CONNECTED, PONG, isPing };
