// Checks that an HTTPS contender of bench/compare.mjs answers before it is measured: GET /hello over HTTP/1.1
// with its certificate verified against the run's CA.

import { readFileSync } from 'node:fs';
import https from 'node:https';

/** Resolves once `url`/hello answers 200 `Hello, World!` with a certificate `caFile` (PEM) vouches for; else throws. */
export function checkHello(url, caFile) {
  const ca = readFileSync(caFile);
  return new Promise((resolve, reject) => {
    const req = https.get(`${url}/hello`, { ca, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () =>
        res.statusCode === 200 && body === 'Hello, World!'
          ? resolve()
          : reject(new Error(`${url}/hello answered ${res.statusCode} ${JSON.stringify(body.slice(0, 80))}`)),
      );
    });
    req.on('error', (error) => reject(new Error(`${url}/hello: ${error.message}`)));
  });
}
