'use strict';

// Quotes API on Express with the usual middlewares (pinned in package.json, locked in package-lock.json).
//   GET /               -> the service's name and version
//   GET /healthz        -> {"status": "ok", "version": ...}
//   GET /quotes         -> all quotes
//   GET /quotes/random  -> one quote

const compression = require('compression');
const cors = require('cors');
const express = require('express');
const helmet = require('helmet');
const morgan = require('morgan');
const { version } = require('./package.json');
const quotes = require('./quotes.json');

const app = express();

app.use(helmet()); // security headers
app.use(cors()); // a public read-only API: any origin may read it
app.use(compression()); // gzip for clients that ask for it
app.use(morgan('tiny')); // one log line per request

app.get('/', (req, res) => res.json({ name: 'quotes-api', version }));
app.get('/healthz', (req, res) => res.json({ status: 'ok', version }));
app.get('/quotes', (req, res) => res.json(quotes));
app.get('/quotes/random', (req, res) => res.json(quotes[Math.floor(Math.random() * quotes.length)]));
app.all('/{*path}', (req, res) => {
  if (req.method !== 'GET') {
    res.status(405).json({ error: 'method not allowed' });
  } else {
    res.status(404).json({ error: 'not found' });
  }
});

const host = process.env.HOST || '0.0.0.0';
const port = Number.parseInt(process.env.PORT || '3000', 10);

const server = app.listen(port, host, () => {
  console.log(`quotes-api listening on http://${host}:${server.address().port}`);
});

// `docker stop` sends SIGTERM: finish open requests, then exit.
process.on('SIGTERM', () => server.close(() => process.exit(0)));
