import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** Resolves once `condition` holds (checked every 20 ms); rejects naming `what` after `ms`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** True while a process with this pid exists (zombies count as gone: /proc says state Z). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return true;
}

/** Resolves with `[code, signal]` once `proc` has exited, at once if it already has. */
export async function exitOf(proc: ChildProcess): Promise<[number | null, NodeJS.Signals | null]> {
  if (proc.exitCode === null && proc.signalCode === null) await once(proc, 'exit');
  return [proc.exitCode, proc.signalCode];
}
