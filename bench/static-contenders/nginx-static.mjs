// nginx as a static file server for bench/static-compare.mjs: one worker, sendfile, open_file_cache, the same
// header fields as Tandem's static layer where a config line can say them, its own config and temp folders
// in a fresh directory, run in the foreground as a child of the bench.
import { HEADERS_MORE, runNginx } from '../nginx.mjs';

/** The brotli_static module (Debian's libnginx-mod-http-brotli-static): serves `name.br` beside `name`. */
export const BROTLI_STATIC = '/usr/lib/nginx/modules/ngx_http_brotli_static_module.so';

/**
 * The static nginx config: `worker_processes 1` (2 cores, wrk needs one), `sendfile on`, `tcp_nopush on`,
 * `open_file_cache max=1000 inactive=60s` with `open_file_cache_valid 60s` (open descriptors and stats kept
 * for a minute: no system call to find a file), Debian's mime.types with `charset utf-8` for text/css,
 * `X-Content-Type-Options: nosniff` on every file and `Vary: Accept-Encoding` on CSS (as Tandem sends them),
 * `brotli_static on` and `gzip_static on` (a precompressed `name.br` / `name.gz` for a client that accepts it,
 * as Tandem serves them),
 * no `Server` header (headers-more), keep-alive as Node's default (`timeout=5`, no request limit) and a
 * combined access log written to /dev/null, buffered, as Tandem writes its own to stdout.
 */
export function staticNginxConfig({ dir, port, root }) {
  return `load_module ${HEADERS_MORE};
load_module ${BROTLI_STATIC};
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  charset utf-8;
  charset_types text/css;
  access_log /dev/null combined buffer=64k;
  server_tokens off;
  more_clear_headers Server;
  sendfile on;
  brotli_static on;
  gzip_static on;
  tcp_nopush on;
  open_file_cache max=1000 inactive=60s;
  open_file_cache_valid 60s;
  open_file_cache_errors on;
  keepalive_timeout 5s 5s;
  keepalive_requests 1000000;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / {
      add_header X-Content-Type-Options nosniff;
    }
    location ~ \\.css$ {
      add_header X-Content-Type-Options nosniff;
      add_header Vary Accept-Encoding;
    }
  }
}
`;
}

/**
 * Starts nginx serving `root` and resolves with { proc, port, conf, stop } once it accepts connections;
 * `conf` is the config text, `stop()` ends nginx and removes its directory.
 */
export function startStaticNginx(root) {
  return runNginx('bench-nginx-static-', (dir, port) => staticNginxConfig({ dir, port, root }));
}
