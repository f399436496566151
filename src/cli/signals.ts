/**
 * Runs `stop` once, on the first SIGINT, SIGTERM or SIGHUP, and exits 0 when it resolves; given `reload`, SIGHUP
 * runs that instead (as nginx reloads on SIGHUP) and the process goes on; a second SIGINT or SIGTERM exits at once. `stop` is told why, for its log
 * line. This is how every long-running Tandem command shuts down gracefully.
 *
 * Under a parent `tandem serve` (the process has an IPC channel) SIGINT and SIGHUP are left to the parent: a
 * terminal sends them to the whole process group, and the parent answers with one SIGTERM to each child, which
 * must not count as a second signal. When that parent goes away (its channel closes: killed, crashed) the
 * process stops gracefully instead of living on as an orphan that keeps its port.
 */
export function stopOnSignal(stop: (reason: string) => Promise<void>, reload?: () => void): void {
  const supervised = process.send !== undefined;
  let stopping = false;
  const begin = (reason: string) => {
    stopping = true;
    stop(reason).then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`tandem: error while stopping: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (supervised && signal !== 'SIGTERM') return;
    if (signal === 'SIGHUP' && reload !== undefined && !stopping) return reload();
    if (stopping) {
      if (signal !== 'SIGHUP') process.exit(signal === 'SIGINT' ? 130 : 143);
      return;
    }
    begin(signal === 'SIGHUP' ? 'SIGHUP, no reload yet: a graceful stop' : signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  if (supervised) {
    const orphaned = () => {
      if (!stopping) begin('the parent process is gone');
    };
    if (process.connected) process.on('disconnect', orphaned);
    else orphaned();
  }
}

/** Tells a parent `tandem serve` (when there is one) where this process listens. */
export function announceListening(role: string, host: string, port: number): void {
  process.send?.({ event: 'listening', role, host, port });
}
