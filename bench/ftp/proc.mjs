// Memory and CPU of a server's process tree from /proc, tolerant of children that come and go (vsftpd forks two
// processes per session), and a sampler of the peak RSS.
import { readFileSync } from 'node:fs';

/** Linux's USER_HZ, the unit of /proc/PID/stat times. */
const CLOCK_TICKS = 100;

/** The text of /proc/PID/FILE, or undefined when the process is gone. */
function readProc(pid, file) {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** The pids of `pid` and its descendants that run now. */
export function processTree(pid) {
  const out = [];
  const walk = (p) => {
    out.push(p);
    const children = readProc(p, `task/${p}/children`)?.trim() ?? '';
    for (const c of children ? children.split(' ') : []) walk(Number(c));
  };
  walk(pid);
  return out;
}

/** Resident set size of `pid` and its running descendants, in MiB (shared pages counted in each process). */
export function treeRssMiB(pid) {
  let kib = 0;
  for (const p of processTree(pid)) {
    const m = /VmRSS:\s+(\d+) kB/.exec(readProc(p, 'status') ?? '');
    kib += m ? Number(m[1]) : 0;
  }
  return kib / 1024;
}

/**
 * CPU seconds (user + system) of `pid`, its running descendants, and the children it has already reaped
 * (cutime + cstime, which hold their reaped children in turn): a session process that exited after QUIT
 * still counts, as long as the server reaped it.
 */
export function treeCpuSeconds(pid) {
  let ticks = 0;
  processTree(pid).forEach((p, i) => {
    const stat = readProc(p, 'stat');
    if (stat === undefined) return;
    // Fields after the command name (which may hold spaces): utime, stime, cutime, cstime are the 12th to 15th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(f[11]) + Number(f[12]);
    if (i === 0) ticks += Number(f[13]) + Number(f[14]);
  });
  return ticks / CLOCK_TICKS;
}

/** utime + stime of one process in ticks, or undefined when it is gone. */
function ownTicks(pid) {
  const stat = readProc(pid, 'stat');
  if (stat === undefined) return undefined;
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/**
 * Samples `pid`'s tree every `everyMs`: the peak RSS, and the CPU time of each process seen (a process that
 * appears later starts from zero). `stop()` takes a last sample and returns { rss (MiB), cpu (seconds) }; the
 * CPU misses at most the last interval of processes that exit in between, so it is a lower bound.
 */
export function sampleTree(pid, everyMs = 100) {
  const first = new Map();
  const last = new Map();
  let peak = 0;
  const sample = (initial) => {
    peak = Math.max(peak, treeRssMiB(pid));
    for (const p of processTree(pid)) {
      const ticks = ownTicks(p);
      if (ticks === undefined) continue;
      if (!first.has(p)) first.set(p, initial ? ticks : 0);
      last.set(p, ticks);
    }
  };
  sample(true);
  const timer = setInterval(() => sample(false), everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample(false);
      let ticks = 0;
      for (const [p, t] of last) ticks += t - (first.get(p) ?? 0);
      return { rss: peak, cpu: ticks / CLOCK_TICKS };
    },
  };
}
