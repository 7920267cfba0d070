'use strict';
// Peer 4: uWebSockets.js pub/sub. Every client subscribes to one topic; every interval one
// price_update is serialised once and published to it.
const uWS = require('@trufflesuite/uws-js-unofficial');
const { PriceFeed, parseArgs, nowMicros, publishGate, CONNECTED, PONG, isPing } = require('../common/feed');

const args = parseArgs(process.argv, { port: 8000, clientsExpected: 0, intervalMs: 1000, stocks: 50 });
const feed = new PriceFeed(args.stocks);
const TOPIC = 'prices';
let clients = 0;

const app = uWS.App().ws('/ws/stock/prices', {
  compression: uWS.DISABLED,
  maxPayloadLength: 64 * 1024,
  idleTimeout: 0,
  open: (ws) => {
    ws.subscribe(TOPIC);
    ws.send(CONNECTED, false);
    clients++;
    if (args.clientsExpected && clients === args.clientsExpected) {
      console.log(`uws: ${clients} clients connected`);
    }
  },
  message: (ws, message, isBinary) => {
    if (!isBinary && isPing(Buffer.from(message).toString())) ws.send(PONG, false);
  },
  close: () => { clients--; },
});

// With --clients-expected, publishing starts once they are all connected (or 30 s after the first).
const gate = publishGate(args.clientsExpected, () => clients);
setInterval(() => {
  if (clients === 0 || !gate()) return;
  const ts = nowMicros();
  app.publish(TOPIC, JSON.stringify(feed.tick(ts)), false);
}, args.intervalMs);

app.listen('127.0.0.1', args.port, (token) => {
  if (!token) { console.error(`uws: cannot listen on ${args.port}`); process.exit(1); }
  const v = require('@trufflesuite/uws-js-unofficial/package.json').version;
  console.log(`uws: listening on 127.0.0.1:${args.port}, uWS.js ${v}, node ${process.version}`);
});
