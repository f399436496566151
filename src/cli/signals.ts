/**
 * Runs `stop` on the first SIGINT or SIGTERM and exits 0 when it resolves; a second signal exits at once.
 * This is how every long-running Tandem command shuts down gracefully.
 */
export function stopOnSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(signal === 'SIGINT' ? 130 : 143);
    stopping = true;
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`tandem: error while stopping: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Tells a parent `tandem serve` (when there is one) where this process listens. */
export function announceListening(role: string, host: string, port: number): void {
  process.send?.({ event: 'listening', role, host, port });
}
