// Opens many idle keep-alive connections to a server for bench/compare.mjs scenario (e): each connection
// sends one GET and reads its whole answer, then stays open and silent.
import net from 'node:net';

/**
 * Opens `count` connections to 127.0.0.1:port, `batch` at a time; each sends `GET path` and waits for an
 * answer ending with `bodyEnd`. Resolves with { sockets, failed } once all have been answered or failed.
 */
export async function openIdleConnections(port, { count, path, bodyEnd, batch = 250 }) {
  const sockets = [];
  let failed = 0;
  const request = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`;
  const openOne = () =>
    new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let seen = '';
      const fail = () => {
        failed++;
        socket.destroy();
        resolve();
      };
      socket.setTimeout(30_000, fail);
      socket.on('error', fail);
      socket.on('connect', () => socket.write(request));
      socket.on('data', (d) => {
        seen += d;
        if (!seen.endsWith(bodyEnd)) return;
        socket.setTimeout(0);
        socket.removeAllListeners('data');
        socket.removeListener('error', fail);
        socket.on('error', () => {});
        sockets.push(socket);
        resolve();
      });
    });
  for (let opened = 0; opened < count; opened += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, count - opened) }, openOne));
  }
  return { sockets, failed };
}

/** Counts the sockets still open (the server closed none of them) and destroys them all. */
export function closeAll(sockets) {
  const open = sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
  for (const s of sockets) s.destroy();
  return open;
}
