'use strict';

// Quotes API: Node's built-in http module only, so `npm install` needs no network.
//   GET /healthz        -> {"status": "ok"}
//   GET /quotes         -> all quotes
//   GET /quotes/random  -> one quote

const http = require('http');
const { version } = require('./package.json');
const quotes = require('./quotes.json');

function send(res, status, payload) {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if (req.method !== 'GET') {
    send(res, 405, { error: 'method not allowed' });
  } else if (url.pathname === '/healthz') {
    send(res, 200, { status: 'ok', version });
  } else if (url.pathname === '/quotes') {
    send(res, 200, quotes);
  } else if (url.pathname === '/quotes/random') {
    send(res, 200, quotes[Math.floor(Math.random() * quotes.length)]);
  } else {
    send(res, 404, { error: 'not found' });
  }
  console.log(`${req.method} ${req.url} ${res.statusCode}`);
}

const host = process.env.HOST || '0.0.0.0';
const port = Number.parseInt(process.env.PORT || '3000', 10);
const server = http.createServer(handle);

server.listen(port, host, () => {
  console.log(`quotes-api listening on http://${host}:${server.address().port}`);
});

// `docker stop` sends SIGTERM: finish open requests, then exit.
process.on('SIGTERM', () => server.close(() => process.exit(0)));
