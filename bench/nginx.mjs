// nginx as a reverse proxy for bench/compare.mjs: one worker process, a keep-alive upstream, its own config
// and temp folders in a fresh directory, run in the foreground as a child of the bench.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The headers-more module (Debian's libnginx-mod-http-headers-more-filter), used to drop `Server`. */
export const HEADERS_MORE = '/usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so';

/** A port that was free a moment ago (nginx cannot be told to pick one and report it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * The nginx config: `worker_processes 1` (the machine has 2 cores and wrk needs one), upstream keep-alive
 * (`keepalive 64`, HTTP/1.1, `Connection ""`), client keep-alive as long as the Node contenders'
 * (`Keep-Alive: timeout=S` sent like Node does), no `Server` header, bodies buffered in memory, and a combined
 * access log written to /dev/null as Tandem writes its own to stdout. The listen backlog is left at its
 * default (511), Node's too. With `tls` ({ cert, key, http2 }) the listener is HTTPS instead (see `tlsServerLines`).
 */
export function nginxConfig({ dir, port, upstreamPort, keepAliveSeconds, maxFiles, tls }) {
  return `load_module ${HEADERS_MORE};
worker_processes 1;
worker_rlimit_nofile ${maxFiles};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections ${Math.max(1024, maxFiles - 64)}; }
http {
  access_log /dev/null combined buffer=64k;
  server_tokens off;
  more_clear_headers Server;
  keepalive_timeout ${keepAliveSeconds}s ${keepAliveSeconds}s;
  keepalive_requests 1000000;
  client_body_buffer_size 128k;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream node {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
    keepalive_requests 1000000;
    keepalive_timeout ${Math.max(1, Math.floor(keepAliveSeconds / 2))}s;
  }
  server {
    listen 127.0.0.1:${port}${tls ? ` ssl${tls.http2 ? ' http2' : ''}` : ''};${tls ? tlsServerLines(tls) : ''}
    location / {
      proxy_pass http://node;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

/**
 * The TLS lines of an HTTPS server block: certificate chain and key, TLS 1.2 and 1.3 with nginx's default
 * ciphers (`ssl_ciphers HIGH:!aNULL:!MD5`, OpenSSL's for TLS 1.3), and nginx's defaults otherwise: session
 * tickets on, no shared session cache. HTTP/2 is `listen … ssl http2` (Debian's nginx 1.22 predates
 * `http2 on`); `http2_max_concurrent_streams` is left at its 128, above the 16 per connection the bench opens.
 */
function tlsServerLines({ cert, key }) {
  return `
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    ssl_protocols TLSv1.2 TLSv1.3;`;
}

/**
 * Starts nginx in front of 127.0.0.1:upstreamPort and resolves with { proc, port, conf, stop } once it accepts
 * connections; `stop()` ends it and removes its directory. `tls` ({ cert, key, http2 }) makes it listen HTTPS.
 */
export function startNginx({ upstreamPort, keepAliveSeconds, maxFiles, tls }) {
  return runNginx('bench-nginx-', (dir, port) =>
    nginxConfig({ dir, port, upstreamPort, keepAliveSeconds, maxFiles, tls }),
  );
}

/**
 * Runs nginx in the foreground from a fresh directory named after `prefix`, with the config `configFor(dir,
 * port)` makes for a free port; resolves with { proc, port, conf, stop } once it accepts connections.
 * `stop()` ends nginx (if it still runs) and removes the directory.
 */
export async function runNginx(prefix, configFor) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755); // the worker runs as nobody and creates its temp folders here
  const port = await freePort();
  const conf = configFor(dir, port);
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, conf);
  const proc = spawn('nginx', ['-p', dir, '-c', file, '-e', 'stderr'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise((_, reject) => {
    proc.on('exit', (code) => reject(new Error(`nginx exited ${code}: ${err}`)));
  });
  await Promise.race([waitForPort(port), exited]);
  const stop = () => {
    const gone =
      proc.exitCode !== null || proc.signalCode !== null
        ? Promise.resolve()
        : new Promise((resolve) => {
            proc.once('exit', resolve);
            proc.kill('SIGTERM');
          });
    return gone.then(() => rmSync(dir, { recursive: true }));
  };
  return { proc, port, conf, stop };
}

/** Resolves once something accepts connections on 127.0.0.1:`port`; throws after about 5 s. */
export async function waitForPort(port) {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not listen on ${port}`);
}
