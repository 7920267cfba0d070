'use strict';
// Peer 3: Node `ws`. Every interval one price_update is serialised once and the same string is
// sent to every client.
const http = require('http');
const { WebSocketServer } = require('ws');
const { PriceFeed, parseArgs, nowMicros, publishGate, CONNECTED, PONG, isPing } = require('../common/feed');

const args = parseArgs(process.argv, { port: 8000, clientsExpected: 0, intervalMs: 1000, stocks: 50 });
const feed = new PriceFeed(args.stocks);

// A stand-in for the product's REST signal list (GET /api/stocks/signal/buy, the brief's
// envelope), so bench/rest can be exercised before the gateway serves it. Static JSON.
const SIGNALS = Buffer.from(JSON.stringify({
  code: 200,
  message: 'buy signals fetched',
  data: { strategy: null, signals: feed.tick(nowMicros()).data.map((r) => ({ ...r, ts_code: r.code, signal: 'buy' })), count: args.stocks },
}));
const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url.split('?')[0] === '/api/stocks/signal/buy') {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': SIGNALS.length });
    res.end(SIGNALS);
    return;
  }
  res.writeHead(404);
  res.end();
});
const wss = new WebSocketServer({ server, path: '/ws/stock/prices', perMessageDeflate: false });

wss.on('connection', (ws) => {
  ws.send(CONNECTED);
  ws.on('message', (data, isBinary) => {
    if (!isBinary && isPing(data.toString())) ws.send(PONG);
  });
  ws.on('error', () => {});
  if (args.clientsExpected && wss.clients.size === args.clientsExpected) {
    console.log(`node-ws: ${wss.clients.size} clients connected`);
  }
});

// With --clients-expected, publishing starts once they are all connected (or 30 s after the first
// one), so a slow connect phase is not mixed into the measurement.
const gate = publishGate(args.clientsExpected, () => wss.clients.size);
setInterval(() => {
  if (wss.clients.size === 0 || !gate()) return;
  const ts = nowMicros();
  const text = JSON.stringify(feed.tick(ts));
  for (const ws of wss.clients) ws.send(text);
}, args.intervalMs);

server.listen(args.port, '127.0.0.1', () => {
  console.log(`node-ws: listening on 127.0.0.1:${args.port}, ws ${require('ws/package.json').version}, node ${process.version}`);
});
