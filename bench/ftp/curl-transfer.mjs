// One RETR or STOR with curl (the same client for both servers), while the server's RSS is sampled and its CPU
// time taken before and after.
import { runCaptured } from '../lib.mjs';
import { processTree, sampleTree, treeCpuSeconds } from './proc.mjs';

const MIB = 1024 * 1024;
/** curl's timings (seconds) and byte counts, one per line. */
const WRITE_OUT = '%{time_pretransfer} %{time_total} %{size_download} %{size_upload} %{response_code}\\n';

async function runCurl(args) {
  const out = await runCaptured('curl', ['-sS', '-w', WRITE_OUT, ...args]);
  const [pre, total, down, up, status] = out.trim().split(/\s+/).map(Number);
  return { pre, total, down, up, status };
}

/**
 * Transfers with curl against `server` ({ pid, port }) as `user`: `kind` 'RETR' downloads `remote` to
 * /dev/null, 'STOR' uploads `local` to `remote`. Resolves with { bytes, seconds, wall, mibps, cpu, rss }:
 * seconds from the transfer command to the final reply (curl's time_total − time_pretransfer, so without the
 * login), wall the whole curl run, cpu the server's CPU seconds, rss its peak RSS in MiB (sampled every 100 ms).
 */
export async function curlTransfer(server, user, kind, remote, local) {
  const url = `ftp://${encodeURIComponent(user.name)}:${encodeURIComponent(user.password)}@127.0.0.1:${server.port}/${remote}`;
  const args = kind === 'RETR' ? ['-o', '/dev/null', url] : ['-T', local, url];
  const sampler = sampleTree(server.pid, 100);
  const processes = processTree(server.pid).length;
  const cpuBefore = treeCpuSeconds(server.pid);
  const started = process.hrtime.bigint();
  const r = await runCurl(args).finally(() => sampler.stop());
  const sampled = sampler.stop();
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  // vsftpd's session processes exit after QUIT: wait (up to 2 s) until the listener has reaped them, so that
  // their CPU time shows in its cutime.
  for (let waited = 0; waited < 2000 && processTree(server.pid).length > processes; waited += 20) {
    await new Promise((res) => setTimeout(res, 20));
  }
  // The reaped children's time is exact when each parent waits for its children; when a session's helper is
  // reparented instead, it is lost there and the sampled figure (a lower bound) is the better one.
  const cpu = Math.max(treeCpuSeconds(server.pid) - cpuBefore, sampled.cpu);
  const bytes = kind === 'RETR' ? r.down : r.up;
  const seconds = r.total - r.pre;
  return { bytes, seconds, wall, mibps: bytes / MIB / seconds, cpu, rss: sampled.rss, status: r.status };
}
